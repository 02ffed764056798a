"""Reading exercise cells out of the notebooks, for tests."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
CHECK_CALL = re.compile(r"^(check_\w+)\((\w+)\)", re.M)


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
        for check_name, function_name in CHECK_CALL.findall(cell.source):
            if function_name in pending:
                yield (check_name, function_name, *pending.pop(function_name))
    assert not pending, f"{notebook_name}: exercise functions without a check call: {sorted(pending)}"


def define(source: str, function_name: str):
    """Run an exercise cell on its own and return the function it defines."""
    namespace: dict = {}
    exec(compile(source, f"<exercise {function_name}>", "exec"), namespace)
    return namespace[function_name]
