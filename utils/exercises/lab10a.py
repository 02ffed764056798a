"""Checks for labs/10a_synthetic_data.ipynb."""
from __future__ import annotations

from ..checks import check_cases, exercise
from ..data import SEVERITY


def reference_filter_verdict(record: dict, task: str | None, reference: str | None) -> str:
    """The verdict of lab 10a's filter on one generated record (the lab's solution)."""
    if task is None:
        return "unknown task"
    if task == "classify_severity":
        if not record["input"].strip():
            return "malformed input"
        return "kept" if record["output"].strip() in SEVERITY else "label outside the set"
    if reference is None:
        return "malformed input"
    return "kept" if record["output"].strip() == reference else "wrong answer"


def _record(instruction, given, output):
    return {"instruction": instruction, "input": given, "output": output}


SEVERITY_REQUEST = "Label the clinical note with its severity: mild, moderate or severe."
FILTER_CASES = [
    (_record("Add the two numbers.", "What is 15 plus 28?", "43"), "add", "43"),
    (_record("Add the two numbers.", "What is 15 plus 28?", "42"), "add", "43"),
    (_record("Add the two numbers.", "What is 15 plus 28?", " 43 "), "add", "43"),
    (_record("Rewrite the text in uppercase.", "quiet box", "quiet box"), "uppercase", "QUIET BOX"),
    (_record("Tell me a joke.", "", "no"), None, None),
    (_record("Add the two numbers.", "What is 15 plus?", "15"), "add", None),
    (_record(SEVERITY_REQUEST, "Pt c/o mild cough x 2 days.", "mild"), "classify_severity", None),
    (_record(SEVERITY_REQUEST, "Pt c/o mild cough.", "critical"), "classify_severity", None),
    (_record(SEVERITY_REQUEST, "Pt c/o mild cough.", "Severe"), "classify_severity", None),
    (_record(SEVERITY_REQUEST, "  ", "mild"), "classify_severity", None),
]


def _verdict(record, task, reference, *, case_insensitive=False, severity_needs_reference=False, no_strip=False,
             any_case_label=False, no_unknown=False):
    """The filter with one plausible mistake switched on."""
    if task is None and not no_unknown:
        return "unknown task"
    if task == "classify_severity" and not severity_needs_reference:
        if not record["input"].strip():
            return "malformed input"
        label = record["output"].strip()
        return "kept" if (label.lower() if any_case_label else label) in SEVERITY else "label outside the set"
    if reference is None:
        return "malformed input"
    output = record["output"] if no_strip else record["output"].strip()
    same = output.lower() == reference.lower() if case_insensitive else output == reference
    return "kept" if same else "wrong answer"


@exercise(reference_filter_verdict)
def check_filter_verdict(student) -> str:
    """filter_verdict(record, task, reference) -> the verdict string of lab 10a's filter."""
    check_cases(student, [((dict(record), task, reference),) for record, task, reference in FILTER_CASES],
                reference=reference_filter_verdict,
                show=lambda args: f"record {args[0]}, task {args[1]!r}, reference {args[2]!r}",
                mistakes=[
                    (lambda *a: _verdict(*a, case_insensitive=True),
                     "Compare case-sensitively: in 'uppercase' the casing *is* the answer."),
                    (lambda *a: _verdict(*a, severity_needs_reference=True),
                     "classify_severity has no computed reference (reference is None): check its label against the "
                     "label set SEVERITY instead of rejecting it."),
                    (lambda *a: _verdict(*a, no_strip=True),
                     "Strip surrounding spaces from the output before comparing."),
                    (lambda *a: _verdict(*a, any_case_label=True),
                     "The label must be exactly one of SEVERITY ('Severe' with a capital is not)."),
                    (lambda *a: _verdict(*a, no_unknown=True),
                     "When no task was recognised (task is None), the verdict is 'unknown task'."),
                ])
    record, task, reference = FILTER_CASES[3]
    return f"The reference gives {reference_filter_verdict(record, task, reference)!r} for {record} with reference " \
           f"{reference!r}."


CHECKABLE = ("add", "uppercase", "reverse_words", "first_word", "count_words", "extract_number")


def reference_predict_most_rejected(teacher_accuracy: dict) -> str:
    """The family whose generated records the filter should most often reject as wrong answers: the one the teacher
    answers worst, among the families whose answers a program can check (a severity label can only be checked
    against the label set, never found wrong)."""
    checkable = {task: acc for task, acc in teacher_accuracy.items() if task != "classify_severity"}
    return min(checkable, key=checkable.get)


ACCURACY_TABLES = [
    {"add": 0.55, "uppercase": 0.95, "reverse_words": 0.30, "first_word": 1.0, "count_words": 0.60,
     "extract_number": 0.9, "classify_severity": 0.70},
    {"add": 0.40, "uppercase": 0.85, "reverse_words": 0.65, "first_word": 0.95, "count_words": 0.50,
     "extract_number": 0.9, "classify_severity": 0.10},
    {"add": 0.80, "uppercase": 0.75, "reverse_words": 0.90, "first_word": 0.25, "count_words": 0.70,
     "extract_number": 0.60, "classify_severity": 0.05},
]


@exercise(reference_predict_most_rejected)
def check_predict_most_rejected(student) -> str:
    """predict_most_rejected(teacher_accuracy) -> the family name with the most 'wrong answer' verdicts expected."""
    check_cases(student, [((dict(table),),) for table in ACCURACY_TABLES], reference=reference_predict_most_rejected,
                show=lambda args: f"the teacher accuracies {args[0]}",
                mistakes=[
                    (lambda acc: min(acc, key=acc.get),
                     "classify_severity has no program that knows the right label: its records can be rejected for "
                     "a label outside the set, never as a wrong answer. Leave it out."),
                    (lambda acc: max((t for t in acc if t != "classify_severity"), key=acc.get),
                     "The filter rejects the teacher's *mistakes*: the family it answers worst, not best."),
                    (lambda acc: min(acc[t] for t in acc if t != "classify_severity"),
                     "Return the family's name (a str), not its accuracy."),
                    (lambda acc: max(acc, key=acc.get),
                     "The filter rejects the teacher's *mistakes*: the family it answers worst, not best."),
                ])
    return f"On the first example the reference predicts {reference_predict_most_rejected(ACCURACY_TABLES[0])!r}."
