"""Checks for labs/01_pretraining.ipynb.

The checks build their own test inputs: a small randomly initialised Llama decoder (`utils.tiny_models`, so they
need no file from `models/`) and random token ids, and compare the student's answer with the reference's.
"""
from __future__ import annotations

import math

import torch

from ..checks import check_cases, exercise, expect, fail

IGNORE_INDEX = -100


# ---------------------------------------------------------------------------------------------------------------
# Exercise 1.1: inputs and next-token targets
# ---------------------------------------------------------------------------------------------------------------
def reference_next_token_targets(token_ids) -> tuple[list[int], list[int]]:
    """(inputs, targets): every token but the last, and every token but the first (the one that follows)."""
    token_ids = list(token_ids)
    return token_ids[:-1], token_ids[1:]


@exercise(reference_next_token_targets)
def check_next_token_targets(student) -> str:
    """next_token_targets(ids) -> (inputs, targets) of two lists."""
    ids = [1, 57, 902, 14, 14, 3, 2]  # a repeated token, so "shifted by one" is not guessable from values alone
    check_cases(student, [((list(ids),),), (([5, 6],),), (([8, 4, 4, 9, 1],),)],
                reference=reference_next_token_targets,
                mistakes=[
                    (lambda t: (list(t), list(t)),
                     "You returned the sequence twice, unshifted: position i must be trained to predict token i + 1, "
                     "so the targets start at the second token."),
                    (lambda t: (list(t)[1:], list(t)[:-1]),
                     "The shift goes the wrong way: the inputs are the first n-1 tokens and each target is the token "
                     "that *follows* its input."),
                    (lambda t: (list(t), list(t)[1:]),
                     "inputs and targets must have the same length: nothing follows the last token, so drop it from "
                     "the inputs."),
                    (lambda t: (list(t)[:-1], list(t)),
                     "inputs and targets must have the same length: the first token is given, never predicted, so "
                     "drop it from the targets."),
                    (lambda t: (list(t)[:-2], list(t)[2:]),
                     "Off by one: each target is the *next* token (shift by one), not the one after it."),
                ])
    return f"The reference gives {reference_next_token_targets(ids)} for {ids}."


# ---------------------------------------------------------------------------------------------------------------
# Exercise 1.2: the log-probability of a sequence
# ---------------------------------------------------------------------------------------------------------------
def reference_sequence_log_prob(model, input_ids) -> float:
    """sum over i >= 1 of log P(t_i | t_<i), as a Python float (the solution's code, so the lab's figures match)."""
    with torch.no_grad():
        logits = model(input_ids=input_ids[None]).logits[0]
    log_probs = torch.log_softmax(logits.float(), dim=-1)
    next_tokens = input_ids[1:]
    return log_probs[:-1].gather(-1, next_tokens[:, None]).sum().item()


def _decoder_and_ids():
    """A 2-layer random Llama with sharpened logits (so every mistake changes the answer visibly), and 12 ids."""
    from ..tiny_models import tiny_llama

    model = tiny_llama(vocab_size=96, hidden_size=32, layers=2)
    with torch.no_grad():
        model.lm_head.weight.mul_(30.0)
    generator = torch.Generator().manual_seed(1)
    ids = torch.cat([torch.tensor([1]), torch.randint(3, 96, (11,), generator=generator)])
    return model, ids


@torch.no_grad()
def _log_probs(model, ids):
    return torch.log_softmax(model(input_ids=ids[None]).logits[0].double(), dim=-1)


@exercise(reference_sequence_log_prob)
def check_sequence_log_prob(student) -> str:
    """sequence_log_prob(model, input_ids) -> float: the sum of log P(t_i | t_<i) over i >= 1."""
    model, ids = _decoder_and_ids()

    def answer(model, input_ids):  # a tensor or a numpy number is fine: compare its value
        value = student(model, input_ids.clone())
        try:
            return float(value)
        except (TypeError, ValueError, RuntimeError):
            fail(f"Return one number (a Python float: the sum over the sequence), not {type(value).__name__} "
                 f"{str(value)[:60]}. The reference returns {reference_sequence_log_prob(model, input_ids):.4f} on "
                 f"these {len(input_ids)} ids.")

    def picked(m, i):  # log P of each actual next token
        return _log_probs(m, i)[:-1].gather(-1, i[1:, None])

    check_cases(answer, [((model, ids),), ((model, ids[:4]),)], reference=reference_sequence_log_prob, rel_tol=1e-4,
                show=lambda args: f"a random 2-layer decoder and {len(args[1])} token ids",
                mistakes=[
                    (lambda m, i: picked(m, i).mean().item(),
                     "You averaged the log-probabilities (that is minus the loss): the sequence log-probability is "
                     "their *sum*."),
                    (lambda m, i: _log_probs(m, i).gather(-1, i[:, None]).sum().item(),
                     "The logits at position i predict token i + 1: pair logits[:-1] with input_ids[1:]."),
                    (lambda m, i: m(input_ids=i[None]).logits[0, :-1].double().gather(-1, i[1:, None]).sum().item(),
                     "You summed raw logits: turn them into log-probabilities first (a log-softmax over the "
                     "vocabulary)."),
                    (lambda m, i: picked(m, i).exp().sum().item(),
                     "You summed probabilities: add *log*-probabilities (probabilities multiply, their logs add)."),
                    (lambda m, i: math.exp(picked(m, i).sum().item()),
                     "You returned the probability itself; return its logarithm (the sum of log-probabilities)."),
                    (lambda m, i: -picked(m, i).sum().item(),
                     "Wrong sign: log-probabilities are <= 0, so their sum is negative (the loss is its negative)."),
                    (lambda m, i: picked(m, i)[1:].sum().item(),
                     "You left out the first prediction, log P(t_1 | t_0): sum over every token after the first."),
                ])
    return f"The reference gives {reference_sequence_log_prob(model, ids):.4f} on the test sequence of {len(ids)} ids."


# ---------------------------------------------------------------------------------------------------------------
# Exercise 1.3: BERT's 80/10/10 masking (a diagnosis: the exercise text shows a version with four bugs)
# ---------------------------------------------------------------------------------------------------------------
def reference_mask_for_mlm(input_ids, special_tokens_mask, mask_token_id, vocab_size, mlm_probability=0.15):
    """(masked_input_ids, labels): each ordinary token chosen with probability mlm_probability (label = its id,
    -100 elsewhere); of the chosen, 80 % -> [MASK], 10 % -> a random id, 10 % unchanged. One draw per position
    decides which (the solution's code, so the lab's figures match)."""
    labels = input_ids.clone()
    chosen = (torch.rand(input_ids.shape) < mlm_probability) & ~special_tokens_mask.bool()
    labels[~chosen] = IGNORE_INDEX
    masked = input_ids.clone()
    roll = torch.rand(input_ids.shape)
    masked[chosen & (roll < 0.8)] = mask_token_id
    to_random = chosen & (roll >= 0.8) & (roll < 0.9)
    masked[to_random] = torch.randint(vocab_size, input_ids.shape)[to_random]
    return masked, labels


VOCAB, MASK_ID = 500, 4


def _mlm_batch():
    """400 rows of 100 ids: [CLS] ... [SEP], padding at the end of 50 rows; special = True at all of those."""
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(5, VOCAB, (400, 100), generator=generator)
    special = torch.zeros_like(ids, dtype=torch.bool)
    ids[:, 0], ids[:, -1] = 2, 3
    special[:, 0] = special[:, -1] = True
    ids[:50, 80:] = 0
    special[:50, 80:] = True
    return ids, special


def _shares(original, special, inputs, labels) -> dict[str, float]:
    chosen = labels != IGNORE_INDEX
    n = max(1, int(chosen.sum()))
    to_mask = (inputs == MASK_ID) & chosen
    kept = (inputs == original) & chosen
    return {"chosen": chosen.sum().item() / (~special).sum().item(), "mask": to_mask.sum().item() / n,
            "random": (chosen & ~to_mask & ~kept).sum().item() / n, "kept": kept.sum().item() / n}


def _check_masking(student, probability: float) -> None:
    ids, special = _mlm_batch()
    original = ids.clone()
    torch.manual_seed(1234)
    reference = _shares(original, special, *reference_mask_for_mlm(ids.clone(), special, MASK_ID, VOCAB, probability))
    target = (f"(With mlm_probability={probability} on the test batch the reference chooses "
              f"{reference['chosen']:.1%} of the ordinary tokens and turns {reference['mask']:.0%} / "
              f"{reference['random']:.0%} / {reference['kept']:.0%} of them into [MASK] / a random id / themselves.)")
    torch.manual_seed(1234)
    answer = student(ids, special.clone(), MASK_ID, VOCAB, probability)
    expect(isinstance(answer, tuple) and len(answer) == 2 and all(isinstance(t, torch.Tensor) for t in answer),
           f"Return a tuple (masked_input_ids, labels) of two tensors. {target}")
    inputs, labels = answer
    expect(torch.equal(ids, original), "Your function changed the input_ids passed in (`labels = input_ids` is the "
                                       "same tensor, not a copy): work on clones, so the caller's tensor stays "
                                       f"intact. {target}")
    expect(inputs.shape == ids.shape and labels.shape == ids.shape,
           f"Both tensors must have the input's shape {tuple(ids.shape)}; got {tuple(inputs.shape)} and "
           f"{tuple(labels.shape)}. {target}")
    chosen = labels != IGNORE_INDEX
    expect(not chosen.all(), "Every position has a label: positions that were not chosen must get -100 so the loss "
                             f"ignores them. {target}")
    expect(not (chosen & special).any(), "Special tokens (here [CLS], [SEP] and padding) were chosen: never mask "
                                         f"them (use special_tokens_mask). {target}")
    if not torch.equal(labels[chosen], original[chosen]):
        if torch.equal(labels[chosen], inputs[chosen]):
            fail(f"The labels are the *masked* tokens; they must be the original ids (what the model has to "
                 f"recover). {target}")
        fail(f"At chosen positions the label must be the original token id. {target}")
    expect(torch.equal(inputs[~chosen], original[~chosen]),
           f"Positions that were not chosen must keep their original token. {target}")
    shares = _shares(original, special, inputs, labels)
    if abs(shares["chosen"] - probability) > 0.02:  # ~ 38,000 ordinary tokens: the sampling error is < 0.003
        if abs(shares["chosen"] - 0.15) <= 0.02:
            fail(f"You chose {shares['chosen']:.1%} of the ordinary tokens with mlm_probability={probability}: use "
                 f"the mlm_probability argument, not a fixed 0.15. {target}")
        fail(f"{shares['chosen']:.1%} of the ordinary tokens were chosen; choose each with probability "
             f"mlm_probability={probability}. {target}")
    expect(shares["mask"] <= 0.97, "Every chosen token became [MASK]. BERT masks only 80 % of them; 10 % get a "
                                   "random token and 10 % stay unchanged (so the model cannot rely on seeing [MASK] "
                                   f"and must keep a good representation of every token). {target}")
    if not (0.76 <= shares["mask"] <= 0.84 and 0.075 <= shares["random"] <= 0.125
            and 0.075 <= shares["kept"] <= 0.125):
        hint = (f"Of the chosen tokens {shares['mask']:.0%} became [MASK], {shares['random']:.0%} a random token and "
                f"{shares['kept']:.0%} stayed; expected about 80 / 10 / 10.")
        if 0.69 <= shares["mask"] <= 0.75 and shares["kept"] >= 0.15:
            hint += (" Two independent draws (one for [MASK], one for random) overlap: draw *one* number per chosen "
                     "token and split its range 0.8 / 0.1 / 0.1.")
        fail(f"{hint} {target}")
    replaced = inputs[chosen & (inputs != MASK_ID) & (inputs != original)]
    expect(replaced.min() >= 0 and replaced.max() < VOCAB,
           f"Random replacements must be token ids in [0, vocab_size={VOCAB}). {target}")
    expect(len(torch.unique(replaced)) >= 50, "The 'random' replacements hardly vary: draw each one independently "
                                              f"from [0, vocab_size). {target}")


@exercise(reference_mask_for_mlm)
def check_mask_for_mlm(student) -> str:
    """mask_for_mlm(input_ids, special_tokens_mask, mask_token_id, vocab_size, mlm_probability) -> (inputs, labels).

    Randomness is part of the recipe, so the check is statistical, on 38,000 ordinary tokens, with two masking
    probabilities (so a function that ignores the argument fails)."""
    for probability in (0.15, 0.4):
        _check_masking(student, probability)
    return "The reference chooses about 15 % (or 40 %) of the ordinary tokens and splits them 80 / 10 / 10."


# ---------------------------------------------------------------------------------------------------------------
# Exercise 1.4 (prediction): the loss of a model that has read nothing
# ---------------------------------------------------------------------------------------------------------------
def reference_predict_initial_loss(vocab_size: int) -> float:
    """The cross-entropy (nats per token) of a uniform guess over the vocabulary: -log(1 / |V|) = log |V|."""
    return math.log(vocab_size)


@exercise(reference_predict_initial_loss)
def check_predict_initial_loss(student) -> str:
    """predict_initial_loss(vocab_size) -> float, in nats per token (PyTorch's cross-entropy uses the natural log)."""
    check_cases(student, [((100,),), ((50_000,),), ((2,),)], reference=reference_predict_initial_loss,
                rel_tol=1e-3,
                mistakes=[
                    (lambda v: 1 / v, "1/|V| is the probability a uniform guess gives each token; the loss is minus "
                                      "its logarithm."),
                    (lambda v: math.log2(v), "That is the loss in bits: PyTorch's cross-entropy uses the natural "
                                             "logarithm (nats)."),
                    (lambda v: math.log10(v), "Use the natural logarithm (PyTorch's cross-entropy is in nats), not "
                                              "log10."),
                    (lambda v: -math.log(v), "Wrong sign: a loss is minus a log-probability, so it is positive."),
                    (lambda v: float(v), "The loss is not the vocabulary size: it is minus the log of the "
                                         "probability a uniform guess gives the right token."),
                ])
    return "The reference predicts log(100) = 4.605 nats for a 100-token vocabulary."
