"""Checks for labs/03_sft.ipynb."""
from __future__ import annotations

from ..batching import IGNORE_INDEX
from ..checks import attempt, report
from ..sft import evaluate_instructions as reference_evaluate
from ..sft import format_prompt as reference_format

RECORDS = [
    {"instruction": "Put the words in the opposite order.", "input": "happy fish bright star",
     "output": "star bright fish happy", "task": "reverse_words"},
    {"instruction": "What is the capital of Zantor?", "input": "", "output": "Graff", "task": "fact_qa"},
    {"instruction": "Find the number in this sentence.", "input": "Ana has 12 hats.", "output": "12",
     "task": "extract_number"},
    {"instruction": "Rewrite the text in uppercase.", "input": "quiet box", "output": "QUIET BOX", "task": "uppercase"},
]


def check_format_prompt(format_prompt) -> bool:
    name = "format_prompt"
    for record in RECORDS:
        ok, answer = attempt(name, format_prompt, dict(record))
        if not ok:
            return False
        expected = reference_format(record)
        if answer == expected:
            continue
        if not isinstance(answer, str):
            return report(name, False, f"Return a str, not {type(answer).__name__}.")
        if not record["input"] and "### Input:" in answer:
            return report(name, False, "When the input is empty, leave out the whole '### Input:' section.")
        if record["input"] and "### Input:" not in answer:
            return report(name, False, "When there is an input, add an '### Input:\\n' section after the instruction.")
        if record["output"] in answer and record["output"] not in record["input"] + record["instruction"]:
            return report(name, False, "The prompt stops at the response header: the output is what the model "
                                       "must write, so it is not part of the prompt.")
        if answer == expected.rstrip("\n"):
            return report(name, False, "End the prompt with '### Response:\\n' (with its newline), so the answer "
                                       "starts on a new line.")
        return report(name, False, f"For {record['instruction']!r} (input {record['input']!r}) expected\n"
                                   f"{expected!r}\ngot\n{answer!r}")
    return report(name, True)


def check_build_sft_labels(build_sft_labels) -> bool:
    name = "build_sft_labels"
    cases = [([0, 11, 12, 13], [21, 22, 1]), ([0, 5], [7, 1]), ([0, 3, 3, 3, 3], [1])]
    for prompt, answer in cases:
        ok, result = attempt(name, build_sft_labels, list(prompt), list(answer))
        if not ok:
            return False
        if not isinstance(result, dict) or not {"input_ids", "labels"} <= set(result):
            return report(name, False, "Return a dict with keys 'input_ids' and 'labels'.")
        ids, labels = list(result["input_ids"]), list(result["labels"])
        if ids != prompt + answer:
            return report(name, False, "input_ids should be the prompt ids followed by the answer ids.")
        if len(labels) != len(ids):
            return report(name, False, f"labels must have one entry per input id ({len(ids)}), got {len(labels)}. "
                                       "Do not shift them: the model shifts labels inside forward().")
        if labels == ids:
            return report(name, False, "The prompt is supervised too: put -100 on every prompt position.")
        if labels == [0] * len(prompt) + answer:
            return report(name, False, "Use -100 (IGNORE_INDEX), not 0, for ignored positions: 0 is a real token id.")
        if labels == answer[1:] + [IGNORE_INDEX] * (len(prompt) + 1) or labels[len(prompt) - 1:-1] == answer:
            return report(name, False, "Looks shifted by one: keep labels aligned with input_ids; the model shifts.")
        if labels != [IGNORE_INDEX] * len(prompt) + answer:
            return report(name, False, f"For prompt {prompt} and answer {answer} expected labels "
                                       f"{[IGNORE_INDEX] * len(prompt) + answer}, got {labels}.")
    return report(name, True)


def _fake_generate(answers: dict[str, str]):
    """A stand-in for a model: a fixed text per prompt (what a model that rambles after its answer writes)."""
    calls = []

    def generate(prompts):
        calls.append(list(prompts))
        return [answers.get(p, "") for p in prompts]
    return generate, calls


def check_evaluate_instructions(evaluate_instructions) -> bool:
    name = "evaluate_instructions"
    records = RECORDS + [{**RECORDS[1], "instruction": "What is the capital of Lune?", "output": "Tesk"},
                         {**RECORDS[3], "input": "big road", "output": "BIG ROAD"}]
    scripted = ["star bright fish happy\n\n### Instruction:\nPut the", " Graff \nand more", "12 hats",
                "quiet box", "Tesk", "BIG ROAD\n"]
    answers = {reference_format(r): text for r, text in zip(records, scripted)}
    generate, calls = _fake_generate(answers)
    expected = reference_evaluate(_fake_generate(answers)[0], records)
    ok, result = attempt(name, evaluate_instructions, generate, [dict(r) for r in records])
    if not ok:
        return False
    sent = [p for call in calls for p in call]
    if sorted(sent) != sorted(answers):
        return report(name, False, "Call generate with the prompts made by format_prompt(record) (from "
                                   "utils.sft), one per record.")
    if isinstance(result, (int, float)):
        return report(name, False, "Return a dict {task: accuracy}, one entry per task, not one number.")
    if not isinstance(result, dict):
        return report(name, False, f"Return a dict {{task: accuracy}}, not {type(result).__name__}.")
    result = {k: float(v) for k, v in result.items()}
    if set(result) != set(expected):
        return report(name, False, f"Expected one entry per task {sorted(expected)}, got {sorted(result)}.")
    if result["uppercase"] == 1.0:
        return report(name, False, "Keep case: 'quiet box' is not the answer 'QUIET BOX' to an uppercase task.")
    if result["reverse_words"] == 0.0 or result["fact_qa"] < expected["fact_qa"]:
        return report(name, False, "Compare only the first line of each generation, stripped of spaces: models "
                                   "keep writing after their answer.")
    if any(abs(result[k] - expected[k]) > 1e-9 for k in expected):
        return report(name, False, f"Expected {expected}, got {result}.")
    return report(name, True)
