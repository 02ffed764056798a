"""Where the course's files live: the repo root, `data/`, `models/` and `outputs/`.

Locally the repo is a checkout; on Colab the setup cell clones it and `pip install`s it (not editable), so the
installed `utils` package sits in site-packages, away from the data. We therefore look for the repo from the
current directory first, then from this file, and let `ITL_ROOT` override both.
"""
from __future__ import annotations

import os
from pathlib import Path


def _looks_like_repo(path: Path) -> bool:
    return (path / "data").is_dir() and (path / "pyproject.toml").is_file()


def repo_root() -> Path:
    """The course repo's root folder (the one holding `data/` and `pyproject.toml`)."""
    if os.environ.get("ITL_ROOT"):
        root = Path(os.environ["ITL_ROOT"]).expanduser().resolve()
        if not _looks_like_repo(root):
            raise FileNotFoundError(f"ITL_ROOT={root} is not the course repo (no data/ and pyproject.toml there).")
        return root
    for start in (Path.cwd().resolve(), Path(__file__).resolve().parent):
        for candidate in (start, *start.parents):
            if _looks_like_repo(candidate):
                return candidate
    raise FileNotFoundError(
        "Cannot find the course repo (a folder with data/ and pyproject.toml). Open the notebook from inside the "
        "repo, or set the environment variable ITL_ROOT to the repo's path."
    )


def data_dir() -> Path:
    return repo_root() / "data"


def models_dir() -> Path:
    return repo_root() / "models"


def outputs_dir(*parts: str) -> Path:
    """`outputs/<parts...>` under the repo (git ignores it), created if missing.

    A notebook run from `labs/` (Jupyter and nbval run a notebook in its own folder) writes under `outputs/labs/`, so
    a student's lab 05 loads the model *their* lab 02 trained, and the unsolved labs can run next to the solution
    notebooks without sharing files. `ITL_OUTPUTS` moves the whole tree (the hub-profile tests point it at a
    temporary folder so stand-in models never land next to the offline ones).
    """
    root = Path(os.environ["ITL_OUTPUTS"]) if os.environ.get("ITL_OUTPUTS") else repo_root() / "outputs"
    if Path.cwd().name == "labs":
        root = root / "labs"
    path = root.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
