"""Checks for labs/10a_synthetic_data.ipynb and labs/10b_judges_contamination_privacy.ipynb."""
from __future__ import annotations

from ..checks import attempt, report


def _record(instruction, given, output):
    return {"instruction": instruction, "input": given, "output": output}


def check_filter_verdict(filter_verdict) -> bool:
    """filter_verdict(record, task, reference) -> the verdict string of lab 10a's filter."""
    name = "filter_verdict"
    cases = [
        (_record("Add the two numbers.", "What is 15 plus 28?", "43"), "add", "43", "kept",
         "A right answer to a recognised task is kept."),
        (_record("Add the two numbers.", "What is 15 plus 28?", "42"), "add", "43", "wrong answer",
         "An answer that differs from the reference is a 'wrong answer'."),
        (_record("Add the two numbers.", "What is 15 plus 28?", " 43 "), "add", "43", "kept",
         "Strip surrounding spaces from the output before comparing."),
        (_record("Rewrite the text in uppercase.", "quiet box", "quiet box"), "uppercase", "QUIET BOX",
         "wrong answer", "Compare case-sensitively: in 'uppercase' the casing *is* the answer."),
        (_record("Tell me a joke.", "", "no"), None, None, "unknown task",
         "When no task was recognised (task is None), the verdict is 'unknown task'."),
        (_record("Add the two numbers.", "What is 15 plus?", "15"), "add", None, "malformed input",
         "When a checkable task has no reference (the input is not of the task's form), the verdict is "
         "'malformed input'."),
        (_record("Label the clinical note with its severity: mild, moderate or severe.", "Pt c/o mild cough x 2 days.",
                 "mild"), "classify_severity", None, "kept",
         "classify_severity has no computed reference (reference is None): check its label against the label set "
         "SEVERITY instead of rejecting it."),
        (_record("Label the clinical note with its severity: mild, moderate or severe.", "Pt c/o mild cough.",
                 "critical"), "classify_severity", None, "label outside the set",
         "A severity label that is not one of SEVERITY is 'label outside the set'."),
        (_record("Label the clinical note with its severity: mild, moderate or severe.", "Pt c/o mild cough.",
                 "Severe"), "classify_severity", None, "label outside the set",
         "The label must be exactly one of SEVERITY ('Severe' with a capital is not)."),
        (_record("Label the clinical note with its severity: mild, moderate or severe.", "  ", "mild"),
         "classify_severity", None, "malformed input", "A severity request with an empty input is 'malformed input'."),
    ]
    for record, task, reference, expected, hint in cases:
        ok, answer = attempt(name, filter_verdict, dict(record), task, reference)
        if not ok:
            return False
        if answer != expected:
            return report(name, False, f"{hint} (record {record}, task {task!r}, reference {reference!r}: expected "
                                       f"{expected!r}, got {answer!r})")
    print(f"The reference gives, e.g., {cases[3][3]!r} for {cases[3][0]} with reference {cases[3][2]!r}.")
    return report(name, True)


def check_trusted_verdict(trusted_verdict) -> bool:
    """trusted_verdict(p_ab, p_ba, min_confidence) -> 'A', 'B' or None."""
    name = "trusted_verdict"
    cases = [
        (0.9, 0.2, 0.7, "A", "Both orders pick A (0.9 for A shown first; 0.2 for B shown first) with mean "
                             "confidence 0.85: return 'A'."),
        (0.1, 0.8, 0.7, "B", "Both orders pick B (0.1 for A shown first, 0.8 for B shown first): return 'B'."),
        (0.9, 0.9, 0.5, None, "The judge picked the *first* answer both times (A, then B): the verdict flips with the "
                              "order, which is position bias — return None. Remember p_ba is the probability for B."),
        (0.2, 0.3, 0.5, None, "The judge picked the *second* answer both times: the verdict flips with the order — "
                              "return None."),
        (0.6, 0.45, 0.7, None, "Both orders pick A but the mean confidence (0.6 + 0.55) / 2 = 0.575 is below "
                               "min_confidence 0.7: return None."),
        (0.8, 0.4, 0.7, "A", "Mean confidence (0.8 + 0.6) / 2 = 0.7 equals min_confidence: 'at least' includes "
                             "equality, return 'A'."),
        (0.3, 0.95, 0.8, "B", "For B the confidence is 1 - (p_ab + 1 - p_ba) / 2 = (0.7 + 0.95) / 2 = 0.825, above "
                              "0.8: return 'B'."),
        (0.85, 0.45, 0.8, None, "Use the *mean* over both orders ((0.85 + 0.55) / 2 = 0.7 < 0.8), not the larger "
                                "of the two: return None."),
    ]
    for p_ab, p_ba, min_confidence, expected, hint in cases:
        ok, answer = attempt(name, trusted_verdict, p_ab, p_ba, min_confidence)
        if not ok:
            return False
        if answer != expected:
            return report(name, False, f"{hint} (p_ab={p_ab}, p_ba={p_ba}, min_confidence={min_confidence}: expected "
                                       f"{expected!r}, got {answer!r})")
    return report(name, True)


def check_choose_ngram_size(choose_ngram_size) -> bool:
    """choose_ngram_size(table, max_false_flags) -> the n that catches most leaks within the false-flag bound."""
    name = "choose_ngram_size"
    table = {2: {"leaks caught": 1.0, "clean flagged": 0.60}, 4: {"leaks caught": 0.97, "clean flagged": 0.01},
             8: {"leaks caught": 0.97, "clean flagged": 0.0}, 13: {"leaks caught": 0.40, "clean flagged": 0.0}}
    cases = [
        (table, 0.02, 4, "n=2 catches every leak but flags 60 % of clean records: it breaks the bound. Among the "
                         "others, 4 and 8 tie on leaks caught: take the smaller n."),
        (table, 0.0, 8, "With max_false_flags 0.0 only 8 and 13 are allowed (a bound is 'at most': 0.0 <= 0.0 "
                        "counts), and 8 catches more leaks."),
        (table, 0.7, 2, "With a loose bound every size is allowed and n=2 catches the most leaks."),
        ({2: {"leaks caught": 1.0, "clean flagged": 0.3}}, 0.1, None, "When no size meets the bound, return None."),
        ({13: {"leaks caught": 0.5, "clean flagged": 0.0}, 8: {"leaks caught": 0.9, "clean flagged": 0.0}}, 0.02, 8,
         "Do not rely on the order of the table's keys: compare every allowed size."),
    ]
    for table_, bound, expected, hint in cases:
        ok, answer = attempt(name, choose_ngram_size, {n: dict(row) for n, row in table_.items()}, bound)
        if not ok:
            return False
        if answer != expected:
            if isinstance(answer, float) or isinstance(answer, dict):
                return report(name, False, f"Return the n-gram size n (an int), not {answer!r}.")
            return report(name, False, f"{hint} (max_false_flags={bound}: expected {expected!r}, got {answer!r})")
    return report(name, True)
