"""Lab 10a: the exercise checks reject plausible wrong answers, each with the hint that names the mistake."""
import pytest
from notebook_cells import assert_accepts, assert_rejects

from utils.data import SEVERITY
from utils.exercises.lab10a import check_filter_verdict, check_predict_most_rejected


pytestmark = pytest.mark.usefixtures("student_mode")  # a rejected answer prints, as for a student


def filter_with_early_returns(record, task, reference):
    output = record["output"].strip()
    if task is None:
        return "unknown task"
    if task != "classify_severity":
        if reference is None:
            return "malformed input"
        return "wrong answer" if output != reference else "kept"
    if record["input"].strip() == "":
        return "malformed input"
    return "kept" if output in SEVERITY else "label outside the set"


def test_filter_verdict_check_accepts_another_order_of_tests(capsys):
    assert_accepts(check_filter_verdict, filter_with_early_returns, capsys)


def _verdict(record, task, reference, *, case_insensitive=False, severity_needs_reference=False,
             no_strip=False, any_case_label=False):
    if task is None:
        return "unknown task"
    if task == "classify_severity" and not severity_needs_reference:
        if not record["input"].strip():
            return "malformed input"
        label = record["output"].strip()
        return "kept" if (label.lower() if any_case_label else label) in SEVERITY else "label outside the set"
    if reference is None:
        return "malformed input"
    output = record["output"] if no_strip else record["output"].strip()
    same = output.lower() == reference.lower() if case_insensitive else output == reference
    return "kept" if same else "wrong answer"


@pytest.mark.parametrize("mistake, hint", [
    ({"case_insensitive": True}, "case-sensitively"),
    ({"severity_needs_reference": True}, "label set"),
    ({"no_strip": True}, "Strip"),
    ({"any_case_label": True}, "exactly one of SEVERITY"),
])
def test_filter_verdict_check_rejects(mistake, hint, capsys):
    assert_rejects(check_filter_verdict, lambda r, t, ref: _verdict(r, t, ref, **mistake), hint, capsys)


def test_filter_verdict_check_rejects_a_severity_check_skipping_empty_inputs(capsys):
    def no_malformed_severity(record, task, reference):
        if task == "classify_severity":
            return "kept" if record["output"].strip() in SEVERITY else "label outside the set"
        return filter_with_early_returns(record, task, reference)
    assert_rejects(check_filter_verdict, no_malformed_severity, "the reference returns 'malformed input'", capsys)


def test_predict_most_rejected_check_accepts_sorting(capsys):
    def by_sorting(teacher_accuracy):
        return sorted((acc, task) for task, acc in teacher_accuracy.items() if task != "classify_severity")[0][1]
    assert_accepts(check_predict_most_rejected, by_sorting, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (lambda acc: min(acc, key=acc.get), "Leave it out"),  # the severity family can never get a "wrong answer"
    (lambda acc: max((t for t in acc if t != "classify_severity"), key=acc.get), "answers worst, not best"),
    (lambda acc: min(acc[t] for t in acc if t != "classify_severity"), "not its accuracy"),
    (lambda acc: "reverse_words", "the reference returns 'add'"),  # the first example's answer, hard-coded
])
def test_predict_most_rejected_check_rejects(wrong, hint, capsys):
    assert_rejects(check_predict_most_rejected, wrong, hint, capsys)
