"""Each notebook records the figures it computed, so `make solutions` can summarise them in outputs/."""
from __future__ import annotations

import json
import numbers

from .paths import outputs_dir


def record_results(notebook: str, **figures) -> dict:
    """Save `figures` (numbers or short strings) to outputs/results/<notebook>.json and return them (a run of
    another profile than offline goes to outputs/results/<profile>/, so it never overwrites the offline figures; a
    notebook run from labs/ goes to outputs/labs/results/ (see `utils.paths.outputs_dir`), where
    `tools/compare_results.py` checks that the unsolved lab, carried by the reference implementations, computed the
    same figures as its solution notebook)."""
    clean = {}
    for key, value in figures.items():
        if isinstance(value, numbers.Number):
            clean[key] = round(float(value), 4) if isinstance(value, float) else value
        elif isinstance(value, str):
            clean[key] = value
        else:
            raise TypeError(f"record_results: {key!r} is a {type(value).__name__}; record numbers or strings.")
    profile = str(figures.get("profile", "offline"))
    parts = [] if profile == "offline" else [profile]
    path = outputs_dir("results", *parts) / f"{notebook}.json"
    path.write_text(json.dumps(clean, indent=2, sort_keys=True) + "\n")
    return clean
