"""Checks for labs/08_fill_in_the_middle.ipynb."""
from __future__ import annotations

import re

from ..checks import attempt, report

PRE, SUF, MID = "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"
CODE = "def add_3(x):\n    return x + 3\n"


def check_make_fim_example(make_fim_example) -> bool:
    """make_fim_example(code, start, end) -> PSM text with code[start:end] as the middle."""
    name = "make_fim_example"
    cases = [(CODE, 14, 31), (CODE, 0, 5), (CODE, 4, 4), (CODE, 20, len(CODE))]
    for code, start, end in cases:
        ok, answer = attempt(name, make_fim_example, code, start, end)
        if not ok:
            return False
        prefix, middle, suffix = code[:start], code[start:end], code[end:]
        expected = f"{PRE}{prefix}{SUF}{suffix}{MID}{middle}"
        if answer == expected:
            continue
        if not isinstance(answer, str):
            return report(name, False, f"Return one string (text, not token ids); got {type(answer).__name__}.")
        if answer == f"{PRE}{prefix}{MID}{middle}{SUF}{suffix}" or answer == f"{PRE}{prefix}{SUF}{middle}{MID}{suffix}":
            return report(name, False, "The order is prefix, SUFFIX, middle: the model must have seen both sides "
                                       "before it writes the middle (PSM = <|fim_prefix|> P <|fim_suffix|> S "
                                       "<|fim_middle|> M).")
        if answer.startswith(expected) and answer != expected:
            return report(name, False, "Do not add anything after the middle (the end-of-text token is added when "
                                       "tokenising, not here).")
        parts = re.fullmatch(re.escape(PRE) + "(.*)" + re.escape(SUF) + "(.*)" + re.escape(MID) + "(.*)", answer,
                             flags=re.S)
        if parts and parts[1] + parts[3] + parts[2] == code:
            return report(name, False, f"Off by one: the prefix is code[:start], the middle code[start:end], the "
                                       f"suffix code[end:]. For start={start}, end={end} expected {expected!r}, "
                                       f"got {answer!r}.")
        return report(name, False, f"For start={start}, end={end} expected {expected!r}, got {answer!r}.")
    return report(name, True)


def check_fim_prompt(fim_prompt) -> bool:
    """fim_prompt(prefix, suffix) -> the PSM text the model continues with the middle."""
    name = "fim_prompt"
    cases = [("def f(x):\n", "    return y\n"), ("", "x = 1\n"), ("def g():\n    pass\n", "")]
    for prefix, suffix in cases:
        ok, answer = attempt(name, fim_prompt, prefix, suffix)
        if not ok:
            return False
        expected = f"{PRE}{prefix}{SUF}{suffix}{MID}"
        if answer == expected:
            continue
        if not isinstance(answer, str):
            return report(name, False, f"Return one string (text, not token ids); got {type(answer).__name__}.")
        if answer == f"{PRE}{prefix}{SUF}{suffix}":
            return report(name, False, "End the prompt with <|fim_middle|>: it is the cue that the middle starts "
                                       "here, exactly as in training.")
        if answer == f"{PRE}{prefix}{MID}{SUF}{suffix}" or answer == f"{SUF}{suffix}{PRE}{prefix}{MID}":
            return report(name, False, "Keep the training order: <|fim_prefix|> prefix <|fim_suffix|> suffix "
                                       "<|fim_middle|> (the model was trained on PSM, not on another order).")
        return report(name, False, f"For prefix={prefix!r}, suffix={suffix!r} expected {expected!r}, got {answer!r}.")
    return report(name, True)


def check_passes_test(passes_test) -> bool:
    """passes_test(code, test) -> True only when the code defines the function and the assert expression holds."""
    name = "passes_test"
    good = "def add_3(x):\n    return x + 3\n"
    cases = [
        (good, "add_3(4) == 7", True, ""),
        ("def add_3(x):\n    return x + 4\n", "add_3(4) == 7", False,
         "A wrong function must give False: evaluate the test expression and return its truth value."),
        ("def add_3(x):\n    return x +\n", "add_3(4) == 7", False,
         "Code that does not compile (a SyntaxError) must give False, not raise: catch the exception."),
        ("def add_3(x):\n    return y + 3\n", "add_3(4) == 7", False,
         "Code that raises when called (here a NameError) must give False, not raise: catch the exception."),
        ("def greet(name):\n    return f'Hi, {name}!'\n", "greet('Ada') == 'Hi, Ada!'", True, ""),
        ("def flip(s):\n    return s[::-1]\n", "flip('abc') == 'cba'", True, ""),
        ("x = 1\n", "add_3(4) == 7", False,
         "When the function is missing the test raises NameError: that is a failure (False)."),
    ]
    for code, test, expected, hint in cases:
        ok, answer = attempt(name, passes_test, code, test)
        if not ok:
            return False
        if answer is not expected:
            if answer == expected:
                return report(name, False, f"Return a real bool (True/False), not {answer!r}.")
            return report(name, False, hint or f"For {test!r} on {code!r} expected {expected}, got {answer!r}.")
    # The generated code must not see the notebook's globals or be able to import.
    ok, answer = attempt(name, passes_test, "import os\ndef f():\n    return 1\n", "f() == 1")
    if not ok:
        return False
    if answer is not False:
        return report(name, False, "Run the code with an empty `__builtins__` ({'__builtins__': {}}): then "
                                   "`import` fails, so model-written code cannot reach the file system.")
    return report(name, True)
