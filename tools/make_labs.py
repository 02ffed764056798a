"""Generate the student notebooks in labs/ from the solution notebooks in solutions/.

The solution notebook is the one source. In it, the parts a student writes are marked nbgrader-style:
- in code cells:      ### BEGIN SOLUTION  ...  ### END SOLUTION
- in markdown cells:  <!-- BEGIN SOLUTION -->  ...  <!-- END SOLUTION -->
In the lab, each region becomes a stub (code: `raise NotImplementedError`, at the region's indentation;
markdown: a line asking for the student's answer); outputs and execution counts are cleared; cell ids and
everything else are kept.

Usage:
    python tools/make_labs.py            # write labs/
    python tools/make_labs.py --check    # fail (exit 1) if labs/ is not exactly what solutions/ generates
"""
from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
MARKERS = {
    "code": ("### BEGIN SOLUTION", "### END SOLUTION"),
    "markdown": ("<!-- BEGIN SOLUTION -->", "<!-- END SOLUTION -->"),
}
CODE_STUB = ["# YOUR CODE HERE", 'raise NotImplementedError("Exercise: write your code here, then run the check below.")']
MARKDOWN_STUB = ["*Your answer here.*"]


class SolutionMarkerError(ValueError):
    pass


def strip_solution_regions(source: str, cell_type: str, where: str) -> str:
    """Replace every marked region of one cell's source by the stub. `where` names the cell in errors."""
    begin, end = MARKERS[cell_type]
    out, inside, opened_at = [], False, 0
    for number, line in enumerate(source.split("\n"), start=1):
        stripped = line.strip()
        if stripped == begin:
            if inside:
                raise SolutionMarkerError(f"{where}: '{begin}' on line {number} opens a region inside the region "
                                          f"opened on line {opened_at}; close the first one with '{end}'.")
            inside, opened_at = True, number
            indent = line[: len(line) - len(line.lstrip())]
            out += [indent + stub for stub in (CODE_STUB if cell_type == "code" else MARKDOWN_STUB)]
        elif stripped == end:
            if not inside:
                raise SolutionMarkerError(f"{where}: '{end}' on line {number} has no '{begin}' before it.")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise SolutionMarkerError(f"{where}: '{begin}' on line {opened_at} is never closed: add '{end}' "
                                  "after the solution lines.")
    return "\n".join(out)


def lab_from_solution(solution_path: Path) -> str:
    """The text of the lab notebook that `solution_path` generates."""
    nb = nbformat.read(solution_path, as_version=4)
    lab = copy.deepcopy(nb)
    for index, cell in enumerate(lab.cells):
        shown = solution_path.relative_to(ROOT) if solution_path.is_relative_to(ROOT) else solution_path
        where = f"{shown}, cell {index} (id {cell.get('id', '?')})"
        if cell.cell_type in MARKERS:
            cell.source = strip_solution_regions(cell.source, cell.cell_type, where)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nbformat.writes(lab) + "\n"


def has_outputs(path: Path) -> bool:
    nb = nbformat.read(path, as_version=4)
    return any(c.cell_type == "code" and (c.outputs or c.execution_count) for c in nb.cells)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="report drift instead of writing; exit 1 on drift")
    parser.add_argument("--solutions", type=Path, default=ROOT / "solutions")
    parser.add_argument("--labs", type=Path, default=ROOT / "labs")
    args = parser.parse_args(argv)

    solutions = sorted(args.solutions.glob("*.ipynb"))
    if not solutions:
        print(f"No solution notebooks in {args.solutions}.", file=sys.stderr)
        return 1
    problems = []
    expected_names = set()
    for solution in solutions:
        expected_names.add(solution.name)
        try:
            text = lab_from_solution(solution)
        except SolutionMarkerError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        lab = args.labs / solution.name
        if has_outputs(solution):
            problems.append(f"{solution}: has outputs; commit solutions without outputs "
                            "(Jupyter: Edit > Clear Outputs of All Cells).")
        if args.check:
            if not lab.exists():
                problems.append(f"{lab}: missing; run `make labs` to generate it.")
            elif lab.read_text() != text:
                problems.append(f"{lab}: differs from what {solution.name} generates. Labs are generated, never "
                                "edited by hand: put the change in the solution notebook and run `make labs`.")
        else:
            args.labs.mkdir(parents=True, exist_ok=True)
            lab.write_text(text)
    for extra in sorted(set(p.name for p in args.labs.glob("*.ipynb")) - expected_names):
        problems.append(f"{args.labs / extra}: has no solution notebook; labs are generated from solutions/.")
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if not problems:
        print(f"labs/ {'matches' if args.check else 'written from'} solutions/ ({len(solutions)} notebooks).")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
