"""A small, readable training loop for every lab (causal LM and classification alike).

Why our own loop and not `transformers.Trainer`? Because seeing every step is the lesson: batch -> forward ->
loss -> backward -> clip -> optimizer step -> schedule. The loop still uses what practitioners use:
- `accelerate.Accelerator` places model and data on the device, handles bf16 mixed precision and gradient
  accumulation, and makes the very same code run data-parallel under `accelerate launch` on several GPUs;
- Hugging Face models compute their own loss when given `labels` (-100 = ignored), so one loop serves causal-LM
  SFT (per-token labels) and sequence classification (one label per example). For a causal LM the loop asks for
  logits only where a label needs them (`causal_lm_loss`): the same loss, for a fraction of the output layer's work.
Lab 02 also shows `Trainer`, which wraps the same steps, since that is what you will meet in practice.
"""
from __future__ import annotations

import math
import os
import random
import time
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from accelerate import Accelerator
from torch.utils.data import DataLoader
from tqdm.auto import tqdm
from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

from .batching import IGNORE_INDEX, pad_batch
from .device import mixed_precision_for, pick_device
from .seeding import set_seed


def max_steps_override() -> int | None:
    """The step cap set by the environment variable ITL_MAX_STEPS (for smoke runs), or None."""
    value = os.environ.get("ITL_MAX_STEPS", "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"ITL_MAX_STEPS must be a positive whole number of optimizer steps, not {value!r}.")
    return int(value)


def capped_steps(max_steps: int) -> int:
    """`max_steps`, or fewer if ITL_MAX_STEPS caps it (and then says so). Every training run goes through this:
    `train` calls it, and so does code that hands a step count to `Trainer` or TRL."""
    cap = max_steps_override()
    if cap is None or cap >= max_steps:
        return max_steps
    print(f"ITL_MAX_STEPS={cap}: training {cap} of {max_steps} optimizer steps (a smoke run; results will not "
          "mean much).")
    return cap


@dataclass
class TrainConfig:
    max_steps: int = 200  # optimizer steps
    batch_size: int = 16  # examples per forward pass (per process)
    grad_accum_steps: int = 1  # forward passes per optimizer step
    lr: float = 1e-3
    weight_decay: float = 0.0
    warmup_steps: int = 10  # linear warm-up, then cosine decay to 10 % of lr
    max_grad_norm: float = 1.0  # gradient clipping
    eval_every: int = 50  # optimizer steps between evaluations (0 = only at the end)
    max_eval_batches: int | None = None  # cap evaluation cost; None = whole eval set
    group_by_length: bool = True  # batch similar lengths together: less padding, same data
    seed: int = 0
    progress: bool = True


@dataclass
class TrainResult:
    steps: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    eval_steps: list[int] = field(default_factory=list)
    eval_loss: list[float] = field(default_factory=list)
    select_steps: list[int] = field(default_factory=list)  # where `select_by` scored the model (train(select_by=))
    select_scores: list[float] = field(default_factory=list)
    best_step: int | None = None  # the step whose weights the model holds at the end, when `select_by` was given
    seconds: float = 0.0
    tokens_seen: int = 0
    padding_fraction: float = 0.0
    device: str = ""

    @property
    def tokens_per_second(self) -> float:
        return self.tokens_seen / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        last_eval = f", eval loss {self.eval_loss[-1]:.3f}" if self.eval_loss else ""
        return (
            f"{self.steps[-1] if self.steps else 0} steps in {self.seconds:.1f} s on {self.device} "
            f"({self.tokens_per_second:,.0f} tokens/s, {self.padding_fraction:.0%} padding); "
            f"train loss {self.train_loss[0]:.3f} -> {self.train_loss[-1]:.3f}{last_eval}"
        )


def length_grouped_batches(lengths: Sequence[int], batch_size: int, seed: int) -> list[list[int]]:
    """Shuffle, then sort by length inside chunks of 50 batches, so each batch holds similar lengths.

    The order of batches is shuffled again, so training still sees the data in random order.
    """
    rng = random.Random(seed)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    chunk = 50 * batch_size
    batches = []
    for start in range(0, len(order), chunk):
        part = sorted(order[start : start + chunk], key=lambda i: lengths[i], reverse=True)
        batches += [part[i : i + batch_size] for i in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return batches


def make_loader(data: Sequence[dict], batch_size: int, collate_fn: Callable, shuffle: bool, group_by_length: bool, seed: int) -> DataLoader:
    if group_by_length and shuffle:
        lengths = [len(ex["input_ids"]) for ex in data]
        return DataLoader(data, batch_sampler=length_grouped_batches(lengths, batch_size, seed), collate_fn=collate_fn)
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(data, batch_size=batch_size, shuffle=shuffle, collate_fn=collate_fn, generator=generator)


def _lr_lambda(step: int, warmup: int, total: int) -> float:
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def is_causal_lm(model: torch.nn.Module) -> bool:
    """Whether `model` (or the model inside a PEFT wrapper) is a Hugging Face causal language model."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return type(base).__name__ in set(MODEL_FOR_CAUSAL_LM_MAPPING_NAMES.values())


def causal_lm_loss(model, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """The loss `model(**batch).loss` computes for a causal LM, with logits only at the positions that need them.

    Position t predicts token t + 1, and only targets with a label (not -100) count. With the prompt masked, most
    positions have no label, yet the library's forward turns every position into a vocabulary-sized row of logits;
    for a small model that output layer and its softmax are about half the work of a training step. So we ask the
    model for logits only at the positions that predict a labelled token in at least one row of the batch
    (`logits_to_keep`, the argument `generate` uses to compute only the last position), and take the mean
    cross-entropy over the labelled targets ourselves. Loss and gradients equal the library's up to float rounding
    (tests/test_utils_core.py checks both).
    """
    if "labels" not in batch or batch["labels"].ndim != 2:
        raise ValueError("causal_lm_loss needs per-token `labels` (batch × sequence, -100 where no loss), as "
                         "utils.batching.pad_batch builds them.")
    targets = batch["labels"][:, 1:]
    keep = (targets != IGNORE_INDEX).any(dim=0).nonzero().squeeze(-1)
    inputs = {name: value for name, value in batch.items() if name != "labels"}
    logits = model(**inputs, logits_to_keep=keep).logits
    return F.cross_entropy(logits.flatten(0, 1).float(), targets[:, keep].flatten(), ignore_index=IGNORE_INDEX)


def library_loss(model, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """The loss the model computes itself from `batch["labels"]`."""
    return model(**batch).loss


def loss_function_for(model: torch.nn.Module) -> Callable:
    """`causal_lm_loss` for a causal LM, otherwise the model's own loss (classification, masked LM)."""
    return causal_lm_loss if is_causal_lm(model) else library_loss


@torch.no_grad()
def evaluate_loss(model, loader, accelerator: Accelerator, max_batches: int | None = None,
                  loss_fn: Callable | None = None) -> float:
    """Mean loss over (up to `max_batches` of) a loader, averaged over all processes."""
    loss_fn = loss_fn or loss_function_for(accelerator.unwrap_model(model))
    model.eval()
    losses = []
    for i, batch in enumerate(loader):
        if max_batches is not None and i >= max_batches:
            break
        losses.append(loss_fn(model, batch).detach().reshape(1))
    model.train()
    if not losses:
        raise ValueError("The evaluation set is empty: pass eval_data with at least one example.")
    return accelerator.gather(torch.cat(losses)).mean().item()


def train(model, train_data: Sequence[dict], config: TrainConfig, eval_data: Sequence[dict] | None = None,
          pad_token_id: int = 0, collate_fn: Callable | None = None,
          select_by: Callable[[torch.nn.Module], float] | None = None) -> TrainResult:
    """Train `model` for `config.max_steps` optimizer steps; return the loss history and timing.

    `train_data` / `eval_data` are lists (or datasets) of tokenised examples: dicts with `input_ids` and
    `labels` (and optionally `attention_mask`). Batches are padded with `pad_batch` unless `collate_fn` is given.
    The loss history is returned for plotting with `utils.plotting.plot_loss`.

    `select_by(model) -> score` (higher is better, e.g. validation macro-F1) is early stopping as `Trainer`'s
    `load_best_model_at_end` does it: the model is scored every `config.eval_every` steps and at the end, and
    finishes holding the weights of its best-scoring step (`result.best_step`).
    """
    if len(train_data) == 0:
        raise ValueError("train_data is empty: nothing to train on.")
    config = replace(config, max_steps=capped_steps(config.max_steps))
    set_seed(config.seed)
    device = pick_device()
    accelerator = Accelerator(
        mixed_precision=mixed_precision_for(device),
        gradient_accumulation_steps=config.grad_accum_steps,
        cpu=device.type == "cpu",
    )
    collate_fn = collate_fn or partial(pad_batch, pad_token_id=pad_token_id)
    loss_fn = loss_function_for(model)
    train_loader = make_loader(train_data, config.batch_size, collate_fn, True, config.group_by_length, config.seed)
    eval_loader = None
    if eval_data is not None:
        eval_loader = make_loader(eval_data, config.batch_size, collate_fn, False, False, config.seed)
    no_decay = [p for n, p in model.named_parameters() if p.requires_grad and (p.ndim < 2 or "norm" in n)]
    decay = [p for n, p in model.named_parameters() if p.requires_grad and not (p.ndim < 2 or "norm" in n)]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=config.lr,
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, partial(_lr_lambda, warmup=config.warmup_steps, total=config.max_steps)
    )
    model, optimizer, train_loader, scheduler = accelerator.prepare(model, optimizer, train_loader, scheduler)
    if eval_loader is not None:
        eval_loader = accelerator.prepare(eval_loader)

    result = TrainResult(device=str(accelerator.device))
    model.train()
    step, running, n_forward, real_tokens, all_positions = 0, 0.0, 0, 0, 0
    best = None  # (score, step, weights) of the best step so far, with select_by
    # At most one progress update a second: each update of a notebook progress bar is a message to the frontend,
    # and a flood of them during a long cell can overwhelm a headless runner (nbval).
    bar = tqdm(total=config.max_steps, desc="training", mininterval=1.0,
               disable=not (config.progress and accelerator.is_main_process))
    start = time.perf_counter()
    while step < config.max_steps:
        for batch in train_loader:
            with accelerator.accumulate(model):
                loss = loss_fn(model, batch)
                accelerator.backward(loss)
                if accelerator.sync_gradients:
                    accelerator.clip_grad_norm_(model.parameters(), config.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
            running += loss.detach().item()
            n_forward += 1
            real_tokens += int(batch["attention_mask"].sum())
            all_positions += batch["attention_mask"].numel()
            if not accelerator.sync_gradients:
                continue
            step += 1
            result.steps.append(step)
            result.train_loss.append(running / n_forward)
            running, n_forward = 0.0, 0
            bar.update(1)
            bar.set_postfix(loss=f"{result.train_loss[-1]:.3f}", refresh=False)
            is_last = step == config.max_steps
            at_eval = bool(config.eval_every and step % config.eval_every == 0) or is_last
            if eval_loader is not None and at_eval:
                result.eval_steps.append(step)
                eval_loss = evaluate_loss(model, eval_loader, accelerator, config.max_eval_batches, loss_fn)
                result.eval_loss.append(eval_loss)
            if select_by is not None and at_eval:
                score = float(select_by(model))
                model.train()
                result.select_steps.append(step)
                result.select_scores.append(score)
                if best is None or score > best[0]:
                    weights = accelerator.unwrap_model(model).state_dict()
                    best = (score, step, {name: value.detach().clone() for name, value in weights.items()})
            if is_last:
                break
    bar.close()
    if best is not None:
        accelerator.unwrap_model(model).load_state_dict(best[2])
        result.best_step = best[1]
    result.seconds = time.perf_counter() - start
    result.tokens_seen = real_tokens * accelerator.num_processes
    result.padding_fraction = 1.0 - real_tokens / max(1, all_positions)
    accelerator.wait_for_everyone()
    # No unwrapping needed: `prepare` moved the caller's model in place (and under DDP only wrapped it), so the
    # object the caller passed in holds the trained weights.
    return result
