"""pytest settings for the whole repo (the notebooks under solutions/ and labs/ as well as tests/)."""
from pathlib import Path

import pytest


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config, items):
    """Groups for `pytest -n 2 --dist loadgroup` (make test). The solution notebooks run in order as one group and
    the unsolved labs in order as another (a lab may load what an earlier lab saved, and labs write under
    outputs/labs/, so the two never share a file); xdist starts them first, one per worker, because they hold the
    most items. Every hub-profile run and every test file is a group of its own, so that whichever worker is free
    takes the next one and the two workers end together (one group for all of them left a worker idle for minutes)."""
    for item in items:
        path = Path(str(item.fspath))
        if path.suffix == ".ipynb":
            group = path.parent.name  # "solutions" or "labs"
        elif path.name == "test_hub_profile.py":
            group = item.nodeid
        else:
            group = path.name
        item.add_marker(pytest.mark.xdist_group(group))
