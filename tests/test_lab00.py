"""Lab 00: the exercise check rejects plausible wrong answers, each with the hint that names the mistake."""
import pytest

from notebook_cells import assert_accepts, assert_rejects
from utils.exercises.lab00 import check_count_trainable_parameters as check


@pytest.fixture(autouse=True)
def student_mode(monkeypatch):
    monkeypatch.delenv("ITL_STRICT_CHECKS", raising=False)


def test_count_trainable_parameters_accepts_a_different_correct_implementation(capsys):
    def by_hand(model):
        total = 0
        for parameter in model.parameters():
            if parameter.requires_grad:
                total += parameter.numel()
        return total
    assert_accepts(check, by_hand, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (lambda model: sum(p.numel() for p in model.parameters()), "count only those that require a gradient"),
    (lambda model: sum(1 for p in model.parameters() if p.requires_grad), "You counted tensors"),
    (lambda model: sum(v.numel() for k, v in model.state_dict().items() if model.get_parameter(k).requires_grad),
     "lists a tied matrix twice"),
    (lambda model: 11, "the reference returns 85"),  # the first test model's answer, hard-coded
    (lambda model: float(sum(p.numel() for p in model.parameters() if p.requires_grad)) + 0.5, "returns 11"),
])
def test_count_trainable_parameters_rejects(wrong, hint, capsys):
    assert_rejects(check, wrong, hint, capsys)
