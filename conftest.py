"""pytest settings for the whole repo (the notebooks under solutions/ and labs/ as well as tests/)."""
from pathlib import Path

import pytest


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config, items):
    """Groups for `pytest -n 2 --dist loadgroup` (make test), so that whichever worker is free takes the next group
    and the two workers end together. Every notebook is a group of its own, run from solutions/ and, unsolved, from
    labs/ (a run from labs/ writes under outputs/labs/, so the two never share a file), except that lab 05 loads the
    encoder lab 02 saved: 02 and 05 form one group per folder, 02 first. Every hub-profile run and every test file
    is a group of its own too. xdist hands out the groups with the most items first."""
    for item in items:
        path = Path(str(item.fspath))
        if path.suffix == ".ipynb":
            number = path.stem.split("_")[0]
            group = f"{path.parent.name}/{'02+05' if number in ('02', '05') else path.stem}"
        elif path.name == "test_hub_profile.py":
            group = item.nodeid
        else:
            group = path.name
        item.add_marker(pytest.mark.xdist_group(group))
