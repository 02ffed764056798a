"""Lab 02: each exercise check accepts another correct implementation and rejects plausible wrong ones, with the
hint that names the mistake (tests/test_exercises.py covers the solution, the reference and the stub)."""
import numpy as np
import pytest
import torch
from sklearn.metrics import accuracy_score, f1_score

from notebook_cells import assert_accepts, assert_rejects
from utils.exercises import lab02


pytestmark = pytest.mark.usefixtures("student_mode")  # a rejected answer prints, as for a student


# Exercise 2.1 (prediction) -------------------------------------------------------------------------------------
def test_predict_majority_scores_accepts_the_per_class_average_written_out(capsys):
    def per_class(counts):
        total, majority = sum(counts.values()), max(counts, key=counts.get)
        f1 = []
        for label, n in counts.items():
            if label == majority:
                precision, recall = n / total, 1.0
                f1.append(2 * precision * recall / (precision + recall))
            else:
                f1.append(0.0)
        return {"accuracy": counts[majority] / total, "macro_f1": sum(f1) / len(f1)}
    assert_accepts(lab02.check_predict_majority_scores, per_class, capsys)


def _share(counts):
    return max(counts.values()) / sum(counts.values())


@pytest.mark.parametrize("wrong, hint", [
    (lambda c: {"accuracy": _share(c), "macro_f1": _share(c)}, "Macro-F1 is not accuracy"),
    (lambda c: {"accuracy": _share(c), "macro_f1": 2 * _share(c) / (1 + _share(c))}, "predicted class alone"),
    (lambda c: {"accuracy": _share(c), "macro_f1": _share(c) / 3}, "recall is 1"),
    (lambda c: {"accuracy": _share(c), "macro_f1": _share(c) / len(c)}, "recall is 1"),
    (lambda c: {"accuracy": _share(c), "macro_f1": 2 * _share(c) ** 2 / (1 + _share(c))}, "weighted F1"),
    (lambda c: {"accuracy": max(c.values()), "macro_f1": 2 * _share(c) / (1 + _share(c)) / len(c)}, "not a count"),
    (lambda c: {"accuracy": 0.6, "macro_f1": 0.25}, "the reference returns {'accuracy': 0.5"),  # hard-coded
    (lambda c: (_share(c), _share(c) / 3), "Return a dict"),
])
def test_predict_majority_scores_rejects(wrong, hint, capsys):
    assert_rejects(lab02.check_predict_majority_scores, wrong, hint, capsys)


# Exercise 2.2 --------------------------------------------------------------------------------------------------
def test_tokenize_batch_accepts_a_plain_dict_of_tensors(capsys):
    def as_dict(texts, tokenizer, max_length):
        encoded = tokenizer(texts, padding="longest", truncation="longest_first", max_length=max_length)
        return {key: torch.tensor(encoded[key]) for key in ("input_ids", "attention_mask")}
    assert_accepts(lab02.check_tokenize_batch, as_dict, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (lambda texts, tok, n: tok(texts, padding="max_length", truncation=True, max_length=n, return_tensors="pt"),
     "longest text in the batch"),
    (lambda texts, tok, n: tok(texts, padding=True, return_tensors="pt"), "truncate"),
    (lambda texts, tok, n: tok(texts, padding=True, truncation=True, return_tensors="pt"), "the max_length argument"),
    (lambda texts, tok, n: tok(texts, padding=True, truncation=True, max_length=n, add_special_tokens=False,
                               return_tensors="pt"), "special tokens"),
    (lambda texts, tok, n: tok(texts, padding=True, truncation=True, max_length=n), "tensors"),
    (lambda texts, tok, n: tok(texts, padding=True, truncation=True, max_length=n, return_tensors="pt")["input_ids"],
     "Return a dict"),
])
def test_tokenize_batch_rejects(wrong, hint, capsys):
    assert_rejects(lab02.check_tokenize_batch, wrong, hint, capsys)


# Exercise 2.3 --------------------------------------------------------------------------------------------------
def _metrics(average="macro", scale=1.0, axis=-1):
    def compute_metrics(eval_pred):
        logits, labels = eval_pred
        predictions = np.argmax(logits, axis=axis)
        return {"accuracy": scale * accuracy_score(labels, predictions),
                "macro_f1": scale * f1_score(labels, predictions, average=average)}
    return compute_metrics


def test_compute_metrics_accepts_numpy_numbers_and_an_extra_metric(capsys):
    def by_hand(eval_pred):
        logits, labels = eval_pred
        predictions = logits.argmax(-1)
        per_class = [f1_score(labels == c, predictions == c) for c in range(logits.shape[-1])]
        return {"accuracy": (predictions == labels).mean(), "macro_f1": np.mean(per_class),
                "weighted_f1": f1_score(labels, predictions, average="weighted")}
    assert_accepts(lab02.check_compute_metrics, by_hand, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (_metrics("weighted"), "weighted F1"),
    (_metrics("micro"), "micro F1"),
    (_metrics(scale=100.0), "not percentages"),
    (lambda p: {"accuracy": _metrics()(p)["macro_f1"], "macro_f1": _metrics()(p)["accuracy"]}, "swapped"),
    (lambda p: {"accuracy": accuracy_score(p[1], p[0].argmax(-1)),
                "f1": f1_score(p[1], p[0].argmax(-1), average="macro")}, "keys 'accuracy' and 'macro_f1'"),
    (_metrics(average=None), "single numbers"),
    (_metrics(axis=0), "Your code raised"),
])
def test_compute_metrics_rejects(wrong, hint, capsys):
    assert_rejects(lab02.check_compute_metrics, wrong, hint, capsys)


# Exercise 2.4 (diagnosis) --------------------------------------------------------------------------------------
def test_predict_severity_accepts_softmax_probabilities_and_the_label_list(capsys):
    def via_probabilities(note, model, tokenizer):
        model.eval()
        with torch.no_grad():
            batch = tokenizer([note], truncation=True, max_length=128, padding=True, return_tensors="pt")
            probabilities = torch.softmax(model(**batch).logits[0], dim=-1)
        return ["mild", "moderate", "severe"][probabilities.argmax().item()]
    assert_accepts(lab02.check_predict_severity, via_probabilities, capsys)


def _teammate(note, model, tokenizer, fix=()):
    """The exercise text's buggy version; `fix` names the bugs to leave out, so each test shows one bug alone."""
    if "eval" in fix:
        model.eval()
    batch = tokenizer(note, truncation="truncate" in fix, return_tensors="pt")
    logits = model(**batch).logits
    return model.config.id2label[int(logits.argmax(-1))] if "label" in fix else int(logits.argmax(-1))


BUGS = ("eval", "truncate", "label")


def test_predict_severity_accepts_the_teammates_version_with_its_bugs_fixed(capsys):
    assert_accepts(lab02.check_predict_severity, lambda *a: _teammate(*a, fix=BUGS), capsys)


@pytest.mark.parametrize("bug, hint", [
    ("eval", "still in training mode"),
    ("truncate", "truncate it to the tokenizer's maximum length"),
    ("label", "id2label"),
])
def test_predict_severity_names_each_bug_of_the_teammates_version(bug, hint, capsys):
    assert_rejects(lab02.check_predict_severity, lambda *a: _teammate(*a, fix=tuple(b for b in BUGS if b != bug)),
                   hint, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (lambda note, model, tok: (model.eval(), "moderate")[1], "the reference returns"),  # one label for every note
    (lambda note, model, tok: (model.eval(), model.config.id2label[int(model(
        **tok(note, truncation=True, return_tensors="pt")).logits.argmin(-1))])[1], "lowest logit"),
])
def test_predict_severity_rejects(wrong, hint, capsys):
    assert_rejects(lab02.check_predict_severity, wrong, hint, capsys)
