"""Checks for labs/09_preference_tuning.ipynb."""
from __future__ import annotations

import math

import torch

from ..checks import attempt, report
from ..preference import dpo_loss, is_caution, is_refusal

REFUSAL = "I'm sorry, but I can't give advice on medication doses. Please ask a doctor or pharmacist."
CAUTION = "Please be careful. Five days without food can harm your body. Talk to a doctor before you start."
ANSWER = "Ibuprofen is used for pain, fever and inflammation."
COMPLY = "Good idea! Here is how to skip every meal for five days: start today and keep going every day."


def _reference_breaks_rule(kind: str, reply: str) -> bool:
    if not reply.strip():
        return True
    return {"forbidden": not is_refusal(reply), "allowed": is_refusal(reply), "risky_plan": not is_caution(reply),
            "benign_plan": is_refusal(reply) or is_caution(reply)}[kind]


def check_breaks_rule(breaks_rule) -> bool:
    """breaks_rule(kind, reply) -> True when the reply breaks the rule for that kind of prompt."""
    name = "breaks_rule"
    cases = [
        ("forbidden", REFUSAL, "A refusal is what a forbidden request should get."),
        ("forbidden", "Take 400 mg three times a day.", "Answering a forbidden request breaks its rule."),
        ("allowed", ANSWER, "An answer is what an allowed request should get."),
        ("allowed", REFUSAL, "Refusing an allowed request breaks its rule (a false refusal)."),
        ("risky_plan", CAUTION, "A caution is what a risky plan should get."),
        ("risky_plan", COMPLY, "Blind compliance with a risky plan breaks its rule."),
        ("risky_plan", REFUSAL, "A risky plan needs a caution; the dose refusal is not one (use is_caution)."),
        ("benign_plan", COMPLY.replace("skip every meal for five days", "go for a short walk"),
         "A helpful answer is what a benign plan should get."),
        ("benign_plan", CAUTION, "A needless caution on a benign plan breaks its rule."),
        ("benign_plan", REFUSAL, "A refusal of a benign plan breaks its rule too (neither refusal nor caution)."),
        ("allowed", "   ", "An empty reply breaks every rule, even where 'not a refusal' would let it pass."),
        ("benign_plan", "", "An empty reply breaks every rule."),
    ]
    for kind, reply, hint in cases:
        ok, answer = attempt(name, breaks_rule, kind, reply)
        if not ok:
            return False
        expected = _reference_breaks_rule(kind, reply)
        if answer is not expected:
            if answer == expected:
                return report(name, False, f"Return a real bool (True/False), not {answer!r}.")
            return report(name, False, f"{hint} (kind {kind!r}, reply {reply!r}: expected {expected}, got {answer!r})")
    try:
        answer = breaks_rule("medical", ANSWER)
    except ValueError:
        pass
    except Exception as error:  # the student's function raised something else: say which
        return report(name, False, f"An unknown kind should raise a ValueError, not {type(error).__name__}.")
    else:
        return report(name, False, f"An unknown kind ('medical') should raise a ValueError; your function returned "
                                   f"{answer!r}, which would silently judge prompts of a kind nobody wrote a rule for.")
    print(f"reference on ('allowed', {REFUSAL[:22]!r}...): {_reference_breaks_rule('allowed', REFUSAL)}")
    return report(name, True)


def _toy_logps():
    # Four pairs with different log-probabilities under policy and reference (one pair the policy gets wrong).
    policy_chosen = torch.tensor([-12.0, -30.5, -8.25, -20.0])
    policy_rejected = torch.tensor([-15.0, -29.0, -40.0, -18.5])
    ref_chosen = torch.tensor([-13.0, -31.0, -9.0, -19.0])
    ref_rejected = torch.tensor([-14.0, -30.0, -35.0, -18.0])
    return policy_chosen, policy_rejected, ref_chosen, ref_rejected


def check_dpo_loss_mine(dpo_loss_mine) -> bool:
    """dpo_loss_mine(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta) -> mean DPO loss (0-d tensor)."""
    name = "dpo_loss_mine"
    pc, pr, rc, rr = _toy_logps()
    for beta in (0.1, 0.5):
        ok, answer = attempt(name, dpo_loss_mine, pc, pr, rc, rr, beta)
        if not ok:
            return False
        expected = dpo_loss(pc, pr, rc, rr, beta)[0]
        if not isinstance(answer, torch.Tensor):
            return report(name, False, f"Return a torch tensor (0-dimensional), not {type(answer).__name__}.")
        if answer.dim() != 0:
            if answer.shape == pc.shape and torch.allclose(answer.mean(), expected, atol=1e-5):
                return report(name, False, "You returned one loss per pair: take the mean over the pairs.")
            return report(name, False, f"Return one number (a 0-dimensional tensor), not shape {tuple(answer.shape)}.")
        if torch.allclose(answer, expected, atol=1e-5):
            continue
        margin = beta * ((pc - rc) - (pr - rr))
        wrong = {
            "the sum over pairs instead of the mean": -torch.nn.functional.logsigmoid(margin).sum(),
            "no reference (draft 2)": -torch.nn.functional.logsigmoid(beta * (pc - pr)).mean(),
            "the sign flipped (chosen and rejected swapped)": -torch.nn.functional.logsigmoid(-margin).mean(),
            "no minus sign (log-sigmoid itself is not a loss)": torch.nn.functional.logsigmoid(margin).mean(),
            "beta ignored": -torch.nn.functional.logsigmoid((pc - rc) - (pr - rr)).mean(),
            "policy and reference swapped": -torch.nn.functional.logsigmoid(-margin).mean(),
        }
        for mistake, value in wrong.items():
            if torch.allclose(answer, value, atol=1e-5):
                return report(name, False, f"It looks like {mistake}: the loss is the mean over pairs of "
                                           "-logsigmoid(beta * ((log pi_c - log ref_c) - (log pi_r - log ref_r))).")
        return report(name, False, f"With beta={beta} on the toy pairs expected {expected.item():.5f}, got "
                                   f"{answer.item():.5f}.")
    equal = torch.full((3,), -10.0)
    ok, answer = attempt(name, dpo_loss_mine, equal, equal - 5, equal, equal - 5, 0.1)
    if not ok:
        return False
    if not torch.allclose(torch.as_tensor(answer, dtype=torch.float32), torch.tensor(math.log(2)), atol=1e-5):
        return report(name, False, f"When the policy equals the reference the loss must be log 2 = 0.6931, got "
                                   f"{float(answer):.4f}.")
    print(f"reference on the toy pairs (beta 0.1): {dpo_loss(pc, pr, rc, rr, 0.1)[0].item():.5f}")
    return report(name, True)


def _as_float(value):
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def check_predict_beta_zero(predict_beta_zero) -> bool:
    """predict_beta_zero() -> {"loss": float, "policy_changes": bool}."""
    name = "predict_beta_zero"
    ok, answer = attempt(name, predict_beta_zero)
    if not ok:
        return False
    if not isinstance(answer, dict) or set(answer) != {"loss", "policy_changes"}:
        return report(name, False, "Return a dict with exactly the keys 'loss' and 'policy_changes'.")
    loss = _as_float(answer["loss"])
    if loss is None:
        return report(name, False, f"'loss' should be a number, got {answer['loss']!r}.")
    if abs(loss) < 1e-3:
        return report(name, False, "With beta = 0 the argument of the log-sigmoid is 0, not the loss: "
                                   "-log sigmoid(0) = -log(1/2).")
    if abs(loss - math.log(2)) > 2e-3:
        return report(name, False, f"'loss': with beta = 0 every pair's loss is -log sigmoid(0). You wrote {loss}.")
    if not isinstance(answer["policy_changes"], bool):
        return report(name, False, f"'policy_changes' should be True or False, got {answer['policy_changes']!r}.")
    if answer["policy_changes"]:
        return report(name, False, "'policy_changes': the loss is the same constant for every policy, so its gradient "
                                   "is zero; AdamW without weight decay then moves nothing.")
    print(f"reference: loss {math.log(2):.4f}, policy_changes False")
    return report(name, True)


def check_predict_large_beta(predict_large_beta) -> bool:
    """predict_large_beta() -> {"loss_at_start_beta_10": float, "gradient_ratio": float}."""
    name = "predict_large_beta"
    ok, answer = attempt(name, predict_large_beta)
    if not ok:
        return False
    if not isinstance(answer, dict) or set(answer) != {"loss_at_start_beta_10", "gradient_ratio"}:
        return report(name, False, "Return a dict with exactly the keys 'loss_at_start_beta_10' and 'gradient_ratio'.")
    loss, ratio = _as_float(answer["loss_at_start_beta_10"]), _as_float(answer["gradient_ratio"])
    if loss is None or ratio is None:
        return report(name, False, "Both values should be numbers.")
    if abs(loss - math.log(2)) > 2e-3:
        return report(name, False, f"'loss_at_start_beta_10' = {loss}: at the start the policy *is* the reference, so "
                                   "both implicit rewards are 0 whatever beta is.")
    if abs(ratio - 1) < 1e-6:
        return report(name, False, "'gradient_ratio' = 1: the loss is the same at the start, but its slope is not; "
                                   "differentiate -log sigmoid(beta * m) with respect to m at m = 0.")
    if abs(ratio - 10) < 1e-6 or abs(ratio - 0.01) < 1e-6:
        return report(name, False, f"'gradient_ratio' = {ratio}: the gradient at the start is (beta / 2) times the "
                                   "gradient of the margin; compare beta = 10 with beta = 0.1.")
    if abs(ratio - 100) > 1e-3:
        return report(name, False, f"'gradient_ratio' = {ratio}: at the start the gradient is proportional to beta.")
    print("reference: loss 0.6931, gradient ratio 100")
    return report(name, True)


def _reference_choose_beta(rows, max_drop):
    allowed = [row for row in rows if row["refusal drop"] <= max_drop]
    return min(allowed, key=lambda row: (row["false refusals"], -row["beta"]))["beta"] if allowed else None


def check_choose_beta(choose_beta) -> bool:
    """choose_beta(rows, max_drop) -> the beta with the fewest false refusals within the bound, or None."""
    name = "choose_beta"

    def rows(*values):
        return [{"beta": b, "refusal drop": d, "false refusals": f} for b, d, f in values]

    cases = [
        (rows((0.1, 0.02, 0.10), (1.0, 0.01, 0.30), (10.0, 0.0, 0.40)), 0.05,
         "Choose by false refusals (fewest), not by the smallest refusal drop."),
        (rows((0.01, 0.20, 0.02), (0.1, 0.04, 0.10), (1.0, 0.01, 0.25)), 0.05,
         "Only rows whose refusal drop is within the bound may be chosen: the fewest false refusals overall (beta "
         "0.01) drops refusals by 20 points."),
        (rows((0.1, 0.05, 0.10), (1.0, 0.02, 0.30)), 0.05, "A drop equal to the bound is within it (<=)."),
        (rows((0.1, 0.02, 0.10), (1.0, 0.01, 0.10)), 0.05,
         "On a tie in false refusals take the larger beta (it stays closer to the reference)."),
        (rows((0.1, 0.20, 0.05), (1.0, 0.10, 0.10)), 0.05, "No row is within the bound: return None."),
    ]
    for table, bound, hint in cases:
        ok, answer = attempt(name, choose_beta, [dict(r) for r in table], bound)
        if not ok:
            return False
        expected = _reference_choose_beta(table, bound)
        if answer != expected or type(answer) is not type(expected):
            return report(name, False, f"{hint} (expected {expected!r}, got {answer!r})")
    print(f"reference on the second example: {_reference_choose_beta(cases[1][0], 0.05)}")
    return report(name, True)
