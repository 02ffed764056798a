"""Scoring models: classification metrics, and batched generation for text answers."""
from __future__ import annotations

from typing import Sequence

import torch
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

from .batching import pad_batch


def classification_report(y_true: Sequence, y_pred: Sequence, labels: Sequence) -> dict:
    """Accuracy, macro-F1 (every class counts equally, whatever its size) and the confusion matrix.

    Rows of the confusion matrix are true labels, columns predicted labels, both in the order of `labels`.
    """
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} items but y_pred has {len(y_pred)}.")
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=list(labels), average="macro", zero_division=0)),
        "confusion": confusion_matrix(y_true, y_pred, labels=list(labels)),
    }


@torch.no_grad()
def predict_classes(model, tokenizer, texts: Sequence[str], batch_size: int = 64, max_length: int = 128) -> list[int]:
    """Class ids predicted by a sequence-classification model for each text."""
    model.eval()
    device = next(model.parameters()).device
    predictions = []
    for start in range(0, len(texts), batch_size):
        batch = tokenizer(list(texts[start : start + batch_size]), padding=True, truncation=True,
                          max_length=max_length, return_tensors="pt").to(device)
        predictions += model(**batch).logits.argmax(-1).tolist()
    return predictions


@torch.no_grad()
def generate_batch(model, tokenizer, prompts: Sequence[str] | Sequence[list[int]], max_new_tokens: int = 32,
                   batch_size: int = 32, stop_token_ids: Sequence[int] | None = None, return_stopped: bool = False,
                   **generate_kwargs) -> list[str] | list[tuple[str, bool]]:
    """Greedy (by default) continuations of many prompts, decoded without the prompt and without special tokens.

    Prompts are text (tokenised as-is: add special tokens yourself) or lists of token ids. Batches are left-padded
    so every prompt ends right where generation starts. With `return_stopped`, each item is (text, stopped):
    whether the model wrote one of the stop tokens within `max_new_tokens`.
    """
    model.eval()
    device = next(model.parameters()).device
    stop_token_ids = list(stop_token_ids) if stop_token_ids is not None else model.generation_config.eos_token_id
    pad_id = require_pad_token(tokenizer)
    generate_kwargs.setdefault("do_sample", False)
    outputs = []
    for start in range(0, len(prompts), batch_size):
        chunk = list(prompts[start : start + batch_size])
        ids = [tokenizer.encode(p, add_special_tokens=False) if isinstance(p, str) else list(p) for p in chunk]
        batch = left_padded(ids, pad_id, device)
        generated = model.generate(**batch, max_new_tokens=max_new_tokens, eos_token_id=stop_token_ids,
                                   pad_token_id=pad_id, **generate_kwargs)
        new_tokens = generated[:, batch["input_ids"].shape[1]:]
        texts = tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
        if return_stopped:
            stops = set([stop_token_ids] if isinstance(stop_token_ids, int) else stop_token_ids or [])
            texts = [(text, any(t in stops for t in row)) for text, row in zip(texts, new_tokens.tolist())]
        outputs += texts
    return outputs


def require_pad_token(tokenizer) -> int:
    """The tokenizer's pad id, or a clear error: batched generation pads, and guessing a pad (the end token) is
    the classic trap. `utils.profiles.load_decoder` gives every decoder a distinct pad token."""
    if tokenizer.pad_token_id is None:
        raise ValueError("The tokenizer has no pad token, so prompts cannot be batched: call "
                         "utils.profiles.ensure_pad_token(tokenizer, model) first (it adds a distinct <|pad|>).")
    return tokenizer.pad_token_id


def left_padded(prompts: Sequence[Sequence[int]], pad_token_id: int, device=None) -> dict[str, torch.Tensor]:
    """Prompts (token ids) as one left-padded batch for `generate`: every prompt ends where generation starts."""
    batch = pad_batch([{"input_ids": list(p)} for p in prompts], pad_token_id, padding_side="left")
    return {key: value.to(device) for key, value in batch.items()} if device is not None else batch


def exact_match(predictions: Sequence[str], references: Sequence[str]) -> float:
    """Share of predictions equal to their reference after trimming spaces and ignoring case."""
    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions but {len(references)} references.")
    if not references:
        raise ValueError("exact_match needs at least one reference.")
    hits = sum(p.strip().lower() == r.strip().lower() for p, r in zip(predictions, references))
    return hits / len(references)
