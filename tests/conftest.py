import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests never touch the network
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "benchmarks"))


@pytest.fixture(scope="session")
def standins(tmp_path_factory) -> Path:
    """Stand-ins of the hub profile's model families (tools/build_standins.py), built once per test session."""
    import build_standins

    out = tmp_path_factory.mktemp("standins")
    build_standins.build(out, quiet=True)
    return out


@pytest.fixture
def student_mode(monkeypatch):
    """Strict mode off, as in a student's lab: a check that rejects an answer prints its verdict and returns the
    reference instead of raising, so a test can read the hint (tests/test_labNN.py use it for every test)."""
    monkeypatch.delenv("ITL_STRICT_CHECKS", raising=False)
