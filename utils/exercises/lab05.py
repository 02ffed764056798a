"""Checks for labs/05_icl_vs_finetuning.ipynb."""
from __future__ import annotations

import math

import torch

from ..checks import check_cases, exercise

_DEMOS = [("Patient has a mild cough.", "mild"), ("Crushing chest pain, on pressors.", "severe"),
          ("Vomiting for two days, given IV fluids.", "moderate"), ("Runny nose and sneezing.", "mild")]
_QUERY = "Fever and wheezing since Monday."
_TEMPLATE = "Note: {text}\nSeverity:"


def reference_build_k_shot_prompt(demonstrations, query_text, k, template="Note: {text}\nSeverity:"):
    """The first k demonstrations, each `template` + " " + label, then the query's block with nothing after the
    colon; blocks joined by a blank line."""
    blocks = [template.format(text=text) + " " + label for text, label in demonstrations[:k]]
    blocks.append(template.format(text=query_text))
    return "\n\n".join(blocks)


def _prompt_with(k_slice=None, separator="\n\n", label_space=" ", tail=""):
    """A k-shot prompt builder with one of the exercise's bugs (the diagnosis shows them all at once)."""
    def build(demonstrations, query_text, k, template=_TEMPLATE):
        chosen = k_slice(demonstrations, k) if k_slice else demonstrations[:k]
        blocks = [template.format(text=text) + label_space + label for text, label in chosen]
        return separator.join(blocks + [template.format(text=query_text)]) + tail
    return build


@exercise(reference_build_k_shot_prompt)
def check_build_k_shot_prompt(student) -> str:
    """build_k_shot_prompt(demonstrations, query_text, k, template) -> str: the buggy version of the text, fixed."""
    cases = [((_DEMOS, _QUERY, k, _TEMPLATE),) for k in (0, 1, 3)]
    cases.append(((_DEMOS, "great food", 2, "Review: {text}\nSentiment:"),))
    check_cases(student, cases, reference=reference_build_k_shot_prompt,
                show=lambda args: f"k={args[2]} with the template {args[3]!r}",
                mistakes=[
                    (_prompt_with(k_slice=lambda d, k: d[-k:]),
                     "`demonstrations[-k:]` takes the LAST k, and with k = 0 it takes all of them (-0 is 0): a "
                     "zero-shot prompt would hold every demonstration. Take the first k."),
                    (_prompt_with(k_slice=lambda d, k: d[: k + 1]), "One demonstration too many: use the first k."),
                    (_prompt_with(tail=" "),
                     "Nothing may follow the query's colon: the label words start with a space (' mild'), so after a "
                     "trailing space the model would have to continue with a different token."),
                    (_prompt_with(label_space=""),
                     "Put a space between the colon and each demonstration's label: the demonstrations must show "
                     "the same label token (' mild') that the query is scored on."),
                    (_prompt_with(separator="\n"),
                     "Separate the blocks with a blank line ('\\n\\n'), so each note is its own block."),
                    (lambda d, q, k, t: reference_build_k_shot_prompt(d, q, k), "Use the `template` argument."),
                    (_prompt_with(k_slice=lambda d, k: d[-k:], separator="\n", label_space="", tail=" "),
                     "That is still the colleague's version: all four of its mistakes are there."),
                ])
    return ("The reference's 1-shot prompt: " + repr(reference_build_k_shot_prompt(_DEMOS, _QUERY, 1, _TEMPLATE)))


def _tiny_lm():
    """A small random Llama with the shipped decoder's tokenizer: fast, and the same on every machine."""
    from transformers import AutoTokenizer

    from ..paths import models_dir
    from ..tiny_models import tiny_llama

    tokenizer = AutoTokenizer.from_pretrained(models_dir() / "tiny-decoder")
    return tiny_llama(vocab_size=len(tokenizer), hidden_size=32, seed=5, tie_word_embeddings=False), tokenizer


def reference_score_label_words(model, tokenizer, prompt, label_words):
    """Raw logits of the first token of each label word, at the position after the prompt (1-D float tensor)."""
    device = next(model.parameters()).device
    input_ids = tokenizer(prompt, return_tensors="pt").input_ids.to(device)
    with torch.no_grad():
        next_token_logits = model(input_ids=input_ids).logits[0, -1]
    first_ids = [tokenizer.encode(word, add_special_tokens=False)[0] for word in label_words]
    return next_token_logits[first_ids].float().cpu()


def _scores_with(position=-1, token=0, strip=False, transform=None, special=True):
    """score_label_words with one mistake: another position, another token of the word, the word without its
    space, probabilities instead of logits, or the prompt without its start token."""
    @torch.no_grad()
    def score(model, tokenizer, prompt, label_words):
        ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=special).input_ids
        logits = model(input_ids=ids).logits[0, position]
        if transform:
            logits = transform(logits)
        words = [w.strip() if strip else w for w in label_words]
        return logits[[tokenizer.encode(w, add_special_tokens=False)[token] for w in words]]
    return score


@exercise(reference_score_label_words)
def check_score_label_words(student) -> str:
    """score_label_words(model, tokenizer, prompt, label_words) -> the label words' next-token logits."""
    model, tokenizer = _tiny_lm()
    words = [" mild", " moderate", " severe", " borderline"]  # ' borderline' has several tokens
    prompts = ["Note: Patient has a mild cough.\nSeverity:", "Review: great food\nSentiment:"]
    cases = [((model, tokenizer, prompts[0], words),), ((model, tokenizer, prompts[1], [" good", " bad"]),)]
    check_cases(student, cases, reference=reference_score_label_words, rel_tol=1e-4,
                show=lambda args: f"a small random model, the prompt {args[2]!r} and the words {args[3]}",
                mistakes=[
                    (_scores_with(transform=lambda x: x.log_softmax(-1)),
                     "Return the raw logits, not log-probabilities: the ranking is the same, the values are not."),
                    (_scores_with(transform=lambda x: x.softmax(-1)),
                     "Return the raw logits, not probabilities: the ranking is the same, the values are not."),
                    (_scores_with(position=0), "You read the scores at the first position: the next token is "
                                               "predicted at the LAST position of the prompt."),
                    (_scores_with(token=-1), "Use the FIRST token of each label word: that is the token that follows "
                                             "the prompt (' borderline' has several tokens)."),
                    (_scores_with(strip=True), "Encode the label words as given, with their leading space (' mild'): "
                                               "'mild' without the space is a different token."),
                    (_scores_with(special=False), "Tokenise the prompt the way the model read text in pretraining, "
                                                  "with its start token (the tokenizer adds it by default)."),
                ])
    expected = reference_score_label_words(*cases[0][0])
    return f"On the first example the reference returns {[round(v, 3) for v in expected.tolist()]}."


def reference_table_row(approach, predictions, gold, prompt_lengths, inference_seconds, trainable_params,
                        train_seconds):
    """One row of the comparison table: per-query costs, accuracy as a fraction."""
    n = len(gold)
    return {
        "approach": approach,
        "accuracy": sum(p == g for p, g in zip(predictions, gold)) / n,
        "trainable_params": trainable_params,
        "train_seconds": train_seconds,
        "prompt_tokens_per_query": sum(prompt_lengths) / len(prompt_lengths),
        "ms_per_query": 1000 * inference_seconds / n,
    }


def _row_with(**changes):
    """reference_table_row with some fields computed the wrong way: each change maps a field to f(row, args)."""
    def row(*args):
        right = reference_table_row(*args)
        return {**right, **{key: change(right, args) for key, change in changes.items()}}
    return row


_ROWS = [
    ("4-shot", ["mild", "severe", "mild", "moderate"], ["mild", "severe", "moderate", "moderate"],
     [100, 120, 90, 90], 0.2, 0, 0.0),
    ("LoRA FT", ["mild", "mild", "severe", "moderate", "mild"], ["mild", "moderate", "severe", "moderate", "severe"],
     [31, 40, 26, 29, 34], 0.15, 12_288, 41.5),
    ("full FT", ["severe", "mild", "mild"], ["severe", "mild", "moderate"], [52, 47, 60], 0.09, 819_840, 17.25),
]


@exercise(reference_table_row)
def check_table_row(student) -> str:
    """table_row(approach, predictions, gold, prompt_lengths, inference_seconds, trainable_params, train_seconds)."""
    check_cases(student, [(args,) for args in _ROWS], reference=reference_table_row,
                show=lambda args: f"the row for {args[0]!r} (trainable_params={args[5]}, train_seconds={args[6]})",
                mistakes=[
                    (_row_with(accuracy=lambda r, a: 100 * r["accuracy"]),
                     "Give accuracy as a fraction between 0 and 1, not a percentage."),
                    (_row_with(ms_per_query=lambda r, a: 1000 * a[4]),
                     "ms_per_query is the time of ONE query: divide the total by the number of queries."),
                    (_row_with(ms_per_query=lambda r, a: a[4] / len(a[2])),
                     "ms_per_query is in milliseconds: multiply seconds by 1000."),
                    (_row_with(prompt_tokens_per_query=lambda r, a: sum(a[3])),
                     "prompt_tokens_per_query is a mean over queries, not the total."),
                    (_row_with(trainable_params=lambda r, a: a[6], train_seconds=lambda r, a: a[5]),
                     "trainable_params and train_seconds are swapped."),
                    (_row_with(trainable_params=lambda r, a: 0, train_seconds=lambda r, a: 0.0),
                     "Copy trainable_params and train_seconds from the arguments: only prompting trains nothing."),
                    (_row_with(accuracy=lambda r, a: 1 - r["accuracy"]),
                     "Accuracy is the share of predictions EQUAL to gold (you counted the errors)."),
                ])
    return f"The reference's row for the first example: {reference_table_row(*_ROWS[0])}."


def reference_break_even_queries(train_seconds, prompting_ms_per_query, finetuned_ms_per_query):
    """The fewest queries after which training once and answering from short prompts has cost no more time than
    answering every query from a long prompt; math.inf when prompting is not slower per query."""
    saved_ms = prompting_ms_per_query - finetuned_ms_per_query
    if saved_ms <= 0:
        return math.inf
    return math.ceil(1000 * train_seconds / saved_ms)


_BREAK_EVEN = [(30.0, 2.5, 0.5), (12.0, 1.25, 0.3), (5.0, 0.4, 0.6), (41.5, 3.2, 0.9)]


@exercise(reference_break_even_queries)
def check_break_even_queries(student) -> str:
    """break_even_queries(train_seconds, prompting_ms_per_query, finetuned_ms_per_query) -> int or math.inf."""
    check_cases(student, [(args,) for args in _BREAK_EVEN], reference=reference_break_even_queries,
                show=lambda a: f"training {a[0]} s, prompting {a[1]} ms/query, fine-tuned {a[2]} ms/query",
                mistakes=[
                    (lambda t, p, f: math.ceil(t / (p - f)) if p > f else math.inf,
                     "Training time is in seconds, the per-query costs in milliseconds: convert before dividing."),
                    (lambda t, p, f: math.ceil(1000 * t / p),
                     "The fine-tuned model also pays per query: what each query saves is the DIFFERENCE of the two "
                     "costs."),
                    (lambda t, p, f: math.floor(1000 * t / (p - f)) if p > f else math.inf,
                     "Round up: after the rounded-down number of queries, training has not quite paid for itself."),
                    (lambda t, p, f: math.ceil(1000 * t / (p - f)),
                     "When prompting is not slower per query, training never pays for itself in time: return "
                     "math.inf, not a negative count."),
                    (lambda t, p, f: math.ceil(1000 * t / (f - p)) if p > f else math.inf,
                     "The saving per query is prompting's cost minus the fine-tuned model's, not the reverse."),
                ])
    return f"The reference: {reference_break_even_queries(*_BREAK_EVEN[0]):,} queries for the first example."
