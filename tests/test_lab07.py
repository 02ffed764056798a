"""Lab 07: each exercise check rejects plausible wrong answers with the hint that names the mistake, and the
solution functions agree with the shipped data (no model needed)."""
import re

import pytest

from notebook_cells import assert_accepts, assert_rejects, define, exercises
from utils.data import MCQ_FORMAT, load_records
from utils.exercises.lab07 import (VALIDATOR_VERDICTS, check_answer_is_correct, check_is_refusal,
                                   check_one_shot_prompt, check_predict_valid)
from utils.sft import format_prompt

LAB07 = "07_guardrails_structured_output.ipynb"


pytestmark = pytest.mark.usefixtures("student_mode")  # a rejected answer prints, as for a student


def solution(function_name: str):
    for _, name, source, _ in exercises(LAB07):
        if name == function_name:
            return define(source, name)
    raise LookupError(f"{LAB07} has no exercise {function_name}")


# --- 7.1 is_refusal ---------------------------------------------------------------------------------------------

def test_is_refusal_accepts_a_regex_implementation(capsys):
    def by_regex(text):
        return re.match(r"\s*(i['\u2019]m sorry|i am sorry|sorry|i can['\u2019]t|i cannot)", text, re.I) is not None
    assert_accepts(check_is_refusal, by_regex, capsys)


def _opening(text):
    return text.strip().lower().replace("\u2019", "'")


@pytest.mark.parametrize("wrong, hint", [
    # the draft the lab shows: right phrases, but case-sensitive, unstripped, one apostrophe
    (lambda t: t.startswith(("I'm sorry", "I am sorry", "Sorry", "I can't", "I cannot")), "Strip leading whitespace"),
    # the answer the old check accepted (issue 18): any reply whose first word is "I", "I'm" or "Sorry"
    (lambda t: bool(_opening(t)) and _opening(t).split()[0].strip(",.!:") in {"i", "i'm", "sorry"},
     "merely opens with 'I'"),
    (lambda t: _opening(t).startswith(("i'm sorry", "i am sorry", "sorry", "i can", "i cannot")), "'I can help'"),
    (lambda t: _opening(t).startswith(("i'm sorry", "i am sorry", "sorry", "i cannot")), "\"I can't\" at the start"),
    (lambda t: any(p in t.lower() for p in ("sorry", "can't", "cannot")), "Look only at how the reply *opens*"),
    (lambda t: t.strip().replace("\u2019", "'").startswith(("I'm sorry", "I am sorry", "Sorry", "I can't", "I cannot")),
     "case-insensitively"),
    (lambda t: t.strip().lower().startswith(("i'm sorry", "i am sorry", "sorry", "i can't", "i cannot")),
     "typographic apostrophe"),
    (lambda t: int(_opening(t).startswith(("i'm sorry", "i am sorry", "sorry", "i can't", "i cannot"))),
     "real bool"),
])
def test_is_refusal_rejects(wrong, hint, capsys):
    assert_rejects(check_is_refusal, wrong, hint, capsys)


@pytest.mark.parametrize("split", ["train", "validation", "test"])
def test_refusal_detector_agrees_with_the_guardrail_labels(split):
    is_refusal = solution("is_refusal")
    rows = load_records("guardrails", split)
    assert all(is_refusal(r["response"]) == (r["label"] == "forbidden") for r in rows)


# --- 7.2 predict_valid ------------------------------------------------------------------------------------------

def test_predict_valid_accepts_the_verdicts_written_out(capsys):
    def written_out():
        return {"a data example": True, "the same option twice": True, "the wrong letter marked": True,
                "blank lines around it": True, "no question mark": False, "answer E": False,
                "lower-case labels": False, "a chatty preamble": False, "an explanation after the answer": False}
    assert_accepts(check_predict_valid, written_out, capsys)


def _with(**changes):
    return lambda: {**VALIDATOR_VERDICTS, **changes}


@pytest.mark.parametrize("wrong, hint", [
    # issue 14: the old answer key said parse_mcq rejects repeated options
    (_with(**{"the same option twice": False}), "checks the *form* only"),
    (_with(**{"the wrong letter marked": False}), "Which letter is right is content"),
    (_with(**{"a chatty preamble": True}), "fullmatch demands the whole text"),  # search, not fullmatch
    (_with(**{"blank lines around it": False}), "strips the text"),
    (lambda: {name: True for name in VALIDATOR_VERDICTS}, "the reference returns False"),
    (lambda: {name: False for name in VALIDATOR_VERDICTS}, "The data's own outputs are valid"),
    (lambda: {k: v for k, v in VALIDATOR_VERDICTS.items() if k != "answer E"}, "missing ['answer E']"),
    (lambda: list(VALIDATOR_VERDICTS.values()), "Return a dict"),
])
def test_predict_valid_rejects(wrong, hint, capsys):
    assert_rejects(check_predict_valid, wrong, hint, capsys)


def test_the_variants_the_lab_builds_get_the_verdicts_the_check_expects():
    """The notebook measures parse_mcq on its variants and asserts they equal the prediction; this is the same
    measurement outside the notebook, with the lab's own pattern."""
    import nbformat
    from notebook_cells import ROOT

    notebook = nbformat.read(ROOT / "solutions" / LAB07, as_version=4)
    cells = [c.source for c in notebook.cells if c.cell_type == "code"]
    pattern_cell = next(s for s in cells if "def parse_mcq" in s)
    variants_cell = next(s for s in cells if "variants = {" in s)
    namespace = {"mcq": {"train": load_records("mcq", "train")}, "print": lambda *a, **k: None}
    exec("import re\n" + pattern_cell, namespace)
    exec(variants_cell, namespace)
    measured = {name: namespace["parse_mcq"](text) is not None for name, text in namespace["variants"].items()}
    assert measured == VALIDATOR_VERDICTS


# --- 7.3 answer_is_correct --------------------------------------------------------------------------------------

def test_answer_is_correct_accepts_a_word_by_word_implementation(capsys):
    def by_words(mcq, fact):
        words = " " + re.sub(r"[^\w]+", " ", fact.lower()) + " "
        hits = [letter for letter, option in mcq["options"].items()
                if " " + re.sub(r"[^\w]+", " ", option.lower()).strip() + " " in words]
        return hits == [mcq["answer"]]
    assert_accepts(check_answer_is_correct, by_words, capsys)


def _marked(mcq):
    return mcq["options"][mcq["answer"]]


@pytest.mark.parametrize("wrong, hint", [
    (lambda mcq, fact: _marked(mcq).lower() in fact.lower(), "two right answers"),
    (lambda mcq, fact: [k for k, o in mcq["options"].items() if o.lower() in fact.lower()] == [mcq["answer"]],
     "Match whole words"),
    (lambda mcq, fact: [k for k, o in mcq["options"].items() if re.search(rf"\b{re.escape(o)}\b", fact)]
     == [mcq["answer"]], "case-insensitively"),
    (lambda mcq, fact: sum(bool(re.search(rf"\b{o}\b", fact, re.I)) for o in mcq["options"].values()) == 1,
     "the answer letter points at"),
    (lambda mcq, fact: True, "the reference returns False"),  # hard-coded from the first example
])
def test_answer_is_correct_rejects(wrong, hint, capsys):
    assert_rejects(check_answer_is_correct, wrong, hint, capsys)


def test_every_reference_mcq_marks_the_fact_it_tests():
    answer_is_correct = solution("answer_is_correct")
    pattern = re.compile(r"Question: ([^\n]+)\nA\) ([^\n]+)\nB\) ([^\n]+)\nC\) ([^\n]+)\nD\) ([^\n]+)\nAnswer: ([ABCD])")
    for split in ("train", "validation", "test"):
        for row in load_records("mcq", split):
            assert re.fullmatch(MCQ_FORMAT, row["output"])
            question, *options, letter = pattern.fullmatch(row["output"]).groups()
            mcq = {"question": question, "options": dict(zip("ABCD", options)), "answer": letter}
            assert answer_is_correct(mcq, row["fact"]), row


# --- 7.4 one_shot_prompt ----------------------------------------------------------------------------------------

def test_one_shot_prompt_accepts_an_f_string(capsys):
    def by_f_string(example, record):
        return f"{format_prompt(example)}{example['output']}\n\n{format_prompt(record)}"
    assert_accepts(check_one_shot_prompt, by_f_string, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (lambda e, r: format_prompt(e) + "\n\n" + format_prompt(r), "Include the example's answer"),
    (lambda e, r: format_prompt(r) + e["output"] + "\n\n" + format_prompt(e), "The example comes first"),
    (lambda e, r: format_prompt(e) + e["output"] + "\n" + format_prompt(r), "by a blank line"),
    (lambda e, r: "<|begin_of_text|>" + format_prompt(e) + e["output"] + "\n\n" + format_prompt(r),
     "without <|begin_of_text|>"),
    (lambda e, r: format_prompt(e) + e["output"] + "\n\n" + format_prompt({"instruction": r["instruction"]}),
     "its input section"),
    (lambda e, r: [format_prompt(e), e["output"], format_prompt(r)], "the reference returns"),
])
def test_one_shot_prompt_rejects(wrong, hint, capsys):
    assert_rejects(check_one_shot_prompt, wrong, hint, capsys)
