"""Checks for labs/10b_judges_contamination_privacy.ipynb."""
from __future__ import annotations

from ..checks import check_cases, exercise


def reference_trusted_verdict(p_ab: float, p_ba: float, min_confidence: float) -> str | None:
    """'A' or 'B' when both orders pick that answer with a mean probability of at least min_confidence, else None."""
    p_a = (p_ab + (1 - p_ba)) / 2
    if p_ab > 0.5 and p_ba < 0.5 and p_a >= min_confidence:
        return "A"
    if p_ab < 0.5 and p_ba > 0.5 and 1 - p_a >= min_confidence:
        return "B"
    return None


def _trusted(p_ab, p_ba, min_confidence, *, swapped=False, max_not_mean=False, strict=False, no_consistency=False):
    """The rule with one plausible mistake switched on."""
    p_a_second = p_ba if swapped else 1 - p_ba  # the mistake: reading p_ba as a probability for A
    p_a = (p_ab + p_a_second) / 2
    confidence_a = max(p_ab, p_a_second) if max_not_mean else p_a
    confidence_b = max(1 - p_ab, 1 - p_a_second) if max_not_mean else 1 - p_a
    ge = (lambda x, y: x > y) if strict else (lambda x, y: x >= y)
    consistent_a = no_consistency or (p_ab > 0.5 and p_a_second > 0.5)
    consistent_b = no_consistency or (p_ab < 0.5 and p_a_second < 0.5)
    if consistent_a and p_a > 0.5 and ge(confidence_a, min_confidence):
        return "A"
    if consistent_b and p_a < 0.5 and ge(confidence_b, min_confidence):
        return "B"
    return None


TRUST_CASES = [(0.9, 0.2, 0.7), (0.1, 0.8, 0.7), (0.9, 0.9, 0.5), (0.2, 0.3, 0.5), (0.6, 0.45, 0.7), (0.8, 0.4, 0.7),
               (0.3, 0.95, 0.8), (0.85, 0.45, 0.8)]


@exercise(reference_trusted_verdict)
def check_trusted_verdict(student) -> str:
    """trusted_verdict(p_ab, p_ba, min_confidence) -> 'A', 'B' or None."""
    check_cases(student, [(case,) for case in TRUST_CASES], reference=reference_trusted_verdict,
                show=lambda args: f"p_ab={args[0]}, p_ba={args[1]}, min_confidence={args[2]}",
                mistakes=[
                    (lambda *a: _trusted(*a, no_consistency=True),
                     "The verdict flips with the order there (position bias): both orders must pick the same "
                     "answer, else return None."),
                    (lambda *a: _trusted(*a, strict=True),
                     "'At least min_confidence' includes equality."),
                    (lambda *a: _trusted(*a, swapped=True),
                     "p_ba is the judge's probability for the answer shown first in the second order, which is B: "
                     "its probability for A there is 1 - p_ba."),
                    (lambda *a: _trusted(*a, max_not_mean=True),
                     "Use the *mean* of the probabilities over both orders, not the larger of the two."),
                ])
    return f"The reference trusts {reference_trusted_verdict(0.9, 0.2, 0.7)!r} for p_ab=0.9, p_ba=0.2 at 0.7, and " \
           f"{reference_trusted_verdict(0.9, 0.9, 0.5)!r} when the judge picks the first answer both times."


def reference_choose_ngram_size(table: dict, max_false_flags: float) -> int | None:
    """The n that catches the most leaks among the sizes flagging at most max_false_flags (smaller n on a tie)."""
    allowed = [n for n, row in table.items() if row["clean flagged"] <= max_false_flags]
    if not allowed:
        return None
    return min(allowed, key=lambda n: (-table[n]["leaks caught"], n))


def _choose(table, bound, *, ignore_bound=False, larger_on_tie=False, strict=False, share=False, first_key=False):
    allowed = [n for n, row in table.items()
               if ignore_bound or (row["clean flagged"] < bound if strict else row["clean flagged"] <= bound)]
    if not allowed:
        return None
    if first_key:
        return allowed[0]
    best = min(allowed, key=lambda n: (-table[n]["leaks caught"], -n if larger_on_tie else n))
    return table[best]["leaks caught"] if share else best


NGRAM_TABLE = {2: {"leaks caught": 1.0, "clean flagged": 0.60}, 4: {"leaks caught": 0.97, "clean flagged": 0.01},
               8: {"leaks caught": 0.97, "clean flagged": 0.0}, 13: {"leaks caught": 0.40, "clean flagged": 0.0}}
NGRAM_CASES = [
    (NGRAM_TABLE, 0.02), (NGRAM_TABLE, 0.0), (NGRAM_TABLE, 0.7), ({2: {"leaks caught": 1.0, "clean flagged": 0.3}}, 0.1),
    ({13: {"leaks caught": 0.5, "clean flagged": 0.0}, 8: {"leaks caught": 0.9, "clean flagged": 0.0}}, 0.02),
]


@exercise(reference_choose_ngram_size)
def check_choose_ngram_size(student) -> str:
    """choose_ngram_size(table, max_false_flags) -> the n that catches most leaks within the false-flag bound."""
    check_cases(student, [(({n: dict(row) for n, row in table.items()}, bound),) for table, bound in NGRAM_CASES],
                reference=reference_choose_ngram_size,
                show=lambda args: f"the table {args[0]} with max_false_flags={args[1]}",
                mistakes=[
                    (lambda t, b: _choose(t, b, ignore_bound=True),
                     "A size that flags more clean records than max_false_flags breaks the bound: leave it out."),
                    (lambda t, b: _choose(t, b, larger_on_tie=True),
                     "On a tie in leaks caught, take the smaller n."),
                    (lambda t, b: _choose(t, b, strict=True),
                     "The bound is 'at most': a share equal to max_false_flags is allowed."),
                    (lambda t, b: _choose(t, b, share=True), "Return the n-gram size n (an int), not its share."),
                    (lambda t, b: _choose(t, b, first_key=True),
                     "Do not rely on the order of the table's keys: compare every allowed size."),
                ])
    return f"With the bound 2 % the reference chooses n = {reference_choose_ngram_size(NGRAM_TABLE, 0.02)} on the " \
           "check's table (4 and 8 tie on leaks caught)."
