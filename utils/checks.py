"""Exercise checks: run the student's code, say at once whether it is right, hint if not, and keep the lab running.

Each lab's checks live in `utils/exercises/labNN.py`. A check is a function decorated with `@exercise(reference)`;
in the lab it is called as

    format_prompt = check_format_prompt(format_prompt)

and returns the function the rest of the lab should use: the student's when it passes, otherwise the reference
implementation, after printing the verdict, the hint, what the reference produces on the example, and where the
reference lives. So a lab runs top to bottom unsolved, and a student who is stuck can still see every later cell.

Inside a check, `student` is the student's function wrapped so that "not written yet" (NotImplementedError) and a
crash become a verdict instead of a traceback; `fail(hint)` / `expect(condition, hint)` reject the answer with a
hint that names the mistake; `check_cases` runs a table of examples against the reference and recognises known
mistakes by what a plausible wrong implementation would have returned.

Strict mode is the one switch, `ITL_STRICT_CHECKS=1` (set by `make test` and `make solutions`): a function that is
written but wrong, or crashes, raises `ExerciseFailed`, so a solution that stops passing its own check fails the
build. A function that is not written yet still falls back to the reference, so CI can run the labs unsolved.
Every check keeps the global random state as it found it, so a lab computes the same figures whether a check
passed or fell back.
"""
from __future__ import annotations

import functools
import math
import os
import random
import traceback
from contextlib import contextmanager
from typing import Any, Callable, Iterable

STRICT_ENV = "ITL_STRICT_CHECKS"


class ExerciseFailed(AssertionError):
    """A written exercise failed its check while strict mode was on (CI and `make solutions`)."""


def strict_checks() -> bool:
    """The one strict switch: ITL_STRICT_CHECKS=1. Also makes a required dependency's failure raise in a notebook
    instead of printing a student-facing skip message."""
    return os.environ.get(STRICT_ENV, "") == "1"


class NotWritten(Exception):
    """The student's function raised NotImplementedError."""


class Crashed(Exception):
    """The student's function raised another exception; the message says which, and where."""


class Wrong(Exception):
    """The check found a mistake; the message is the hint."""


def fail(hint: str):
    """Reject the student's answer with a hint that names the mistake."""
    raise Wrong(hint)


def expect(condition: bool, hint: str) -> None:
    if not condition:
        raise Wrong(hint)


class Student:
    """The student's function, wrapped: calling it turns NotImplementedError and crashes into verdicts.
    `student.raw` is the unwrapped function, for a check that wants to see an exception itself."""

    def __init__(self, fn: Callable):
        self.raw = fn

    def __call__(self, *args, **kwargs):
        try:
            return self.raw(*args, **kwargs)
        except NotImplementedError:
            raise NotWritten() from None
        except Exception as error:  # show the student's own error, briefly, with where it happened
            where = traceback.extract_tb(error.__traceback__)[-1]
            line = f": `{where.line.strip()}`" if (where.line or "").strip() else ""
            raise Crashed(f"Your code raised {type(error).__name__}: {error} (line {where.lineno}{line}).") from None


def plain(value: Any) -> Any:
    """Tensors and arrays as (nested) lists, tuples as lists, so answers compare and print plainly."""
    if hasattr(value, "tolist") and callable(value.tolist):
        return value.tolist()
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def same(answer: Any, expected: Any, rel_tol: float = 1e-6, abs_tol: float = 1e-6) -> bool:
    """Equal, with floats compared to a tolerance and bools kept apart from ints (True is not 1 here)."""
    answer, expected = plain(answer), plain(expected)
    if isinstance(expected, bool) or isinstance(answer, bool):
        return isinstance(answer, bool) and isinstance(expected, bool) and answer is expected
    if isinstance(expected, float) or (isinstance(answer, float) and isinstance(expected, int)):
        return isinstance(answer, (int, float)) and math.isclose(answer, expected, rel_tol=rel_tol, abs_tol=abs_tol)
    if isinstance(expected, list):
        return isinstance(answer, list) and len(answer) == len(expected) and all(
            same(a, e, rel_tol, abs_tol) for a, e in zip(answer, expected))
    if isinstance(expected, dict):
        return isinstance(answer, dict) and answer.keys() == expected.keys() and all(
            same(answer[k], expected[k], rel_tol, abs_tol) for k in expected)
    return answer == expected


def _call_text(args: tuple, kwargs: dict | None = None, width: int = 160) -> str:
    shown = ", ".join([repr(plain(a)) for a in args] + [f"{k}={plain(v)!r}" for k, v in (kwargs or {}).items()])
    return shown if len(shown) <= width else shown[: width - 3] + "..."


def check_cases(student: Student, cases: Iterable[tuple], mistakes: Iterable[tuple[Callable, str]] = (),
                reference: Callable | None = None, rel_tol: float = 1e-6,
                show: Callable[[tuple], str] | None = None) -> None:
    """The one case-table checker.

    `cases`: (args, expected) pairs, args a tuple; with `reference` given, a case may be just (args,) and the
    reference computes what is expected. `mistakes`: (wrong_fn, hint) pairs: `wrong_fn(*args)` is what a
    plausible wrong implementation returns; an answer equal to it (and not to the expected value) gets that hint.
    `show(args)` describes an example in messages (default: the arguments' repr). Stops at the first wrong case; every message says what the reference returns on that example.
    """
    mistakes = list(mistakes)
    for case in cases:
        args = tuple(case[0])
        expected = case[1] if len(case) > 1 else reference(*args)
        answer = student(*args)
        if same(answer, expected, rel_tol):
            continue
        example = show(args) if show else f"({_call_text(args)})"
        target = f"On {example}, the reference returns {plain(expected)!r}; yours returned {plain(answer)!r}."
        for wrong, hint in mistakes:
            try:
                wrong_answer = wrong(*args)
            except Exception:  # a mistake that does not apply to this case
                continue
            if not same(wrong_answer, expected, rel_tol) and same(answer, wrong_answer, rel_tol):
                fail(f"{hint} {target}")
        if isinstance(expected, bool) and not isinstance(answer, bool) and answer == expected:
            fail(f"Return a real bool (True or False), not {answer!r}. {target}")
        fail(target)


@contextmanager
def _random_state_kept():
    import numpy as np
    import torch

    python_state, numpy_state = random.getstate(), np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        yield
    random.setstate(python_state)
    np.random.set_state(numpy_state)


def _where(fn: Callable) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', getattr(fn, '__name__', '?'))}"


def exercise(reference: Callable, name: str | None = None):
    """Decorate a check `check(student) -> None | str`. The decorated check takes the student's function and
    returns the function the lab goes on with (the student's on success, else `reference`). A str the check
    returns is printed with the verdict (what the reference gives on the example, for the student to compare)."""

    def decorate(check: Callable) -> Callable:
        exercise_name = name or check.__name__.removeprefix("check_")

        @functools.wraps(check)
        def run(student_fn: Callable) -> Callable:
            with _random_state_kept():
                try:
                    shown = check(Student(student_fn))
                except NotWritten:
                    print(f"⏳ {exercise_name}: not written yet (it still raises NotImplementedError).")
                    _carry_on(reference)
                    return reference
                except (Crashed, Wrong) as error:
                    message = f"❌ {exercise_name}: not yet. {error}"
                    if strict_checks():
                        raise ExerciseFailed(message) from None
                    print(message)
                    _carry_on(reference)
                    return reference
            print(f"✅ {exercise_name}: correct." + (f" {shown}" if shown else ""))
            return student_fn

        run.reference = reference
        run.exercise_name = exercise_name
        return run

    return decorate


def _carry_on(reference: Callable) -> None:
    print(f"   The lab carries on with the reference implementation, {_where(reference)}, so every cell below "
          "runs; come back to the exercise and run its check again.")
