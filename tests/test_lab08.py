"""Lab 08: each exercise check rejects plausible wrong answers with the hint that names the mistake, and the
solution functions agree with the shipped data (no model needed)."""
import random

import pytest

from notebook_cells import assert_accepts, assert_rejects, define, exercises
from utils.data import load_records
from utils.exercises.lab08 import check_fim_prompt, check_make_fim_example, check_passes_test

LAB08 = "08_fill_in_the_middle.ipynb"
PRE, SUF, MID = "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"


pytestmark = pytest.mark.usefixtures("student_mode")  # a rejected answer prints, as for a student


def solution(function_name: str):
    for _, name, source, _ in exercises(LAB08):
        if name == function_name:
            return define(source, name)
    raise LookupError(f"{LAB08} has no exercise {function_name}")


# --- 8.1 make_fim_example ---------------------------------------------------------------------------------------

def test_make_fim_example_accepts_a_join(capsys):
    def by_join(code, start, end):
        return "".join([PRE, code[:start], SUF, code[end:], MID, code[start:end]])
    assert_accepts(check_make_fim_example, by_join, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (lambda c, s, e: PRE + c[:s] + MID + c[s:e] + SUF + c[e:], "prefix, SUFFIX, middle"),  # the file's order
    (lambda c, s, e: PRE + c[:s] + SUF + c[s:e] + MID + c[e:], "Each marker announces the piece after it"),
    (lambda c, s, e: PRE + c[:s] + SUF + c[e:] + MID + c[s:e] + "<|end_of_text|>", "Do not add anything"),
    (lambda c, s, e: PRE + c[:s + 1] + SUF + c[e + 1:] + MID + c[s + 1:e + 1], "Off by one: the prefix"),
    (lambda c, s, e: PRE + c[:s] + SUF + c[e + 1:] + MID + c[s:e + 1], "Off by one: the character at `end`"),
    (lambda c, s, e: PRE + c[:s] + SUF + c[e:] + MID, "the reference returns"),  # forgets the middle
    (lambda c, s, e: [PRE, c[:s], SUF, c[e:], MID, c[s:e]], "the reference returns"),  # pieces, not one text
])
def test_make_fim_example_rejects(wrong, hint, capsys):
    assert_rejects(check_make_fim_example, wrong, hint, capsys)


def test_fim_examples_keep_every_character():
    make_fim_example = solution("make_fim_example")
    rng = random.Random(0)
    for row in load_records("code", "train")[:100]:
        code = row["code"]
        start, end = sorted(rng.randint(0, len(code)) for _ in range(2))
        text = make_fim_example(code, start, end)
        prefix, rest = text.removeprefix(PRE).split(SUF)
        suffix, middle = rest.split(MID)
        assert prefix + middle + suffix == code


# --- 8.2 fim_prompt (diagnosis of a draft) ----------------------------------------------------------------------

def test_fim_prompt_accepts_make_fim_example_with_an_empty_middle(capsys):
    make_fim_example = solution("make_fim_example")
    assert_accepts(check_fim_prompt, lambda p, s: make_fim_example(p + s, len(p), len(p)), capsys)


@pytest.mark.parametrize("wrong, hint", [
    (lambda p, s: PRE + p + MID + SUF + s, "the draft's layout"),  # the draft the lab shows
    (lambda p, s: PRE + p + SUF + s, "End the prompt with <|fim_middle|>"),
    (lambda p, s: SUF + s + PRE + p + MID, "prefix first"),
    (lambda p, s: PRE + p + SUF + s + MID + "<|end_of_text|>", "No end-of-text"),
    (lambda p, s: PRE + s + SUF + p + MID, "swapped"),
    (lambda p, s: PRE + p + SUF + s + MID + "\n", "the reference returns"),
])
def test_fim_prompt_rejects(wrong, hint, capsys):
    assert_rejects(check_fim_prompt, wrong, hint, capsys)


# --- 8.3 passes_test (diagnosis of a draft harness) -------------------------------------------------------------

def test_passes_test_accepts_compile_then_run(capsys):
    def compile_first(code, test):
        try:
            program = compile(code, "<generated>", "exec")
            expression = compile(test, "<test>", "eval")
        except SyntaxError:
            return False
        namespace = {"__builtins__": {}}
        try:
            exec(program, namespace)
            return eval(expression, namespace) is True or bool(eval(expression, namespace))
        except Exception:
            return False
    assert_accepts(check_passes_test, compile_first, capsys)


def _draft(code, test):  # the harness the lab shows before the exercise
    namespace = {}
    exec(code, namespace)
    return eval(test, namespace)


def _no_builtins_guard(code, test):
    try:
        namespace = {}
        exec(code, namespace)
        return bool(eval(test, namespace))
    except Exception:
        return False


def _syntax_only(code, test):
    namespace = {"__builtins__": {}}
    try:
        exec(code, namespace)
    except SyntaxError:
        return False
    return bool(eval(test, namespace))


def _runs(code, test):
    try:
        namespace = {"__builtins__": {}}
        exec(code, namespace)
        eval(test, namespace)
        return True
    except Exception:
        return False


def _truthy(code, test):
    try:
        namespace = {"__builtins__": {}}
        exec(code, namespace)
        return eval(test, namespace)
    except Exception:
        return False


@pytest.mark.parametrize("wrong, hint", [
    (_draft, "Catch the exceptions"),
    (_no_builtins_guard, "no builtins"),
    (_syntax_only, "can still raise when the test calls it"),
    (_runs, "Running without an error is not passing"),
    (_truthy, "Return a real bool"),
])
def test_passes_test_rejects(wrong, hint, capsys):
    out = assert_rejects(check_passes_test, wrong, hint, capsys)
    assert "the reference returns" in out


@pytest.mark.parametrize("split", ["train", "test"])
def test_every_code_function_passes_its_test_in_the_harness(split):
    passes_test = solution("passes_test")
    rows = load_records("code", split)
    assert all(passes_test(r["code"], r["test"]) for r in rows)
    assert not any(passes_test(r["code"].replace("return", "return 1 +", 1) + "\nx = (", r["test"]) for r in rows[:20])
