"""Checks for labs/02_encoder_finetuning.ipynb.

They use the shipped tiny encoder's tokenizer and, for the last one, a small random encoder with a 3-way head
(`utils.tiny_models.tiny_bert`: nothing is fine-tuned), and compare the student's answer with the reference's.
Each reference is the solution's code, so a lab that falls back to it computes the solution's figures (the
`Trainer` run of section 4 uses `compute_metrics`).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from ..checks import Crashed, check_cases, exercise, expect, fail
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
LONG_NOTE = " ".join(NOTES) * 2  # longer than the encoder's 128 positions


@lru_cache(maxsize=1)
def _encoder_tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(models_dir() / "tiny-encoder")


# ---------------------------------------------------------------------------------------------------------------
# Exercise 2.2: tokenise a batch with padding and an attention mask
# ---------------------------------------------------------------------------------------------------------------
def reference_tokenize_batch(texts, tokenizer, max_length):
    """input_ids and attention_mask as tensors, truncated to max_length and padded to the longest row."""
    return tokenizer(list(texts), padding=True, truncation=True, max_length=max_length, return_tensors="pt")


def _as_lists(batch) -> dict[str, list]:
    return {"input_ids": batch["input_ids"].tolist(), "attention_mask": batch["attention_mask"].tolist()}


@exercise(reference_tokenize_batch)
def check_tokenize_batch(student) -> str:
    """tokenize_batch(texts, tokenizer, max_length) -> {"input_ids": LongTensor, "attention_mask": LongTensor}."""
    tokenizer = _encoder_tokenizer()
    long = [NOTES[0], "Denies fever.", NOTES[2] + " " + NOTES[4] * 6]  # the last note is longer than 48 tokens
    short = [NOTES[0], "Denies fever."]  # no note needs truncating: the batch is as wide as its longest note
    very_long = [NOTES[1], LONG_NOTE]  # longer than the tokenizer's own limit (128) too

    def answer(texts, tok, max_length):
        batch = student(list(texts), tok, max_length)
        expect(hasattr(batch, "keys") and {"input_ids", "attention_mask"} <= set(batch.keys()),
               "Return a dict (or the tokenizer's BatchEncoding) with 'input_ids' and 'attention_mask'.")
        expect(isinstance(batch["input_ids"], torch.Tensor) and isinstance(batch["attention_mask"], torch.Tensor),
               "input_ids and attention_mask must be PyTorch tensors (return_tensors='pt'): a model takes tensors, "
               f"not lists. The reference returns tensors of shape "
               f"{tuple(reference_tokenize_batch(texts, tok, max_length)['input_ids'].shape)} here.")
        return _as_lists(batch)

    check_cases(answer, [((long, tokenizer, 48),), ((short, tokenizer, 48),), ((very_long, tokenizer, 20),)],
                reference=lambda *args: _as_lists(reference_tokenize_batch(*args)),
                show=lambda args: f"{len(args[0])} notes of {[len(args[1](t)['input_ids']) for t in args[0]]} tokens "
                                  f"with max_length={args[2]}",
                mistakes=[
                    (lambda texts, tok, n: _as_lists(tok(texts, padding="max_length", truncation=True, max_length=n,
                                                         return_tensors="pt")),
                     "You padded every row to max_length; pad to the longest text in the batch (padding=True): the "
                     "same result with less wasted compute."),
                    (lambda texts, tok, n: _as_lists(tok(texts, padding=True, return_tensors="pt")),
                     "A row is longer than max_length: truncate (truncation=True, max_length=max_length); the "
                     "encoder has only 128 positions."),
                    (lambda texts, tok, n: _as_lists(tok(texts, padding=True, truncation=True, return_tensors="pt")),
                     "You truncated to the tokenizer's own limit, not to the max_length argument."),
                    (lambda texts, tok, n: _as_lists(tok(texts, padding=True, truncation=True, max_length=n,
                                                         add_special_tokens=False, return_tensors="pt")),
                     "Keep the special tokens ([CLS] first, [SEP] last): the classifier reads the [CLS] position. "
                     "Do not pass add_special_tokens=False."),
                ])
    return (f"The reference gives tensors of shape {tuple(reference_tokenize_batch(long, tokenizer, 48)['input_ids'].shape)}"
            f" for the first test batch (3 notes, max_length=48).")


# ---------------------------------------------------------------------------------------------------------------
# Exercise 2.3: compute_metrics for Trainer
# ---------------------------------------------------------------------------------------------------------------
def reference_compute_metrics(eval_pred) -> dict[str, float]:
    """Accuracy and macro-F1 of the argmax predictions, as Python floats (the solution's code: the lab's Trainer
    selects its best checkpoint with these numbers)."""
    from sklearn.metrics import accuracy_score, f1_score

    logits, labels = eval_pred
    predictions = np.argmax(logits, axis=-1)
    return {"accuracy": float(accuracy_score(labels, predictions)),
            "macro_f1": float(f1_score(labels, predictions, average="macro"))}


def _eval_predictions():
    from transformers import EvalPrediction

    rng = np.random.default_rng(0)
    cases = []
    for counts in ([30, 6, 4], [5, 12, 3]):  # imbalanced: macro-F1 differs from accuracy, weighted- and micro-F1
        labels = np.repeat(np.arange(3), counts)
        logits = rng.normal(size=(len(labels), 3)).astype(np.float32)
        logits[np.arange(len(labels)), labels] += np.where(labels == np.argmax(counts), 2.5, 0.3)
        cases.append(EvalPrediction(predictions=logits, label_ids=labels))
    return cases


@exercise(reference_compute_metrics)
def check_compute_metrics(student) -> str:
    """compute_metrics(eval_pred) -> {"accuracy": float, "macro_f1": float} from logits and label ids."""
    from sklearn.metrics import f1_score

    def answer(eval_pred):
        metrics = student(eval_pred)
        expect(isinstance(metrics, dict) and {"accuracy", "macro_f1"} <= set(metrics),
               f"Return a dict with the keys 'accuracy' and 'macro_f1', got {metrics!r:.100}. The reference returns "
               f"{reference_compute_metrics(eval_pred)}.")
        try:
            return {key: float(metrics[key]) for key in ("accuracy", "macro_f1")}
        except (TypeError, ValueError):
            fail(f"The metric values must be single numbers, got {metrics!r:.120}. The reference returns "
                 f"{reference_compute_metrics(eval_pred)}.")

    def with_f1(average):
        return lambda p: {"accuracy": reference_compute_metrics(p)["accuracy"],
                          "macro_f1": float(f1_score(p.label_ids, p.predictions.argmax(-1), average=average))}

    cases = _eval_predictions()
    check_cases(answer, [((p,),) for p in cases], reference=reference_compute_metrics,
                show=lambda args: f"{len(args[0].label_ids)} test predictions with class counts "
                                  f"{np.bincount(args[0].label_ids).tolist()}",
                mistakes=[
                    (with_f1("weighted"), "That is the weighted F1. Macro-F1 averages the per-class F1 scores with "
                                          "equal weight (average='macro'), so rare classes count as much as common "
                                          "ones."),
                    (with_f1("micro"), "That is the micro F1 (for single-label classification it equals accuracy). "
                                       "Macro-F1 averages the per-class F1 scores with equal weight."),
                    (lambda p: {"accuracy": reference_compute_metrics(p)["macro_f1"],
                                "macro_f1": reference_compute_metrics(p)["accuracy"]},
                     "The two values are swapped: 'accuracy' is the share of right predictions, 'macro_f1' the "
                     "mean of the per-class F1 scores."),
                    (lambda p: {k: 100 * v for k, v in reference_compute_metrics(p).items()},
                     "Return fractions between 0 and 1, not percentages."),
                ])
    first = reference_compute_metrics(cases[0])
    return f"The reference gives accuracy {first['accuracy']:.3f} and macro-F1 {first['macro_f1']:.3f} on the first test set."


# ---------------------------------------------------------------------------------------------------------------
# Exercise 2.1 (prediction): the scores of a classifier that ignores the note
# ---------------------------------------------------------------------------------------------------------------
def reference_predict_majority_scores(counts: dict) -> dict[str, float]:
    """Accuracy and macro-F1 of always answering the most frequent label of `counts` (label -> notes), on a split
    with those counts. Its class: precision = its share p, recall 1, F1 = 2p / (1 + p); every other class: F1 0."""
    total = sum(counts.values())
    share = max(counts.values()) / total
    return {"accuracy": share, "macro_f1": 2 * share / (1 + share) / len(counts)}


@exercise(reference_predict_majority_scores)
def check_predict_majority_scores(student) -> str:
    """predict_majority_scores(counts) -> {"accuracy": float, "macro_f1": float} from the label counts alone."""

    def answer(counts):
        scores = student(dict(counts))
        expect(isinstance(scores, dict) and {"accuracy", "macro_f1"} <= set(scores),
               f"Return a dict with the keys 'accuracy' and 'macro_f1', got {scores!r:.100}. The reference returns "
               f"{reference_predict_majority_scores(counts)} for the counts {counts}.")
        return {key: scores[key] for key in ("accuracy", "macro_f1")}

    def scores(accuracy, macro_f1):
        return lambda c: {"accuracy": accuracy(c), "macro_f1": macro_f1(c)}

    def share(c):
        return max(c.values()) / sum(c.values())

    cases = [{"mild": 60, "moderate": 30, "severe": 10}, {"mild": 20, "moderate": 50, "severe": 30},
             {"negative": 3, "positive": 1}]
    check_cases(answer, [((c,),) for c in cases], reference=reference_predict_majority_scores,
                mistakes=[
                    (scores(share, share), "Macro-F1 is not accuracy: it averages one F1 per class, and the classes "
                                           "the model never predicts score 0."),
                    (scores(share, lambda c: 2 * share(c) / (1 + share(c))),
                     "That is the F1 of the predicted class alone: macro-F1 averages it with the other classes' F1, "
                     "which are 0 (never predicted, so never found)."),
                    (scores(share, lambda c: share(c) / len(c)),
                     "For the predicted class the precision is its share but the recall is 1 (every note of that "
                     "class is found): its F1 is the harmonic mean of the two, not the share."),
                    (scores(share, lambda c: share(c) * 2 * share(c) / (1 + share(c))),
                     "That is the weighted F1 (classes weighted by their size): macro-F1 gives every class the same "
                     "weight."),
                    (scores(lambda c: max(c.values()), lambda c: 2 * share(c) / (1 + share(c)) / len(c)),
                     "Accuracy is a share of the notes (between 0 and 1), not a count."),
                ])
    first = reference_predict_majority_scores(cases[0])
    return (f"The reference predicts accuracy {first['accuracy']:.2f} and macro-F1 {first['macro_f1']:.3f} for the "
            f"counts {cases[0]}.")


# ---------------------------------------------------------------------------------------------------------------
# Exercise 2.4 (diagnosis): predict the severity of a new note
# ---------------------------------------------------------------------------------------------------------------
def reference_predict_severity(note, model, tokenizer) -> str:
    """The label of the highest logit, in eval mode, the note truncated to the tokenizer's maximum length."""
    model.eval()
    batch = tokenizer(note, truncation=True, max_length=tokenizer.model_max_length, return_tensors="pt")
    batch = batch.to(next(model.parameters()).device)
    with torch.no_grad():
        logits = model(**batch).logits
    return model.config.id2label[int(logits.argmax(-1)[0])]


def random_head_classifier(tokenizer, seed: int = 0):
    """A small random encoder (utils.tiny_models.tiny_bert) for the shipped tokenizer, with a 3-way severity head.
    Large random weights (initializer_range 0.5), so that its predictions differ between notes (with BERT's 0.02
    every note gets the same label). Nothing is fine-tuned: enough to compare argmaxes."""
    from ..tiny_models import tiny_bert

    model = tiny_bert(vocab_size=len(tokenizer), hidden_size=32, layers=2, seed=seed, num_labels=3,
                      id2label=dict(enumerate(SEVERITY)), label2id={label: i for i, label in enumerate(SEVERITY)},
                      max_position_embeddings=tokenizer.model_max_length, initializer_range=0.5)
    with torch.no_grad():
        model.classifier.weight.normal_(0.0, 3.0, generator=torch.Generator().manual_seed(seed))
    return model


@exercise(reference_predict_severity)
def check_predict_severity(student) -> str:
    """predict_severity(note, model, tokenizer) -> str: the label of the highest logit, in eval mode."""
    tokenizer = _encoder_tokenizer()
    notes = NOTES + [LONG_NOTE]
    for seed in range(32):  # the first random classifier that predicts all three labels, so no constant passes
        model = random_head_classifier(tokenizer, seed=seed)
        expected = [reference_predict_severity(note, model, tokenizer) for note in notes]
        if len(set(expected)) == 3:
            break
    assert len(set(expected)) == 3, "no random test classifier among 32 seeds predicts all three labels"

    def answer(note, model, tok):
        model.train()  # as it is right after training: dropout on
        try:
            label = student(note, model, tok)
        except Crashed as error:
            if len(tok(note)["input_ids"]) > tok.model_max_length:
                fail(f"{error} This note has more tokens than the encoder's {tok.model_max_length} positions: "
                     "truncate it to the tokenizer's maximum length. The reference returns "
                     f"{reference_predict_severity(note, model, tok)!r}.")
            raise
        expect(not model.training, "The model is still in training mode, so dropout makes predictions random: put "
                                   "it in evaluation mode first (and run it without gradients). The reference returns "
                                   f"{reference_predict_severity(note, model, tok)!r} for {note[:50]!r}...")
        if isinstance(label, (int, np.integer, torch.Tensor)):
            fail(f"Return the label as text ('mild', 'moderate' or 'severe'), not the class id {label!r}: map it with "
                 f"model.config.id2label. The reference returns {reference_predict_severity(note, model, tok)!r} "
                 f"for {note[:50]!r}...")
        return label

    check_cases(answer, [((note, model, tokenizer), label) for note, label in zip(notes, expected)],
                show=lambda args: f"the note {args[0][:60]!r}{'...' if len(args[0]) > 60 else ''} (a random "
                                  "classifier)",
                mistakes=[
                    (lambda note, m, tok: SEVERITY[int(m(**tok(note, truncation=True, return_tensors="pt"))
                                                     .logits.argmin(-1)[0])],
                     "You took the lowest logit: the prediction is the class with the *highest* logit."),
                ])
    return f"The reference labels the 10 test notes {expected} with this random classifier."
