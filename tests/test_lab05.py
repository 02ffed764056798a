"""Lab 05 (in-context learning versus fine-tuning): the notebook keeps the lab's shape, and every exercise check
accepts another correct implementation and rejects plausible wrong ones with the hint that names the mistake."""
import math

import pytest
import torch

from notebook_cells import assert_accepts, assert_rejects
from utils.exercises.lab05 import (check_break_even_queries, check_build_k_shot_prompt, check_score_label_words,
                                   check_table_row)

NOTEBOOK = "05_icl_vs_finetuning.ipynb"


pytestmark = pytest.mark.usefixtures("student_mode")  # a rejected answer prints, as for a student


# --- 5.1 build_k_shot_prompt (diagnosis of the colleague's version) --------------------------------------------

def _builder(pick=lambda demos, k: demos[:k], separator="\n\n", between=" ", tail=""):
    def build_k_shot_prompt(demonstrations, query_text, k, template="Note: {text}\nSeverity:"):
        prompt = ""
        for text, label in pick(demonstrations, k):
            prompt += template.format(text=text) + between + label + separator
        return prompt + template.format(text=query_text) + tail
    return build_k_shot_prompt


def test_build_k_shot_prompt_accepts_a_loop_that_appends_blocks(capsys):
    assert_accepts(check_build_k_shot_prompt, _builder(), capsys)


@pytest.mark.parametrize("wrong, hint", [
    (_builder(pick=lambda demos, k: demos[-k:]), "with k = 0 it takes all of them"),
    (_builder(tail=" "), "Nothing may follow the query's colon"),
    (_builder(between=""), "Put a space between the colon and each demonstration's label"),
    (_builder(separator="\n"), "blank line"),
    (_builder(pick=lambda demos, k: demos[: k + 1]), "One demonstration too many"),
    (_builder(pick=lambda demos, k: demos[-k:], separator="\n", between="", tail=" "), "the colleague's version"),
    (lambda demos, query, k, template: _builder()(demos, query, k), "Use the `template` argument"),
])
def test_build_k_shot_prompt_rejects(wrong, hint, capsys):
    assert_rejects(check_build_k_shot_prompt, wrong, hint, capsys)


# --- 5.2 score_label_words ----------------------------------------------------------------------------------------

def _scorer(position=-1, token=0, strip=False, probabilities=False, start_token=True):
    def score_label_words(model, tokenizer, prompt, label_words):
        ids = tokenizer.encode(prompt, add_special_tokens=start_token)
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([ids])).logits[0]
        row = logits[position].softmax(-1) if probabilities else logits[position]
        return torch.stack([row[tokenizer.encode(w.strip() if strip else w, add_special_tokens=False)[token]]
                            for w in label_words])
    return score_label_words


def test_score_label_words_accepts_a_list_of_floats_read_off_the_full_logits(capsys):
    def as_list(model, tokenizer, prompt, label_words):
        return [float(v) for v in _scorer()(model, tokenizer, prompt, label_words)]
    assert_accepts(check_score_label_words, as_list, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (_scorer(position=0), "LAST position"),
    (_scorer(probabilities=True), "not probabilities"),
    (_scorer(token=-1), "FIRST token"),
    (_scorer(strip=True), "leading space"),
    (_scorer(start_token=False), "start token"),
])
def test_score_label_words_rejects(wrong, hint, capsys):
    assert_rejects(check_score_label_words, wrong, hint, capsys)


# --- 5.3 table_row --------------------------------------------------------------------------------------------------

def _row(accuracy=lambda hits, n: hits / n, ms=lambda s, n: 1000 * s / n, tokens=lambda lengths: sum(lengths) / len(lengths),
         swap=False, zero=False):
    def table_row(approach, predictions, gold, prompt_lengths, inference_seconds, trainable_params, train_seconds):
        hits = sum(p == g for p, g in zip(predictions, gold))
        if swap:
            trainable_params, train_seconds = train_seconds, trainable_params
        return {"approach": approach, "accuracy": accuracy(hits, len(gold)),
                "trainable_params": 0 if zero else trainable_params, "train_seconds": 0.0 if zero else train_seconds,
                "prompt_tokens_per_query": tokens(prompt_lengths), "ms_per_query": ms(inference_seconds, len(gold))}
    return table_row


def test_table_row_accepts_a_row_built_with_numpy_means(capsys):
    import numpy as np

    def table_row(approach, predictions, gold, prompt_lengths, inference_seconds, trainable_params, train_seconds):
        return dict(approach=approach, accuracy=float(np.mean(np.array(predictions) == np.array(gold))),
                    trainable_params=trainable_params, train_seconds=train_seconds,
                    prompt_tokens_per_query=float(np.mean(prompt_lengths)),
                    ms_per_query=inference_seconds / len(gold) * 1000)
    assert_accepts(check_table_row, table_row, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (_row(swap=True), "swapped"),  # issue 18: swapped fields passed
    (_row(zero=True), "Copy trainable_params and train_seconds"),  # issue 18: zeroed fields passed
    (_row(ms=lambda s, n: 1000 * s), "ONE query"),
    (_row(ms=lambda s, n: s / n), "milliseconds"),
    (_row(accuracy=lambda hits, n: 100 * hits / n), "percentage"),
    (_row(tokens=sum), "not the total"),
    (_row(accuracy=lambda hits, n: (n - hits) / n), "counted the errors"),
])
def test_table_row_rejects(wrong, hint, capsys):
    assert_rejects(check_table_row, wrong, hint, capsys)


# --- 5.4 break_even_queries (decision) ----------------------------------------------------------------------------

def test_break_even_queries_accepts_a_loop_that_counts_queries(capsys):
    def break_even_queries(train_seconds, prompting_ms_per_query, finetuned_ms_per_query):
        if finetuned_ms_per_query >= prompting_ms_per_query:
            return float("inf")
        n = 0
        while train_seconds * 1000 + n * finetuned_ms_per_query > n * prompting_ms_per_query:
            n += 1
        return n
    assert_accepts(check_break_even_queries, break_even_queries, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (lambda t, p, f: math.ceil(t / (p - f)) if p > f else math.inf, "convert"),
    (lambda t, p, f: math.ceil(1000 * t / p), "DIFFERENCE"),
    (lambda t, p, f: int(1000 * t / (p - f)) if p > f else math.inf, "Round up"),
    (lambda t, p, f: math.ceil(1000 * t / (p - f)), "math.inf"),
    (lambda t, p, f: 15_000, "returns 12632"),  # the first example's answer, hard-coded
])
def test_break_even_queries_rejects(wrong, hint, capsys):
    assert_rejects(check_break_even_queries, wrong, hint, capsys)


# --- the notebook's own helpers for the shuffled-label controls (sections 4 and 9) ---------------------------------

def _notebook_functions(*names, **namespace):
    """The functions `names`, taken from the solution cell that defines them and run on their own (not the rest of
    the cell, which needs the model)."""
    import ast
    import random

    import nbformat

    from notebook_cells import ROOT

    functions = {}
    for cell in nbformat.read(ROOT / "solutions" / NOTEBOOK, as_version=4).cells:
        if cell.cell_type == "code":
            functions.update({node.name: node for node in ast.parse(cell.source).body
                              if isinstance(node, ast.FunctionDef) and node.name in names})
    assert sorted(functions) == sorted(names), f"the notebook no longer defines {sorted(set(names) - set(functions))}"
    namespace = {"random": random, **namespace}
    exec(compile(ast.Module(list(functions.values()), type_ignores=[]), f"<{NOTEBOOK}>", "exec"), namespace)
    return [namespace[name] for name in names]


def test_arrow_prompt_writes_one_pattern_line_per_demonstration_then_the_query():
    (arrow_prompt,) = _notebook_functions("arrow_prompt")
    demos = [("Runny nose.", "mild"), ("On pressors.", "severe"), ("IV fluids.", "moderate")]
    assert arrow_prompt(demos, "Wheezing.", 2) == "Runny nose. -> mild\nOn pressors. -> severe\nWheezing. ->"
    assert arrow_prompt(demos, "Wheezing.", 0) == "Wheezing. ->"


@pytest.mark.parametrize("labels, fewest_kept", [
    (["mild", "severe", "moderate", "mild"], 0),
    (["mild", "mild", "mild", "severe"], 2),  # three of one label and one other: two must stay where they are
    (["severe", "severe"], 2),
])
def test_shuffled_labels_permutes_the_labels_and_keeps_as_few_in_place_as_the_labels_allow(labels, fewest_kept):
    import random

    (shuffled_labels,) = _notebook_functions("shuffled_labels")
    demos = [(f"note {i}", label) for i, label in enumerate(labels)]
    for seed in range(20):
        shuffled = shuffled_labels(demos, random.Random(seed))
        assert [text for text, _ in shuffled] == [text for text, _ in demos], "the notes stay in their order"
        assert sorted(label for _, label in shuffled) == sorted(labels), "the same labels, permuted"
        assert sum(a == b for (_, a), (_, b) in zip(shuffled, demos)) == fewest_kept


def test_pattern_tasks_with_shuffled_labels_move_every_output_and_keep_the_target():
    derangement, pattern_tasks = _notebook_functions(
        "derangement", "pattern_tasks",
        rule_pairs={"uppercase": [(w, w.upper()) for w in ["cat", "dog", "hat", "cup", "box", "sun"]]},
        copy_words=["cat", "dog", "hat", "cup", "box", "sun"], copy_values=["red", "blue", "yes", "no", "left"])
    with pytest.raises(ValueError):
        derangement(["red", "red"], None)
    for k in (2, 4):
        true, shuffled = pattern_tasks(k, 5, seed=3), pattern_tasks(k, 5, seed=3, shuffle_labels=True)
        assert all(y == x.upper() for prompt, _ in true["uppercase"]  # precondition: unshuffled lines follow the rule
                   for x, y in (line.split(" -> ") for line in prompt.split("\n")[:-1]))
        for prompt, target in shuffled["uppercase"]:
            lines = [line.split(" -> ") for line in prompt.split("\n")[:-1]]
            assert len(lines) == k and all(y != x.upper() and y.isupper() for x, y in lines)
            query = prompt.split("\n")[-1]
            assert target == f" {query[:-3].upper()}\n", "the target is still the rule's answer"
        for prompt, target in shuffled["new mapping"]:
            shown = dict(line.split(" -> ") for line in prompt.split("\n")[:-1])
            query = prompt.split("\n")[-1][:-3]
            assert query in shown and f" {shown[query]}\n" != target, "the query's word shows another value"
