"""Checks for labs/11_trl_and_packing.ipynb."""
from __future__ import annotations

import torch

from ..checks import check_cases, exercise, fail


def reference_loss_option(row: dict) -> str | None:
    """The SFTConfig option that restricts the loss for a TRL dataset row of this format (None: every token)."""
    if "messages" in row:
        return "assistant_only_loss"
    if "prompt" in row and "completion" in row:
        return "completion_only_loss"
    if "text" in row:
        return None
    raise ValueError(f"Not a TRL dataset row: it has keys {sorted(row)}; expected messages, prompt/completion or text.")


ROWS = {
    "a conversational row": {"messages": [{"role": "user", "content": "Hi."},
                                          {"role": "assistant", "content": "Hello!"}]},
    "a prompt / completion row": {"prompt": "### Instruction:\nSay hi.\n\n### Response:\n", "completion": "Hi."},
    "a language-modelling row": {"text": "The glimmow is blue."},
}


@exercise(reference_loss_option)
def check_loss_option(student) -> str:
    """loss_option(row) -> 'assistant_only_loss', 'completion_only_loss' or None; ValueError for an unknown row."""
    names = {id(row): name for name, row in ROWS.items()}
    check_cases(student, [((row,),) for row in ROWS.values()], reference=reference_loss_option,
                show=lambda args: f"{names[id(args[0])]} (keys {sorted(args[0])})",
                mistakes=[
                    (lambda row: {"messages": "completion_only_loss", "prompt": "assistant_only_loss"}.get(
                        next(iter(row))),
                     "`assistant_only_loss` is for `messages` (conversational rows), `completion_only_loss` for "
                     "`prompt`/`completion`: you swapped them."),
                    (lambda row: "assistant_only_loss" if "messages" in row else "completion_only_loss",
                     "A plain-text row has no prompt and no assistant turn: every token carries loss, so no option "
                     "restricts it (return None)."),
                    (lambda row: "completion_only_loss" if "prompt" in row else "assistant_only_loss",
                     "A plain-text row has no prompt and no assistant turn: every token carries loss, so no option "
                     "restricts it (return None)."),
                ])
    unknown = {"question": "Why?", "answer": "Because."}
    try:
        answer = student.raw(dict(unknown))
    except ValueError as error:
        if "question" not in str(error):
            fail(f"Raise the ValueError with a message that names the keys the row has (the reference says: "
                 f"{reference_error(unknown)}).")
    except Exception as error:  # noqa: BLE001 — the student's code may raise anything
        fail(f"For an unknown row raise a ValueError, not {type(error).__name__} (the reference raises ValueError: "
             f"{reference_error(unknown)}).")
    else:
        fail(f"A row with keys ['answer', 'question'] is none of TRL's formats: raise a ValueError instead of "
             f"returning {answer!r} (the reference raises ValueError: {reference_error(unknown)}).")
    return "The reference maps conversational rows to 'assistant_only_loss', prompt/completion rows to " \
           "'completion_only_loss', text rows to None."


def reference_error(row: dict) -> str:
    try:
        reference_loss_option(row)
    except ValueError as error:
        return str(error)
    return ""


def reference_reset_position_ids(lengths: list[int]) -> list[int]:
    """Position ids of one packed row: each example counts from 0."""
    return [position for length in lengths for position in range(length)]


@exercise(reference_reset_position_ids)
def check_reset_position_ids(student) -> str:
    """reset_position_ids(lengths) -> the position ids of one packed row, a list of ints."""
    check_cases(student, [(([3, 2, 4],),), (([5],),), (([1, 1, 2],),)], reference=reference_reset_position_ids,
                show=lambda args: f"lengths {args[0]}",
                mistakes=[
                    (lambda lengths: list(range(sum(lengths))),
                     "The positions run on across examples: restart at 0 at the start of every example, or the "
                     "model reads them as one sequence."),
                    (lambda lengths: [p + 1 for n in lengths for p in range(n)],
                     "Count from 0, as the model does for an example alone, not from 1."),
                    (lambda lengths: [p for n in lengths for p in range(n - 1)],
                     "One position per token: an example of n tokens has positions 0 to n - 1, n of them."),
                    (lambda lengths: [p for n in lengths for p in range(n + 1)],
                     "One position per token: an example of n tokens has positions 0 to n - 1, n of them."),
                ])
    return f"The reference gives reset_position_ids([3, 2, 4]) = {reference_reset_position_ids([3, 2, 4])}."


def reference_attends_across_examples(batch: dict, lengths: list[list[int]]) -> bool:
    """True when some token of a (padding-free or packed) batch can attend to another example (use_cache=False)."""
    for row, row_lengths in enumerate(lengths):
        if len(row_lengths) < 2:
            continue
        if "attention_mask" in batch or "position_ids" not in batch:
            return True
        positions = batch["position_ids"][row].tolist()
        start = 0
        for length in row_lengths:
            if positions[start : start + length] != list(range(length)):
                return True
            start += length
    return False


def _batch(position_ids=None, attention_mask=False, rows=1, width=9):
    batch = {"input_ids": torch.arange(rows * width).reshape(rows, width)}
    if position_ids is not None:
        batch["position_ids"] = torch.tensor(position_ids)
    if attention_mask:
        batch["attention_mask"] = torch.ones(rows, width, dtype=torch.long)
    return batch


# (description, batch, lengths): the collators of the lab, and the ways a batch can go wrong
DIAGNOSES = [
    ("padding, one example per row, with an attention mask", _batch(attention_mask=True, rows=3, width=4),
     [[3], [2], [4]]),
    ("one row, three examples, position ids restarting, no mask", _batch([[0, 1, 2, 0, 1, 0, 1, 2, 3]]), [[3, 2, 4]]),
    ("one row, three examples, naive: positions run on, mask of ones", _batch([list(range(9))], attention_mask=True),
     [[3, 2, 4]]),
    ("one row, three examples, restarting positions but also an attention mask",
     _batch([[0, 1, 2, 0, 1, 0, 1, 2, 3]], attention_mask=True), [[3, 2, 4]]),
    ("one row, three examples, no position ids and no mask", _batch(), [[3, 2, 4]]),
    ("one row, positions restart in the wrong places", _batch([[0, 1, 0, 1, 2, 0, 1, 2, 3]]), [[3, 2, 4]]),
    ("two rows: the second row's positions run on", _batch([[0, 1, 2, 0, 1, 2, 3, 4, 5], list(range(9))], rows=2),
     [[3, 6], [4, 5]]),
    ("two rows, each packed correctly", _batch([[0, 1, 2, 0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 0, 1, 2, 3, 4]], rows=2),
     [[3, 6], [4, 5]]),
    ("one example alone, with a mask", _batch([list(range(9))], attention_mask=True), [[9]]),
]


def _leaks(batch, lengths, *, mask_leaks=True, missing_positions_leak=True, single_row_safe=True, rows=None):
    """The rule with one plausible mistake switched on."""
    for row, row_lengths in enumerate(lengths[:rows]):
        if single_row_safe and len(row_lengths) < 2:
            continue
        if (mask_leaks and "attention_mask" in batch) or (missing_positions_leak and "position_ids" not in batch):
            return True
        if "position_ids" in batch and batch["position_ids"][row].tolist() != [p for n in row_lengths
                                                                              for p in range(n)]:
            return True
    return False


@exercise(reference_attends_across_examples)
def check_attends_across_examples(student) -> str:
    """attends_across_examples(batch, lengths) -> True when a token can attend to another example."""
    described = {id(batch): description for description, batch, _ in DIAGNOSES}
    check_cases(student, [((batch, lengths),) for _, batch, lengths in DIAGNOSES],
                reference=reference_attends_across_examples,
                show=lambda args: described[id(args[0])],
                mistakes=[
                    (lambda b, n: _leaks(b, n, mask_leaks=False),
                     "With an attention mask the model ignores the position ids and attends across the whole row."),
                    (lambda b, n: _leaks(b, n, missing_positions_leak=False),
                     "Without position ids the model numbers the row 0, 1, 2, ... as one sequence: that leaks."),
                    (lambda b, n: _leaks(b, n, single_row_safe=False),
                     "A row holding a single example cannot leak, whatever its mask."),
                    (lambda b, n: _leaks(b, n, rows=1), "Look at every row of the batch, not only the first."),
                ])
    return "The reference says: pad_batch -> False, flatten_batch -> False, concatenate_naively -> True, " \
           "restarting positions plus a mask -> True."
