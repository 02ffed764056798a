"""The checks of labs 01 and 02 recognise common mistakes and say so (test_exercises covers solution and stub)."""
import numpy as np
import pytest
import torch

from utils.exercises import lab01, lab02


@pytest.fixture(autouse=True)
def lenient(monkeypatch):
    monkeypatch.delenv("ITL_STRICT_CHECKS", raising=False)


def verdict(check, fn, capsys):
    ok = check(fn)
    return ok, capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (lambda ids: (ids, ids), "unshifted"),
    (lambda ids: (ids[1:], ids[:-1]), "wrong way"),
    (lambda ids: (ids, ids[1:]), "same length"),
])
def test_next_token_targets_mistakes(wrong, hint, capsys):
    ok, out = verdict(lab01.check_next_token_targets, wrong, capsys)
    assert not ok and hint in out


def _log_probs(model, ids):
    with torch.no_grad():
        return torch.log_softmax(model(input_ids=ids[None]).logits[0], -1)


@pytest.mark.parametrize("wrong, hint", [
    (lambda m, ids: _log_probs(m, ids)[:-1].gather(-1, ids[1:, None]).mean().item(), "averaged"),
    (lambda m, ids: _log_probs(m, ids).gather(-1, ids[:, None]).sum().item(), "logits[:-1]"),
    (lambda m, ids: m(input_ids=ids[None], labels=ids[None]).loss.item() * (len(ids) - 1), "sign"),
])
def test_sequence_log_prob_mistakes(wrong, hint, capsys):
    ok, out = verdict(lab01.check_sequence_log_prob, wrong, capsys)
    assert not ok and hint in out


def _choose(ids, special, p=0.15):
    labels = ids.clone()
    chosen = (torch.rand(ids.shape) < p) & ~special
    labels[~chosen] = -100
    return chosen, labels


def _all_mask(ids, special, mask_id, vocab_size, p=0.15):
    chosen, labels = _choose(ids, special, p)
    out = ids.clone()
    out[chosen] = mask_id
    return out, labels


def _no_ignore(ids, special, mask_id, vocab_size, p=0.15):
    return _all_mask(ids, special, mask_id, vocab_size, p)[0], ids.clone()


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


@pytest.mark.parametrize("wrong, hint", [
    (_all_mask, "80 %"),
    (_no_ignore, "-100"),
    (lambda ids, special, m, v, p=0.15: _all_mask(ids, torch.zeros_like(special), m, v, p), "Special tokens"),
])
def test_mask_for_mlm_mistakes(wrong, hint, capsys):
    ok, out = verdict(lab01.check_mask_for_mlm, wrong, capsys)
    assert not ok and hint in out


def test_mask_for_mlm_accepts_the_library_recipe(capsys):
    ok, out = verdict(lab01.check_mask_for_mlm, _hf_style, capsys)
    assert ok, out


@pytest.mark.parametrize("wrong, hint", [
    (lambda texts, tok, n: tok(texts, padding="max_length", truncation=True, max_length=n, return_tensors="pt"),
     "longest"),
    (lambda texts, tok, n: tok(texts, padding=True, return_tensors="pt"), "truncation"),
    (lambda texts, tok, n: tok(texts, padding=True, truncation=True, max_length=n), "tensors"),
])
def test_tokenize_batch_mistakes(wrong, hint, capsys):
    ok, out = verdict(lab02.check_tokenize_batch, wrong, capsys)
    assert not ok and hint in out


def _metrics(average):
    from sklearn.metrics import accuracy_score, f1_score

    def compute_metrics(eval_pred):
        logits, labels = eval_pred
        predictions = np.argmax(logits, axis=-1)
        return {"accuracy": accuracy_score(labels, predictions),
                "macro_f1": f1_score(labels, predictions, average=average)}
    return compute_metrics


@pytest.mark.parametrize("average", ["weighted", "micro"])
def test_compute_metrics_wrong_average(average, capsys):
    ok, out = verdict(lab02.check_compute_metrics, _metrics(average), capsys)
    assert not ok and f"{average} F1" in out


def test_predict_severity_must_return_a_label_name(capsys):
    def returns_id(note, model, tokenizer):
        model.eval()
        with torch.no_grad():
            return int(model(**tokenizer(note, truncation=True, return_tensors="pt")).logits.argmax(-1))

    ok, out = verdict(lab02.check_predict_severity, returns_id, capsys)
    assert not ok and "id2label" in out
