"""Packing SFT examples: several examples in one row, no padding, each example attending only to itself.

Lab 01 packs pretraining documents by concatenating them and cutting the stream into blocks; there a token may
attend to the end of the previous document, and nobody minds. In SFT each example is a separate conversation, and
three ways of batching them differ in what a token can see:

- padding (`utils.batching.pad_batch`): one example per row, padded to the longest; clean, but pad positions cost
  compute;
- naive concatenation (`concatenate_naively`): examples end to end in one row, position ids running on, causal
  attention over the whole row: every token also attends to the examples before it (the leak);
- padding-free (`flatten_batch`, `pack_examples`): examples end to end, position ids restarting at 0 for each one and
  **no attention mask**. Given reset position ids and no mask, transformers builds a block-diagonal causal mask
  (`masking_utils.find_packed_sequence_indices`) for the sdpa and eager attention of the CPU as well; flash-attention
  kernels on a GPU read the same boundaries and skip the masked blocks instead of computing them.

`flatten_batch` is what transformers' `DataCollatorWithFlattening` and TRL's padding-free collator
(`DataCollatorForLanguageModeling(padding_free=True)`) return for the keys they share; `pack_examples` is TRL's
best-fit-decreasing packing (`packing=True`, `packing_strategy="bfd"`) of examples into rows of at most `max_length`
tokens. Lab 11 builds both in drafts and proves they equal the libraries'.
"""
from __future__ import annotations

from collections import deque
from typing import Mapping, Sequence

import torch

from .batching import IGNORE_INDEX


def _check(examples: Sequence[Mapping]) -> None:
    if not examples:
        raise ValueError("Got an empty list of examples: nothing to pack.")
    for i, example in enumerate(examples):
        if "input_ids" not in example or len(example["input_ids"]) == 0:
            raise ValueError(f"Example {i} has no input_ids: tokenise it first (and drop empty examples).")
        if "labels" in example and len(example["labels"]) != len(example["input_ids"]):
            raise ValueError(f"Example {i} has {len(example['input_ids'])} input_ids but {len(example['labels'])} "
                             "labels: they must have one label per token.")


def flatten_batch(examples: Sequence[Mapping]) -> dict[str, torch.Tensor]:
    """The padding-free collator: all examples of a batch in one row of shape (1, total tokens).

    - `position_ids` restart at 0 at the start of every example: that is how the model tells examples apart;
    - no `attention_mask` (a 2-D mask would make transformers ignore the position ids and attend across examples);
    - the first label of every example is -100: it would be predicted from the *previous* example's last token.
    Examples without `labels` are trained on every token.
    """
    _check(examples)
    input_ids, labels, position_ids = [], [], []
    for example in examples:
        ids = [int(t) for t in example["input_ids"]]
        example_labels = [int(t) for t in example.get("labels", ids)]
        input_ids += ids
        labels += [IGNORE_INDEX] + example_labels[1:]  # never predict across the boundary
        position_ids += range(len(ids))
    return {"input_ids": torch.tensor([input_ids]), "labels": torch.tensor([labels]),
            "position_ids": torch.tensor([position_ids])}


def concatenate_naively(examples: Sequence[Mapping]) -> dict[str, torch.Tensor]:
    """Examples end to end in one row as in pretraining: positions run on and the attention mask is all ones, so
    each token also attends to every earlier example. For comparison only: this is the leak `flatten_batch` avoids."""
    batch = flatten_batch(examples)
    batch["position_ids"] = torch.arange(batch["input_ids"].shape[1])[None]
    batch["attention_mask"] = torch.ones_like(batch["input_ids"])
    return batch


def pack_examples(examples: Sequence[Mapping], max_length: int) -> list[dict]:
    """Pack examples into rows of at most `max_length` tokens by best-fit decreasing (TRL's `bfd` strategy).

    Longest examples first; each goes into the row whose free space fits it most tightly (among equally tight rows,
    the one that reached that free space first), or opens a new row. Returns rows `{input_ids, labels,
    position_ids, seq_lengths}`, position ids restarting at 0 for each example. An example longer than
    `max_length` raises a ValueError (truncate it on purpose first, checking its loss mask survives).
    """
    _check(examples)
    if max_length < 1:
        raise ValueError(f"max_length must be a positive number of tokens, not {max_length}.")
    lengths = [len(example["input_ids"]) for example in examples]
    too_long = [i for i, n in enumerate(lengths) if n > max_length]
    if too_long:
        raise ValueError(f"{len(too_long)} example(s) are longer than max_length={max_length} (example "
                         f"{too_long[0]} has {lengths[too_long[0]]} tokens): truncate them first or raise max_length.")
    order = sorted(range(len(examples)), key=lambda i: -lengths[i])  # stable: equal lengths keep their order
    rows: list[list[int]] = []
    rows_by_space: dict[int, deque] = {}  # free space -> rows with that much space, in the order they got it
    for i in order:
        fitting = [space for space, waiting in rows_by_space.items() if space >= lengths[i] and waiting]
        if fitting:
            space = min(fitting)
            row = rows_by_space[space].popleft()
        else:
            space, row = max_length, len(rows)
            rows.append([])
        rows[row].append(i)
        if space - lengths[i] > 0:
            rows_by_space.setdefault(space - lengths[i], deque()).append(row)
    packed = []
    for row in rows:
        members = [examples[i] for i in row]
        flat = flatten_batch(members)
        packed.append({"input_ids": [int(t) for ex in members for t in ex["input_ids"]],
                       "labels": flat["labels"][0].tolist(),
                       "position_ids": flat["position_ids"][0].tolist(),
                       "seq_lengths": [len(ex["input_ids"]) for ex in members]})
    return packed


def flatten_packed_rows(rows: Sequence[Mapping]) -> dict[str, torch.Tensor]:
    """Collate rows made by `pack_examples` into one padding-free row (as TRL does with `packing=True`)."""
    if not rows:
        raise ValueError("Got an empty list of rows.")
    return {"input_ids": torch.tensor([[t for row in rows for t in row["input_ids"]]]),
            "labels": torch.tensor([[t for row in rows for t in row["labels"]]]),
            "position_ids": torch.tensor([[t for row in rows for t in row["position_ids"]]])}


def example_ids_of(position_ids: torch.Tensor) -> torch.Tensor:
    """Which example each position belongs to (0, 0, 0, 1, 1, ...), read from position ids that restart at 0."""
    return (position_ids == 0).long().cumsum(-1) - 1


def block_diagonal_mask(position_ids: torch.Tensor) -> torch.Tensor:
    """The attention a padding-free row should get, as a boolean (rows, tokens, tokens) matrix: token i may
    attend to token j if j <= i and both belong to the same example. (For showing and checking; transformers builds
    the same mask itself from the position ids.)"""
    example = example_ids_of(position_ids)
    n = position_ids.shape[-1]
    causal = torch.ones(n, n, dtype=torch.bool).tril()
    return causal & (example[..., :, None] == example[..., None, :])
