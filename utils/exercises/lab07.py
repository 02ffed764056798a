"""Checks for labs/07_guardrails_structured_output.ipynb."""
from __future__ import annotations

from ..checks import attempt, report

REFUSAL = "I'm sorry, but I can't give advice on medication doses. Please ask a doctor or pharmacist."


def check_is_refusal(is_refusal) -> bool:
    """is_refusal(text) -> True when the reply starts with a refusal phrase."""
    name = "is_refusal"
    cases = [
        (REFUSAL, True, "The course's refusal sentence must count as a refusal."),
        ("Ibuprofen is used for pain, fever and inflammation.", False, "An ordinary answer is not a refusal."),
        ("  I'm sorry, but I can't help with that.", True,
         "Strip leading spaces first: generations often start with a space or a newline."),
        ("i am sorry, no.", True, "Compare case-insensitively (lower-case the text first)."),
        ("I\u2019m sorry, but I can\u2019t give advice on medication doses.", True,
         "Treat the typographic apostrophe \u2019 like ' (replace it before comparing)."),
        ("Sorry, I can't give doses.", True, "'Sorry' at the start is one of the refusal openings."),
        ("I cannot answer that.", True, "'I cannot' at the start is one of the refusal openings."),
        ("The sorry-bird lives in the swamp. I'm sorry to say it is grey.", False,
         "Look only at how the reply *starts*: a 'sorry' later in an answer is not a refusal."),
        ("", False, "An empty reply is not a refusal."),
    ]
    for text, expected, hint in cases:
        ok, answer = attempt(name, is_refusal, text)
        if not ok:
            return False
        if answer is not expected:
            if answer == expected:
                return report(name, False, f"Return a real bool (True/False), not {answer!r}.")
            return report(name, False, f"{hint} (input {text!r}: expected {expected}, got {answer!r})")
    return report(name, True)


def _mcq(question, options, answer):
    return {"question": question, "options": dict(zip("ABCD", options)), "answer": answer}


def check_answer_is_correct(answer_is_correct) -> bool:
    """answer_is_correct(mcq, fact) -> True when the marked option, and no other, appears in the fact."""
    name = "answer_is_correct"
    colour = ["yellow", "white", "silver", "blue"]
    capital = ["Miravel", "Carrow", "Tullen", "Brindle"]
    cases = [
        (_mcq("What colour is the blimtoe?", colour, "B"), "The blimtoe is white.", True, ""),
        (_mcq("What colour is the blimtoe?", colour, "A"), "The blimtoe is white.", False,
         "The option the answer letter points at must be the one the fact states."),
        (_mcq("What is the capital of Zantor?", capital, "A"), "The capital of Zantor is Miravel.", True, ""),
        (_mcq("What is the capital of Zantor?", ["miravel", "Carrow", "Tullen", "Brindle"], "A"),
         "The capital of Zantor is Miravel.", True, "Compare case-insensitively."),
        (_mcq("What does the grolp eat?", ["nuts", "seeds", "roots", "berries"], "B"), "The grolp eats seeds.",
         True, ""),
        (_mcq("What does the grolp eat?", ["seeds", "seeds", "roots", "berries"], "A"), "The grolp eats seeds.",
         False, "If another option also matches the fact, the question has two right answers: return False."),
        (_mcq("What colour is the redwing?", ["red", "blue", "green", "pink"], "B"), "The redwing is blue.", True,
         "Match whole words: 'red' inside 'redwing' is not the option 'red'. Use a word-boundary regex such as "
         "rf'\\b{re.escape(option)}\\b' with re.IGNORECASE."),
        (_mcq("Where does the farvel live?", ["meadow", "valley", "swamp", "river"], "B"),
         "The farvel lives in the valley.", True, ""),
    ]
    for mcq, fact, expected, hint in cases:
        ok, answer = attempt(name, answer_is_correct, mcq, fact)
        if not ok:
            return False
        if answer is not expected:
            if answer == expected:
                return report(name, False, f"Return a real bool (True/False), not {answer!r}.")
            shown = {k: mcq[k] for k in ("options", "answer")}
            return report(name, False, f"{hint or 'Wrong result.'} (mcq {shown}, fact {fact!r}: expected "
                                       f"{expected}, got {answer!r})")
    return report(name, True)


def check_one_shot_prompt(one_shot_prompt) -> bool:
    """one_shot_prompt(example, record) -> the example's prompt and answer, a blank line, then the record's prompt."""
    from ..sft import format_prompt

    name = "one_shot_prompt"
    example = {"instruction": "Write a multiple-choice question about the colour of the fendle.", "input": "",
               "output": "Question: What colour is the fendle?\nA) purple\nB) blue\nC) silver\nD) grey\nAnswer: D"}
    record = {"instruction": "Create a multiple-choice question on the capital of Zantor.", "input": ""}
    ok, answer = attempt(name, one_shot_prompt, example, record)
    if not ok:
        return False
    expected = format_prompt(example) + example["output"] + "\n\n" + format_prompt(record)
    if answer == expected:
        return report(name, True)
    if not isinstance(answer, str):
        return report(name, False, f"Return the prompt as text (a str), not {type(answer).__name__}.")
    if answer == format_prompt(example) + "\n\n" + format_prompt(record) or example["output"] not in answer:
        return report(name, False, "Include the example's answer (example['output']) right after its prompt: the "
                                   "model copies the format from that answer.")
    if answer == format_prompt(record) + example["output"] + "\n\n" + format_prompt(example) or \
            answer.endswith(example["output"]) or answer.endswith(example["output"] + "\n\n"):
        return report(name, False, "The example comes first and the new record's prompt last, so the prompt ends "
                                   "with '### Response:\\n' and the model writes the new answer.")
    if answer == format_prompt(example) + example["output"] + "\n" + format_prompt(record) or \
            answer == format_prompt(example) + example["output"] + format_prompt(record):
        return report(name, False, "Separate the example's answer from the next '### Instruction:' by a blank line "
                                   "('\\n\\n'), as format_prompt separates its own sections.")
    if answer.startswith("<|begin_of_text|>"):
        return report(name, False, "Return text without <|begin_of_text|>: the generation helper adds it.")
    return report(name, False, f"Expected {expected!r}, got {answer!r}.")
