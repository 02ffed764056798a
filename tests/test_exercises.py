"""Every exercise check: passes on the solution's code and on its own reference, falls back to the reference on the
lab's stub (so the lab runs on), raises in strict mode on a wrong answer, and keeps the random state."""
import importlib
import random

import pytest
import torch

from notebook_cells import ROOT, define, exercises
from utils.checks import ExerciseFailed, check_cases, exercise, expect, same

def _cases():
    """One case per exercise; a notebook whose exercises cannot be read becomes one failing case (so the other
    notebooks' checks still run)."""
    for nb in sorted((ROOT / "solutions").glob("*.ipynb")):
        try:
            found = list(exercises(nb.name))
        except AssertionError as error:
            yield pytest.param(nb.name, None, None, None, str(error), id=f"{nb.stem}:unreadable")
            continue
        for check, fn, sol, lab in found:
            yield pytest.param(nb.name, check, fn, sol, lab, id=f"{nb.stem}:{check}")


CASES = list(_cases())


def test_every_notebook_with_solutions_has_exercises():
    with_exercises = {case.values[0] for case in CASES}
    assert with_exercises == {p.name for p in (ROOT / "solutions").glob("*.ipynb")}


@pytest.mark.parametrize("notebook, check_name, function_name, solution_source, lab_source", CASES)
def test_check_accepts_the_solution_and_the_reference_and_carries_on_from_the_stub(
        notebook, check_name, function_name, solution_source, lab_source, monkeypatch, capsys):
    assert check_name is not None, lab_source  # the notebook's exercises could not be read: why
    monkeypatch.delenv("ITL_STRICT_CHECKS", raising=False)
    check = getattr(importlib.import_module(f"utils.exercises.lab{notebook.split('_')[0]}"), check_name)
    assert "NotImplementedError" in lab_source and "NotImplementedError" not in solution_source
    solution = define(solution_source, function_name)
    assert check(solution) is solution, capsys.readouterr().out
    assert check(check.reference) is check.reference, capsys.readouterr().out
    stub = define(lab_source, function_name)
    monkeypatch.setenv("ITL_STRICT_CHECKS", "1")  # CI runs the labs unsolved in strict mode: the stub still falls back
    assert check(stub) is check.reference
    out = capsys.readouterr().out
    assert "not written yet" in out and "reference implementation" in out, out


def _reference(x):
    return x + 1


@exercise(_reference)
def check_plus_one(student):
    expect(student(1) == 2, "Add one.")


def test_strict_mode_raises_on_a_written_wrong_answer_and_a_crash(monkeypatch):
    monkeypatch.setenv("ITL_STRICT_CHECKS", "1")
    with pytest.raises(ExerciseFailed, match="Add one"):
        check_plus_one(lambda x: x)
    with pytest.raises(ExerciseFailed, match="ZeroDivisionError"):
        check_plus_one(lambda x: x / 0)


def test_student_mode_prints_the_verdict_and_returns_the_reference(monkeypatch, capsys):
    monkeypatch.delenv("ITL_STRICT_CHECKS", raising=False)
    assert check_plus_one(lambda x: x) is _reference
    out = capsys.readouterr().out
    assert "❌ plus_one: not yet. Add one." in out and "test_exercises._reference" in out


def test_a_check_leaves_the_random_state_as_it_found_it():
    @exercise(_reference)
    def check_draws(student):
        torch.manual_seed(123)  # checks build seeded tiny models: that must not reseed the lab
        random.seed(5)
        student(torch.rand(1).item())

    torch.manual_seed(0)
    random.seed(0)
    expected = (torch.rand(1).item(), random.random())
    torch.manual_seed(0)
    random.seed(0)
    check_draws(_reference)
    assert (torch.rand(1).item(), random.random()) == expected


def test_same_compares_values_not_types_except_bools():
    assert same(torch.tensor([1.0, 2.0]), [1.0, 2.0 + 1e-9]) and same((1, [2, 3]), [1, [2, 3]])
    assert not same(1, True) and not same(True, 1) and same(True, True) and not same([1, 2], [1, 2, 3])
    assert not same({"a": 1.0}, {"a": 1.1}) and same({"a": 1.0}, {"a": 1})


def test_check_cases_names_the_mistake_and_the_target(monkeypatch, capsys):
    monkeypatch.delenv("ITL_STRICT_CHECKS", raising=False)

    @exercise(_reference)
    def check_table(student):
        check_cases(student, [((1,),), ((5,),)], reference=_reference,
                    mistakes=[(lambda x: x - 1, "Subtracted instead of added."), (lambda x: x, "Forgot to add.")])

    assert check_table(lambda x: x - 1) is _reference
    out = capsys.readouterr().out
    assert "Subtracted instead of added. On (1), the reference returns 2; yours returned 0." in out
    assert check_table(lambda x: 2) is _reference  # right on the first case only: the second case catches it
    assert "On (5), the reference returns 6; yours returned 2." in capsys.readouterr().out
    assert check_table(lambda x: x + 1.0) is not _reference  # 6.0 is 6: values compare, not types
