"""Check that every lab run unsolved computed the same figures as its solution notebook.

`make test` executes solutions/ and labs/; each notebook records its figures (`utils.results.record_results`),
the labs' under outputs/labs/results/. An unsolved lab goes on with the reference implementations, so its figures
must equal the solution's: a difference means a reference and a solution disagree, or a check disturbed the
lab's random state. Timings (seconds, tokens per second) are the only figures allowed to differ.

Usage: python tools/compare_results.py     (exit 1 on a difference or a lab without a solution run)
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMING_KEYS = ("seconds", "wall_s", "tokens_per_s", "ms_per_query")


def differences(solution: dict, lab: dict) -> list[str]:
    problems = []
    for key in sorted(set(solution) | set(lab)):
        if any(t in key for t in TIMING_KEYS):
            continue
        if solution.get(key) != lab.get(key):
            problems.append(f"{key}: solution {solution.get(key)!r}, lab {lab.get(key)!r}")
    return problems


def main() -> int:
    results = ROOT / "outputs" / "results"
    labs = sorted((ROOT / "outputs" / "labs" / "results").glob("*.json"))
    if not labs:
        print("error: no lab results in outputs/labs/results/; run the labs first (make test).", file=sys.stderr)
        return 1
    failed = 0
    for lab_file in labs:
        solution_file = results / lab_file.name
        if not solution_file.exists():
            print(f"error: {lab_file.stem}: the lab ran but its solution notebook has no results.", file=sys.stderr)
            failed += 1
            continue
        problems = differences(json.loads(solution_file.read_text()), json.loads(lab_file.read_text()))
        for problem in problems:
            print(f"error: {lab_file.stem}: {problem}", file=sys.stderr)
        failed += bool(problems)
        if not problems:
            print(f"{lab_file.stem}: the unsolved lab computed the solution's figures")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
