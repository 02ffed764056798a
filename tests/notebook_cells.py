"""Reading exercise cells out of the notebooks, and asserting what an exercise check does, for tests."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
# The lab's check cell: `fn = check_fn(fn)` (the check returns the function the lab goes on with).
CHECK_CALL = re.compile(r"^(\w+) = (check_\w+)\(\1\)\s*$", re.M)


def exercises(notebook_name: str):
    """Yield (check_name, function_name, solution_source, lab_source) for each exercise of a notebook."""
    solution = nbformat.read(ROOT / "solutions" / notebook_name, as_version=4)
    lab = nbformat.read(ROOT / "labs" / notebook_name, as_version=4)
    lab_cells = {cell.id: cell for cell in lab.cells}
    pending = {}
    for cell in solution.cells:
        if cell.cell_type != "code":
            continue
        if "### BEGIN SOLUTION" in cell.source:
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.FunctionDef):
                    pending[node.name] = (cell.source, lab_cells[cell.id].source)
        for function_name, check_name in CHECK_CALL.findall(cell.source):
            if function_name in pending:
                yield (check_name, function_name, *pending.pop(function_name))
    assert not pending, (f"{notebook_name}: exercise functions without a check cell `fn = check_fn(fn)`: "
                         f"{sorted(pending)}")


def define(source: str, function_name: str):
    """Run an exercise cell on its own and return the function it defines."""
    namespace: dict = {}
    exec(compile(source, f"<exercise {function_name}>", "exec"), namespace)
    return namespace[function_name]


def assert_accepts(check, fn, capsys) -> str:
    """The check passes `fn` and returns it, so the lab goes on with the student's code. Returns the output."""
    result = check(fn)
    out = capsys.readouterr().out
    assert result is fn, f"{check.__name__} rejected a correct implementation:\n{out}"
    assert "✅" in out, out
    return out


def assert_rejects(check, wrong, hint: str, capsys) -> str:
    """The check rejects the plausible wrong implementation `wrong`, prints a hint containing `hint`, and the lab
    goes on with the reference. (Run with strict mode off: in strict mode a rejection raises.)"""
    result = check(wrong)
    out = capsys.readouterr().out
    assert result is check.reference and result is not wrong, f"{check.__name__} accepted a wrong answer:\n{out}"
    assert "❌" in out and hint in out, f"expected the hint {hint!r} in:\n{out}"
    assert "reference" in out, out
    return out
