"""Checks for labs/12_chat_formats_and_tool_calls.ipynb."""
from __future__ import annotations

from ..checks import attempt, report

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
    ("the training template's mask (content and <|im_end|> of both replies)", _mask((9, 12), (22, 24)), "ok"),
    ("the published template's mask (no {% generation %})", _mask(), "empty"),
    ("the end token left out of both replies", _mask((9, 11), (22, 23)), "end of turn not supervised"),
    ("the end token left out of the second reply only", _mask((9, 12), (22, 23)), "end of turn not supervised"),
    ("the end token left out of the first reply only", _mask((9, 11), (22, 24)), "end of turn not supervised"),
    ("the header supervised with the reply", _mask((6, 12), (19, 24)), "header supervised"),
]


def check_diagnose_mask(diagnose_mask) -> bool:
    name = "diagnose_mask"
    for description, mask, expected in MASKS:
        ok, answer = attempt(name, diagnose_mask, list(TOKENS), list(mask), "<|im_end|>")
        if not ok:
            return False
        if answer == expected:
            continue
        if expected == "end of turn not supervised" and answer == "ok":
            return report(name, False, f"{description}: every supervised run must end on the end-of-turn token "
                                       "(check each run, not only the last one); here one does not, so the model "
                                       "never learns to stop.")
        if expected == "ok" and answer == "end of turn not supervised":
            return report(name, False, f"{description}: each supervised run ends with <|im_end|>. Look at the runs "
                                       "of supervised tokens, not at every <|im_end|> in the conversation (the "
                                       "user's end tokens are not supervised, and must not be).")
        if expected == "header supervised" and answer == "end of turn not supervised":
            return report(name, False, f"{description}: both runs end with <|im_end|>; look at how they start.")
        if expected == "header supervised" and answer == "ok":
            return report(name, False, f"{description}: a supervised run starts with <|im_start|>: the program "
                                       "writes headers, the model must not be trained to.")
        return report(name, False, f"For {description} expected {expected!r}, got {answer!r}.")
    print("reference: training mask -> 'ok', published template -> 'empty', end token outside -> "
          "'end of turn not supervised', header inside -> 'header supervised'")
    return report(name, True)


CALLS = [
    ("CALL calculator(86 + 16)", ("calculator", "86 + 16")),
    ("  CALL calculator( 7 * 3 )\n", ("calculator", "7 * 3")),
    ("CALL weather(Kelmar)", ("weather", "Kelmar")),
    ("CALL calculator((2 + 3) * 4)", ("calculator", "(2 + 3) * 4")),
    ("86 + 16 = 102.", None),
    ("I will CALL calculator(1 + 1) now.", None),
    ("CALL calculator 86 + 16", None),
    ("", None),
]


def check_parse_call(parse_call) -> bool:
    name = "parse_call"
    for text, expected in CALLS:
        ok, answer = attempt(name, parse_call, text)
        if not ok:
            return False
        if isinstance(answer, list):
            answer = tuple(answer)
        if answer == expected:
            continue
        if expected is None:
            return report(name, False, f"{text!r} is not a call (a call is the whole reply, `CALL name(argument)`): "
                                       f"return None, not {answer!r}.")
        if answer is None:
            return report(name, False, f"{text!r} is a call: return {expected!r}.")
        if isinstance(answer, tuple) and len(answer) == 2 and answer[0] == expected[0] and answer[1].strip() == expected[1]:
            return report(name, False, f"Strip the spaces around the argument: expected {expected[1]!r}, got {answer[1]!r}.")
        if isinstance(answer, tuple) and answer == expected[::-1]:
            return report(name, False, "Return (name, argument), in that order.")
        if isinstance(answer, tuple) and len(answer) == 2 and answer[0] == expected[0] and answer[1] != expected[1]:
            return report(name, False, f"For {text!r} the argument is everything between the first '(' and the last "
                                       f"')': {expected[1]!r}, you returned {answer[1]!r}.")
        return report(name, False, f"For {text!r} expected {expected!r}, got {answer!r}.")
    print(f"reference: parse_call('CALL calculator(86 + 16)') -> {CALLS[0][1]!r}; parse_call('86 + 16 = 102.') -> None")
    return report(name, True)
