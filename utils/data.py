"""Load the course datasets (JSONL under `data/`) as `datasets.Dataset`, checking every line first.

    from utils.data import load_split, list_splits, DATASETS
    notes = load_split("medical_notes", "train")      # Dataset with columns text, label

A broken line fails loudly with its file, line number and field, instead of surfacing later as a strange
training error. `DATASETS` says, per dataset, which splits exist, which fields each record needs, and which
labels are allowed; `data/README.md` describes how each set was made.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import datasets

from utils.chat import ConversationError, check_conversation
from utils.paths import data_dir


class DataFormatError(ValueError):
    """A JSONL line does not match its dataset's spec; the message names file, line and field."""


@dataclass(frozen=True)
class Field:
    type: type = str
    allow_empty: bool = False
    choices: tuple | None = None  # allowed values (labels), or None for free text
    pattern: str | None = None  # a regular expression the whole value must match


@dataclass(frozen=True)
class DatasetSpec:
    description: str
    splits: tuple[str, ...]
    fields: dict[str, Field]
    split_fields: dict[str, dict[str, Field]] = field(default_factory=dict)  # splits with other fields

    def fields_for(self, split: str) -> dict[str, Field]:
        return self.split_fields.get(split, self.fields)


SEVERITY = ("mild", "moderate", "severe")
INSTRUCTION_TASKS = ("fact_qa", "summarise", "classify_severity", "classify_sentiment", "reverse_words",
                     "uppercase", "extract_city", "extract_number", "add", "first_word", "count_words",
                     "last_word", "second_word", "longest_word", "sort_words", "capitalise", "first_letter",
                     "reverse_letters", "count_letters", "plural", "opposite", "next_number", "double",
                     "max_number", "is_even", "extract_name",
                     "lowercase", "subtract", "count_vowels", "country_of_capital", "extract_day", "join_words")
# A task is one family, or "compose:OUTER+INNER": OUTER applied to the result of INNER (test_compositions).
_TASK = "(?:" + "|".join(INSTRUCTION_TASKS) + ")"
INSTRUCTION_TASK_PATTERN = f"{_TASK}|compose:{_TASK}\\+{_TASK}"
CORPUS_KINDS = ("fact", "pattern", "story", "description", "medical", "code", "dialogue", "faq", "quiz", "forum",
                "clinical", "documented_code", "review", "drug_leaflet", "worksheet")
MCQ_FORMAT = r"Question: [^\n]+\nA\) [^\n]+\nB\) [^\n]+\nC\) [^\n]+\nD\) [^\n]+\nAnswer: [ABCD]"

DATASETS: dict[str, DatasetSpec] = {
    "corpus": DatasetSpec(
        "pretraining documents: facts, patterns (x -> y), stories, descriptions, medical prose, code, and documents "
        "that hold questions and answers (dialogue, FAQ pages, quizzes, forum threads, clinical notes with an "
        "assessment, documented code, reviews, drug leaflets, worksheets); heldout_facts states facts in phrasings "
        "absent from train, and the held-out entities",
        ("train", "validation", "heldout_facts"),
        {"text": Field(), "kind": Field(choices=CORPUS_KINDS)}),
    "world": DatasetSpec(
        "the invented world's facts, with whether the corpus / the fine-tuning train splits mention them",
        ("facts",),
        {"entity": Field(), "kind": Field(choices=("animal", "country")), "attribute": Field(), "value": Field(),
         "in_train_corpus": Field(type=bool), "in_sft_train": Field(type=bool)}),
    "medical_notes": DatasetSpec(
        "short clinical notes labelled with disease severity (plus a large unlabelled split for MLM)",
        ("train", "validation", "test", "test_rephrased", "unlabelled"),
        {"text": Field(), "label": Field(choices=SEVERITY)},
        split_fields={"unlabelled": {"text": Field()}}),
    "sentiment": DatasetSpec(
        "short reviews labelled positive or negative",
        ("train", "validation", "test"),
        {"text": Field(), "label": Field(choices=("positive", "negative"))}),
    "instructions": DatasetSpec(
        "instruction / input / output triples from 32 task families; validation/test reuse train's wordings, "
        "test_new_phrasings uses wordings absent from train, test_compositions chains two trained skills, "
        "test_heldout_families holds families absent from train",
        ("train", "validation", "test", "test_new_phrasings", "test_compositions", "test_heldout_families"),
        {"instruction": Field(), "input": Field(allow_empty=True), "output": Field(),
         "task": Field(pattern=INSTRUCTION_TASK_PATTERN)}),
    "chat": DatasetSpec(
        "conversations: a list of {role, content} messages, ending with an assistant turn",
        ("train", "validation", "test"),
        {"messages": Field(type=list)}),
    "guardrails": DatasetSpec(
        "prompts that ask for medication doses (refused) and look-alikes on neighbouring topics (answered)",
        ("train", "validation", "test"),
        {"prompt": Field(), "response": Field(), "label": Field(choices=("forbidden", "allowed")),
         "template": Field()}),
    "mcq": DatasetSpec(
        "requests for a multiple-choice question, answered in one fixed format, with the fact it draws on",
        ("train", "validation", "test"),
        {"instruction": Field(), "output": Field(pattern=MCQ_FORMAT), "fact": Field()}),
    "code": DatasetSpec(
        "small Python functions with an assert expression that checks them (fill-in-the-middle)",
        ("train", "test"),
        {"name": Field(), "code": Field(), "test": Field()}),
    "preferences": DatasetSpec(
        "plans stated by a user: a caution preferred to compliance for risky plans, the helpful answer preferred to "
        "a needless caution for benign ones; test uses phrasings absent from train, and the lecture's apple diet",
        ("train", "test"),
        {"prompt": Field(), "chosen": Field(), "rejected": Field(),
         "kind": Field(choices=("risky_plan", "benign_plan")), "template": Field()}),
}


def list_splits(name: str) -> list[str]:
    return list(_spec(name).splits)


def split_path(name: str, split: str, root: Path | str | None = None) -> Path:
    spec = _spec(name)
    if split not in spec.splits:
        raise ValueError(f"Dataset {name!r} has no split {split!r}; its splits are {list(spec.splits)}.")
    return Path(root if root is not None else data_dir()) / name / f"{split}.jsonl"


def load_records(name: str, split: str, root: Path | str | None = None) -> list[dict]:
    """The split's records as plain dicts, validated. `root` replaces `data/` (tests use a tmp dir)."""
    path = split_path(name, split, root)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist. Regenerate the data with: python tools/generate_data.py")
    fields = _spec(name).fields_for(split)
    records = []
    with path.open(encoding="utf-8") as f:
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                raise DataFormatError(f"{path}:{line_no}: empty line; expected one JSON object per line.")
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise DataFormatError(f"{path}:{line_no}: not valid JSON ({err.msg}); expected one JSON object "
                                      f"per line with fields {list(fields)}.") from None
            if not isinstance(record, dict):
                raise DataFormatError(f"{path}:{line_no}: expected a JSON object with fields {list(fields)}, "
                                      f"got {type(record).__name__}.")
            _check_record(record, fields, f"{path}:{line_no}", chat=(name == "chat"))
            records.append(record)
    if not records:
        raise DataFormatError(f"{path}: the file is empty; expected at least one record.")
    return records


def load_split(name: str, split: str, root: Path | str | None = None) -> datasets.Dataset:
    """Load `data/<name>/<split>.jsonl` as a `datasets.Dataset` after checking every line."""
    return datasets.Dataset.from_list(load_records(name, split, root))


def _spec(name: str) -> DatasetSpec:
    if name not in DATASETS:
        raise ValueError(f"Unknown dataset {name!r}; known datasets: {sorted(DATASETS)}.")
    return DATASETS[name]


def _check_record(record: dict, fields: dict[str, Field], where: str, chat: bool) -> None:
    for key, spec in fields.items():
        if key not in record:
            raise DataFormatError(f"{where}: field {key!r} is missing; expected fields {list(fields)}.")
        value = record[key]
        if not isinstance(value, spec.type):
            raise DataFormatError(f"{where}: field {key!r} should be {spec.type.__name__}, "
                                  f"got {type(value).__name__} ({value!r:.60}).")
        if spec.type is str and not spec.allow_empty and not value.strip():
            raise DataFormatError(f"{where}: field {key!r} is empty; expected non-empty text.")
        if spec.choices is not None and value not in spec.choices:
            raise DataFormatError(f"{where}: field {key!r} has unknown label {value!r}; expected one of "
                                  f"{list(spec.choices)}.")
        if spec.pattern is not None and not re.fullmatch(spec.pattern, value):
            raise DataFormatError(f"{where}: field {key!r} does not match the required format "
                                  f"{spec.pattern!r}; got {value!r:.120}.")
    if chat:
        _check_messages(record["messages"], where)


def _check_messages(messages: list, where: str) -> None:
    """A training conversation: what `utils.chat.check_conversation` requires of any conversation (the one
    validator; roles known and in order, text content), plus what a dataset row needs: exactly the keys role and
    content, no empty message, and an assistant turn at the end to learn from."""
    try:
        check_conversation(messages)
    except ConversationError as error:
        raise DataFormatError(f"{where}: field 'messages': {error}") from None
    for i, message in enumerate(messages):
        if set(message) != {"role", "content"}:
            raise DataFormatError(f"{where}: field 'messages[{i}]' should have exactly the keys 'role' and "
                                  f"'content', got {sorted(message)}.")
        if not message["content"].strip():
            raise DataFormatError(f"{where}: field 'messages[{i}]'.content should be non-empty text.")
    if messages[-1]["role"] != "assistant":
        raise DataFormatError(f"{where}: field 'messages' should end with an assistant turn, ends with "
                              f"{messages[-1]['role']!r}.")
