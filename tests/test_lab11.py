"""Lab 11 (TRL and packing): `utils.packing` gives exactly what transformers' and TRL's padding-free collators and
TRL's BFD packing give; the padding-free row keeps attention inside each example (with `use_cache=False`), naive
concatenation does not; and every exercise check rejects plausible wrong answers, its hint naming the mistake.
"""
import nbformat
import pytest
import torch
from notebook_cells import ROOT, assert_accepts, assert_rejects

from utils.batching import IGNORE_INDEX
from utils.exercises.lab11 import check_attends_across_examples, check_loss_option, check_reset_position_ids
from utils.tiny_models import tiny_llama

NOTEBOOK = "11_trl_and_packing.ipynb"
TOY = [{"input_ids": [11, 12, 13], "labels": [IGNORE_INDEX, 12, 13]},
       {"input_ids": [21, 22], "labels": [IGNORE_INDEX, 22]},
       {"input_ids": [31, 32, 33, 34], "labels": [IGNORE_INDEX, IGNORE_INDEX, 33, 34]}]


pytestmark = pytest.mark.usefixtures("student_mode")  # a rejected answer prints, as for a student


def test_notebook_uses_no_eval():
    """The lab shape itself is checked for every notebook in tests/test_tooling.py."""
    nb = nbformat.read(ROOT / "solutions" / NOTEBOOK, as_version=4)
    code = "".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "eval(" not in code.replace("model.eval(", ""), "no eval in these labs"


# --------------------------------------------------------------------------------------------------------------
# utils.packing
# --------------------------------------------------------------------------------------------------------------
def test_flatten_batch_restarts_positions_and_never_predicts_across_examples():
    from utils.packing import flatten_batch

    batch = flatten_batch(TOY)
    assert set(batch) == {"input_ids", "labels", "position_ids"}, "no attention_mask: it would hide the position ids"
    assert batch["input_ids"].tolist() == [[11, 12, 13, 21, 22, 31, 32, 33, 34]]
    assert batch["position_ids"].tolist() == [[0, 1, 2, 0, 1, 0, 1, 2, 3]]
    assert batch["labels"].tolist() == [[-100, 12, 13, -100, 22, -100, -100, 33, 34]]
    # an example without labels is trained on every token but its first
    assert flatten_batch([{"input_ids": [5, 6]}, {"input_ids": [7, 8]}])["labels"].tolist() == [[-100, 6, -100, 8]]


def test_flatten_batch_equals_the_library_collators():
    from transformers import DataCollatorWithFlattening
    from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

    from utils.packing import flatten_batch

    ours = flatten_batch(TOY)
    for library in (DataCollatorWithFlattening()(TOY), DataCollatorForLanguageModeling(0, padding_free=True)(TOY)):
        assert all(torch.equal(ours[key], library[key]) for key in ours)


def test_naive_concatenation_runs_positions_on_with_a_full_mask():
    from utils.packing import concatenate_naively

    batch = concatenate_naively(TOY)
    assert batch["position_ids"].tolist() == [list(range(9))]
    assert batch["attention_mask"].tolist() == [[1] * 9]


def test_pack_examples_is_best_fit_decreasing_as_trl_packs():
    from datasets import Dataset
    from trl.data_utils import pack_dataset

    from utils.packing import pack_examples

    lengths = [5, 3, 8, 2, 6, 4, 1, 7, 3, 3]
    examples = [{"input_ids": list(range(100 * i, 100 * i + n)), "labels": list(range(100 * i, 100 * i + n))}
                for i, n in enumerate(lengths)]
    rows = pack_examples(examples, 10)
    assert [row["seq_lengths"] for row in rows] == [[8, 2], [7, 3], [6, 4], [5, 3, 1], [3]]
    assert rows[0]["position_ids"] == [0, 1, 2, 3, 4, 5, 6, 7, 0, 1]
    trl_rows = pack_dataset(Dataset.from_list(examples), 10, strategy="bfd")
    assert [row["input_ids"] for row in rows] == trl_rows["input_ids"]
    assert [row["seq_lengths"] for row in rows] == trl_rows["seq_lengths"]


def test_pack_examples_says_what_to_fix():
    from utils.packing import flatten_batch, pack_examples

    with pytest.raises(ValueError, match=r"longer than max_length=3 \(example 2 has 4 tokens\)"):
        pack_examples(TOY, 3)
    with pytest.raises(ValueError, match="one label per token"):
        flatten_batch([{"input_ids": [1, 2, 3], "labels": [1, 2]}])
    with pytest.raises(ValueError, match="empty"):
        flatten_batch([])


def test_padding_free_attends_within_examples_only_without_the_cache():
    from utils.packing import concatenate_naively, flatten_batch

    model = tiny_llama(vocab_size=64, layers=2, attn_implementation="sdpa")
    examples = [{"input_ids": [1, 5, 9, 2, 7]}, {"input_ids": [1, 6, 3, 4]}]
    with torch.no_grad():
        alone = model(input_ids=torch.tensor([examples[1]["input_ids"]])).logits[0]
        flat = flatten_batch(examples)
        del flat["labels"]
        free = model(**flat, use_cache=False).logits[0, 5:]
        cached = model(**flat).logits[0, 5:]
        naive = concatenate_naively(examples)
        del naive["labels"]
        leaked = model(**naive).logits[0, 5:]
    assert torch.allclose(free, alone, atol=1e-5)
    assert not torch.allclose(leaked, alone, atol=1e-3)
    assert not torch.allclose(cached, alone, atol=1e-3), "transformers now builds the packed mask with a cache: " \
                                                          "update lab 11's proof cell and its text"


# --------------------------------------------------------------------------------------------------------------
# Exercise checks: each accepts another correct answer and rejects plausible wrong ones, naming the mistake
# --------------------------------------------------------------------------------------------------------------
def loss_option_by_table(row):
    for keys, option in ((("messages",), "assistant_only_loss"), (("prompt", "completion"), "completion_only_loss"),
                         (("text",), None)):
        if all(key in row for key in keys):
            return option
    raise ValueError(f"unknown row with keys {list(row)}")


def test_loss_option_check_accepts_a_table(capsys):
    assert_accepts(check_loss_option, loss_option_by_table, capsys)


def swapped(row):
    return "completion_only_loss" if "messages" in row else "assistant_only_loss" if "prompt" in row else None


def text_as_completion(row):
    return "assistant_only_loss" if "messages" in row else "completion_only_loss" if "prompt" in row or "text" in row else None


def never_raises(row):
    return "assistant_only_loss" if "messages" in row else "completion_only_loss" if "prompt" in row else None


def raises_without_keys(row):
    if "question" in row:
        raise ValueError("unknown format")
    return loss_option_by_table(row)


def raises_key_error(row):
    return {"messages": "assistant_only_loss", "prompt": "completion_only_loss", "text": None}[next(iter(row))]


@pytest.mark.parametrize("wrong, hint", [
    (swapped, "you swapped them"),
    (text_as_completion, "every token carries loss"),
    (never_raises, "raise a ValueError instead of returning None"),
    (raises_without_keys, "names the keys"),
    (raises_key_error, "not KeyError"),
])
def test_loss_option_check_rejects(wrong, hint, capsys):
    assert_rejects(check_loss_option, wrong, hint, capsys)


def test_reset_position_ids_check_accepts_a_tensor(capsys):
    assert_accepts(check_reset_position_ids, lambda lengths: torch.cat([torch.arange(n) for n in lengths]), capsys)


@pytest.mark.parametrize("wrong, hint", [
    (lambda lengths: list(range(sum(lengths))), "restart at 0"),
    (lambda lengths: [p + 1 for n in lengths for p in range(n)], "Count from 0"),
    (lambda lengths: [p for n in lengths for p in range(n - 1)], "One position per token"),
    (lambda lengths: [0, 1, 2, 0, 1, 0, 1, 2, 3], "the reference returns [0, 1, 2, 3, 4]"),  # the example hard-coded
    (lambda lengths: [list(range(n)) for n in lengths], "the reference returns [0, 1, 2, 0, 1, 0, 1, 2, 3]"),
])
def test_reset_position_ids_check_rejects(wrong, hint, capsys):
    assert_rejects(check_reset_position_ids, wrong, hint, capsys)


def leaks_by_rows(batch, lengths):
    for r, row in enumerate(lengths):
        if len(row) == 1:
            continue
        if "attention_mask" in batch or "position_ids" not in batch:
            return True
        expected = torch.cat([torch.arange(n) for n in row])
        if not torch.equal(batch["position_ids"][r], expected):
            return True
    return False


def test_attends_across_examples_check_accepts_a_tensor_comparison(capsys):
    assert_accepts(check_attends_across_examples, leaks_by_rows, capsys)


def only_mask(batch, lengths):  # forgets that missing or running-on position ids also leak
    return "attention_mask" in batch and any(len(row) > 1 for row in lengths)


def any_mask(batch, lengths):  # a mask always means a leak, even for one example per row
    return "attention_mask" in batch or any(
        batch.get("position_ids", torch.zeros(1, 1))[r].tolist() != list(range(sum(row)))
        for r, row in enumerate(lengths) if len(row) > 1)


def first_row_only(batch, lengths):
    return leaks_by_rows(batch, lengths[:1])


def no_positions_is_safe(batch, lengths):
    return "position_ids" in batch and leaks_by_rows(batch, lengths)


@pytest.mark.parametrize("wrong, hint", [
    (only_mask, "the reference returns True"),
    (any_mask, "A row holding a single example cannot leak"),
    (first_row_only, "not only the first"),
    (no_positions_is_safe, "Without position ids"),
    (lambda batch, lengths: int(leaks_by_rows(batch, lengths)), "real bool"),
])
def test_attends_across_examples_check_rejects(wrong, hint, capsys):
    assert_rejects(check_attends_across_examples, wrong, hint, capsys)
