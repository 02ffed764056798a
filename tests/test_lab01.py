"""Lab 01: each exercise check accepts another correct implementation and rejects plausible wrong ones, with the
hint that names the mistake (tests/test_exercises.py covers the solution, the reference and the stub)."""
import math

import pytest
import torch

from notebook_cells import assert_accepts, assert_rejects
from utils.exercises import lab01


pytestmark = pytest.mark.usefixtures("student_mode")  # a rejected answer prints, as for a student


# Exercise 1.1 --------------------------------------------------------------------------------------------------
def test_next_token_targets_accepts_a_loop(capsys):
    def by_hand(token_ids):
        inputs, targets = [], []
        for i in range(len(token_ids) - 1):
            inputs.append(token_ids[i])
            targets.append(token_ids[i + 1])
        return inputs, targets
    assert_accepts(lab01.check_next_token_targets, by_hand, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (lambda ids: (ids, ids), "unshifted"),
    (lambda ids: (ids[1:], ids[:-1]), "wrong way"),
    (lambda ids: (ids, ids[1:]), "drop it from the inputs"),
    (lambda ids: (ids[:-1], ids), "drop it from the targets"),
    (lambda ids: (ids[:-2], ids[2:]), "Off by one"),
    (lambda ids: ([1, 57, 902, 14, 14, 3], [57, 902, 14, 14, 3, 2]), "the reference returns [[5], [6]]"),  # hard-coded
    (lambda ids: ids[:-1] + ids[1:], "the reference returns [[1, 57, 902, 14, 14, 3], [57, 902"),  # one list
])
def test_next_token_targets_rejects(wrong, hint, capsys):
    assert_rejects(lab01.check_next_token_targets, wrong, hint, capsys)


# Exercise 1.2 --------------------------------------------------------------------------------------------------
def _log_probs(model, ids):
    with torch.no_grad():
        return torch.log_softmax(model(input_ids=ids[None]).logits[0], -1)


def test_sequence_log_prob_accepts_the_models_own_loss(capsys):
    def from_loss(model, input_ids):  # the loss is the mean negative log-likelihood over n - 1 predictions
        with torch.no_grad():
            loss = model(input_ids=input_ids[None], labels=input_ids[None]).loss
        return -loss.item() * (len(input_ids) - 1)
    assert_accepts(lab01.check_sequence_log_prob, from_loss, capsys)


def test_sequence_log_prob_accepts_a_loop_that_returns_a_tensor(capsys):
    def loop(model, input_ids):
        log_probs = _log_probs(model, input_ids)
        return sum(log_probs[i - 1, input_ids[i]] for i in range(1, len(input_ids)))
    assert_accepts(lab01.check_sequence_log_prob, loop, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (lambda m, ids: _log_probs(m, ids)[:-1].gather(-1, ids[1:, None]).mean().item(), "averaged"),
    (lambda m, ids: _log_probs(m, ids).gather(-1, ids[:, None]).sum().item(), "logits[:-1]"),
    (lambda m, ids: m(input_ids=ids[None], labels=ids[None]).loss.item() * (len(ids) - 1), "Wrong sign"),
    (lambda m, ids: m(input_ids=ids[None]).logits[0, :-1].gather(-1, ids[1:, None]).sum().item(), "raw logits"),
    (lambda m, ids: _log_probs(m, ids)[:-1].exp().gather(-1, ids[1:, None]).sum().item(), "summed probabilities"),
    (lambda m, ids: math.exp(_log_probs(m, ids)[:-1].gather(-1, ids[1:, None]).sum().item()), "probability itself"),
    (lambda m, ids: _log_probs(m, ids)[1:-1].gather(-1, ids[2:, None]).sum().item(), "left out the first"),
    (lambda m, ids: _log_probs(m, ids)[:-1].gather(-1, ids[1:, None])[:, 0], "Return one number"),
    (lambda m, ids: -31.2297, "the reference returns"),  # one sequence's answer, hard-coded
])
def test_sequence_log_prob_rejects(wrong, hint, capsys):
    assert_rejects(lab01.check_sequence_log_prob, wrong, hint, capsys)


# Exercise 1.3 --------------------------------------------------------------------------------------------------
def _hf_style(ids, special, mask_id, vocab_size, p=0.15):  # DataCollatorForLanguageModeling's recipe: also right
    labels = ids.clone()
    chosen = torch.bernoulli(torch.full(ids.shape, p).masked_fill(special, 0.0)).bool()
    labels[~chosen] = -100
    out = ids.clone()
    to_mask = torch.bernoulli(torch.full(ids.shape, 0.8)).bool() & chosen
    out[to_mask] = mask_id
    to_random = torch.bernoulli(torch.full(ids.shape, 0.5)).bool() & chosen & ~to_mask
    out[to_random] = torch.randint(vocab_size, ids.shape)[to_random]
    return out, labels


def test_mask_for_mlm_accepts_the_library_recipe(capsys):
    assert_accepts(lab01.check_mask_for_mlm, _hf_style, capsys)


def _forum_version(input_ids, special_tokens_mask, mask_token_id, vocab_size, mlm_probability=0.15, fix=()):
    """The exercise text's buggy version; `fix` names the bugs to leave out, so each test shows one bug alone."""
    labels = input_ids.clone() if "alias" in fix else input_ids
    chosen = torch.rand(input_ids.shape) < (mlm_probability if "probability" in fix else 0.15)
    if "special" in fix:
        chosen &= ~special_tokens_mask
    labels[~chosen] = -100
    masked = input_ids.clone()
    if "draws" in fix:
        roll = torch.rand(input_ids.shape)
        masked[chosen & (roll < 0.8)] = mask_token_id
        to_random = chosen & (roll >= 0.8) & (roll < 0.9)
    else:
        masked[chosen & (torch.rand(input_ids.shape) < 0.8)] = mask_token_id
        to_random = chosen & (torch.rand(input_ids.shape) < 0.1)
    masked[to_random] = torch.randint(vocab_size, input_ids.shape)[to_random]
    return masked, labels


BUGS = ("alias", "probability", "special", "draws")


def test_mask_for_mlm_accepts_the_forum_version_with_all_four_bugs_fixed(capsys):
    assert_accepts(lab01.check_mask_for_mlm, lambda *a: _forum_version(*a, fix=BUGS), capsys)


@pytest.mark.parametrize("bug, hint", [
    ("alias", "changed the input_ids passed in"),
    ("probability", "not a fixed 0.15"),
    ("special", "Special tokens"),
    ("draws", "Two independent draws"),
])
def test_mask_for_mlm_names_each_bug_of_the_forum_version(bug, hint, capsys):
    out = assert_rejects(lab01.check_mask_for_mlm,
                         lambda *a: _forum_version(*a, fix=tuple(b for b in BUGS if b != bug)), hint, capsys)
    assert "the reference chooses" in out


def _all_mask(ids, special, mask_id, vocab_size, p=0.15):
    labels = ids.clone()
    chosen = (torch.rand(ids.shape) < p) & ~special
    labels[~chosen] = -100
    out = ids.clone()
    out[chosen] = mask_id
    return out, labels


def _labels_are_the_masked_tokens(ids, special, mask_id, vocab_size, p=0.15):
    masked, labels = _hf_style(ids, special, mask_id, vocab_size, p)
    return masked, torch.where(labels == -100, labels, masked)


@pytest.mark.parametrize("wrong, hint", [
    (_all_mask, "80 %"),
    (lambda ids, special, m, v, p=0.15: (_all_mask(ids, special, m, v, p)[0], ids.clone()), "-100"),
    (_labels_are_the_masked_tokens, "*masked* tokens"),
    (lambda ids, special, m, v, p=0.15: _hf_style(ids, special, m, v, 0.15), "not a fixed 0.15"),  # ignores p
    (lambda ids, special, m, v, p=0.15: _hf_style(ids, special, m, v, p / 2), "choose each with probability"),
    (lambda ids, special, m, v, p=0.15: tuple(t.tolist() for t in _hf_style(ids, special, m, v, p)), "two tensors"),
])
def test_mask_for_mlm_rejects(wrong, hint, capsys):
    assert_rejects(lab01.check_mask_for_mlm, wrong, hint, capsys)


# Exercise 1.4 --------------------------------------------------------------------------------------------------
def test_predict_initial_loss_accepts_minus_the_log_of_the_uniform_probability(capsys):
    assert_accepts(lab01.check_predict_initial_loss, lambda v: -torch.log(torch.tensor(1.0 / v)).item(), capsys)


@pytest.mark.parametrize("wrong, hint", [
    (lambda v: math.log2(v), "bits"),
    (lambda v: 1 / v, "minus its logarithm"),
    (lambda v: -math.log(v), "Wrong sign"),
    (lambda v: math.log10(v), "log10"),
    (lambda v: v, "not the vocabulary size"),
    (lambda v: 4.605, "the reference returns 10.8"),  # the 100-token answer, hard-coded
])
def test_predict_initial_loss_rejects(wrong, hint, capsys):
    assert_rejects(lab01.check_predict_initial_loss, wrong, hint, capsys)
