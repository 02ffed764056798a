"""Checks for labs/12_chat_formats_and_tool_calls.ipynb."""
from __future__ import annotations

import re

from ..checks import check_cases, exercise

HEADER_TOKENS = ("<|im_start|>", "<|start_header_id|>", "<start_of_turn>")


def _runs(tokens, mask):
    runs, current = [], []
    for token, supervised in zip(tokens, mask):
        if supervised:
            current.append(token)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def reference_diagnose_mask(tokens: list[str], mask: list[int], end_token: str) -> str:
    """'empty', 'end of turn not supervised', 'header supervised' or 'ok', checked in that order."""
    if not any(mask):
        return "empty"
    runs = _runs(tokens, mask)
    if any(run[-1] != end_token for run in runs):
        return "end of turn not supervised"
    if any(run[0] in HEADER_TOKENS for run in runs):
        return "header supervised"
    return "ok"


# A two-turn ChatML conversation as token strings, and masks with the classic faults.
TOKENS = ["<|im_start|>", "user", "\n", "Hi", "<|im_end|>", "\n",
          "<|im_start|>", "assistant", "\n", "Hello", "!", "<|im_end|>", "\n",
          "<|im_start|>", "user", "\n", "Thanks", "<|im_end|>", "\n",
          "<|im_start|>", "assistant", "\n", "Welcome", "<|im_end|>", "\n"]


def _mask(*ranges):
    mask = [0] * len(TOKENS)
    for start, end in ranges:
        mask[start:end] = [1] * (end - start)
    return mask


MASKS = [
    ("the training template's mask (content and <|im_end|> of both replies)", _mask((9, 12), (22, 24))),
    ("the published template's mask (no {% generation %})", _mask()),
    ("the end token left out of both replies", _mask((9, 11), (22, 23))),
    ("the end token left out of the second reply only", _mask((9, 12), (22, 23))),
    ("the end token left out of the first reply only", _mask((9, 11), (22, 24))),
    ("the header supervised with the reply", _mask((6, 12), (19, 24))),
]


def _last_run_only(tokens, mask, end_token):
    runs = _runs(tokens, mask)
    if not runs:
        return "empty"
    if runs[-1][-1] != end_token:
        return "end of turn not supervised"
    return "header supervised" if any(run[0] in HEADER_TOKENS for run in runs) else "ok"


def _every_end_token(tokens, mask, end_token):
    if not any(mask):
        return "empty"
    if any(t == end_token and not m for t, m in zip(tokens, mask)):
        return "end of turn not supervised"
    return "header supervised" if any(run[0] in HEADER_TOKENS for run in _runs(tokens, mask)) else "ok"


def _ignores_headers(tokens, mask, end_token):
    runs = _runs(tokens, mask)
    if not runs:
        return "empty"
    return "end of turn not supervised" if any(run[-1] != end_token for run in runs) else "ok"


@exercise(reference_diagnose_mask)
def check_diagnose_mask(student) -> str:
    """diagnose_mask(tokens, mask, end_token) -> 'empty', 'end of turn not supervised', 'header supervised', 'ok'."""
    described = {id(mask): description for description, mask in MASKS}
    check_cases(student, [((list(TOKENS), mask, "<|im_end|>"),) for _, mask in MASKS],
                reference=reference_diagnose_mask, show=lambda args: described[id(args[1])],
                mistakes=[
                    (_last_run_only, "Every supervised run must end on the end-of-turn token (check each run, not "
                                     "only the last one), or the model never learns to stop after that reply."),
                    (_every_end_token, "Look at the runs of supervised tokens, not at every <|im_end|> in the "
                                       "conversation (the user's end tokens are not supervised, and must not be)."),
                    (_ignores_headers, "A supervised run that starts with <|im_start|> trains the header: the program "
                                       "writes headers, the model must not be trained to."),
                    (lambda t, m, e: "ok" if any(m) else "empty",
                     "Look inside the supervised runs: how each one ends, and how each one starts."),
                ])
    return "The reference says: training mask -> 'ok', published template -> 'empty', end token outside -> " \
           "'end of turn not supervised', header inside -> 'header supervised'."


def reference_parse_call(text: str) -> tuple[str, str] | None:
    """(name, argument) when the whole reply is `CALL name(argument)` (spaces around both ignored), else None."""
    match = re.fullmatch(r"CALL ([A-Za-z_]\w*)\((.*)\)", text.strip(), re.DOTALL)
    return (match.group(1), match.group(2).strip()) if match else None


CALLS = ["CALL calculator(86 + 16)", "  CALL calculator( 7 * 3 )\n", "CALL weather(Kelmar)",
         "CALL calculator((2 + 3) * 4)", "86 + 16 = 102.", "I will CALL calculator(1 + 1) now.",
         "CALL calculator 86 + 16", ""]


def _regex_call(pattern, text, *, strip_text=True, strip_argument=True, search=False, order=(1, 2)):
    text = text.strip() if strip_text else text
    match = (re.search if search else re.fullmatch)(pattern, text)
    if not match:
        return None
    name, argument = match.group(1), match.group(2)
    argument = argument.strip() if strip_argument else argument
    return (name, argument) if order == (1, 2) else (argument, name)


@exercise(reference_parse_call)
def check_parse_call(student) -> str:
    """parse_call(text) -> (name, argument) for a reply that is one tool call, else None."""
    check_cases(student, [((text,),) for text in CALLS], reference=reference_parse_call,
                show=lambda args: f"the reply {args[0]!r}",
                mistakes=[
                    (lambda t: _regex_call(r"CALL (\w+)\((.*)\)", t, strip_argument=False),
                     "Strip the spaces around the argument."),
                    (lambda t: _regex_call(r"CALL (\w+)\((.*)\)", t, search=True),
                     "A call is the whole reply, `CALL name(argument)`: text before or after it makes it no call."),
                    (lambda t: _regex_call(r"CALL (\w+)\(([^)]*)\).*", t),
                     "The argument is everything between the first '(' and the last ')'."),
                    (lambda t: _regex_call(r"CALL (\w+)\((.*)\)", t, order=(2, 1)), "Return (name, argument), in "
                                                                                      "that order."),
                    (lambda t: _regex_call(r"CALL (\w+)\((.*)\)", t, strip_text=False),
                     "Ignore the spaces and newlines around the whole reply."),
                ])
    return f"The reference gives {reference_parse_call(CALLS[0])!r} for {CALLS[0]!r} and None for {CALLS[4]!r}."
