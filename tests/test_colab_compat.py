"""Notebooks and utils use only APIs present in the lowest versions pyproject.toml admits (what Colab ships).

A static scan, not an execution under the old versions: each entry below names an API that is missing from a
lowest allowed version (or removed by transformers 5), why, and what to use instead. Add an entry when you meet one.
"""
import re

import nbformat
import pytest

from conftest import ROOT

FORBIDDEN = [
    # (regex, why, what to use instead)
    (r"\bevaluation_strategy\s*=", "removed in transformers 5", "eval_strategy="),
    (r"\bTrainer\([^)]*\btokenizer\s*=", "removed in transformers 5", "processing_class="),
    (r"\btorch_dtype\s*=", "deprecated in transformers 5", "dtype="),
    # load_in_4bit= directly inside from_pretrained(...), not inside a nested BitsAndBytesConfig(...)
    (r"from_pretrained\((?:[^()]|\([^()]*\))*\bload_in_4bit\s*=", "from_pretrained(load_in_4bit=...) is gone in "
     "transformers 5", "quantization_config=BitsAndBytesConfig(load_in_4bit=True, ...)"),
    # group_by_length= inside a transformers/TRL config (utils.training.TrainConfig has its own, which is fine)
    (r"(?:TrainingArguments|SFTConfig|DPOConfig)\((?:[^()]|\([^()]*\))*\bgroup_by_length\s*=",
     "TrainingArguments(group_by_length=) is gone in recent transformers 5.x", "train_sampling_strategy="
     "'group_by_length' (transformers >= 5.2, the lowest version pyproject.toml admits)"),
    (r"\bwidgets\.(TagsInput|ColorsInput|FloatsInput|IntsInput|Stack)\b", "new in ipywidgets 8; Colab has 7.7",
     "a widget that exists in 7.7"),
    (r"\b(description_allow_html|tooltip)\s*=", "new in ipywidgets 8; Colab has 7.7", "description_tooltip= or none"),
    (r"\bDataset\.from_polars\b", "missing from datasets 4.0", "Dataset.from_list / from_pandas"),
]


def sources():
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if cell.cell_type == "code":
                yield f"{path.relative_to(ROOT)} cell {index}", cell.source
    for path in sorted((ROOT / "utils").rglob("*.py")):
        yield str(path.relative_to(ROOT)), path.read_text()


@pytest.mark.parametrize("pattern, why, instead", FORBIDDEN, ids=[f[0][:30] for f in FORBIDDEN])
def test_no_api_missing_from_the_lowest_allowed_versions(pattern, why, instead):
    hits = [where for where, text in sources() if re.search(pattern, text)]
    assert not hits, f"{hits}: {why}; use {instead}"


def test_the_scan_sees_every_notebook():
    names = {where.split(" cell")[0] for where, _ in sources() if where.startswith("solutions")}
    assert len(names) == len(list((ROOT / "solutions").glob("*.ipynb")))
