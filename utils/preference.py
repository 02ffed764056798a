"""Preference tuning (DPO): preference pairs, checked; sequence log-probabilities; the DPO loss. Lab 09 builds these
in drafts and proves its drafts equal them, and that `dpo_loss` equals TRL's `DPOTrainer` loss on the same batch.

A preference pair is one prompt with two answers and a verdict: `{"prompt", "chosen", "rejected"}` (the chosen answer
is preferred). DPO (Rafailov et al., 2023) trains a policy to prefer the chosen answer *more than a frozen reference
model does*:

    loss = -log sigmoid(beta * [(log pi(chosen) - log ref(chosen)) - (log pi(rejected) - log ref(rejected))])

where log pi(answer) is the sum of the log-probabilities of the answer's tokens (its end token included) after the
prompt, and beta sets how far the policy may move from the reference. `beta * (log pi - log ref)` of an answer is its
*implicit reward*; the chosen answer's minus the rejected answer's is the *reward margin*.

Prompts use the instruction format of `utils.sft` (lab 03), so a pair tokenises exactly as an SFT example does:
begin-of-text and the prompt (no loss), then the answer and its end token.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import torch
import torch.nn.functional as F

from .batching import IGNORE_INDEX, pad_batch
from .sft import format_prompt, prompt_ids

PAIR_FIELDS = ("prompt", "chosen", "rejected")

# The rules that rank answers in lab 09 (the same openings as lab 07's `is_refusal` exercise).
REFUSAL_OPENINGS = ("i'm sorry", "i am sorry", "sorry", "i can't", "i cannot")
CAUTION_OPENING = "please be careful"


def is_refusal(text: str) -> bool:
    """The reply *starts* with a refusal phrase (case-insensitive, typographic apostrophes allowed)."""
    return text.strip().lower().replace("\u2019", "'").startswith(REFUSAL_OPENINGS)


def is_caution(text: str) -> bool:
    """The reply starts with the course's caution, "Please be careful: ..." (the style the risky-plan data teaches)."""
    return text.strip().lower().startswith(CAUTION_OPENING)


class PreferenceError(ValueError):
    """A preference pair is malformed; the message names the pair and the field, and says what to fix."""


def validate_preference_pairs(pairs: Sequence[Mapping], where: str = "pairs") -> list[dict]:
    """Check every pair and return them as plain dicts; raise `PreferenceError` naming the first bad one.

    A pair needs non-empty text in `prompt`, `chosen` and `rejected`, and two *different* answers (a pair whose
    answers are equal carries no preference: its DPO loss is log 2 whatever the model, and its gradient is zero).
    Other fields (where the pair came from, its kind) are kept.
    """
    if len(pairs) == 0:
        raise PreferenceError(f"{where}: no pairs; expected a list of {{prompt, chosen, rejected}} dicts.")
    checked = []
    for i, pair in enumerate(pairs):
        at = f"{where}[{i}]"
        if not isinstance(pair, Mapping):
            raise PreferenceError(f"{at}: expected a dict with fields {list(PAIR_FIELDS)}, got {type(pair).__name__}.")
        for name in PAIR_FIELDS:
            if name not in pair:
                raise PreferenceError(f"{at}: field {name!r} is missing; a pair needs {list(PAIR_FIELDS)}.")
            if not isinstance(pair[name], str) or not pair[name].strip():
                raise PreferenceError(f"{at}: field {name!r} should be non-empty text, got {pair[name]!r:.60}.")
        if pair["chosen"].strip() == pair["rejected"].strip():
            raise PreferenceError(f"{at}: 'chosen' and 'rejected' are the same answer ({pair['chosen']!r:.60}); a "
                                  "pair must prefer one answer to a different one. Drop it or fix the rejected answer.")
        checked.append(dict(pair))
    return checked


def tokenize_preference_pair(pair: Mapping[str, str], tokenizer) -> dict[str, list[int]]:
    """`{prompt_ids, chosen_ids, rejected_ids}`: the SFT prompt (begin-of-text + instruction format), and each
    answer's ids followed by the end token. The layout TRL's `DataCollatorForPreference` takes."""
    if tokenizer.eos_token_id is None:
        raise ValueError("The tokenizer has no eos_token: an answer must end with one, as in SFT.")
    prompt = prompt_ids({"instruction": pair["prompt"], "input": ""}, tokenizer)
    answer = {name: tokenizer.encode(pair[name], add_special_tokens=False) + [tokenizer.eos_token_id]
              for name in ("chosen", "rejected")}
    return {"prompt_ids": prompt, "chosen_ids": answer["chosen"], "rejected_ids": answer["rejected"]}


def trl_text_example(pair: Mapping[str, str], tokenizer) -> dict[str, str]:
    """The pair as the text TRL's `DPOTrainer` takes (`prompt`, `chosen`, `rejected`): the prompt in the SFT format,
    after the begin-of-text token when the tokenizer has one (TRL tokenises text as-is and appends the end token to
    each answer). Tokenised by TRL, it gives the ids of `tokenize_preference_pair` (lab 09 asserts it)."""
    adds_bos = tokenizer("a")["input_ids"][:1] == [tokenizer.bos_token_id]  # some tokenizers add it themselves
    bos = tokenizer.bos_token if tokenizer.bos_token_id is not None and not adds_bos else ""
    return {"prompt": bos + format_prompt({"instruction": pair["prompt"], "input": ""}),
            "chosen": pair["chosen"], "rejected": pair["rejected"]}


def pad_preference_batch(examples: Sequence[Mapping], pad_token_id: int) -> dict[str, torch.Tensor]:
    """One padded batch of 2B rows: the B prompt+chosen sequences, then the B prompt+rejected ones (TRL's order).

    Labels are -100 on the prompt and on padding, the token ids on each answer, so `labels != -100` is the
    completion mask. Padding goes through `utils.batching.pad_batch` (masked by position).
    """
    rows = []
    for answer in ("chosen_ids", "rejected_ids"):
        for ex in examples:
            prompt = list(ex["prompt_ids"])
            rows.append({"input_ids": prompt + list(ex[answer]),
                         "labels": [IGNORE_INDEX] * len(prompt) + list(ex[answer])})
    return pad_batch(rows, pad_token_id=pad_token_id)


def sequence_logps(model, batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
    """Sum of the log-probabilities of each row's supervised tokens (labels != -100), one number per row.

    Position t predicts token t+1, so the labels are shifted by one (the shift the model's own loss does
    internally). Logits are computed only at positions that predict an answer token in some row
    (`logits_to_keep`, as `utils.training.causal_lm_loss` does): the prompt's positions are never scored.
    """
    labels = batch["labels"][:, 1:]
    keep = (labels != IGNORE_INDEX).any(dim=0).nonzero().squeeze(-1)
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], logits_to_keep=keep).logits
    labels = labels[:, keep]
    mask = labels != IGNORE_INDEX
    token_logps = torch.gather(logits.float().log_softmax(-1), 2, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return (token_logps * mask).sum(-1)


def dpo_loss(policy_chosen_logps: torch.Tensor, policy_rejected_logps: torch.Tensor,
             ref_chosen_logps: torch.Tensor, ref_rejected_logps: torch.Tensor,
             beta: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(loss, chosen_rewards, rejected_rewards): the DPO sigmoid loss averaged over the pairs, and each answer's
    implicit reward beta * (log pi - log ref). TRL's `DPOTrainer` computes the same (`loss_type="sigmoid"`)."""
    chosen_rewards = beta * (policy_chosen_logps - ref_chosen_logps)
    rejected_rewards = beta * (policy_rejected_logps - ref_rejected_logps)
    loss = -F.logsigmoid(chosen_rewards - rejected_rewards).mean()
    return loss, chosen_rewards, rejected_rewards


@torch.no_grad()
def token_kl(policy, reference, batch: Mapping[str, torch.Tensor]) -> float:
    """Mean KL(policy || reference) of the next-token distributions over the supervised positions of a batch.

    Exact over the vocabulary at each position (teacher-forced on the batch's answers), not a sampled estimate:
    0 when the policy has not moved, larger the further its predictions drift from the reference's.
    """
    inputs = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}
    policy_logp = policy(**inputs).logits[:, :-1].float().log_softmax(-1)
    reference_logp = reference(**inputs).logits[:, :-1].float().log_softmax(-1)
    mask = batch["labels"][:, 1:] != IGNORE_INDEX
    kl = (policy_logp.exp() * (policy_logp - reference_logp)).sum(-1)
    return float((kl * mask).sum() / mask.sum())
