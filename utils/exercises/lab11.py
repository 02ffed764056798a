"""Checks for labs/11_trl_and_packing.ipynb."""
from __future__ import annotations

import torch

from ..checks import attempt, report

ROWS = {
    "conversational": ({"messages": [{"role": "user", "content": "Hi."}, {"role": "assistant", "content": "Hello!"}]},
                       "assistant_only_loss"),
    "prompt / completion": ({"prompt": "### Instruction:\nSay hi.\n\n### Response:\n", "completion": "Hi."},
                            "completion_only_loss"),
    "language modelling": ({"text": "The glimmow is blue."}, None),
}


def check_loss_option(loss_option) -> bool:
    name = "loss_option"
    for kind, (row, expected) in ROWS.items():
        ok, answer = attempt(name, loss_option, dict(row))
        if not ok:
            return False
        if answer == expected:
            continue
        if kind == "language modelling" and answer in ("completion_only_loss", "assistant_only_loss"):
            return report(name, False, "A plain-text row has no prompt and no assistant turn: every token carries "
                                       "loss, so no option restricts it (return None).")
        if answer in ("assistant_only_loss", "completion_only_loss") and answer != expected:
            return report(name, False, f"A {kind} row ({sorted(row)}) needs {expected!r}, not {answer!r}: "
                                       "`assistant_only_loss` is for `messages`, `completion_only_loss` for "
                                       "`prompt`/`completion`.")
        return report(name, False, f"For a {kind} row with keys {sorted(row)} expected {expected!r}, got {answer!r}.")
    try:
        answer = loss_option({"question": "Why?", "answer": "Because."})
    except ValueError as error:
        if "question" not in str(error):
            return report(name, False, "Raise the ValueError with a message that names the keys the row has.")
    except Exception as error:  # noqa: BLE001 — the student's code may raise anything
        return report(name, False, f"For an unknown row raise a ValueError, not {type(error).__name__}.")
    else:
        return report(name, False, f"A row with keys ['answer', 'question'] is none of TRL's formats: raise a "
                                   f"ValueError instead of returning {answer!r}.")
    print("reference: conversational -> 'assistant_only_loss', prompt/completion -> 'completion_only_loss', "
          "text -> None")
    return report(name, True)


def check_reset_position_ids(reset_position_ids) -> bool:
    name = "reset_position_ids"
    cases = [([3, 2, 4], [0, 1, 2, 0, 1, 0, 1, 2, 3]), ([5], [0, 1, 2, 3, 4]), ([1, 1, 2], [0, 0, 0, 1])]
    for lengths, expected in cases:
        ok, answer = attempt(name, reset_position_ids, list(lengths))
        if not ok:
            return False
        answer = answer.tolist() if torch.is_tensor(answer) else answer
        if not isinstance(answer, (list, tuple)):
            return report(name, False, f"Return a list of ints, not {type(answer).__name__}.")
        answer = [int(a) for a in answer]
        if answer == expected:
            continue
        if len(answer) != sum(lengths):
            return report(name, False, f"One position per token: lengths {lengths} make {sum(lengths)} tokens, you "
                                       f"returned {len(answer)} positions.")
        if answer == list(range(sum(lengths))):
            return report(name, False, "The positions run on across examples: restart at 0 at the start of every "
                                       "example, or the model reads them as one sequence.")
        if answer == [p + 1 for p in expected]:
            return report(name, False, "Count from 0, as the model does for an example alone, not from 1.")
        return report(name, False, f"For lengths {lengths} expected {expected}, got {answer}.")
    print(f"reference: reset_position_ids([3, 2, 4]) -> {cases[0][1]}")
    return report(name, True)


def _batch(position_ids=None, attention_mask=False, rows=1, width=9):
    batch = {"input_ids": torch.arange(rows * width).reshape(rows, width)}
    if position_ids is not None:
        batch["position_ids"] = torch.tensor(position_ids)
    if attention_mask:
        batch["attention_mask"] = torch.ones(rows, width, dtype=torch.long)
    return batch


# (description, batch, lengths, expected): the collators of the lab, and the ways a batch can go wrong
DIAGNOSES = [
    ("padding, one example per row, with an attention mask", _batch(attention_mask=True, rows=3, width=4),
     [[3], [2], [4]], False),
    ("one row, three examples, position ids restarting, no mask", _batch([[0, 1, 2, 0, 1, 0, 1, 2, 3]]),
     [[3, 2, 4]], False),
    ("one row, three examples, naive: positions run on, mask of ones",
     _batch([list(range(9))], attention_mask=True), [[3, 2, 4]], True),
    ("one row, three examples, restarting positions but also an attention mask",
     _batch([[0, 1, 2, 0, 1, 0, 1, 2, 3]], attention_mask=True), [[3, 2, 4]], True),
    ("one row, three examples, no position ids and no mask", _batch(), [[3, 2, 4]], True),
    ("one row, positions restart in the wrong places", _batch([[0, 1, 0, 1, 2, 0, 1, 2, 3]]), [[3, 2, 4]], True),
    ("two rows: the second row's positions run on", _batch([[0, 1, 2, 0, 1, 2, 3, 4, 5], list(range(9))], rows=2),
     [[3, 6], [4, 5]], True),
    ("two rows, each packed correctly", _batch([[0, 1, 2, 0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 0, 1, 2, 3, 4]], rows=2),
     [[3, 6], [4, 5]], False),
    ("one example alone, with a mask", _batch([list(range(9))], attention_mask=True), [[9]], False),
]


def check_attends_across_examples(attends_across_examples) -> bool:
    name = "attends_across_examples"
    for description, batch, lengths, expected in DIAGNOSES:
        ok, answer = attempt(name, attends_across_examples, {k: v.clone() for k, v in batch.items()},
                             [list(row) for row in lengths])
        if not ok:
            return False
        if bool(answer) == expected and isinstance(answer, (bool, int)):
            continue
        if expected:
            return report(name, False, f"{description}: tokens do attend to another example there, you said they "
                                       "do not. Which rule did your function miss?")
        return report(name, False, f"{description}: no token can see another example there, you said it can. A "
                                   "row holding a single example cannot leak, whatever its mask.")
    print("reference: pad_batch -> False, flatten_batch -> False, concatenate_naively -> True, restarting positions "
          "plus a mask -> True")
    return report(name, True)
