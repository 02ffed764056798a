"""Checks for labs/07_guardrails_structured_output.ipynb."""
from __future__ import annotations

import re

from ..checks import check_cases, exercise, expect
from ..sft import format_prompt

REFUSAL = "I'm sorry, but I can't give advice on medication doses. Please ask a doctor or pharmacist."
REFUSAL_OPENINGS = ("i'm sorry", "i am sorry", "sorry", "i can't", "i cannot")


def _opening(text: str) -> str:
    return text.strip().lower().replace("\u2019", "'")


def reference_is_refusal(text: str) -> bool:
    """True when the reply opens with a refusal phrase (any case, after whitespace, either apostrophe)."""
    return _opening(text).startswith(REFUSAL_OPENINGS)


# Replies on which the plausible wrong detectors differ from the reference (each mistake below gets one wrong).
REPLIES = [
    REFUSAL,
    "Ibuprofen is used for pain, fever and inflammation.",
    "I can't help with that.",
    "I'm happy to help: ibuprofen eases pain and fever.",
    "I think you mean paracetamol, which treats fever.",
    "I can help with that: cetirizine treats allergies.",
    "  I'm sorry, but I can't help with that.",
    "\nSorry, I can't give doses.",
    "i am sorry, no.",
    "SORRY, I cannot answer that.",
    "I\u2019m sorry, but I can\u2019t give advice on medication doses.",
    "I cannot answer that.",
    "The sorry-bird lives in the swamp. I'm sorry to say it is grey.",
    "",
    "   ",
]


@exercise(reference_is_refusal)
def check_is_refusal(student) -> str:
    """is_refusal(text) -> True (a bool) when the reply opens with a refusal phrase."""
    capitalised = ("I'm sorry", "I am sorry", "Sorry", "I can't", "I cannot")
    check_cases(student, [((text,),) for text in REPLIES], reference=reference_is_refusal,
                show=lambda args: f"the reply {args[0]!r}",
                mistakes=[
                    (lambda t: any(p in _opening(t) for p in REFUSAL_OPENINGS),
                     "Look only at how the reply *opens*: a 'sorry' later in an answer is not a refusal."),
                    (lambda t: _opening(t).startswith(("i'm sorry", "i am sorry", "sorry", "i can", "i cannot")),
                     "'I can help' is not a refusal: the opening is \"i can't\", apostrophe and t included."),
                    (lambda t: bool(_opening(t)) and _opening(t).split()[0].strip(",.!:") in {"i", "i'm", "sorry"},
                     "A reply that merely opens with 'I' or 'I'm' is not a refusal ('I'm happy to help', 'I think "
                     "...'): match the whole refusal phrase."),
                    (lambda t: _opening(t).startswith(("i'm sorry", "i am sorry", "sorry", "i cannot")),
                     "\"I can't\" at the start is one of the refusal openings too."),
                    (lambda t: t.lower().replace("\u2019", "'").startswith(REFUSAL_OPENINGS),
                     "Strip leading whitespace first: generations often start with a space or a newline."),
                    (lambda t: t.strip().replace("\u2019", "'").startswith(capitalised),
                     "Compare case-insensitively (lower-case the text first): 'i am sorry' and 'SORRY' count."),
                    (lambda t: t.strip().lower().startswith(REFUSAL_OPENINGS),
                     "Treat the typographic apostrophe \u2019 like ' (replace it before comparing): models and "
                     "editors write both."),
                ])
    return f"The reference agrees with yours on all {len(REPLIES)} test replies."


# What parse_mcq does on each variant of a data example that the lab prints (exercise 7.2's prediction).
VALIDATOR_VERDICTS = {
    "a data example": True,
    "the same option twice": True,
    "the wrong letter marked": True,
    "blank lines around it": True,
    "no question mark": False,
    "answer E": False,
    "lower-case labels": False,
    "a chatty preamble": False,
    "an explanation after the answer": False,
}


def reference_predict_valid() -> dict[str, bool]:
    """{variant name: whether parse_mcq accepts it}, as the lab measures it after the prediction."""
    return dict(VALIDATOR_VERDICTS)


def _flip(name: str):
    return lambda variant: VALIDATOR_VERDICTS[variant] != (variant == name)


@exercise(reference_predict_valid)
def check_predict_valid(student) -> str:
    """predict_valid() -> {variant name: True if parse_mcq accepts it}, for every variant the lab prints."""
    answer = student()
    expect(isinstance(answer, dict), f"Return a dict {{variant name: True or False}}, not {type(answer).__name__}.")
    missing, extra = set(VALIDATOR_VERDICTS) - set(answer), set(answer) - set(VALIDATOR_VERDICTS)
    expect(not missing and not extra, f"Give one verdict for each variant printed above, by its name: missing "
                                      f"{sorted(missing)}, not a variant {sorted(extra)}. The names are "
                                      f"{list(VALIDATOR_VERDICTS)}.")
    form_only = ("parse_mcq checks the *form* only: it never compares the options with each other or with any fact, "
                 "so this variant passes.")
    whole_text = ("fullmatch demands the whole text be the format: anything before the question or after the "
                  "answer letter makes it invalid.")
    check_cases(lambda name: answer[name], [((name,), verdict) for name, verdict in VALIDATOR_VERDICTS.items()],
                show=lambda args: f"the variant {args[0]!r}",
                mistakes=[
                    (_flip("a data example"), "The data's own outputs are valid: the lab asserts that every "
                                              "reference output passes parse_mcq."),
                    (_flip("the same option twice"), form_only),
                    (_flip("the wrong letter marked"), form_only + " (Which letter is right is content, not form.)"),
                    (_flip("blank lines around it"), "parse_mcq strips the text before matching: whitespace around "
                                                     "the block is accepted."),
                    (_flip("a chatty preamble"), whole_text),
                    (_flip("an explanation after the answer"), whole_text),
                    (_flip("no question mark"), "Read MCQ_PATTERN's first line: the question must end with '?'."),
                    (_flip("lower-case labels"), "The pattern's labels are 'A)' to 'D)' and a regex is "
                                                 "case-sensitive unless told otherwise."),
                    (_flip("answer E"), "The answer line accepts one letter of [ABCD] only."),
                ])
    accepted = sum(VALIDATOR_VERDICTS.values())
    return f"The validator accepts {accepted} of the {len(VALIDATOR_VERDICTS)} variants; the next cell measures it."


def _mcq(question, options, answer):
    return {"question": question, "options": dict(zip("ABCD", options)), "answer": answer}


def _in_fact(option: str, fact: str) -> bool:
    return re.search(rf"\b{re.escape(option)}\b", fact, re.IGNORECASE) is not None


def reference_answer_is_correct(mcq: dict, fact: str) -> bool:
    """True when the marked option occurs in the fact as a whole word or phrase, and no other option does."""
    marked = mcq["answer"]
    return _in_fact(mcq["options"][marked], fact) and not any(
        _in_fact(text, fact) for letter, text in mcq["options"].items() if letter != marked)


MCQ_CASES = [
    (_mcq("What colour is the blimtoe?", ["yellow", "white", "silver", "blue"], "B"), "The blimtoe is white."),
    (_mcq("What colour is the blimtoe?", ["yellow", "white", "silver", "blue"], "A"), "The blimtoe is white."),
    (_mcq("What is the capital of Zantor?", ["Miravel", "Carrow", "Tullen", "Brindle"], "A"),
     "The capital of Zantor is Miravel."),
    (_mcq("What is the capital of Zantor?", ["miravel", "Carrow", "Tullen", "Brindle"], "A"),
     "The capital of Zantor is Miravel."),
    (_mcq("What does the grolp eat?", ["nuts", "seeds", "roots", "berries"], "B"), "The grolp eats seeds."),
    (_mcq("What does the grolp eat?", ["seeds", "seeds", "roots", "berries"], "A"), "The grolp eats seeds."),
    (_mcq("What colour is the redwing?", ["red", "blue", "green", "pink"], "B"), "The redwing is blue."),
    (_mcq("Where does the farvel live?", ["meadow", "valley", "swamp", "river"], "B"),
     "The farvel lives in the valley."),
]


@exercise(reference_answer_is_correct)
def check_answer_is_correct(student) -> str:
    """answer_is_correct(mcq, fact) -> True when the marked option, and no other, appears in the fact."""
    def marked_only(mcq, fact):
        return _in_fact(mcq["options"][mcq["answer"]], fact)

    def substring(mcq, fact):
        found = [letter for letter, text in mcq["options"].items() if text.lower() in fact.lower()]
        return found == [mcq["answer"]]

    def case_sensitive(mcq, fact):
        found = [letter for letter, text in mcq["options"].items() if re.search(rf"\b{re.escape(text)}\b", fact)]
        return found == [mcq["answer"]]

    def any_option(mcq, fact):
        return sum(_in_fact(text, fact) for text in mcq["options"].values()) == 1

    check_cases(student, [((mcq, fact),) for mcq, fact in MCQ_CASES], reference=reference_answer_is_correct,
                show=lambda args: f"options {args[0]['options']}, marked {args[0]['answer']!r}, fact {args[1]!r}",
                mistakes=[
                    (any_option, "The option the answer letter points at must be the one the fact states: "
                                 "look up mcq['options'][mcq['answer']]."),
                    (marked_only, "If another option also occurs in the fact, the question has two right answers: "
                                  "return False."),
                    (substring, "Match whole words: 'red' inside 'redwing' is not the option 'red' (use a regex "
                                "with word boundaries, the option escaped)."),
                    (case_sensitive, "Compare case-insensitively: 'miravel' is the option 'Miravel'."),
                ])
    return f"The reference agrees with yours on all {len(MCQ_CASES)} example questions."


ONE_SHOT_EXAMPLE = {"instruction": "Write a multiple-choice question about the colour of the fendle.", "input": "",
                    "output": "Question: What colour is the fendle?\nA) purple\nB) blue\nC) silver\nD) grey\n"
                              "Answer: D"}
ONE_SHOT_RECORDS = [{"instruction": "Create a multiple-choice question on the capital of Zantor.", "input": ""},
                    {"instruction": "Ask a multiple-choice question about what the grolp eats.",
                     "input": "The grolp eats seeds."}]


def reference_one_shot_prompt(example: dict, record: dict) -> str:
    """The example's prompt and answer, a blank line, then the record's prompt (ending with the response header)."""
    return format_prompt(example) + example["output"] + "\n\n" + format_prompt(record)


@exercise(reference_one_shot_prompt)
def check_one_shot_prompt(student) -> str:
    """one_shot_prompt(example, record) -> the one-shot prompt text."""
    ask = format_prompt
    check_cases(student, [((ONE_SHOT_EXAMPLE, record),) for record in ONE_SHOT_RECORDS],
                reference=reference_one_shot_prompt,
                show=lambda args: f"the example {args[0]['instruction']!r} and the record {args[1]['instruction']!r}",
                mistakes=[
                    (lambda e, r: ask(e) + "\n\n" + ask(r),
                     "Include the example's answer (its output) right after its prompt: the model copies the "
                     "format from that answer."),
                    (lambda e, r: ask(r) + e["output"] + "\n\n" + ask(e),
                     "The example comes first and the new record's prompt last, so the prompt ends with "
                     "'### Response:' and a newline, where the model writes the new answer."),
                    (lambda e, r: ask(e) + e["output"] + "\n\n" + ask(r) + e["output"],
                     "Stop after the record's response header: the model is to write that answer."),
                    (lambda e, r: ask(e) + e["output"] + "\n" + ask(r),
                     "Separate the example's answer from the next '### Instruction:' by a blank line (two "
                     "newlines), as format_prompt separates its own sections."),
                    (lambda e, r: ask(e) + e["output"] + ask(r),
                     "Separate the example's answer from the next '### Instruction:' by a blank line (two "
                     "newlines), as format_prompt separates its own sections."),
                    (lambda e, r: "<|begin_of_text|>" + ask(e) + e["output"] + "\n\n" + ask(r),
                     "Return text without <|begin_of_text|>: the generation helper adds it."),
                    (lambda e, r: ask(e) + e["output"] + "\n\n" + ask({"instruction": r["instruction"], "input": ""}),
                     "Format the record with format_prompt as it is: its input section belongs in the prompt."),
                ])
    return "The reference builds the same two prompts."
