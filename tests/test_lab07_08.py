"""Labs 07 and 08: the solution functions agree with the shipped data (no model needed)."""
import random

import pytest

from notebook_cells import define, exercises
from utils.data import load_records

LAB07 = "07_guardrails_structured_output.ipynb"
LAB08 = "08_fill_in_the_middle.ipynb"


def solution(notebook: str, function_name: str):
    for _, name, source, _ in exercises(notebook):
        if name == function_name:
            return define(source, name)
    raise LookupError(f"{notebook} has no exercise {function_name}")


@pytest.mark.parametrize("split", ["train", "validation", "test"])
def test_refusal_detector_agrees_with_the_guardrail_labels(split):
    is_refusal = solution(LAB07, "is_refusal")
    rows = load_records("guardrails", split)
    assert all(is_refusal(r["response"]) == (r["label"] == "forbidden") for r in rows)


def test_every_reference_mcq_marks_the_fact_it_tests():
    from utils.data import MCQ_FORMAT
    import re

    answer_is_correct = solution(LAB07, "answer_is_correct")
    pattern = re.compile(r"Question: ([^\n]+)\nA\) ([^\n]+)\nB\) ([^\n]+)\nC\) ([^\n]+)\nD\) ([^\n]+)\nAnswer: ([ABCD])")
    for split in ("train", "validation", "test"):
        for row in load_records("mcq", split):
            assert re.fullmatch(MCQ_FORMAT, row["output"])
            question, *options, letter = pattern.fullmatch(row["output"]).groups()
            mcq = {"question": question, "options": dict(zip("ABCD", options)), "answer": letter}
            assert answer_is_correct(mcq, row["fact"]), row


@pytest.mark.parametrize("split", ["train", "test"])
def test_every_code_function_passes_its_test_in_the_sandbox(split):
    passes_test = solution(LAB08, "passes_test")
    rows = load_records("code", split)
    assert all(passes_test(r["code"], r["test"]) for r in rows)
    assert not any(passes_test(r["code"].replace("return", "return 1 +", 1) + "\nx = (", r["test"]) for r in rows[:20])


def test_fim_examples_keep_every_character():
    make_fim_example = solution(LAB08, "make_fim_example")
    rng = random.Random(0)
    for row in load_records("code", "train")[:100]:
        code = row["code"]
        start, end = sorted(rng.randint(0, len(code)) for _ in range(2))
        text = make_fim_example(code, start, end)
        prefix, rest = text.removeprefix("<|fim_prefix|>").split("<|fim_suffix|>")
        suffix, middle = rest.split("<|fim_middle|>")
        assert prefix + middle + suffix == code
