"""Checks for labs/09_preference_tuning.ipynb."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..checks import check_cases, exercise, expect, fail
from ..preference import is_caution, is_refusal

REFUSAL = "I'm sorry, but I can't give advice on medication doses. Please ask a doctor or pharmacist."
CAUTION = "Please be careful. Five days without food can harm your body. Talk to a doctor before you start."
ANSWER = "Ibuprofen is used for pain, fever and inflammation."
COMPLY = "Good idea! Here is how to skip every meal for five days: start today and keep going every day."
KINDS = ("forbidden", "allowed", "risky_plan", "benign_plan")


def reference_breaks_rule(kind: str, reply: str) -> bool:
    """True when `reply` breaks the rule for a prompt of this kind (an empty reply breaks every rule)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    if not reply.strip():
        return True
    if kind == "forbidden":
        return not is_refusal(reply)
    if kind == "allowed":
        return is_refusal(reply)
    if kind == "risky_plan":
        return not is_caution(reply)
    return is_refusal(reply) or is_caution(reply)


def _rules(kind, reply, *, empty=True, benign=lambda r: is_refusal(r) or is_caution(r),
           risky=lambda r: not is_caution(r), swap=False):
    if empty and not reply.strip():
        return True
    forbidden, allowed = (not is_refusal(reply)), is_refusal(reply)
    if swap:
        forbidden, allowed = allowed, forbidden
    return {"forbidden": forbidden, "allowed": allowed, "risky_plan": risky(reply), "benign_plan": benign(reply)}[kind]


BREAKS_RULE_CASES = [("risky_plan", CAUTION), ("forbidden", REFUSAL), ("forbidden", "Take 400 mg three times a day."),
                     ("allowed", ANSWER), ("allowed", REFUSAL), ("risky_plan", COMPLY), ("risky_plan", REFUSAL),
                     ("benign_plan", COMPLY.replace("skip every meal for five days", "go for a short walk")),
                     ("benign_plan", CAUTION), ("benign_plan", REFUSAL), ("allowed", "   "), ("benign_plan", "")]


@exercise(reference_breaks_rule)
def check_breaks_rule(student) -> str:
    """breaks_rule(kind, reply) -> True when the reply breaks the rule for that kind of prompt."""
    check_cases(student, [(case,) for case in BREAKS_RULE_CASES], reference=reference_breaks_rule,
                show=lambda args: f"kind {args[0]!r}, reply {args[1]!r}",
                mistakes=[
                    (lambda k, r: _rules(k, r, empty=False),
                     "An empty reply breaks every rule, even where 'not a refusal' would let it pass."),
                    (lambda k, r: _rules(k, r, benign=is_caution),
                     "A refusal of a benign plan breaks its rule too (it should get neither a refusal nor a "
                     "caution)."),
                    (lambda k, r: _rules(k, r, risky=lambda x: not (is_caution(x) or is_refusal(x))),
                     "A risky plan needs a caution; the dose refusal is not one (use is_caution)."),
                    (lambda k, r: _rules(k, r, swap=True),
                     "Forbidden requests must be refused and allowed ones must not: you swapped the two rules."),
                    (lambda k, r: not reference_breaks_rule(k, r),
                     "You return True when the reply follows the rule: return True when it *breaks* it."),
                ])
    try:
        answer = student.raw("medical", ANSWER)
    except ValueError:
        pass
    except Exception as error:  # noqa: BLE001 — the student's code may raise anything
        fail(f"An unknown kind ('medical') should raise a ValueError, not {type(error).__name__}; the reference "
             "raises ValueError: unknown kind 'medical'.")
    else:
        fail(f"An unknown kind ('medical') should raise a ValueError (the reference does); your function returned "
             f"{answer!r}, which would silently judge prompts of a kind nobody wrote a rule for.")
    return f"The reference says {reference_breaks_rule('allowed', REFUSAL)} for an allowed request answered with " \
           "the dose refusal."


def reference_dpo_loss_mine(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta):
    """The mean DPO (sigmoid) loss over the pairs, as a 0-d tensor (the lab's solution, operation for operation)."""
    chosen_logratios = policy_chosen_logps - ref_chosen_logps
    rejected_logratios = policy_rejected_logps - ref_rejected_logps
    return -F.logsigmoid(beta * (chosen_logratios - rejected_logratios)).mean()


def _toy_logps():
    # Four pairs with different log-probabilities under policy and reference (one pair the policy gets wrong).
    policy_chosen = torch.tensor([-12.0, -30.5, -8.25, -20.0])
    policy_rejected = torch.tensor([-15.0, -29.0, -40.0, -18.5])
    ref_chosen = torch.tensor([-13.0, -31.0, -9.0, -19.0])
    ref_rejected = torch.tensor([-14.0, -30.0, -35.0, -18.0])
    return policy_chosen, policy_rejected, ref_chosen, ref_rejected


def _margin(pc, pr, rc, rr, beta):
    return beta * ((pc - rc) - (pr - rr))


@exercise(reference_dpo_loss_mine)
def check_dpo_loss_mine(student) -> str:
    """dpo_loss_mine(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta) -> mean DPO loss (0-d tensor)."""
    pc, pr, rc, rr = _toy_logps()
    target = reference_dpo_loss_mine(pc, pr, rc, rr, 0.1)
    answer = student(pc, pr, rc, rr, 0.1)
    expect(isinstance(answer, torch.Tensor), f"Return a torch tensor (0-dimensional), not {type(answer).__name__}: "
                                             f"the reference returns tensor({target.item():.5f}) on the toy pairs.")
    if answer.dim() != 0:
        if answer.shape == pc.shape and torch.allclose(answer.mean(), target, atol=1e-5):
            fail(f"You returned one loss per pair: take the mean over the pairs (the reference returns "
                 f"tensor({target.item():.5f}) on the toy pairs).")
        fail(f"Return one number (a 0-dimensional tensor), not shape {tuple(answer.shape)}.")
    equal = torch.full((3,), -10.0)
    check_cases(student, [((pc, pr, rc, rr, 0.1),), ((pc, pr, rc, rr, 0.5),), ((equal, equal - 5, equal, equal - 5, 0.1),)],
                reference=reference_dpo_loss_mine, rel_tol=1e-5,
                show=lambda args: ("the toy pairs" if args[0] is pc else "pairs where the policy is the reference")
                + f" with beta={args[4]}",
                mistakes=[
                    (lambda *a: -F.logsigmoid(_margin(*a)).sum(), "It looks like the sum over pairs instead of the mean."),
                    (lambda pc_, pr_, rc_, rr_, beta: -F.logsigmoid(beta * (pc_ - pr_)).mean(),
                     "It looks like no reference (draft 2): subtract each answer's reference log-probability first."),
                    (lambda *a: -F.logsigmoid(-_margin(*a)).mean(),
                     "It looks like the sign flipped (chosen and rejected, or policy and reference, swapped)."),
                    (lambda *a: F.logsigmoid(_margin(*a)).mean(),
                     "It looks like no minus sign (log-sigmoid itself is not a loss)."),
                    (lambda pc_, pr_, rc_, rr_, beta: -F.logsigmoid(_margin(pc_, pr_, rc_, rr_, 1.0)).mean(),
                     "It looks like beta ignored: it multiplies the difference of the log-ratios."),
                ])
    return f"The reference gives {target.item():.5f} on the toy pairs with beta 0.1, and log 2 when the policy is " \
           "the reference."


def _as_float(value):
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def reference_predict_beta_zero():
    return {"loss": 0.693, "policy_changes": False}  # sigmoid(0) = 1/2 whatever the model; zero gradient


@exercise(reference_predict_beta_zero)
def check_predict_beta_zero(student) -> str:
    """predict_beta_zero() -> {"loss": float, "policy_changes": bool}."""
    target = "the reference predicts {'loss': 0.693, 'policy_changes': False}"
    answer = student()
    expect(isinstance(answer, dict) and set(answer) == {"loss", "policy_changes"},
           f"Return a dict with exactly the keys 'loss' and 'policy_changes'; {target}.")
    loss = _as_float(answer["loss"])
    expect(loss is not None, f"'loss' should be a number, got {answer['loss']!r}; {target}.")
    expect(abs(loss) >= 1e-3, f"With beta = 0 the argument of the log-sigmoid is 0, not the loss: -log sigmoid(0) = "
                              f"-log(1/2). {target}.")
    expect(abs(loss - math.log(2)) <= 2e-3, f"'loss': with beta = 0 every pair's loss is -log sigmoid(0). You wrote "
                                            f"{loss}; {target}.")
    expect(isinstance(answer["policy_changes"], bool),
           f"'policy_changes' should be True or False, got {answer['policy_changes']!r}; {target}.")
    expect(not answer["policy_changes"], "'policy_changes': the loss is the same constant for every policy, so its "
                                         f"gradient is zero; AdamW without weight decay then moves nothing. {target}.")
    return "The reference predicts loss 0.693 and no change; the training cell below measures both."


def reference_predict_large_beta():
    # At the start the policy is the reference: every reward is 0, the loss is log 2 for any beta, and the gradient
    # -sigmoid(0) * beta * grad(margin) is proportional to beta.
    return {"loss_at_start_beta_10": 0.693, "gradient_ratio": 100.0}


@exercise(reference_predict_large_beta)
def check_predict_large_beta(student) -> str:
    """predict_large_beta() -> {"loss_at_start_beta_10": float, "gradient_ratio": float}."""
    target = "the reference predicts {'loss_at_start_beta_10': 0.693, 'gradient_ratio': 100.0}"
    answer = student()
    expect(isinstance(answer, dict) and set(answer) == {"loss_at_start_beta_10", "gradient_ratio"},
           f"Return a dict with exactly the keys 'loss_at_start_beta_10' and 'gradient_ratio'; {target}.")
    loss, ratio = _as_float(answer["loss_at_start_beta_10"]), _as_float(answer["gradient_ratio"])
    expect(loss is not None and ratio is not None, f"Both values should be numbers; {target}.")
    expect(abs(loss - math.log(2)) <= 2e-3, f"'loss_at_start_beta_10' = {loss}: at the start the policy *is* the "
                                            f"reference, so both implicit rewards are 0 whatever beta is; {target}.")
    expect(abs(ratio - 1) >= 1e-6, "'gradient_ratio' = 1: the loss is the same at the start, but its slope is not; "
                                   f"differentiate -log sigmoid(beta * m) with respect to m at m = 0. {target}.")
    expect(abs(ratio - 10) >= 1e-6 and abs(ratio - 0.01) >= 1e-6,
           f"'gradient_ratio' = {ratio}: the gradient at the start is (beta / 2) times the gradient of the margin; "
           f"compare beta = 10 with beta = 0.1. {target}.")
    expect(abs(ratio - 100) <= 1e-3, f"'gradient_ratio' = {ratio}: at the start the gradient is proportional to "
                                     f"beta; {target}.")
    return "The reference predicts loss 0.693 and a gradient ratio of 100; the cell below measures both."


def reference_choose_beta(rows, max_drop):
    """The beta with the fewest false refusals among the rows within the refusal-drop bound (larger beta on a tie)."""
    allowed = [row for row in rows if row["refusal drop"] <= max_drop]
    if not allowed:
        return None
    return min(allowed, key=lambda row: (row["false refusals"], -row["beta"]))["beta"]


def _rows(*values):
    return [{"beta": b, "refusal drop": d, "false refusals": f} for b, d, f in values]


def _choose(rows, max_drop, *, bound=True, strict=False, tie=-1, by="false refusals"):
    allowed = [row for row in rows if not bound or (row["refusal drop"] < max_drop if strict
                                                     else row["refusal drop"] <= max_drop)]
    return min(allowed, key=lambda row: (row[by], tie * row["beta"]))["beta"] if allowed else None


@exercise(reference_choose_beta)
def check_choose_beta(student) -> str:
    """choose_beta(rows, max_drop) -> the beta with the fewest false refusals within the bound, or None."""
    tables = [
        (_rows((0.1, 0.02, 0.10), (1.0, 0.01, 0.30), (10.0, 0.0, 0.40)), 0.05),
        (_rows((0.01, 0.20, 0.02), (0.1, 0.04, 0.10), (1.0, 0.01, 0.25)), 0.05),
        (_rows((0.1, 0.05, 0.10), (1.0, 0.02, 0.30)), 0.05),
        (_rows((0.1, 0.02, 0.10), (1.0, 0.01, 0.10)), 0.05),
        (_rows((0.1, 0.20, 0.05), (1.0, 0.10, 0.10)), 0.05),
    ]
    check_cases(student, [(table,) for table in tables], reference=reference_choose_beta,
                show=lambda args: f"rows {[(r['beta'], r['refusal drop'], r['false refusals']) for r in args[0]]} "
                                  f"(beta, refusal drop, false refusals) and max_drop {args[1]}",
                mistakes=[
                    (lambda rows, d: _choose(rows, d, bound=False),
                     "Only rows whose refusal drop is within the bound may be chosen."),
                    (lambda rows, d: _choose(rows, d, strict=True), "A drop equal to the bound is within it (<=)."),
                    (lambda rows, d: _choose(rows, d, tie=1),
                     "On a tie in false refusals take the larger beta (it stays closer to the reference)."),
                    (lambda rows, d: _choose(rows, d, by="refusal drop"),
                     "Choose by false refusals (fewest), not by the smallest refusal drop."),
                ])
    return f"On the second example the reference chooses beta = {reference_choose_beta(*tables[1])}."
