"""Turning examples of different lengths into one padded batch.

Lab 03 builds this function in drafts; this is the final version the other labs import. Two rules matter:
- padding positions get attention_mask 0 and label -100 (ignored by the loss), decided by *position* from the
  attention mask, never by comparing token ids with the pad id: if pad == eos, masking by id would also hide every
  real end-of-sequence token and the model would never learn to stop;
- classification labels (one int per example) are stacked, not padded.
"""
from __future__ import annotations

from typing import Iterable, Mapping, Sequence

import torch

IGNORE_INDEX = -100  # PyTorch's cross_entropy ignores targets with this value


def pad_batch(examples: Sequence[Mapping], pad_token_id: int, padding_side: str = "right") -> dict[str, torch.Tensor]:
    """Pad `input_ids` (and `labels`, when they are per-token) of a list of examples into tensors.

    Each example has `input_ids` (list of ints), optionally `attention_mask` and `labels` (a list of per-token
    labels for language modelling, or one int for classification).
    """
    if not examples:
        raise ValueError("pad_batch got an empty list of examples.")
    if padding_side not in ("right", "left"):
        raise ValueError(f"padding_side must be 'right' or 'left', not {padding_side!r}.")
    longest = max(len(ex["input_ids"]) for ex in examples)
    has_labels = "labels" in examples[0]
    per_token_labels = has_labels and isinstance(examples[0]["labels"], (list, tuple, torch.Tensor))

    def pad(values: Iterable[int], fill: int) -> list[int]:
        values = list(values)
        padding = [fill] * (longest - len(values))
        return values + padding if padding_side == "right" else padding + values

    batch = {
        "input_ids": torch.tensor([pad(ex["input_ids"], pad_token_id) for ex in examples]),
        "attention_mask": torch.tensor(
            [pad(ex.get("attention_mask", [1] * len(ex["input_ids"])), 0) for ex in examples]
        ),
    }
    if per_token_labels:
        labels = torch.tensor([pad(ex["labels"], IGNORE_INDEX) for ex in examples])
        labels[batch["attention_mask"] == 0] = IGNORE_INDEX  # padding never carries loss, whatever its id
        batch["labels"] = labels
    elif has_labels:
        batch["labels"] = torch.tensor([int(ex["labels"]) for ex in examples])
    return batch


def padding_fraction(batch: Mapping[str, torch.Tensor]) -> float:
    """Share of positions in a batch that are padding (wasted compute)."""
    mask = batch["attention_mask"]
    return 1.0 - mask.sum().item() / mask.numel()
