"""The machinery behind exercise checks: run the student's code, say at once whether it is right, hint if not.

Each lab's checks live in `utils/exercises/labNN.py` and are built from two helpers:
- `attempt(fn, *args)` calls the student's function and turns "not written yet" (NotImplementedError) or a crash
  into a readable message instead of a traceback;
- `report(exercise, ok, hint)` prints a verdict and returns it.

In a lab a failed check only prints. When the solutions run in CI (or `make solutions`), `ITL_STRICT_CHECKS=1`
makes a failed check raise, so a solution that stops passing its own check fails the build.
"""
from __future__ import annotations

import os
import traceback
from typing import Any, Callable


class ExerciseFailed(AssertionError):
    """A check failed while ITL_STRICT_CHECKS=1 (CI and `make solutions`)."""


class _NotDone(Exception):
    pass


def strict_checks() -> bool:
    return os.environ.get("ITL_STRICT_CHECKS", "") == "1"


def report(exercise: str, ok: bool, hint: str = "") -> bool:
    """Print ✅ or ❌ with a hint; raise instead of printing a ❌ when checks are strict."""
    if ok:
        print(f"✅ {exercise}: correct.")
        return True
    message = f"❌ {exercise}: not yet. {hint}".rstrip()
    if strict_checks():
        raise ExerciseFailed(message)
    print(message)
    return False


def attempt(exercise: str, fn: Callable, *args, **kwargs) -> tuple[bool, Any]:
    """Call the student's `fn`. Returns (True, result), or (False, None) after reporting what went wrong."""
    try:
        return True, fn(*args, **kwargs)
    except NotImplementedError:
        report(exercise, False, "The function is not written yet: replace `raise NotImplementedError` with your code.")
    except Exception as error:  # show the student's own error, briefly, with where it happened
        where = traceback.extract_tb(error.__traceback__)[-1]
        report(exercise, False, f"Your code raised {type(error).__name__}: {error} (line {where.lineno}: "
                                f"`{(where.line or '').strip()}`).")
    return False, None
