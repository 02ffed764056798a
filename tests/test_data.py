"""The shipped datasets: they load, they are what the generator writes, and broken files fail clearly."""
from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from utils.data import DATASETS, DataFormatError, list_splits, load_records, load_split
from utils.paths import data_dir, repo_root

ALL_SPLITS = [(name, split) for name, spec in DATASETS.items() for split in spec.splits]


@pytest.mark.parametrize("name,split", ALL_SPLITS)
def test_every_split_loads_with_its_fields(name, split):
    ds = load_split(name, split)
    assert len(ds) > 0
    assert set(ds.column_names) == set(DATASETS[name].fields_for(split))


def test_generator_is_deterministic(tmp_path):
    subprocess.run([sys.executable, str(repo_root() / "tools" / "generate_data.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True)
    generated = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.jsonl"))
    committed = sorted(p.relative_to(data_dir()) for p in data_dir().rglob("*.jsonl"))
    assert generated == committed
    for rel in generated:
        assert (tmp_path / rel).read_bytes() == (data_dir() / rel).read_bytes(), f"{rel} differs from a fresh run"


def test_list_splits_and_unknown_names():
    assert list_splits("instructions") == ["train", "validation", "test", "test_new_phrasings", "test_compositions",
                                           "test_heldout_families"]
    with pytest.raises(ValueError, match="Unknown dataset"):
        list_splits("nope")
    with pytest.raises(ValueError, match="no split"):
        load_split("sentiment", "unlabelled")


# --- malformed files -------------------------------------------------------------------------------------------
GOOD_NOTE = {"text": "Pt c/o sore throat.", "label": "mild"}


def write_notes(root: Path, lines: list[str]) -> Path:
    path = root / "medical_notes" / "train.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.mark.parametrize("bad_line,field,expected", [
    ('{"text": "Pt c/o cough.", "label": "mild"', "JSON", "not valid JSON"),
    (json.dumps({"text": "Pt c/o cough."}), "'label'", "missing"),
    (json.dumps({"text": "Pt c/o cough.", "label": "critical"}), "'label'", "expected one of"),
    (json.dumps({"text": "", "label": "mild"}), "'text'", "empty"),
    (json.dumps({"text": 3, "label": "mild"}), "'text'", "should be str"),
])
def test_malformed_line_names_file_line_and_field(tmp_path, bad_line, field, expected):
    path = write_notes(tmp_path, [json.dumps(GOOD_NOTE), json.dumps(GOOD_NOTE), bad_line])
    with pytest.raises(DataFormatError) as info:
        load_split("medical_notes", "train", root=tmp_path)
    message = str(info.value)
    assert f"{path}:3" in message
    assert field in message
    assert expected in message


def test_malformed_chat_and_mcq(tmp_path):
    (tmp_path / "chat").mkdir()
    (tmp_path / "chat" / "train.jsonl").write_text(json.dumps(
        {"messages": [{"role": "user", "content": "Hi"}, {"role": "robot", "content": "Hello"}]}) + "\n")
    with pytest.raises(DataFormatError, match=r"train.jsonl:1: field 'messages': Message 1 has unknown role 'robot'"):
        load_split("chat", "train", root=tmp_path)
    (tmp_path / "mcq").mkdir()
    (tmp_path / "mcq" / "train.jsonl").write_text(json.dumps(
        {"instruction": "Write an MCQ.", "output": "Question: Q?\nA) a\nB) b\nAnswer: A", "fact": "F."}) + "\n")
    with pytest.raises(DataFormatError, match="field 'output' does not match the required format"):
        load_split("mcq", "train", root=tmp_path)


# --- content checks the labs rely on ------------------------------------------------------------------------------
def test_chat_conversations_end_with_assistant_and_some_use_tools():
    for split in list_splits("chat"):
        rows = load_records("chat", split)
        assert all(r["messages"][-1]["role"] == "assistant" for r in rows)
        roles = {m["role"] for r in rows for m in r["messages"]}
        assert roles == {"system", "user", "assistant", "tool"}


CHAT_OR_TEMPLATE = re.compile(r"<\||###|Instruction:|Response:|^(system|user|assistant|tool)\s*:", re.M | re.I)


def test_corpus_has_no_chat_or_alpaca_formatting():
    """No special tokens, role headers or instruction-template headers: the corpus holds questions and answers
    only the way documents do (FAQ, quiz, forum, dialogue), so the base model cannot already follow the templates."""
    assert CHAT_OR_TEMPLATE.search("### Instruction:\nAdd.") and CHAT_OR_TEMPLATE.search("x\nassistant: hi")
    for split in list_splits("corpus"):
        for r in load_records("corpus", split):
            assert not CHAT_OR_TEMPLATE.search(r["text"]), r["text"][:80]


def test_corpus_holds_questions_and_answers():
    rows = load_records("corpus", "train")
    kinds = {r["kind"] for r in rows}
    assert {"dialogue", "faq", "quiz", "forum", "clinical", "documented_code", "review", "drug_leaflet",
            "worksheet"} <= kinds
    with_question = sum("?" in r["text"] for r in rows)
    assert with_question / len(rows) > 0.2, with_question
    text = "\n".join(r["text"] for r in rows)
    for frame in ("Q: ", "\nA: ", "Answer key: ", "Assessment: ", "Severity: ", '"""', " replied:\n"):
        assert frame in text, frame


def test_corpus_does_not_copy_held_out_questions_or_instruction_wordings():
    """Fact questions of the fine-tuning validation/test splits, and every instruction wording, never occur verbatim
    in the corpus (the corpus states the same facts, asked in other words)."""
    corpus = "\n".join(r["text"] for r in load_records("corpus", "train")).lower()
    questions = [r["input"] or r["instruction"] for split in list_splits("instructions") if split != "train"
                 for r in load_records("instructions", split) if r["task"] == "fact_qa"]
    questions += [m["content"] for split in ("validation", "test") for r in load_records("chat", split)
                  for m in r["messages"] if m["role"] == "user" and m["content"].startswith(("What", "Which", "Where"))]
    questions += [r["output"].split("\n")[0].removeprefix("Question: ") for split in ("validation", "test")
                  for r in load_records("mcq", split)]
    assert len(questions) > 500
    copied = [q for q in questions if q.lower() in corpus]
    assert not copied, copied[:5]
    wordings = {r["instruction"] for split in list_splits("instructions") for r in load_records("instructions", split)
                if r["task"] != "fact_qa" or r["input"]}
    assert len(wordings) > 150
    assert not [w for w in wordings if w.lower() in corpus]


def test_instruction_splits_test_three_kinds_of_generalisation():
    splits = {split: load_records("instructions", split) for split in list_splits("instructions")}
    train_tasks = {r["task"] for r in splits["train"]}
    heldout_tasks = {r["task"] for r in splits["test_heldout_families"]}
    assert len(train_tasks) + len(heldout_tasks) >= 30 and len(heldout_tasks) >= 5
    assert not heldout_tasks & train_tasks
    for split in ("validation", "test", "test_new_phrasings"):
        assert {r["task"] for r in splits[split]} == train_tasks, split
    # at least 4 wordings per family (fact_qa also uses the question itself as the instruction)
    wordings: dict[str, set[str]] = {}
    for r in splits["train"] + splits["test_heldout_families"]:
        if r["task"] != "fact_qa" or r["input"]:
            wordings.setdefault(r["task"], set()).add(r["instruction"])
    assert min(len(w) for w in wordings.values()) >= 4, {t: len(w) for t, w in wordings.items() if len(w) < 4}
    # new phrasings: every wording absent from train; validation/test: every wording seen in train
    train_wordings = {r["instruction"] for r in splits["train"]}
    assert not {r["instruction"] for r in splits["test_new_phrasings"]} & train_wordings
    assert {r["instruction"] for r in splits["test"] if r["input"]} <= train_wordings
    # compositions: two trained skills each, a task never trained, wordings never trained
    for r in splits["test_compositions"]:
        outer, inner = r["task"].removeprefix("compose:").split("+")
        assert r["task"].startswith("compose:") and {outer, inner} <= train_tasks, r
        assert r["instruction"] not in train_wordings
    assert len({r["task"] for r in splits["test_compositions"]}) >= 6
    for split, rows in splits.items():
        assert all(1 <= len(r["output"].split()) <= 8 for r in rows), split


def test_held_out_prompts_do_not_repeat_train_prompts():
    train = {(r["instruction"], r["input"]) for r in load_records("instructions", "train")}
    for split in list_splits("instructions")[1:]:
        rows = load_records("instructions", split)
        repeats = sum((r["instruction"], r["input"]) in train for r in rows)
        assert repeats == 0, f"{split}: {repeats} prompts also in train"


def _prompt_skeletons(records) -> dict[str, set[str]]:
    """template name -> its prompts with every slot filler replaced by `_` (a word is part of the skeleton when
    every prompt of that template has it), so two templates compare by their wording, not their names."""
    import re
    from collections import defaultdict

    prompts = defaultdict(list)
    for record in records:
        prompts[record["template"]].append(re.findall(r"[a-z']+|[^a-z'\s]", record["prompt"].lower()))
    skeletons = {}
    for name, tokenised in prompts.items():
        fixed = set.intersection(*(set(words) for words in tokenised))
        skeletons[name] = {re.sub(r"_( _)+", "_", " ".join(w if w in fixed else "_" for w in words))
                           for words in tokenised}
    return skeletons


def test_guardrail_test_templates_are_unseen_in_train():
    train = _prompt_skeletons(load_records("guardrails", "train"))
    test = _prompt_skeletons(load_records("guardrails", "test"))
    train_wordings = set().union(*train.values())
    test_wordings = set().union(*test.values())
    # Preconditions: the skeletons keep the wording (each template has at most two, and several per split), so an
    # overlap would show; a test template renamed from a train template would share its skeleton.
    assert len(train_wordings) >= 8 and len(test_wordings) >= 5
    assert all(len(s) <= 2 and all("_" in w for w in s) for s in (*train.values(), *test.values()))
    assert not train_wordings & test_wordings, train_wordings & test_wordings
    refusals = {r["response"] for r in load_records("guardrails", "train") if r["label"] == "forbidden"}
    assert len(refusals) == 1


def test_mcq_answers_match_their_facts():
    for r in load_records("mcq", "test"):
        lines = r["output"].split("\n")
        letter = lines[-1].removeprefix("Answer: ")
        answer = lines["ABCD".index(letter) + 1][3:]
        assert answer in r["fact"]


def test_code_functions_pass_their_tests():
    for r in load_records("code", "test"):
        ast.parse(r["code"])
        namespace: dict = {}
        exec(r["code"], namespace)  # noqa: S102 - our own generated snippets
        assert eval(r["test"], namespace), r  # noqa: S307


def test_world_facts_agree_with_the_corpus():
    train_text = "\n".join(r["text"] for r in load_records("corpus", "train"))
    for fact in load_records("world", "facts"):
        assert (fact["entity"] in train_text) == fact["in_train_corpus"], fact


# --- the decoder's tokenizer reads the fine-tuning data with tokens the corpus trained ------------------------------
def fine_tuning_texts(tokenizer) -> dict[str, list[str]]:
    """Every fine-tuning set, rendered as the decoder labs feed it to the model: `utils.sft.format_prompt` + answer
    for instructions, guardrails (lab 07), mcq and preferences; the chat template for chat; raw text for sentiment,
    medical notes (lab 05's prompts) and code (lab 08)."""
    from utils.sft import format_prompt

    def sft(instruction, inp, output):
        return format_prompt({"instruction": instruction, "input": inp}) + output

    texts: dict[str, list[str]] = {}
    for name in ("instructions", "chat", "guardrails", "mcq", "sentiment", "code", "preferences", "medical_notes"):
        # `unlabelled` is the encoder's pretraining text; `test_rephrased` (lab 02, encoder only) exists to hold
        # words no labelled note uses, so no decoder lab reads either.
        rows = [r for split in list_splits(name) if split not in ("unlabelled", "test_rephrased")
                for r in load_records(name, split)]
        if name == "instructions":
            texts[name] = [sft(r["instruction"], r["input"], r["output"]) for r in rows]
        elif name == "chat":
            texts[name] = [tokenizer.apply_chat_template(r["messages"], tokenize=False) for r in rows]
        elif name == "guardrails":
            texts[name] = [sft(r["prompt"], "", r["response"]) for r in rows]
        elif name == "mcq":
            texts[name] = [sft(r["instruction"], "", r["output"]) for r in rows]
        elif name == "preferences":
            texts[name] = [sft(r["prompt"], "", r[answer]) for r in rows for answer in ("chosen", "rejected")]
        elif name == "code":
            texts[name] = [r["code"] for r in rows]
        else:
            texts[name] = [r["text"] for r in rows]
    return texts


def untrained_token_shares(tokenizer) -> dict[str, float]:
    """Per fine-tuning set: the share of its token occurrences (special tokens excluded) whose id never occurs in
    the tokenised corpus train split, i.e. whose embedding pretraining never updated."""
    corpus = tokenizer([r["text"] for r in load_records("corpus", "train")], add_special_tokens=False)["input_ids"]
    trained = {i for doc in corpus for i in doc}
    special = set(tokenizer.all_special_ids)
    shares = {}
    for name, texts in fine_tuning_texts(tokenizer).items():
        ids = [i for doc in tokenizer(texts, add_special_tokens=False)["input_ids"] for i in doc if i not in special]
        shares[name] = sum(i not in trained for i in ids) / len(ids)
    return shares


def test_fine_tuning_data_uses_tokens_the_corpus_trained():
    """The decoder tokenizer, trained on the corpus (tools/build_models.py), leaves under 1 % of each fine-tuning
    set's tokens with an embedding pretraining never updated (the shipped tokenizer may be older: build a fresh one)."""
    import build_models

    tokenizer = build_models.train_decoder_tokenizer(build_models.DECODER_VOCAB)
    shares = untrained_token_shares(tokenizer)
    for name, share in shares.items():
        print(f"{name:14s} {share:.2%} of token occurrences never occur in corpus/train")
    assert len(shares) == 8
    assert all(share < 0.01 for share in shares.values()), shares
