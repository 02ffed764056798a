"""Execute solution notebooks headless (offline profile) and summarise the figures they computed.

Writes the executed copies to outputs/executed/ (and as HTML to outputs/html/) and a table of every notebook's recorded results
(outputs/results/*.json, written by `utils.results.record_results`) to outputs/results.md.

Usage: python tools/run_solutions.py [solutions/03_sft.ipynb ...]
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent


def run(path: Path, out_dir: Path) -> tuple[bool, float]:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    ok = True
    try:
        client.execute()
    except CellExecutionError as error:
        ok = False
        print(f"  FAILED: {str(error).splitlines()[-1] if str(error) else error}")
    seconds = time.perf_counter() - start
    nbformat.write(nb, out_dir / path.name)
    write_html(nb, out_dir.parent / "html" / f"{path.stem}.html")
    return ok, seconds


def write_html(nb, target: Path) -> None:
    """The executed notebook as a page a stuck student can read in a browser (outputs/html/)."""
    from nbconvert import HTMLExporter

    target.parent.mkdir(parents=True, exist_ok=True)
    body, _ = HTMLExporter().from_notebook_node(nb)
    target.write_text(body)


def main(argv: list[str]) -> int:
    os.environ.setdefault("ITL_PROFILE", "offline")
    os.environ.setdefault("ITL_STRICT_CHECKS", "1")
    notebooks = [Path(p).resolve() for p in argv] or sorted((ROOT / "solutions").glob("*.ipynb"))
    out_dir = ROOT / "outputs" / "executed"
    out_dir.mkdir(parents=True, exist_ok=True)
    status, failures = {}, 0
    for path in notebooks:
        print(f"running {path.name} ...", flush=True)
        ok, seconds = run(path, out_dir)
        failures += not ok
        status[path.stem] = ("ok" if ok else "FAILED", f"{seconds:.0f}")
        print(f"  {'ok' if ok else 'FAILED'} in {seconds:.0f} s")
    rows = []  # every notebook that has recorded results, also those run earlier (their status is '-')
    for results_file in sorted((ROOT / "outputs" / "results").glob("*.json")):
        figures = json.loads(results_file.read_text())
        state, seconds = status.get(results_file.stem, ("- (earlier run)", "-"))
        shown = ", ".join(f"{k}={v}" for k, v in figures.items())
        rows.append(f"| {results_file.stem} | {state} | {seconds} | {shown} |")
    summary = "\n".join(["# Results of `make solutions`", "",
                         "| notebook | status | wall s | figures the notebook computed |", "|---|---|---|---|", *rows])
    (ROOT / "outputs" / "results.md").write_text(summary + "\n")
    print("\n" + summary + f"\n\nExecuted notebooks in {out_dir.relative_to(ROOT)}/, summary in outputs/results.md")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
