"""pytest settings for the whole repo (the notebooks under solutions/ and labs/ as well as tests/)."""
from pathlib import Path

import pytest


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config, items):
    """Groups for `pytest -n 2 --dist loadgroup` (make test): the solution notebooks run in order on one worker, the
    unsolved labs in order on the other (a lab may load what an earlier lab saved, and labs write under outputs/labs/,
    so the two never share a file), the hub-profile runs together (one set of stand-ins), the rest as one group."""
    for item in items:
        path = Path(str(item.fspath))
        if path.suffix == ".ipynb":
            group = path.parent.name  # "solutions" or "labs"
        elif path.name == "test_hub_profile.py":
            group = "hub"
        else:
            group = "unit"
        item.add_marker(pytest.mark.xdist_group(group))
