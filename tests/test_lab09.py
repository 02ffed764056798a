"""Lab 09: the preference module (validator, batch layout, sequence log-probs, DPO loss) and the exercise checks,
which must reject the likely mistakes and name them."""
from __future__ import annotations

import json
import math

import pytest
import torch
import torch.nn.functional as F
from notebook_cells import assert_accepts, assert_rejects

from utils import preference
from utils.data import load_records
from utils.exercises import lab09
from utils.preference import (PreferenceError, dpo_loss, is_caution, is_refusal, pad_preference_batch,
                              validate_preference_pairs)


pytestmark = pytest.mark.usefixtures("student_mode")  # a rejected answer prints, as for a student


# --- utils.preference ------------------------------------------------------------------------------------------
def test_a_pair_missing_a_field_is_named_with_its_index():
    with pytest.raises(PreferenceError, match=r"pairs\[1\]: field 'rejected' is missing"):
        validate_preference_pairs([{"prompt": "p", "chosen": "a", "rejected": "b"}, {"prompt": "p", "chosen": "a"}])


def test_a_pair_whose_answers_are_equal_is_rejected_with_what_to_fix():
    with pytest.raises(PreferenceError, match="the same answer.*Drop it or fix the rejected answer"):
        validate_preference_pairs([{"prompt": "p", "chosen": "Yes.", "rejected": " Yes. "}])


@pytest.mark.parametrize("bad", [[], [{"prompt": "", "chosen": "a", "rejected": "b"}],
                                 [{"prompt": "p", "chosen": 3, "rejected": "b"}], ["not a dict"]])
def test_malformed_pairs_fail_clearly(bad):
    with pytest.raises(PreferenceError):
        validate_preference_pairs(bad)


def test_every_shipped_preference_pair_is_valid_and_its_chosen_answer_follows_its_kind():
    for split in ("train", "test"):
        rows = validate_preference_pairs(load_records("preferences", split), where=split)
        for row in rows:
            risky = row["kind"] == "risky_plan"
            assert is_caution(row["chosen"]) == risky and is_caution(row["rejected"]) != risky
            assert not is_refusal(row["chosen"]) and not is_refusal(row["rejected"])
    test_prompts = {r["prompt"] for r in load_records("preferences", "test")}
    assert "I want to refocus my diet on only eating Apples and supplements." in test_prompts  # seed 004's words
    assert not test_prompts & {r["prompt"] for r in load_records("preferences", "train")}


def test_a_malformed_preferences_line_names_file_line_and_field(tmp_path):
    good = {"prompt": "I want to nap.", "chosen": "Good idea!", "rejected": "Please be careful.",
            "kind": "benign_plan", "template": "t"}
    path = tmp_path / "preferences" / "train.jsonl"
    path.parent.mkdir()
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, "kind": "sneaky"}) + "\n")
    with pytest.raises(ValueError, match=r"train.jsonl:2: field 'kind' has unknown label 'sneaky'"):
        load_records("preferences", "train", root=tmp_path)


def test_the_batch_puts_chosen_rows_first_and_supervises_exactly_the_answers():
    examples = [{"prompt_ids": [5, 6, 7], "chosen_ids": [8, 9, 1], "rejected_ids": [10, 1]},
                {"prompt_ids": [5, 6], "chosen_ids": [11, 1], "rejected_ids": [12, 13, 14, 1]}]
    batch = pad_preference_batch(examples, pad_token_id=0)
    assert batch["input_ids"].tolist() == [[5, 6, 7, 8, 9, 1], [5, 6, 11, 1, 0, 0],
                                           [5, 6, 7, 10, 1, 0], [5, 6, 12, 13, 14, 1]]
    assert batch["labels"].tolist() == [[-100, -100, -100, 8, 9, 1], [-100, -100, 11, 1, -100, -100],
                                        [-100, -100, -100, 10, 1, -100], [-100, -100, 12, 13, 14, 1]]
    assert batch["attention_mask"].tolist() == [[1] * 6, [1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 0], [1] * 6]


class FixedLogits(torch.nn.Module):
    """A 'model' whose next-token distribution depends only on the position (so log-probs are known)."""

    def __init__(self, vocab=16, length=8):
        super().__init__()
        self.table = torch.randn(length, vocab, generator=torch.Generator().manual_seed(0))

    def forward(self, input_ids, attention_mask=None, logits_to_keep=0):
        logits = self.table[: input_ids.shape[1]]
        # as Hugging Face causal LMs read it: an int keeps the last positions (0 = all), a 1-D tensor these positions
        logits = logits[-logits_to_keep:] if isinstance(logits_to_keep, int) else logits[logits_to_keep]
        return type("Out", (), {"logits": logits.expand(input_ids.shape[0], -1, -1)})


def test_sequence_logps_sums_the_answer_tokens_after_the_shift():
    model = FixedLogits()
    batch = pad_preference_batch([{"prompt_ids": [3, 4], "chosen_ids": [5, 6], "rejected_ids": [7]}], pad_token_id=0)
    logps = preference.sequence_logps(model, batch)
    table = model.table.log_softmax(-1)
    assert torch.allclose(logps[0], table[1, 5] + table[2, 6])  # position t predicts token t + 1
    assert torch.allclose(logps[1], table[1, 7])  # padding after the rejected answer is not counted


def test_dpo_loss_is_log_two_when_the_policy_is_the_reference_and_matches_the_formula():
    pc, pr = torch.tensor([-3.0, -7.0]), torch.tensor([-4.0, -2.0])
    loss, chosen_rewards, rejected_rewards = dpo_loss(pc, pr, pc, pr, beta=0.3)
    assert math.isclose(loss.item(), math.log(2), rel_tol=1e-6) and not chosen_rewards.any()
    rc, rr = torch.tensor([-3.5, -6.0]), torch.tensor([-3.0, -2.5])
    expected = -F.logsigmoid(0.3 * ((pc - rc) - (pr - rr))).mean()
    assert torch.allclose(dpo_loss(pc, pr, rc, rr, 0.3)[0], expected)


def test_trl_text_is_tokenised_by_the_tokenizer_as_tokenize_preference_pair_does():
    from utils.profiles import load_decoder

    _, tokenizer = load_decoder("offline")
    pair = {"prompt": "What is ibuprofen used for?", "chosen": "Ibuprofen is used for pain.", "rejected": "Sorry."}
    text = preference.trl_text_example(pair, tokenizer)
    ids = preference.tokenize_preference_pair(pair, tokenizer)
    assert tokenizer(text["prompt"])["input_ids"] == ids["prompt_ids"]
    assert tokenizer(text["prompt"] + text["chosen"] + tokenizer.eos_token)["input_ids"] == \
        ids["prompt_ids"] + ids["chosen_ids"]


# --- exercise checks: each accepts another correct answer and rejects plausible wrong ones, naming the mistake ----
def breaks_rule_by_table(kind, reply):
    rules = {"forbidden": lambda r: not is_refusal(r), "allowed": is_refusal, "risky_plan": lambda r: not is_caution(r),
             "benign_plan": lambda r: is_refusal(r) or is_caution(r)}
    if kind not in rules:
        raise ValueError(kind)
    return reply.strip() == "" or bool(rules[kind](reply))


def test_check_breaks_rule_accepts_a_table_of_rules(capsys):
    assert_accepts(lab09.check_breaks_rule, breaks_rule_by_table, capsys)


def breaks_rule_ignores_empty(kind, reply):
    return {"forbidden": not is_refusal(reply), "allowed": is_refusal(reply), "risky_plan": not is_caution(reply),
            "benign_plan": is_refusal(reply) or is_caution(reply)}[kind]


def breaks_rule_benign_only_caution(kind, reply):
    if not reply.strip():
        return True
    return {"forbidden": not is_refusal(reply), "allowed": is_refusal(reply), "risky_plan": not is_caution(reply),
            "benign_plan": is_caution(reply)}[kind]


def breaks_rule_risky_accepts_refusal(kind, reply):
    if not reply.strip():
        return True
    return {"forbidden": not is_refusal(reply), "allowed": is_refusal(reply),
            "risky_plan": not (is_caution(reply) or is_refusal(reply)),
            "benign_plan": is_refusal(reply) or is_caution(reply)}[kind]


def breaks_rule_unknown_kind_is_false(kind, reply):
    if kind not in ("forbidden", "allowed", "risky_plan", "benign_plan"):
        return False
    return breaks_rule_ignores_empty(kind, reply) or not reply.strip()


def breaks_rule_unknown_kind_raises_key_error(kind, reply):
    return breaks_rule_ignores_empty(kind, reply) or not reply.strip()  # dict lookup: KeyError


def follows_rule(kind, reply):  # the opposite question
    return not breaks_rule_by_table(kind, reply)


@pytest.mark.parametrize("wrong, hint", [
    (breaks_rule_ignores_empty, "empty reply breaks every rule"),
    (breaks_rule_benign_only_caution, "refusal of a benign plan"),
    (breaks_rule_risky_accepts_refusal, "dose refusal is not one"),
    (breaks_rule_unknown_kind_is_false, "should raise a ValueError"),
    (breaks_rule_unknown_kind_raises_key_error, "not KeyError"),
    (follows_rule, "*breaks* it"),
    (lambda kind, reply: breaks_rule_by_table({"forbidden": "allowed", "allowed": "forbidden"}.get(kind, kind), reply),
     "you swapped the two rules"),
    (lambda kind, reply: int(breaks_rule_by_table(kind, reply)), "real bool"),
])
def test_check_breaks_rule_rejects(wrong, hint, capsys):
    assert_rejects(lab09.check_breaks_rule, wrong, hint, capsys)


def _margin(pc, pr, rc, rr, beta):
    return beta * ((pc - rc) - (pr - rr))


def test_check_dpo_loss_accepts_the_loss_written_with_rewards(capsys):
    def with_rewards(pc, pr, rc, rr, beta):
        chosen_reward, rejected_reward = beta * (pc - rc), beta * (pr - rr)
        return torch.log1p(torch.exp(-(chosen_reward - rejected_reward))).mean()
    assert_accepts(lab09.check_dpo_loss_mine, with_rewards, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (lambda pc, pr, rc, rr, beta: -F.logsigmoid(_margin(pc, pr, rc, rr, beta)), "one loss per pair"),
    (lambda pc, pr, rc, rr, beta: -F.logsigmoid(_margin(pc, pr, rc, rr, beta)).sum(), "sum over pairs"),
    (lambda pc, pr, rc, rr, beta: -F.logsigmoid(beta * (pc - pr)).mean(), "no reference"),
    (lambda pc, pr, rc, rr, beta: -F.logsigmoid(-_margin(pc, pr, rc, rr, beta)).mean(), "sign flipped"),
    (lambda pc, pr, rc, rr, beta: F.logsigmoid(_margin(pc, pr, rc, rr, beta)).mean(), "no minus sign"),
    (lambda pc, pr, rc, rr, beta: -F.logsigmoid(_margin(pc, pr, rc, rr, 1.0)).mean(), "beta ignored"),
    (lambda pc, pr, rc, rr, beta: float(-F.logsigmoid(_margin(pc, pr, rc, rr, beta)).mean()), "torch tensor"),
    (lambda pc, pr, rc, rr, beta: -F.logsigmoid(_margin(pc, pr, rc, rr, 0.1)).mean(), "the reference returns"),
])
def test_check_dpo_loss_rejects(wrong, hint, capsys):
    assert_rejects(lab09.check_dpo_loss_mine, wrong, hint, capsys)


def test_check_predict_beta_zero_accepts_log_two_computed(capsys):
    assert_accepts(lab09.check_predict_beta_zero, lambda: {"loss": math.log(2), "policy_changes": False}, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (lambda: {"loss": 0.0, "policy_changes": False}, "not the loss"),
    (lambda: {"loss": 0.693, "policy_changes": True}, "gradient"),
    (lambda: {"loss": 1.0, "policy_changes": False}, "-log sigmoid(0)"),
    (lambda: {"loss": 0.693}, "exactly the keys"),
    (lambda: {"loss": 0.693, "policy_changes": "no"}, "True or False"),
])
def test_check_predict_beta_zero_rejects(wrong, hint, capsys):
    assert_rejects(lab09.check_predict_beta_zero, wrong, hint, capsys)


def test_check_predict_large_beta_accepts_computed_values(capsys):
    assert_accepts(lab09.check_predict_large_beta,
                   lambda: {"loss_at_start_beta_10": -F.logsigmoid(torch.tensor(0.0)).item(),
                            "gradient_ratio": 10.0 / 0.1}, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (lambda: {"loss_at_start_beta_10": 0.693, "gradient_ratio": 1.0}, "its slope is not"),
    (lambda: {"loss_at_start_beta_10": 0.693, "gradient_ratio": 10.0}, "compare beta = 10 with beta = 0.1"),
    (lambda: {"loss_at_start_beta_10": 0.0, "gradient_ratio": 100.0}, "policy *is* the reference"),
    (lambda: {"loss_at_start_beta_10": 0.693, "gradient_ratio": 1e4}, "proportional to beta"),
])
def test_check_predict_large_beta_rejects(wrong, hint, capsys):
    assert_rejects(lab09.check_predict_large_beta, wrong, hint, capsys)


def choose_by_sorting(rows, max_drop):
    allowed = sorted((row for row in rows if row["refusal drop"] <= max_drop),
                     key=lambda row: (row["false refusals"], -row["beta"]))
    return allowed[0]["beta"] if allowed else None


def test_check_choose_beta_accepts_sorting(capsys):
    assert_accepts(lab09.check_choose_beta, choose_by_sorting, capsys)


def choose_ignoring_the_bound(rows, max_drop):
    return min(rows, key=lambda row: row["false refusals"])["beta"]


def choose_with_strict_bound(rows, max_drop):
    allowed = [row for row in rows if row["refusal drop"] < max_drop]
    return min(allowed, key=lambda row: (row["false refusals"], -row["beta"]))["beta"] if allowed else None


def choose_smaller_beta_on_tie(rows, max_drop):
    allowed = [row for row in rows if row["refusal drop"] <= max_drop]
    return min(allowed, key=lambda row: (row["false refusals"], row["beta"]))["beta"] if allowed else None


def choose_smallest_drop(rows, max_drop):
    allowed = [row for row in rows if row["refusal drop"] <= max_drop]
    return min(allowed, key=lambda row: row["refusal drop"])["beta"] if allowed else None


@pytest.mark.parametrize("wrong, hint", [
    (choose_ignoring_the_bound, "within the bound"),
    (choose_with_strict_bound, "equal to the bound"),
    (choose_smaller_beta_on_tie, "larger beta"),
    (choose_smallest_drop, "not by the smallest refusal drop"),
    (lambda rows, max_drop: choose_by_sorting(rows, max_drop) or 0.0, "returns None"),
])
def test_check_choose_beta_rejects(wrong, hint, capsys):
    assert_rejects(lab09.check_choose_beta, wrong, hint, capsys)
