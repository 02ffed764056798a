"""Every exercise check passes on the solution's code and fails on the lab's stub."""
import importlib
from pathlib import Path

import pytest

from notebook_cells import ROOT, define, exercises

CASES = [
    pytest.param(nb.name, check, fn, sol, lab, id=f"{nb.stem}:{check}")
    for nb in sorted((ROOT / "solutions").glob("*.ipynb"))
    for check, fn, sol, lab in exercises(nb.name)
]


def test_every_notebook_with_solutions_has_exercises():
    assert CASES, "no exercise found in solutions/"


@pytest.mark.parametrize("notebook, check_name, function_name, solution_source, lab_source", CASES)
def test_check_passes_on_solution_and_fails_on_stub(notebook, check_name, function_name, solution_source,
                                                     lab_source, monkeypatch, capsys):
    monkeypatch.delenv("ITL_STRICT_CHECKS", raising=False)
    module = importlib.import_module(f"utils.exercises.lab{notebook[:2]}")
    check = getattr(module, check_name)
    assert "NotImplementedError" in lab_source and "NotImplementedError" not in solution_source
    assert check(define(solution_source, function_name)) is True, capsys.readouterr().out
    assert check(define(lab_source, function_name)) is False
    assert "not written yet" in capsys.readouterr().out
