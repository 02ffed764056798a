"""Checks for labs/02_encoder_finetuning.ipynb.

They use the shipped tiny encoder's tokenizer (and, for the last one, the encoder itself with a fresh random
classification head: nothing is fine-tuned), and compare the student's answer with a reference computed here.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch

from ..checks import attempt, report
from ..paths import models_dir

SEVERITY = ["mild", "moderate", "severe"]
NOTES = [
    "Patient reports sore throat and runny nose for 2 days. Advised rest and fluids.",
    "64yo F with hx of COPD, now c/o wheezing and persistent fever. Vitals: SpO2 93% on RA.",
    "Pt presents with 1-day hx of crushing chest pain. Vitals: HR 128, BP 84/60. Admitted to ICU.",
    "Patient has history of CHF presenting with fatigue. Denies chest pain or shortness of breath.",
    "33yo M c/o abdominal pain and vomiting for two days. Given IV fluids in the ED.",
    "Pt is a 71yo F with confusion and hypotension. Started on pressors.",
    "Patient reports a small cut on the finger. Hx of sepsis in 2015, resolved.",
    "Patient is presenting with 3-day history of sore throat, nasal congestion, and mild cough.",
    "Patient has history of COPD presenting with progressive shortness of breath, admitted Thursday.",
]


@lru_cache(maxsize=1)
def _encoder_tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(models_dir() / "tiny-encoder")


# ---------------------------------------------------------------------------------------------------------------
# Exercise 2.1: tokenise a batch with padding and an attention mask
# ---------------------------------------------------------------------------------------------------------------
def check_tokenize_batch(tokenize_batch) -> bool:
    """`tokenize_batch(texts, tokenizer, max_length) -> {"input_ids": LongTensor, "attention_mask": LongTensor}`."""
    name = "tokenize_batch"
    tokenizer = _encoder_tokenizer()
    texts = [NOTES[0], "Denies fever.", NOTES[2] + " " + NOTES[4] * 6]  # the last one is longer than max_length
    max_length = 48
    ok, answer = attempt(name, tokenize_batch, list(texts), tokenizer, max_length)
    if not ok:
        return False
    expected = tokenizer(texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    if not hasattr(answer, "keys") or not {"input_ids", "attention_mask"} <= set(answer.keys()):
        return report(name, False, "Return a dict (or the tokenizer's BatchEncoding) with 'input_ids' and "
                                   "'attention_mask'.")
    ids, mask = answer["input_ids"], answer["attention_mask"]
    if not (isinstance(ids, torch.Tensor) and isinstance(mask, torch.Tensor)):
        return report(name, False, "input_ids and attention_mask must be PyTorch tensors: pass "
                                   "return_tensors='pt' (a model takes tensors, not lists).")
    if ids.shape[1] > max_length:
        return report(name, False, f"A row has {ids.shape[1]} tokens, more than max_length={max_length}: pass "
                                   "truncation=True and max_length (the encoder has only 128 positions).")
    if ids.shape[1] == max_length and expected["input_ids"].shape[1] < max_length:
        return report(name, False, "You padded every row to max_length; pad to the longest text in the batch "
                                   "(padding=True): the same result with less wasted compute.")
    if ids.shape != expected["input_ids"].shape:
        return report(name, False, f"Expected a tensor of shape {tuple(expected['input_ids'].shape)} (3 texts, "
                                   f"padded to the longest after truncation), got {tuple(ids.shape)}.")
    if not torch.equal(mask, expected["attention_mask"]):
        return report(name, False, "The attention mask must be 1 on real tokens and 0 on padding.")
    if not torch.equal(ids, expected["input_ids"]):
        if torch.equal(ids[:, 1:-1], expected["input_ids"][:, 1:-1]) or (ids == tokenizer.cls_token_id).sum() == 0:
            return report(name, False, "Keep the special tokens ([CLS] first, [SEP] last): the classifier reads "
                                       "the [CLS] position. Do not pass add_special_tokens=False.")
        return report(name, False, "The token ids differ from tokenizer(texts, padding=True, truncation=True, "
                                   "max_length=max_length, return_tensors='pt').")
    short = texts[:2]  # no note needs truncating: the batch should be only as wide as its longest note
    ok, answer = attempt(name, tokenize_batch, list(short), tokenizer, max_length)
    if not ok:
        return False
    expected = tokenizer(short, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    if tuple(answer["input_ids"].shape) == (2, max_length):
        return report(name, False, "You padded every row to max_length; pad to the longest text in the batch "
                                   "(padding=True): the same result with less wasted compute.")
    return report(name, torch.equal(answer["input_ids"], expected["input_ids"])
                  and torch.equal(answer["attention_mask"], expected["attention_mask"]),
                  "Right for a batch with a long note, wrong for a batch of short ones: pad to the longest note.")


# ---------------------------------------------------------------------------------------------------------------
# Exercise 2.2: compute_metrics for Trainer
# ---------------------------------------------------------------------------------------------------------------
def check_compute_metrics(compute_metrics) -> bool:
    """`compute_metrics(eval_pred) -> {"accuracy": float, "macro_f1": float}` from logits and label ids."""
    from sklearn.metrics import accuracy_score, f1_score
    from transformers import EvalPrediction

    name = "compute_metrics"
    rng = np.random.default_rng(0)
    labels = np.array([0] * 30 + [1] * 6 + [2] * 4)  # imbalanced: macro-F1 differs from accuracy and weighted-F1
    logits = rng.normal(size=(len(labels), 3)).astype(np.float32)
    logits[np.arange(len(labels)), labels] += np.where(labels == 0, 2.5, 0.3)  # class 0 is easy, 1 and 2 hard
    ok, answer = attempt(name, compute_metrics, EvalPrediction(predictions=logits, label_ids=labels))
    if not ok:
        return False
    if not isinstance(answer, dict) or not {"accuracy", "macro_f1"} <= set(answer):
        return report(name, False, f"Return a dict with the keys 'accuracy' and 'macro_f1', got {answer!r:.100}.")
    predictions = logits.argmax(-1)
    expected = {"accuracy": accuracy_score(labels, predictions),
                "macro_f1": f1_score(labels, predictions, average="macro")}
    try:
        got = {key: float(answer[key]) for key in expected}
    except (TypeError, ValueError):
        return report(name, False, "The metric values must be numbers (floats).")
    if not math.isclose(got["accuracy"], expected["accuracy"], abs_tol=1e-6):
        return report(name, False, f"accuracy should be {expected['accuracy']:.4f}, got {got['accuracy']:.4f}. "
                                   "Predictions are the argmax of the logits over the last axis.")
    for average in ("weighted", "micro"):
        if math.isclose(got["macro_f1"], f1_score(labels, predictions, average=average), abs_tol=1e-6):
            return report(name, False, f"That is the {average} F1. Macro-F1 averages the per-class F1 scores with "
                                       "equal weight (average='macro'), so rare classes count as much as common ones.")
    return report(name, math.isclose(got["macro_f1"], expected["macro_f1"], abs_tol=1e-6),
                  f"macro_f1 should be {expected['macro_f1']:.4f}, got {got['macro_f1']:.4f}.")


# ---------------------------------------------------------------------------------------------------------------
# Exercise 2.3: predict the severity of a new note
# ---------------------------------------------------------------------------------------------------------------
def random_head_classifier(seed: int = 0):
    """The shipped tiny encoder with a fresh, random 3-way head (nothing fine-tuned): enough to compare argmaxes."""
    from transformers import AutoModelForSequenceClassification, logging

    verbosity = logging.get_verbosity()
    logging.set_verbosity_error()  # the "newly initialized head" warning is expected here
    try:
        torch.manual_seed(seed)
        model = AutoModelForSequenceClassification.from_pretrained(
            models_dir() / "tiny-encoder", num_labels=3, id2label=dict(enumerate(SEVERITY)),
            label2id={label: i for i, label in enumerate(SEVERITY)})
    finally:
        logging.set_verbosity(verbosity)
    with torch.no_grad():  # a larger random head, so the reference predictions differ between notes
        model.classifier.weight.normal_(0.0, 1.0, generator=torch.Generator().manual_seed(seed))
    return model


@torch.no_grad()
def _reference_predictions(model, tokenizer, notes: list[str]) -> list[str]:
    model.eval()
    out = []
    for note in notes:
        batch = tokenizer(note, truncation=True, max_length=tokenizer.model_max_length, return_tensors="pt")
        out.append(model.config.id2label[int(model(**batch).logits.argmax(-1))])
    return out


def check_predict_severity(predict_severity) -> bool:
    """`predict_severity(note, model, tokenizer) -> str`: the label of the highest logit, in eval mode."""
    name = "predict_severity"
    tokenizer = _encoder_tokenizer()
    notes = NOTES + [" ".join(NOTES) * 2]  # the last note is longer than the encoder's 128 positions
    for seed in range(10):  # a head whose predictions are not all the same label
        model = random_head_classifier(seed)
        expected = _reference_predictions(model, tokenizer, notes)
        if len(set(expected)) > 1:
            break
    model.train()  # as it is right after training: dropout on
    got = []
    for note in notes:
        ok, answer = attempt(name, predict_severity, note, model, tokenizer)
        if not ok:
            return False
        got.append(answer)
    if any(isinstance(g, (int, np.integer)) or (isinstance(g, torch.Tensor)) for g in got):
        return report(name, False, "Return the label as text ('mild', 'moderate' or 'severe'): map the class id "
                                   "with model.config.id2label.")
    if not all(isinstance(g, str) for g in got):
        return report(name, False, f"Return a str, got {type(got[0]).__name__}.")
    if got == expected:
        return report(name, True)
    if model.training:
        return report(name, False, "The model is still in training mode, so dropout makes predictions random: "
                                   "call model.eval() first (and use torch.no_grad()).")
    opposite = {n: e for n, e in zip(notes, _reference_predictions(model, tokenizer, notes))}
    wrong = [n for n, g in zip(notes, got) if g != opposite[n]]
    return report(name, False, f"{len(wrong)} of {len(notes)} predictions differ from the argmax of the logits, "
                               f"e.g. for {wrong[0][:60]!r}... Tokenise the note (truncation=True), run the model, "
                               "take logits.argmax(-1) and map it with model.config.id2label.")
