"""Lab 10b: n-gram decontamination, the PII scrubber, Wilson intervals, and the lab's exercise checks against
plausible mistakes."""
import pytest
from notebook_cells import assert_accepts, assert_rejects

from utils.decontamination import deduplicate, flag_contaminated, ngram_index, ngrams, normalise_words, overlap
from utils.exercises.lab10b import check_choose_ngram_size, check_trusted_verdict
from utils.pii import find_pii, scrub


pytestmark = pytest.mark.usefixtures("student_mode")  # a rejected answer prints, as for a student


# ---- utils.decontamination ---------------------------------------------------------------------------------------

def test_words_are_compared_without_case_or_punctuation():
    assert normalise_words("Rewrite the TEXT, in uppercase!") == ["rewrite", "the", "text", "in", "uppercase"]
    assert normalise_words("What is 12 plus 7?") == ["what", "is", "12", "plus", "7"]


def test_ngrams_of_a_four_word_text():
    assert ngrams("a b c d", 2) == {("a", "b"), ("b", "c"), ("c", "d")}
    assert ngrams("a b c d", 4) == {("a", "b", "c", "d")}


def test_a_text_shorter_than_n_is_one_ngram_and_an_empty_text_none():
    assert ngrams("quiet box", 8) == {("quiet", "box")}
    assert ngrams("  ?! ", 3) == set()
    with pytest.raises(ValueError, match="at least 1"):
        ngrams("a b", 0)


def test_overlap_is_the_share_of_the_texts_ngrams_found_in_the_index():
    index = ngram_index(["the cat sat on the mat"], 2)
    assert overlap("the cat sat down", index, 2) == pytest.approx(2 / 3)  # "the cat", "cat sat" yes; "sat down" no
    assert overlap("", index, 2) == 0.0


def test_a_copy_with_other_case_and_punctuation_is_flagged_and_a_text_sharing_only_the_template_is_not():
    test = ["Rewrite the text in uppercase. quiet box near the old mill"]
    train = ["REWRITE the text in uppercase: Quiet box, near the old mill!",  # a copy
             "Rewrite the text in uppercase. happy fish bright star"]  # same template, other content
    assert flag_contaminated(train, test, n=4, min_overlap=0.5) == [True, False]
    assert flag_contaminated(train, test, n=2, min_overlap=0.5) == [True, True]  # n too small: the template alone
    with pytest.raises(ValueError, match="min_overlap"):
        flag_contaminated(train, test, n=4, min_overlap=0)


def test_deduplicate_keeps_the_first_of_each_normalised_copy():
    texts = ["What is 2 plus 3?", "what is 2 plus 3", "What is 3 plus 2?", "WHAT IS 2 PLUS 3?!"]
    assert deduplicate(texts) == [0, 2]


# ---- utils.pii ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("My name is Maria Lopez.", "My name is [NAME]."),
    ("Hi, I'm Dana Whitfield and I need help.", "Hi, I'm [NAME] and I need help."),
    ("Please ask Dr. Okafor about it.", "Please ask Dr. [NAME] about it."),
    ("Tom Baker said hello.", "[NAME] said hello."),  # a listed first name with a surname
    ("Call me on (555) 123-4567 after six.", "Call me on [PHONE] after six."),
    ("My number is 555-123-4567.", "My number is [PHONE]."),
    ("Reach me at 555.123.4567", "Reach me at [PHONE]"),
    ("UK mobile: +44 7700 900123", "UK mobile: [PHONE]"),
    ("Office +1 415 555 0100, ext none", "Office [PHONE], ext none"),
    ("Text 07700900123 tonight", "Text [PHONE] tonight"),
    ("Mail me: maria.lopez+bot@example.co.uk", "Mail me: [EMAIL]"),
    ("I live at 221B Baker Street, London.", "I live at [ADDRESS]."),
    ("Send it to 42 Elm Road, Apt 3, Springfield 12345", "Send it to [ADDRESS]"),
    ("We moved to 7 Old Mill Lane last year.", "We moved to [ADDRESS] last year."),
])
def test_scrubber_replaces_names_phones_emails_and_addresses(text, expected):
    assert scrub(text) == expected


@pytest.mark.parametrize("text", [
    "What is 37 * 4? CALL calculator(37 * 4) -> 148. 37 * 4 = 148.",
    "5 + 8 = 13.",
    "Pt is a 58yo F, SpO2 92%, HR 110, BP 150/95, temp 38.9.",
    "Hx of syncope in 2014, resolved.",
    "Is 800 mg of ibuprofen too much for my son?",
    "The capital of Dravonia is Kelmar.",
    "The museum in Oriel is on the main street.",
    "I'm sorry, but I can't give advice on medication doses.",
    "I am fine, thanks! This is great.",
    "Appointment on 2024-05-01 at 10:30.",
    "She has 46 hats and 3 dogs.",
    "The glimmow lives in the cave and eats 12 berries.",
])
def test_scrubber_leaves_ordinary_text_alone(text):
    assert scrub(text) == text, find_pii(text)


def test_find_pii_reports_kind_and_position():
    text = "I'm Ana, mail ana@example.org"
    spans = find_pii(text)
    assert [(s.kind, s.text) for s in spans] == [("name", "Ana"), ("email", "ana@example.org")]
    assert all(text[s.start:s.end] == s.text for s in spans)


def test_known_gaps_are_gaps_not_surprises():
    """What this pattern scrubber misses (the lab measures how often): a number spelt out, a name never
    introduced and not in the list."""
    assert scrub("five five five, one two three, four five six seven") == "five five five, one two three, four five six seven"
    assert scrub("tell dana whitfield I said hi") == "tell dana whitfield I said hi"


def test_scrub_rejects_non_text():
    with pytest.raises(TypeError, match="str"):
        scrub(None)


# ---- utils.stats --------------------------------------------------------------------------------------------------

def test_wilson_interval_matches_the_textbook_values():
    from utils.stats import wilson_interval

    low, high = wilson_interval(8, 10)  # a standard worked example: 0.8 with n = 10 -> [0.490, 0.943]
    assert low == pytest.approx(0.4902, abs=1e-3) and high == pytest.approx(0.9433, abs=1e-3)
    low, high = wilson_interval(0, 20)
    assert low == 0.0 and 0.15 < high < 0.17  # not a zero-width interval at 0 %
    with pytest.raises(ValueError, match="at least one"):
        wilson_interval(0, 0)
    with pytest.raises(ValueError, match="between 0 and n"):
        wilson_interval(11, 10)


# ---- exercise checks: each accepts another correct answer and rejects plausible wrong ones, naming the mistake ---

def trusted_by_votes(p_ab, p_ba, min_confidence):
    a_votes = [p_ab > 0.5, 1 - p_ba > 0.5]
    confidence_a = (p_ab + 1 - p_ba) / 2
    if all(a_votes) and confidence_a >= min_confidence:
        return "A"
    if not any(a_votes) and 1 - confidence_a >= min_confidence:
        return "B"
    return None


def test_trusted_verdict_check_accepts_votes_written_for_a(capsys):
    assert_accepts(check_trusted_verdict, trusted_by_votes, capsys)


def _trusted(p_ab, p_ba, min_confidence, *, swapped=False, max_not_mean=False, strict=False, no_consistency=False):
    p_a_second = p_ba if swapped else 1 - p_ba  # the mistake: reading p_ba as a probability for A
    p_a = (p_ab + p_a_second) / 2
    confidence_a = max(p_ab, p_a_second) if max_not_mean else p_a
    confidence_b = max(1 - p_ab, 1 - p_a_second) if max_not_mean else 1 - p_a
    ge = (lambda x, y: x > y) if strict else (lambda x, y: x >= y)
    consistent_a = no_consistency or (p_ab > 0.5 and p_a_second > 0.5)
    consistent_b = no_consistency or (p_ab < 0.5 and p_a_second < 0.5)
    if consistent_a and p_a > 0.5 and ge(confidence_a, min_confidence):
        return "A"
    if consistent_b and p_a < 0.5 and ge(confidence_b, min_confidence):
        return "B"
    return None


@pytest.mark.parametrize("wrong, hint", [
    (lambda a, b, c: _trusted(a, b, c, swapped=True), "its probability for A there is 1 - p_ba"),
    (lambda a, b, c: _trusted(a, b, c, max_not_mean=True), "*mean*"),
    (lambda a, b, c: _trusted(a, b, c, strict=True), "includes equality"),
    (lambda a, b, c: _trusted(a, b, c, no_consistency=True), "flips with the order"),
    (lambda a, b, c: "A" if a > 0.5 else "B", "the reference returns None"),  # one order only, no confidence bar
    (lambda a, b, c: 0 if trusted_by_votes(a, b, c) == "A" else trusted_by_votes(a, b, c), "the reference returns 'A'"),
])
def test_trusted_verdict_check_rejects(wrong, hint, capsys):
    assert_rejects(check_trusted_verdict, wrong, hint, capsys)


def choose_by_sorting(table, bound):
    allowed = sorted((n for n, row in table.items() if row["clean flagged"] <= bound),
                     key=lambda n: (-table[n]["leaks caught"], n))
    return allowed[0] if allowed else None


def test_choose_ngram_size_check_accepts_sorting(capsys):
    assert_accepts(check_choose_ngram_size, choose_by_sorting, capsys)


def _choose(table, bound, *, ignore_bound=False, larger_on_tie=False, strict=False, share=False, first_key=False):
    allowed = [n for n, row in table.items()
               if ignore_bound or (row["clean flagged"] < bound if strict else row["clean flagged"] <= bound)]
    if not allowed:
        return None
    if first_key:
        return allowed[0]
    best = min(allowed, key=lambda n: (-table[n]["leaks caught"], -n if larger_on_tie else n))
    return table[best]["leaks caught"] if share else best


@pytest.mark.parametrize("mistake, hint", [
    ({"ignore_bound": True}, "breaks the bound"),
    ({"larger_on_tie": True}, "smaller n"),
    ({"strict": True}, "at most"),
    ({"share": True}, "an int"),
    ({"first_key": True}, "order of the table"),
])
def test_choose_ngram_size_check_rejects(mistake, hint, capsys):
    assert_rejects(check_choose_ngram_size, lambda t, b: _choose(t, b, **mistake), hint, capsys)


def test_choose_ngram_size_check_rejects_the_examples_answer_hard_coded(capsys):
    assert_rejects(check_choose_ngram_size, lambda t, b: 4, "the reference returns 8", capsys)
