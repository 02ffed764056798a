"""Checks for labs/05_icl_vs_finetuning.ipynb."""
from __future__ import annotations

import math

import torch

from ..checks import attempt, report

_DEMOS = [("Patient has a mild cough.", "mild"), ("Crushing chest pain, on pressors.", "severe"),
          ("Vomiting for two days, given IV fluids.", "moderate"), ("Runny nose and sneezing.", "mild")]
_QUERY = "Fever and wheezing since Monday."


def _reference_prompt(demonstrations, query_text, k, template):
    blocks = [template.format(text=text) + " " + label for text, label in demonstrations[:k]]
    return "\n\n".join(blocks + [template.format(text=query_text)])


def check_build_k_shot_prompt(build_k_shot_prompt) -> bool:
    """The prompt must hold exactly k labelled demonstrations, then the unlabelled query, joined by blank lines."""
    name = "build_k_shot_prompt"
    template = "Note: {text}\nSeverity:"
    for k in (0, 1, 3):
        ok, answer = attempt(name, build_k_shot_prompt, _DEMOS, _QUERY, k, template)
        if not ok:
            return False
        expected = _reference_prompt(_DEMOS, _QUERY, k, template)
        if not isinstance(answer, str):
            return report(name, False, f"Return one string (the whole prompt), not a {type(answer).__name__}.")
        if answer == expected:
            continue
        if answer.rstrip() == expected and answer != expected:
            return report(name, False, "The prompt must end right after 'Severity:' (no space or newline after "
                                       "it): the model's next token is the label word, which starts with a space.")
        if answer.count("Note:") != k + 1:
            return report(name, False, f"With k={k} the prompt should hold {k} demonstrations and the query, i.e. "
                                       f"{k + 1} notes; yours holds {answer.count('Note:')}.")
        if answer.endswith(_QUERY) or "\n\n" not in answer and k > 0:
            return report(name, False, "Format every demonstration with the template, add ' ' + label, and join the "
                                       "blocks with a blank line ('\\n\\n'); the query comes last, without a label.")
        return report(name, False, f"For k={k} expected\n{expected!r}\ngot\n{answer!r}")
    ok, answer = attempt(name, build_k_shot_prompt, _DEMOS, "great food", 2, "Review: {text}\nSentiment:")
    if not ok:
        return False
    expected = _reference_prompt(_DEMOS, "great food", 2, "Review: {text}\nSentiment:")
    return report(name, answer == expected, "Use the `template` argument rather than a fixed 'Note: ...' text: "
                                             f"expected {expected!r}, got {answer!r}.")


def _tiny_lm():
    """A small random Llama with the shipped decoder's tokenizer: fast, and the same on every machine."""
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from ..paths import models_dir

    tokenizer = AutoTokenizer.from_pretrained(models_dir() / "tiny-decoder")
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=256,
                         tie_word_embeddings=False)
    torch.manual_seed(5)
    return LlamaForCausalLM(config).eval(), tokenizer


@torch.no_grad()
def _reference_scores(model, tokenizer, prompt, label_words):
    ids = tokenizer(prompt, return_tensors="pt").input_ids
    logits = model(input_ids=ids).logits[0, -1]
    return logits[[tokenizer.encode(w, add_special_tokens=False)[0] for w in label_words]]


def check_score_label_words(score_label_words) -> bool:
    """Logits of the first token of each label word, at the position after the prompt."""
    name = "score_label_words"
    model, tokenizer = _tiny_lm()
    prompt = "Note: Patient has a mild cough.\nSeverity:"
    words = [" mild", " moderate", " severe", " borderline"]  # the last one has several tokens
    ok, answer = attempt(name, score_label_words, model, tokenizer, prompt, words)
    if not ok:
        return False
    expected = _reference_scores(model, tokenizer, prompt, words)
    try:
        answer = torch.as_tensor(answer, dtype=torch.float32).detach().flatten()
    except Exception:
        return report(name, False, f"Return a 1-D tensor of {len(words)} scores, one per label word.")
    if answer.numel() != len(words):
        return report(name, False, f"Expected {len(words)} scores (one per label word), got {answer.numel()}.")
    if torch.allclose(answer, expected, atol=1e-4):
        return report(name, True)
    with torch.no_grad():
        ids = tokenizer(prompt, return_tensors="pt").input_ids
        logits = model(input_ids=ids).logits[0]
    first_ids = [tokenizer.encode(w, add_special_tokens=False)[0] for w in words]
    last_ids = [tokenizer.encode(w, add_special_tokens=False)[-1] for w in words]
    bare_ids = [tokenizer.encode(w.strip(), add_special_tokens=False)[0] for w in words]
    if torch.allclose(answer, logits.log_softmax(-1)[-1, first_ids], atol=1e-4) or \
            torch.allclose(answer, logits.softmax(-1)[-1, first_ids], atol=1e-4):
        return report(name, False, "Return the raw logits (the LM head's scores), not probabilities or "
                                   "log-probabilities: the ranking is the same, but the check compares values.")
    if torch.allclose(answer, logits[0, first_ids], atol=1e-4):
        return report(name, False, "You read the scores at the first position: the next token is predicted at "
                                   "the LAST position of the prompt (`logits[0, -1]`).")
    if torch.allclose(answer, logits[-1, last_ids], atol=1e-4):
        return report(name, False, "Use the FIRST token of each label word: that is the token that follows the "
                                   "prompt (' borderline' has several tokens).")
    if torch.allclose(answer, logits[-1, bare_ids], atol=1e-4):
        return report(name, False, "Encode the label words as given, with their leading space (' mild'): "
                                   "'mild' without the space is a different token.")
    return report(name, False, f"Expected {[round(v, 3) for v in expected.tolist()]}, got "
                               f"{[round(v, 3) for v in answer.tolist()]}. Tokenise the prompt with "
                               "`tokenizer(prompt)` (it adds the start token, as in pretraining).")


def check_table_row(table_row) -> bool:
    """One row of the comparison table, with per-query costs and accuracy as a fraction."""
    name = "table_row"
    args = dict(approach="4-shot", predictions=["mild", "severe", "mild", "moderate"],
                gold=["mild", "severe", "moderate", "moderate"], prompt_lengths=[100, 120, 90, 90],
                inference_seconds=0.2, trainable_params=0, train_seconds=0.0)
    ok, answer = attempt(name, table_row, **args)
    if not ok:
        return False
    expected = {"approach": "4-shot", "accuracy": 0.75, "trainable_params": 0, "train_seconds": 0.0,
                "prompt_tokens_per_query": 100.0, "ms_per_query": 50.0}
    if not isinstance(answer, dict):
        return report(name, False, f"Return a dict with the keys {sorted(expected)}.")
    missing = sorted(set(expected) - set(answer))
    if missing:
        return report(name, False, f"The row lacks the keys {missing}.")
    if math.isclose(float(answer["accuracy"]), 75.0):
        return report(name, False, "Give accuracy as a fraction between 0 and 1 (0.75), not a percentage.")
    if math.isclose(float(answer["ms_per_query"]), 200.0):
        return report(name, False, "ms_per_query is the time of ONE query: divide the total by the number of "
                                   "queries.")
    if math.isclose(float(answer["ms_per_query"]), 0.05):
        return report(name, False, "ms_per_query is in milliseconds: multiply seconds by 1000.")
    if math.isclose(float(answer["prompt_tokens_per_query"]), 400.0):
        return report(name, False, "prompt_tokens_per_query is a mean over queries, not the total.")
    for key, value in expected.items():
        if isinstance(value, str):
            good = answer[key] == value
        else:
            good = math.isclose(float(answer[key]), value, rel_tol=1e-6, abs_tol=1e-9)
        if not good:
            return report(name, False, f"{key}: expected {value!r}, got {answer[key]!r}.")
    return report(name, True)
