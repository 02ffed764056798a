"""Checks for labs/04_chat_templates.ipynb."""
from __future__ import annotations

import torch

from ..batching import IGNORE_INDEX
from ..chat import BOS, END_HEADER, EOT, START_HEADER, generate_until_eot
from ..checks import check_cases, exercise


def _as(convert, answer):
    """The answer converted (a tensor to a float or a list of ints), or as it is when it cannot be: the comparison
    then shows the student what they returned."""
    try:
        return convert(answer)
    except (TypeError, ValueError, RuntimeError):
        return answer


# Exercise 4.1 -------------------------------------------------------------------------------------------------
def reference_format_turn(role: str, content: str) -> str:
    """One message in the course's (Llama 3) format: header, two newlines, content, end of turn."""
    return START_HEADER + role + END_HEADER + "\n\n" + content + EOT


TURNS = [("user", "What colour is the zib?"), ("assistant", "The zib is blue."),
         ("system", "Answer briefly."), ("tool", "102")]


@exercise(reference_format_turn)
def check_format_turn(student) -> str:
    """format_turn(role, content) -> str, one message without <|begin_of_text|>."""
    check_cases(student, [(turn,) for turn in TURNS], reference=reference_format_turn,
                mistakes=[
                    (lambda r, c: BOS + reference_format_turn(r, c),
                     "<|begin_of_text|> starts the whole conversation once, not every turn."),
                    (lambda r, c: START_HEADER + r + END_HEADER + "\n\n" + c,
                     "Every turn ends with <|eot_id|>: that is the token the model learns to stop on."),
                    (lambda r, c: reference_format_turn(r, c) + "\n",
                     "Nothing comes after <|eot_id|>: the next turn's header follows it directly (a newline after "
                     "the end of turn is ChatML's habit, not this format's)."),
                    (lambda r, c: START_HEADER + r + END_HEADER + "\n" + c + EOT,
                     "After <|end_header_id|> come two newlines, then the content."),
                    (lambda r, c: START_HEADER + r + END_HEADER + c + EOT,
                     "After <|end_header_id|> come two newlines, then the content."),
                    (lambda r, c: reference_format_turn(r.capitalize(), c),
                     "Write the role as given, in lowercase ('user'): the lecture's slides write 'User', the "
                     "template (and the model's training data) does not."),
                    (lambda r, c: "<|im_start|>" + r + "\n" + c + "<|im_end|>",
                     "That is ChatML (Qwen2.5, SmolLM2-Instruct); this course's template follows Llama 3: "
                     "<|start_header_id|>role<|end_header_id|>, two newlines, the content, <|eot_id|>."),
                ])
    return f"The reference renders ('user', 'Hi') as {reference_format_turn('user', 'Hi')!r}."


# Exercise 4.2 -------------------------------------------------------------------------------------------------
def reference_predict_new_token_share(old_logits) -> float:
    """The probability a new token takes at one position when its output row is the mean of the old rows.

    The output layer is linear, so the new logit is the mean of the old logits at that position; the new token then
    joins the softmax."""
    z = torch.as_tensor(old_logits, dtype=torch.float64).flatten()
    new = z.mean()
    return float(torch.exp(new - torch.logsumexp(torch.cat([z, new[None]]), 0)))


def _logit_cases() -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return [torch.tensor([2.0, 0.5, -1.0, 3.0]), torch.linspace(-3.0, 5.0, 9),
            3.0 * torch.randn(50, generator=generator)]


def _share(old_logits, new_logit) -> float:
    z = torch.as_tensor(old_logits, dtype=torch.float64)
    new = torch.as_tensor(new_logit, dtype=torch.float64)
    return float(torch.exp(new - torch.logsumexp(torch.cat([z, new[None]]), 0)))


@exercise(reference_predict_new_token_share)
def check_predict_new_token_share(student) -> str:
    """predict_new_token_share(old_logits) -> float, for a mean-initialised new output row."""
    cases = _logit_cases()
    names = {id(z): f"old logits {[round(v, 2) for v in z.tolist()][:9]}" + (" ..." if len(z) > 9 else "")
             for z in cases}
    expected = [reference_predict_new_token_share(z) for z in cases]
    check_cases(lambda z: _as(float, student(z.clone())), [((z,), e) for z, e in zip(cases, expected)], rel_tol=1e-4,
                show=lambda args: names[id(args[0])],
                mistakes=[
                    (lambda z: 1 / (len(z) + 1),
                     "1 / (V + 1) is the share only if every logit were equal. The new row is the mean of the old "
                     "rows and the output layer is linear, so the new logit is the mean of the old logits; the "
                     "exponential of a mean is smaller than the mean of the exponentials."),
                    (lambda z: 1 / len(z),
                     "1 / V is the average share of the old tokens, not the new token's: work out its logit first "
                     "(the output layer is linear, and its row is the mean of the old rows)."),
                    (lambda z: float(torch.exp(z.double().mean() - torch.logsumexp(z.double(), 0))),
                     "The new token joins the softmax: its own exp(logit) belongs in the denominator too."),
                    (lambda z: _share(z, 0.0),
                     "The new row is not zero: it starts at the mean of the old rows, so its logit is the mean of "
                     "the old logits, not 0."),
                    (lambda z: 0.0,
                     "An untrained token still has a row, hence a logit, and the softmax gives every logit some "
                     "probability."),
                    (lambda z: _share(z, z.max()),
                     "The new row is the mean of the old rows, not a copy of the best one: its logit is the mean "
                     "of the old logits."),
                ])
    return (f"For old logits {cases[0].tolist()} the reference predicts {expected[0]:.4f} "
            f"(1 / (V + 1) would be {1 / 5:.4f}).")


# Exercise 4.3 -------------------------------------------------------------------------------------------------
def reference_build_input_ids_and_labels(segments) -> tuple[list[int], list[int]]:
    """(input_ids, labels): every segment's ids in order; labels the ids where the segment is supervised, else -100."""
    input_ids, labels = [], []
    for token_ids, supervised in segments:
        input_ids += list(token_ids)
        labels += list(token_ids) if supervised else [IGNORE_INDEX] * len(token_ids)
    return input_ids, labels


# Token ids of a made-up vocabulary: 0 begin of text, 2 start header, 3 end header, 4 end of turn, 7 newline,
# 11 user, 12 assistant, 13 system; the rest are words. The supervised segments are not always the last ones.
SEGMENTS = {
    "a system prompt, a question and its answer": [
        ([0], False), ([2, 13, 3, 7, 7], False), ([40, 41], False), ([4], False), ([2, 11, 3, 7, 7], False),
        ([42, 43], False), ([4], False), ([2, 12, 3, 7, 7], False), ([50, 51, 52], True), ([4], True)],
    "two exchanges (two replies to supervise)": [
        ([0], False), ([2, 11, 3, 7, 7], False), ([44], False), ([4], False), ([2, 12, 3, 7, 7], False),
        ([53, 54], True), ([4], True), ([2, 11, 3, 7, 7], False), ([45, 46], False), ([4], False),
        ([2, 12, 3, 7, 7], False), ([55], True), ([4], True)],
    "two exchanges, only the last reply supervised (the first was written by another model)": [
        ([0], False), ([2, 11, 3, 7, 7], False), ([44], False), ([4], False), ([2, 12, 3, 7, 7], False),
        ([58, 59], False), ([4], False), ([2, 11, 3, 7, 7], False), ([45], False), ([4], False),
        ([2, 12, 3, 7, 7], False), ([60, 61], True), ([4], True)],
    "an exchange, then a user turn still waiting for its reply": [
        ([0], False), ([2, 11, 3, 7, 7], False), ([47], False), ([4], False), ([2, 12, 3, 7, 7], False),
        ([56, 57], True), ([4], True), ([2, 11, 3, 7, 7], False), ([48, 49], False), ([4], False)],
}


def _labels_by(rule):
    """A wrong build: the right input_ids, labels supervised where `rule(index, segments, ids, supervised)` says."""
    def build(segments):
        input_ids, labels = [], []
        for index, (token_ids, supervised) in enumerate(segments):
            input_ids += list(token_ids)
            keep = rule(index, segments, list(token_ids), supervised)
            labels += list(token_ids) if keep else [IGNORE_INDEX] * len(token_ids)
        return input_ids, labels
    return build


def _after_assistant_header(index, segments, ids, supervised):
    """Supervises what follows an assistant header up to the next header (the 'assistant-looking' segments)."""
    owner = None
    for token_ids, _ in segments[: index + 1]:
        if token_ids[:1] == [2]:
            owner = token_ids[1] if len(token_ids) > 1 else None
    return owner == 12 and ids[:1] != [2]


BUILD_MISTAKES = [
    (_labels_by(lambda i, segs, ids, sup: i >= len(segs) - 2),
     "Read each segment's `supervised` flag: you supervised the last two segments by position, but a conversation "
     "can hold several replies, or end with a user turn."),
    (_labels_by(_after_assistant_header),
     "Read each segment's `supervised` flag instead of guessing from the tokens which segments the assistant wrote: "
     "the flag is the one statement of what carries loss."),
    (_labels_by(lambda i, segs, ids, sup: not sup),
     "The mask is the wrong way round: supervised segments keep their ids, the others get -100."),
    (_labels_by(lambda i, segs, ids, sup: True),
     "Every token carries loss: put -100 on the segments whose flag is False."),
    (_labels_by(lambda i, segs, ids, sup: sup and ids != [4]),
     "The assistant's final <|eot_id|> must carry loss: it teaches the model to stop."),
    (lambda segments: (reference_build_input_ids_and_labels(segments)[0],
                       [0 if label == IGNORE_INDEX else label for label in reference_build_input_ids_and_labels(
                           segments)[1]]),
     "Use -100 (IGNORE_INDEX) for positions without loss, not 0: 0 is a real token id."),
    (lambda segments: (reference_build_input_ids_and_labels(segments)[0],
                       reference_build_input_ids_and_labels(segments)[1][1:] + [IGNORE_INDEX]),
     "Do not shift the labels: the model shifts them inside forward()."),
]


@exercise(reference_build_input_ids_and_labels)
def check_build_input_ids_and_labels(student) -> str:
    """build_input_ids_and_labels(segments) -> (input_ids, labels), labels from each segment's flag."""
    check_cases(student, [(([(list(ids), sup) for ids, sup in segments],),) for segments in SEGMENTS.values()],
                reference=reference_build_input_ids_and_labels, mistakes=BUILD_MISTAKES,
                show=lambda args: "the segments of " + next(
                    (name for name, segments in SEGMENTS.items()
                     if [(list(i), s) for i, s in segments] == args[0]), repr(args[0])))
    first = next(iter(SEGMENTS.values()))
    return f"On the first test conversation the reference's labels are {reference_build_input_ids_and_labels(first)[1]}."


# Exercise 4.4 -------------------------------------------------------------------------------------------------
def reference_greedy_until_eot(model, prompt_ids, eot_id, max_new_tokens) -> list[int]:
    """utils.chat.generate_until_eot's new tokens (it uses the KV cache; the greedy tokens are the same)."""
    return generate_until_eot(model, prompt_ids, eot_id, max_new_tokens)[0]


PROMPT = [1, 5, 9, 2, 7]


def _never_appends(model, prompt_ids, eot_id, max_new_tokens):
    """Runs the model on the prompt alone at every step, so it predicts the same token again and again."""
    first = reference_greedy_until_eot(model, prompt_ids, eot_id, 1)
    return [] if not first else first * max_new_tokens


GREEDY_MISTAKES = [
    (lambda m, p, e, n: list(p) + reference_greedy_until_eot(m, p, e, n),
     "Return only the new tokens, without the prompt."),
    (lambda m, p, e, n: reference_greedy_until_eot(m, p, e, n) + [e],
     "Leave the <|eot_id|> out of the returned tokens: it ends the turn, it is not part of the reply."),
    (lambda m, p, e, n: reference_greedy_until_eot(m, p, -1, n),
     "Stop as soon as the model produces eot_id."),
    (_never_appends,
     "Append each new token to the ids before the next step: the model must see what it has written so far."),
    (lambda m, p, e, n: reference_greedy_until_eot(m, p, e, n + 1),
     "Generate at most max_new_tokens new tokens (you made one too many)."),
    (lambda m, p, e, n: reference_greedy_until_eot(m, p, e, n - 1),
     "Generate up to max_new_tokens new tokens (you made one too few)."),
]


@exercise(reference_greedy_until_eot)
def check_greedy_until_eot(student) -> str:
    """greedy_until_eot(model, prompt_ids, eot_id, max_new_tokens) -> new token ids (a list of ints)."""
    from ..tiny_models import tiny_llama

    model = tiny_llama(seed=0)
    free = reference_greedy_until_eot(model, PROMPT, -1, 10)  # no stop token: ten greedy tokens
    assert len(set(free)) >= 6, f"test model out of date: its greedy tokens {free} repeat"  # so mistakes differ
    stop = next(t for step, t in enumerate(free) if step >= 3 and free.index(t) == step)  # first produced at step >= 3
    absent = next(t for t in range(48) if t not in free)
    cases = [((model, list(PROMPT), stop, 10),), ((model, list(PROMPT), absent, 10),),
             ((model, list(PROMPT), stop, 2),)]
    described = {(stop, 10): f"eot_id={stop} (the model writes it after {free.index(stop)} tokens), "
                             "max_new_tokens=10",
                 (absent, 10): f"eot_id={absent} (never written), max_new_tokens=10",
                 (stop, 2): f"eot_id={stop}, max_new_tokens=2"}
    check_cases(lambda m, p, e, n: _as(lambda a: [int(t) for t in a], student(m, p, e, n)), cases,
                reference=reference_greedy_until_eot, mistakes=GREEDY_MISTAKES,
                show=lambda args: f"the test model (utils.tiny_models.tiny_llama(seed=0)), prompt {PROMPT}, "
                                  + described[(args[2], args[3])])
    return f"On the test model with prompt {PROMPT} and eot_id={stop}, the reference returns {free[:free.index(stop)]}."
