"""Checks for labs/01_pretraining.ipynb.

The checks build their own test inputs: a small randomly initialised Llama decoder (so they need no file from
`models/`) and random token ids, and compare the student's answer with a reference computed here.
"""
from __future__ import annotations

import math

import torch

from ..checks import attempt, report

IGNORE_INDEX = -100


# ---------------------------------------------------------------------------------------------------------------
# Exercise 1.1: inputs and next-token targets
# ---------------------------------------------------------------------------------------------------------------
def check_next_token_targets(next_token_targets) -> bool:
    """`next_token_targets(ids) -> (inputs, targets)`: inputs = ids[:-1], targets = ids[1:]."""
    name = "next_token_targets"
    ids = [1, 57, 902, 14, 14, 3, 2]  # a repeated token, so "shifted by one" is not guessable from values alone
    ok, answer = attempt(name, next_token_targets, list(ids))
    if not ok:
        return False
    if not (isinstance(answer, tuple) and len(answer) == 2):
        return report(name, False, f"Return a tuple (inputs, targets) of two lists, got {type(answer).__name__}.")
    try:
        inputs, targets = (list(map(int, x)) for x in answer)
    except (TypeError, ValueError):
        return report(name, False, f"inputs and targets should be lists of token ids, got {answer!r}.")
    expected_inputs, expected_targets = ids[:-1], ids[1:]
    if inputs == ids and targets == ids:
        return report(name, False, "You returned the sequence twice, unshifted: position i must be trained to "
                                   "predict token i + 1, so targets start at the second token.")
    if inputs == ids[1:] and targets == ids[:-1]:
        return report(name, False, "The shift goes the wrong way: the inputs are the first n-1 tokens and each "
                                   "target is the token that *follows* its input.")
    if len(inputs) != len(targets):
        return report(name, False, f"inputs and targets must have the same length (got {len(inputs)} and "
                                   f"{len(targets)}): drop the last token from the inputs, the first from the targets.")
    if targets == expected_targets and inputs != expected_inputs:
        return report(name, False, "The targets are right; the inputs should be every token but the last (nothing "
                                   "follows the last token, so it is never an input with a target).")
    if inputs == expected_inputs and targets != expected_targets:
        return report(name, False, "The inputs are right; the targets should be every token but the first.")
    ok = inputs == expected_inputs and targets == expected_targets
    # and a second case, to catch answers written for one length only
    if ok:
        _, other = attempt(name, next_token_targets, [5, 6])
        try:
            ok = other is not None and [list(map(int, x)) for x in other] == [[5], [6]]
        except (TypeError, ValueError):
            ok = False
    return report(name, ok, f"For ids={ids} expected inputs={expected_inputs} and targets={expected_targets}; "
                            f"got {answer!r}.")


# ---------------------------------------------------------------------------------------------------------------
# Exercise 1.2: the log-probability of a sequence
# ---------------------------------------------------------------------------------------------------------------
def small_random_decoder(vocab_size: int = 96, seed: int = 0):
    """A 2-layer Llama with random weights: enough to check arithmetic on log-probabilities."""
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=64,
                         bos_token_id=1, eos_token_id=2, pad_token_id=0)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config).eval()
    with torch.no_grad():  # larger logits than the default init, so mistakes change the answer visibly
        model.lm_head.weight.mul_(30.0)
    return model


@torch.no_grad()
def _reference_log_prob(model, ids: torch.Tensor) -> tuple[float, dict[str, float]]:
    logits = model(input_ids=ids[None]).logits[0].double()
    log_probs = torch.log_softmax(logits, dim=-1)
    right = log_probs[:-1].gather(-1, ids[1:, None]).sum().item()
    n = len(ids) - 1
    mistakes = {
        "mean": right / n,
        "unshifted": log_probs.gather(-1, ids[:, None]).sum().item(),
        "logits": logits[:-1].gather(-1, ids[1:, None]).sum().item(),
        "probs": log_probs[:-1].exp().gather(-1, ids[1:, None]).sum().item(),
        "product": math.exp(right),
    }
    return right, mistakes


def check_sequence_log_prob(sequence_log_prob) -> bool:
    """`sequence_log_prob(model, input_ids) -> float`: sum over i >= 1 of log P(t_i | t_<i)."""
    name = "sequence_log_prob"
    model = small_random_decoder()
    generator = torch.Generator().manual_seed(1)
    ids = torch.cat([torch.tensor([1]), torch.randint(3, 96, (11,), generator=generator)])
    expected, mistakes = _reference_log_prob(model, ids)
    ok, answer = attempt(name, sequence_log_prob, model, ids.clone())
    if not ok:
        return False
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return report(name, False, f"Return one number (a Python float), got {type(answer).__name__}.")

    def close(x: float) -> bool:
        return math.isclose(value, x, rel_tol=1e-4, abs_tol=1e-4)

    if close(expected):
        _, again = attempt(name, sequence_log_prob, model, ids[:4].clone())  # a second length
        expected_short, _ = _reference_log_prob(model, ids[:4])
        return report(name, again is not None and math.isclose(float(again), expected_short, rel_tol=1e-4,
                                                                abs_tol=1e-4),
                      "Right for one sequence but not for a shorter one: do not hard-code lengths.")
    hints = {
        "mean": "You averaged the log-probabilities (that is minus the loss): the sequence log-probability is "
                "their *sum*.",
        "unshifted": "The logits at position i predict token i + 1: pair logits[:-1] with input_ids[1:].",
        "logits": "You summed raw logits: turn them into log-probabilities first (torch.log_softmax over the "
                  "vocabulary).",
        "probs": "You summed probabilities: add *log*-probabilities (probabilities multiply, their logs add).",
        "product": "You returned the probability itself; return its logarithm (the sum of log-probabilities).",
    }
    for mistake, wrong in mistakes.items():
        if close(wrong):
            return report(name, False, hints[mistake])
    if close(-expected):
        return report(name, False, "Wrong sign: log-probabilities are <= 0, so their sum is negative "
                                   "(the loss is its negative).")
    return report(name, False, f"Expected {expected:.4f} for the test sequence, got {value:.4f}. The first token "
                               "is given (not predicted): sum log P(t_i | t_<i) for i = 1 .. n-1.")


# ---------------------------------------------------------------------------------------------------------------
# Exercise 1.3: BERT's 80/10/10 masking
# ---------------------------------------------------------------------------------------------------------------
def check_mask_for_mlm(mask_for_mlm) -> bool:
    """`mask_for_mlm(input_ids, special_tokens_mask, mask_token_id, vocab_size) -> (inputs, labels)`.

    Randomness is part of the recipe, so the check is statistical: on many tokens, about 15 % of the ordinary
    tokens must be chosen; of those, about 80 % become [MASK], 10 % a random token, 10 % stay as they were.
    """
    name = "mask_for_mlm"
    vocab_size, mask_id = 500, 4
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(5, vocab_size, (400, 100), generator=generator)
    special = torch.zeros_like(ids, dtype=torch.bool)
    ids[:, 0], ids[:, -1] = 2, 3  # [CLS] ... [SEP]
    special[:, 0] = special[:, -1] = True
    ids[:50, 80:] = 0  # padding at the end of some rows: special too
    special[:50, 80:] = True
    original = ids.clone()
    torch.manual_seed(1234)
    ok, answer = attempt(name, mask_for_mlm, ids, special.clone(), mask_id, vocab_size)
    if not ok:
        return False
    if not (isinstance(answer, tuple) and len(answer) == 2 and all(isinstance(t, torch.Tensor) for t in answer)):
        return report(name, False, "Return a tuple (masked_input_ids, labels) of two tensors.")
    inputs, labels = answer
    if not torch.equal(ids, original):
        return report(name, False, "Your function changed the input_ids passed in: work on a copy "
                                   "(input_ids.clone()) so the caller's tensor stays intact.")
    if inputs.shape != ids.shape or labels.shape != ids.shape:
        return report(name, False, f"Both tensors must have the input's shape {tuple(ids.shape)}; got "
                                   f"{tuple(inputs.shape)} and {tuple(labels.shape)}.")
    chosen = labels != IGNORE_INDEX
    ordinary = ~special
    if chosen.all():
        return report(name, False, "Every position has a label: positions that were not chosen must get -100 "
                                   "so the loss ignores them.")
    if (chosen & special).any():
        return report(name, False, "Special tokens (here [CLS], [SEP] and padding) were chosen: never mask them.")
    if not torch.equal(labels[chosen], original[chosen]):
        if torch.equal(labels[chosen], inputs[chosen]):
            return report(name, False, "The labels are the *masked* tokens; they must be the original ids "
                                       "(what the model has to recover).")
        return report(name, False, "At chosen positions the label must be the original token id.")
    if not torch.equal(inputs[~chosen], original[~chosen]):
        return report(name, False, "Positions that were not chosen must keep their original token.")
    share = chosen.sum().item() / ordinary.sum().item()
    if not 0.13 <= share <= 0.17:
        return report(name, False, f"{share:.1%} of the ordinary tokens were chosen; choose each with "
                                   "probability 0.15.")
    n = chosen.sum().item()
    to_mask = (inputs == mask_id) & chosen
    kept = (inputs == original) & chosen
    to_random = chosen & ~to_mask & ~kept
    shares = [to_mask.sum().item() / n, to_random.sum().item() / n, kept.sum().item() / n]
    if shares[0] > 0.97:
        return report(name, False, "Every chosen token became [MASK]. BERT masks only 80 % of them; 10 % get a "
                                   "random token and 10 % stay unchanged (so the model cannot rely on seeing "
                                   "[MASK] and must keep a good representation of every token).")
    if not (0.76 <= shares[0] <= 0.84 and 0.075 <= shares[1] <= 0.125 and 0.075 <= shares[2] <= 0.125):
        return report(name, False, f"Of the chosen tokens {shares[0]:.0%} became [MASK], {shares[1]:.0%} a random "
                                   f"token and {shares[2]:.0%} stayed; expected about 80 / 10 / 10. (Draw one "
                                   "number per chosen token: < 0.8 -> [MASK], 0.8-0.9 -> random, else keep.)")
    if inputs[to_random].min() < 0 or inputs[to_random].max() >= vocab_size:
        return report(name, False, f"Random replacements must be token ids in [0, vocab_size={vocab_size}).")
    if len(torch.unique(inputs[to_random])) < 50:
        return report(name, False, "The 'random' replacements hardly vary: draw each one independently "
                                   "(torch.randint(vocab_size, ...)).")
    return report(name, True)
