"""Lab 04: each exercise check accepts another correct answer and rejects plausible wrong ones, naming the mistake."""
import math

import pytest
import torch

from notebook_cells import assert_accepts, assert_rejects
from utils.exercises import lab04


pytestmark = pytest.mark.usefixtures("student_mode")  # a rejected answer prints, as for a student


# Exercise 4.1: format_turn -------------------------------------------------------------------------------------
def test_format_turn_accepts_an_f_string(capsys):
    assert_accepts(lab04.check_format_turn,
                   lambda role, content: f"<|start_header_id|>{role}<|end_header_id|>\n\n{content}<|eot_id|>", capsys)


@pytest.mark.parametrize("wrong, hint", [
    (lambda r, c: f"<|begin_of_text|><|start_header_id|>{r}<|end_header_id|>\n\n{c}<|eot_id|>", "starts the whole"),
    (lambda r, c: f"<|start_header_id|>{r}<|end_header_id|>\n\n{c}", "Every turn ends with <|eot_id|>"),
    (lambda r, c: f"<|start_header_id|>{r}<|end_header_id|>\n{c}<|eot_id|>", "two newlines"),
    (lambda r, c: f"<|start_header_id|>{r.title()}<|end_header_id|>\n\n{c}<|eot_id|>", "in lowercase"),
    (lambda r, c: f"<|im_start|>{r}\n{c}<|im_end|>", "ChatML"),
    (lambda r, c: f"<|start_header_id|>{r}<|end_header_id|>\n\n{c}<|eot_id|>\n", "Nothing comes after <|eot_id|>"),
    (lambda r, c: f"<|start_header_id|>{c}<|end_header_id|>\n\n{r}<|eot_id|>", "the reference returns"),  # swapped
])
def test_format_turn_rejects(wrong, hint, capsys):
    assert_rejects(lab04.check_format_turn, wrong, hint, capsys)


# Exercise 4.2: predict_new_token_share (a prediction, compared with the measured share in the lab) ---------------
def test_predict_new_token_share_accepts_a_float32_numpy_style_answer(capsys):
    def by_hand(old_logits):
        z = [float(v) for v in old_logits]
        new = sum(z) / len(z)
        return math.exp(new) / (sum(math.exp(v) for v in z) + math.exp(new))
    assert_accepts(lab04.check_predict_new_token_share, by_hand, capsys)


def test_the_reference_prediction_is_what_a_mean_initialised_row_takes():
    """The reference is a prediction about real models: a resized tiny model's new token takes exactly that share."""
    from utils.tiny_models import tiny_llama

    model = tiny_llama(tie_word_embeddings=True)
    ids = torch.tensor([[1, 5, 9, 2, 7]])
    with torch.no_grad():
        before = model(input_ids=ids).logits[0]
        model.resize_token_embeddings(49, mean_resizing=True)
        after = model(input_ids=ids).logits[0].softmax(-1)[:, 48]
    predicted = torch.tensor([lab04.reference_predict_new_token_share(z) for z in before], dtype=torch.float64)
    assert torch.allclose(after.double(), predicted, rtol=1e-3)
    assert (predicted < 1 / 49).all()  # below 1 / (V + 1): exp of a mean is below the mean of exps


@pytest.mark.parametrize("wrong, hint", [
    (lambda z: 1 / (len(z) + 1), "1 / (V + 1) is the share only if every logit were equal"),
    (lambda z: 1 / len(z), "1 / V is the average share"),
    (lambda z: float(torch.exp(z.mean()) / torch.exp(z).sum()), "belongs in the denominator"),
    (lambda z: float(1 / (torch.exp(z).sum() + 1)), "The new row is not zero"),
    (lambda z: 0.0, "An untrained token still has a row"),
    (lambda z: float(torch.softmax(z, 0).mean()), "1 / V is the average share"),  # the mean old probability
    (lambda z: [0.09], "yours returned [0.09]"),  # not a float
])
def test_predict_new_token_share_rejects(wrong, hint, capsys):
    assert_rejects(lab04.check_predict_new_token_share, wrong, hint, capsys)


# Exercise 4.3: build_input_ids_and_labels (the diagnosis: supervising by position) --------------------------------
def test_build_input_ids_and_labels_accepts_a_comprehension(capsys):
    def with_comprehensions(segments):
        return ([t for ids, _ in segments for t in ids],
                [t if supervised else -100 for ids, supervised in segments for t in ids])
    assert_accepts(lab04.check_build_input_ids_and_labels, with_comprehensions, capsys)


def _the_last_two_segments(segments):  # the first version shown in the exercise
    input_ids = [t for token_ids, _ in segments for t in token_ids]
    labels = [-100] * len(input_ids)
    reply, end_of_turn = segments[-2][0], segments[-1][0]
    labels[-(len(reply) + len(end_of_turn)):] = reply + end_of_turn
    return input_ids, labels


def _every_reply_after_an_assistant_header(segments):  # guesses the assistant's segments from the tokens
    input_ids, labels, speaker = [], [], None
    for token_ids, _ in segments:
        if token_ids[:1] == [2]:  # a header: remember whose turn it is
            speaker = token_ids[1]
            labels += [-100] * len(token_ids)
        else:
            labels += list(token_ids) if speaker == 12 else [-100] * len(token_ids)
        input_ids += token_ids
    return input_ids, labels


def _all_end_of_turn_tokens_too(segments):
    input_ids = [t for ids, _ in segments for t in ids]
    labels = [t if supervised or ids == [4] else -100 for ids, supervised in segments for t in ids]
    return input_ids, labels


@pytest.mark.parametrize("wrong, hint", [
    (_the_last_two_segments, "you supervised the last two segments by position"),  # issue 18: used to pass
    (_every_reply_after_an_assistant_header, "instead of guessing from the tokens"),  # issue 18: used to pass
    (_all_end_of_turn_tokens_too, "the reference returns"),
    (lambda segments: ([t for ids, _ in segments for t in ids],
                       [t if not s else -100 for ids, s in segments for t in ids]), "wrong way round"),
    (lambda segments: ([t for ids, _ in segments for t in ids],
                       [t if s else 0 for ids, s in segments for t in ids]), "not 0"),
    (lambda segments: ([t for ids, _ in segments for t in ids],
                       [t if s and ids != [4] else -100 for ids, s in segments for t in ids]), "teaches the model to stop"),
    (lambda segments: [t if s else -100 for ids, s in segments for t in ids], "the reference returns"),  # labels only
])
def test_build_input_ids_and_labels_rejects(wrong, hint, capsys):
    assert_rejects(lab04.check_build_input_ids_and_labels, wrong, hint, capsys)


# Exercise 4.4: greedy_until_eot ------------------------------------------------------------------------------------
def test_greedy_until_eot_accepts_a_version_with_the_kv_cache(capsys):
    @torch.no_grad()
    def cached(model, prompt_ids, eot_id, max_new_tokens):
        out = model(input_ids=torch.tensor([prompt_ids]), use_cache=True)
        new = []
        for _ in range(max_new_tokens):
            next_id = out.logits[0, -1].argmax().item()
            if next_id == eot_id:
                break
            new.append(next_id)
            out = model(input_ids=torch.tensor([[next_id]]), past_key_values=out.past_key_values, use_cache=True)
        return new
    assert_accepts(lab04.check_greedy_until_eot, cached, capsys)


def test_the_greedy_test_model_writes_varied_tokens():
    """Precondition of the check (issue 18): a model that repeats one token would let 'never appends' pass."""
    from utils.tiny_models import tiny_llama

    free = lab04.reference_greedy_until_eot(tiny_llama(seed=0), lab04.PROMPT, -1, 10)
    assert len(set(free)) == len(free) == 10


def _greedy(model, prompt_ids, eot_id, max_new_tokens, keep_prompt=False, keep_eot=False, append=True, extra=0):
    ids, new = list(prompt_ids), []
    with torch.no_grad():
        for _ in range(max_new_tokens + extra):
            next_id = int(model(input_ids=torch.tensor([ids if append else list(prompt_ids)])).logits[0, -1].argmax())
            if next_id == eot_id:
                if keep_eot:
                    new.append(next_id)
                break
            ids.append(next_id)
            new.append(next_id)
    return list(prompt_ids) + new if keep_prompt else new


@pytest.mark.parametrize("wrong, hint", [
    (lambda m, p, e, n: _greedy(m, p, e, n, keep_prompt=True), "without the prompt"),
    (lambda m, p, e, n: _greedy(m, p, e, n, keep_eot=True), "Leave the <|eot_id|> out"),
    (lambda m, p, e, n: _greedy(m, p, None, n), "Stop as soon as"),
    (lambda m, p, e, n: _greedy(m, p, e, n, append=False), "Append each new token"),  # issue 18's test_chat trap
    (lambda m, p, e, n: _greedy(m, p, e, n, extra=1), "one too many"),
    (lambda m, p, e, n: _greedy(m, p, e, n, extra=-1), "one too few"),
])
def test_greedy_until_eot_rejects(wrong, hint, capsys):
    assert_rejects(lab04.check_greedy_until_eot, wrong, hint, capsys)
