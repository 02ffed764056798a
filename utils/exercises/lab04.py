"""Checks for labs/04_chat_templates.ipynb."""
from __future__ import annotations

import torch

from ..batching import IGNORE_INDEX
from ..checks import attempt, report

TURNS = [("user", "What colour is the zib?"), ("assistant", "The zib is blue."),
         ("system", "Answer briefly."), ("tool", "102")]


def check_format_turn(format_turn) -> bool:
    name = "format_turn"
    for role, content in TURNS:
        ok, answer = attempt(name, format_turn, role, content)
        if not ok:
            return False
        expected = f"<|start_header_id|>{role}<|end_header_id|>\n\n{content}<|eot_id|>"
        if answer == expected:
            continue
        if not isinstance(answer, str):
            return report(name, False, f"Return the text (a str), not {type(answer).__name__}.")
        if answer.startswith("<|begin_of_text|>"):
            return report(name, False, "<|begin_of_text|> starts the whole conversation once, not every turn.")
        if not answer.endswith("<|eot_id|>"):
            return report(name, False, "Every turn ends with <|eot_id|>: that is the token the model learns to stop on.")
        if "<|end_header_id|>\n\n" not in answer:
            return report(name, False, "After <|end_header_id|> come two newlines, then the content.")
        return report(name, False, f"For ({role!r}, {content!r}) expected {expected!r}, got {answer!r}.")
    return report(name, True)


def check_build_input_ids_and_labels(build_input_ids_and_labels) -> bool:
    name = "build_input_ids_and_labels"
    segments = [([0], False), ([2, 11, 3, 7, 7], False), ([40, 41], False), ([4], False),
                ([2, 12, 3, 7, 7], False), ([50, 51, 52], True), ([4], True)]
    ids = [t for seg, _ in segments for t in seg]
    expected = [t if sup else IGNORE_INDEX for seg, sup in segments for t in seg]
    ok, result = attempt(name, build_input_ids_and_labels, [(list(s), sup) for s, sup in segments])
    if not ok:
        return False
    if not isinstance(result, tuple) or len(result) != 2:
        return report(name, False, "Return a tuple (input_ids, labels) of two lists.")
    got_ids, labels = list(result[0]), list(result[1])
    if got_ids != ids:
        return report(name, False, "input_ids should be every segment's tokens, in order.")
    if len(labels) != len(ids):
        return report(name, False, f"labels needs one entry per token ({len(ids)}), got {len(labels)}; do not shift.")
    if labels == [IGNORE_INDEX if e != IGNORE_INDEX else t for t, e in zip(ids, expected)]:
        return report(name, False, "The mask is the wrong way round: supervised segments keep their ids, the "
                                   "others get -100.")
    if labels == [t if e != IGNORE_INDEX else 0 for t, e in zip(ids, expected)]:
        return report(name, False, "Use -100 (IGNORE_INDEX) for positions without loss, not 0.")
    if labels == expected[:-1] + [IGNORE_INDEX]:
        return report(name, False, "The assistant's final <|eot_id|> must carry loss: it teaches the model to stop.")
    return report(name, labels == expected, f"Expected labels {expected}, got {labels}.")


def _tiny_model():
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=48, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=128,
                         bos_token_id=None, eos_token_id=None, pad_token_id=None)  # nothing stops generate early
    return LlamaForCausalLM(config).eval()


def check_greedy_until_eot(greedy_until_eot) -> bool:
    name = "greedy_until_eot"
    model = _tiny_model()
    prompt = [1, 5, 9, 2, 7]
    with torch.no_grad():
        free = model.generate(torch.tensor([prompt]), max_new_tokens=10, do_sample=False, eos_token_id=None,
                              pad_token_id=0)[0, len(prompt):].tolist()
    stop = next((t for t in free[2:] if free.index(t) >= 2), None)  # a token first produced at step >= 2
    cases = [(stop, free[: free.index(stop)]), (47 if 47 not in free else 46, free)]
    for eot_id, expected in cases:
        if eot_id is None:
            continue
        ok, answer = attempt(name, greedy_until_eot, model, list(prompt), eot_id, 10)
        if not ok:
            return False
        answer = [int(t) for t in (answer.tolist() if torch.is_tensor(answer) else answer)]
        if answer == expected:
            continue
        if answer[: len(prompt)] == prompt and answer[len(prompt):] == expected:
            return report(name, False, "Return only the new tokens, without the prompt.")
        if answer == expected + [eot_id]:
            return report(name, False, "Leave the <|eot_id|> out of the returned tokens: it ends the turn, it is "
                                       "not part of the reply.")
        if len(answer) == 10 and answer[: len(expected)] == expected:
            return report(name, False, "Stop as soon as the model produces eot_id.")
        if len(answer) > 10:
            return report(name, False, "Generate at most max_new_tokens tokens.")
        return report(name, False, f"With eot_id={eot_id}, expected the greedy tokens {expected}, got {answer}. "
                                   "Take the argmax of the last position's logits at every step.")
    return report(name, True)
