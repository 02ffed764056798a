"""Checks for labs/08_fill_in_the_middle.ipynb."""
from __future__ import annotations

from ..checks import NotWritten, check_cases, exercise

PRE, SUF, MID = "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"
CODE = "def add_3(x):\n    return x + 3\n"


def reference_make_fim_example(code: str, start: int, end: int) -> str:
    """The PSM text with code[start:end] as the middle: prefix marker, prefix, suffix marker, suffix, middle marker,
    middle (no end-of-text: that is added when tokenising)."""
    return PRE + code[:start] + SUF + code[end:] + MID + code[start:end]


@exercise(reference_make_fim_example)
def check_make_fim_example(student) -> str:
    """make_fim_example(code, start, end) -> PSM text with code[start:end] as the middle."""
    def psm_with(prefix, middle, suffix):
        return PRE + prefix + SUF + suffix + MID + middle

    check_cases(student, [((CODE, 18, 26),), ((CODE, 14, 31),), ((CODE, 0, 5),), ((CODE, 4, 4),),
                                 ((CODE, 20, len(CODE)),)],
                reference=reference_make_fim_example,
                mistakes=[
                    (lambda c, s, e: PRE + c[:s] + MID + c[s:e] + SUF + c[e:],
                     "The order is prefix, SUFFIX, middle (PSM): the model must have read both sides before it "
                     "writes the middle."),
                    (lambda c, s, e: PRE + c[:s] + SUF + c[s:e] + MID + c[e:],
                     "Each marker announces the piece after it: the suffix goes after <|fim_suffix|>, the middle "
                     "after <|fim_middle|>."),
                    (lambda c, s, e: reference_make_fim_example(c, s, e) + "<|end_of_text|>",
                     "Do not add anything after the middle (the end-of-text token is added when tokenising)."),
                    (lambda c, s, e: psm_with(c[:s + 1], c[s + 1:e + 1], c[e + 1:]),
                     "Off by one: the prefix is everything before start, the middle runs from start up to (not "
                     "including) end."),
                    (lambda c, s, e: psm_with(c[:s], c[s:e + 1], c[e + 1:]),
                     "Off by one: the character at `end` belongs to the suffix (Python slices exclude their end)."),
                ])
    return f"On start=18, end=26 the reference gives {reference_make_fim_example(CODE, 18, 26)!r}."


def reference_fim_prompt(prefix: str, suffix: str) -> str:
    """The PSM training layout up to and including the middle marker: the model writes the middle after it."""
    return PRE + prefix + SUF + suffix + MID


@exercise(reference_fim_prompt)
def check_fim_prompt(student) -> str:
    """fim_prompt(prefix, suffix) -> the PSM text the model continues with the middle."""
    cases = [(("def f(x):\n", "    return y\n"),), (("", "x = 1\n"),), (("def g():\n    pass\n", ""),),
             (("def h(a):", "\n    return a\n"),)]
    check_cases(student, cases, reference=reference_fim_prompt,
                mistakes=[
                    (lambda p, s: PRE + p + MID + SUF + s,
                     "That is the draft's layout: the middle marker where the gap is in the file. The model was "
                     "trained on prefix, suffix, then <|fim_middle|>, and writes the middle right after that marker, "
                     "so the prompt must end with it."),
                    (lambda p, s: PRE + p + SUF + s,
                     "End the prompt with <|fim_middle|>: it is the cue, as in training, that the middle starts here."),
                    (lambda p, s: SUF + s + PRE + p + MID,
                     "Keep the training order, prefix first (PSM): the model never saw the suffix first."),
                    (lambda p, s: PRE + p + SUF + s + MID + "<|end_of_text|>",
                     "No end-of-text in the prompt: the model writes it when the middle is done."),
                    (lambda p, s: PRE + s + SUF + p + MID,
                     "Prefix and suffix are swapped: the text before the gap follows <|fim_prefix|>."),
                ])
    return f"For prefix 'def f(x):\\n' and suffix '    return y\\n' the reference gives " \
           f"{reference_fim_prompt('def f(x):' + chr(10), '    return y' + chr(10))!r}."


def reference_passes_test(code: str, test: str) -> bool:
    """True when `code` runs in a namespace without builtins and the expression `test` is then true; any exception
    (a SyntaxError, a NameError, a failing import...) gives False."""
    namespace = {"__builtins__": {}}
    try:
        exec(code, namespace)
        return bool(eval(test, namespace))
    except Exception:
        return False


GOOD = "def add_3(x):\n    return x + 3\n"
HARNESS_CASES = [
    ((GOOD, "add_3(4) == 7"),),
    (("def add_3(x):\n    return x + 4\n", "add_3(4) == 7"),),
    (("def add_3(x):\n    return x +\n", "add_3(4) == 7"),),
    (("def add_3(x):\n    return y + 3\n", "add_3(4) == 7"),),
    (("def greet(name):\n    return f'Hi, {name}!'\n", "greet('Ada') == 'Hi, Ada!'"),),
    (("def flip(s):\n    return s[::-1]\n", "flip('abc') == 'cba'"),),
    (("x = 1\n", "add_3(4) == 7"),),
    (("def first(items):\n    return items[0] if items else None\n", "first([5, 6])"),),
    (("def nothing():\n    return []\n", "nothing()"),),
    (("import os\ndef f():\n    return 1\n", "f() == 1"),),
    (("def count(xs):\n    return len(xs)\n", "count([1, 2]) == 2"),),
]


@exercise(reference_passes_test)
def check_passes_test(student) -> str:
    """passes_test(code, test) -> True only when the code runs without builtins and the test expression holds."""
    def draft(code, test):  # the lab's draft harness: everything raises through, full builtins
        namespace = {}
        exec(code, namespace)
        return eval(test, namespace)

    def no_catch(code, test):
        namespace = {"__builtins__": {}}
        exec(code, namespace)
        return bool(eval(test, namespace))

    def catches_syntax_only(code, test):
        namespace = {"__builtins__": {}}
        try:
            exec(code, namespace)
        except SyntaxError:
            return False
        return bool(eval(test, namespace))

    def full_builtins(code, test):
        try:
            namespace = {}
            exec(code, namespace)
            return bool(eval(test, namespace))
        except Exception:
            return False

    def not_bool(code, test):
        try:
            namespace = {"__builtins__": {}}
            exec(code, namespace)
            return eval(test, namespace)
        except Exception:
            return False

    def true_if_it_runs(code, test):
        try:
            namespace = {"__builtins__": {}}
            exec(code, namespace)
            eval(test, namespace)
            return True
        except Exception:
            return False

    def outcome(fn):  # an exception that escapes is an answer here ("it crashes the scoring loop"), not a crash
        def run(code, test):
            try:
                return fn(code, test)
            except NotImplementedError:
                raise NotWritten() from None
            except Exception as error:
                return f"an uncaught {type(error).__name__}"
        return run

    again = ("Catch the exceptions the code or the test raises (any Exception) and return False: one broken "
             "completion must not stop the scoring loop.")
    check_cases(outcome(student.raw), HARNESS_CASES, reference=reference_passes_test,
                show=lambda args: f"the code {args[0]!r} with the test {args[1]!r}",
                mistakes=[
                    (outcome(true_if_it_runs),
                     "Running without an error is not passing: return the truth of the test expression."),
                    (outcome(not_bool), "Return a real bool: the truth value of what the test expression gives."),
                    (outcome(full_builtins),
                     "Give the generated code no builtins (an empty '__builtins__' in its namespace): then an "
                     "`import` fails instead of reaching the file system."),
                    (outcome(catches_syntax_only),
                     "A function that compiles can still raise when the test calls it (here a NameError or a missing "
                     "function): that is a failure too, so catch every Exception, around the test as well."),
                    (outcome(draft), again),
                    (outcome(no_catch), again),
                ])
    return f"The reference agrees with yours on all {len(HARNESS_CASES)} programs."
