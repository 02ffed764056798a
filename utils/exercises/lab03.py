"""Checks for labs/03_sft.ipynb."""
from __future__ import annotations

from ..batching import IGNORE_INDEX
from ..checks import check_cases, exercise, expect
from ..sft import evaluate_instructions as reference_evaluate_instructions
from ..sft import first_line
from ..sft import format_prompt as reference_format_prompt

RECORDS = [
    {"instruction": "Put the words in the opposite order.", "input": "happy fish bright star",
     "output": "star bright fish happy", "task": "reverse_words"},
    {"instruction": "What is the capital of Zantor?", "input": "", "output": "Graff", "task": "fact_qa"},
    {"instruction": "Find the number in this sentence.", "input": "Ana has 12 hats.", "output": "12",
     "task": "extract_number"},
    {"instruction": "Rewrite the text in uppercase.", "input": "quiet box", "output": "QUIET BOX", "task": "uppercase"},
]


# Exercise 3.1 -------------------------------------------------------------------------------------------------
def _sections(record, separator="\n\n", with_input=None, with_output=False, end="### Response:\n"):
    """A prompt built with one of the layout mistakes (the arguments say which)."""
    text = "### Instruction:\n" + record["instruction"].strip() + separator
    if (record["input"].strip() != "") if with_input is None else with_input:
        text += "### Input:\n" + record["input"].strip() + separator
    return text + end + (record["output"] if with_output else "")


@exercise(reference_format_prompt)
def check_format_prompt(student) -> str:
    """format_prompt(record) -> str: instruction, the input section only if there is an input, response header."""
    check_cases(student, [((dict(r),),) for r in RECORDS], reference=reference_format_prompt,
                show=lambda args: f"the record {args[0]['instruction']!r} (input {args[0]['input']!r})",
                mistakes=[
                    (lambda r: _sections(r, with_input=True),
                     "When the input is empty, leave out the whole '### Input:' section."),
                    (lambda r: _sections(r, with_input=False),
                     "When there is an input, add an '### Input:' section after the instruction."),
                    (lambda r: _sections(r, with_output=True),
                     "The prompt stops at the response header: the output is what the model must write, so it is "
                     "not part of the prompt."),
                    (lambda r: _sections(r, end="### Response:"),
                     "End the prompt with the response header *and its newline*, so the answer starts on a new "
                     "line."),
                    (lambda r: _sections(r, separator="\n"),
                     "Separate the sections by a blank line: each section's text ends with two newlines."),
                ])
    return f"The reference's prompt for the first record: {reference_format_prompt(RECORDS[0])!r}"


# Exercise 3.2 -------------------------------------------------------------------------------------------------
def reference_build_sft_labels(prompt_ids, answer_ids) -> dict[str, list[int]]:
    """input_ids = prompt + answer; labels = -100 on the prompt, the answer ids (its end token included) after."""
    return {"input_ids": list(prompt_ids) + list(answer_ids),
            "labels": [IGNORE_INDEX] * len(prompt_ids) + list(answer_ids)}


def _the_two_keys(result):
    """Compare only input_ids and labels (an extra attention_mask is fine)."""
    if isinstance(result, dict) and {"input_ids", "labels"} <= set(result):
        return {"input_ids": result["input_ids"], "labels": result["labels"]}
    return result


SFT_CASES = [([0, 11, 12, 13], [21, 22, 1]), ([0, 5], [7, 1]), ([0, 3, 3, 3, 3], [9, 9, 1])]


@exercise(reference_build_sft_labels)
def check_build_sft_labels(student) -> str:
    """build_sft_labels(prompt_ids, answer_ids) -> {"input_ids", "labels"}, labels unshifted."""
    def labelled(prompt, labels):
        return {"input_ids": prompt[0] + prompt[1], "labels": labels}

    check_cases(lambda p, a: _the_two_keys(student(p, a)), [((list(p), list(a)),) for p, a in SFT_CASES],
                reference=reference_build_sft_labels,
                show=lambda args: f"prompt_ids={args[0]}, answer_ids={args[1]}",
                mistakes=[
                    (lambda p, a: labelled((p, a), (([IGNORE_INDEX] * len(p) + a)[1:] + [IGNORE_INDEX])),
                     "The labels are shifted by one: keep them aligned with input_ids; the model shifts them "
                     "inside forward(), so shifting here makes position t learn token t + 2."),
                    (lambda p, a: labelled((p, a), p + a),
                     "The prompt is supervised too: put -100 on every prompt position."),
                    (lambda p, a: labelled((p, a), [0] * len(p) + a),
                     "Use -100 (IGNORE_INDEX), not 0, for ignored positions: 0 is a real token id."),
                    (lambda p, a: labelled((p, a), [IGNORE_INDEX] * len(p) + a[:-1] + [IGNORE_INDEX]),
                     "The end token must keep its label: it is the only target that teaches the model to stop."),
                    (lambda p, a: labelled((p, a), list(a)),
                     "labels needs one entry per input id, prompt positions included (as -100)."),
                    (lambda p, a: labelled((p, a), p + [IGNORE_INDEX] * len(a)),
                     "The mask is the wrong way round: the answer keeps its ids, the prompt gets -100."),
                ])
    return (f"For prompt {SFT_CASES[0][0]} and answer {SFT_CASES[0][1]} the reference returns "
            f"{reference_build_sft_labels(*SFT_CASES[0])}.")


# Exercise 3.3 -------------------------------------------------------------------------------------------------
def reference_predict_loss_targets(prompt_lengths, answer_lengths) -> tuple[int, int]:
    """Label positions that are not -100 in a batch padded with pad == eos: (masked by position, masked by id).

    Each example is prompt (all -100) + answer (its ids, the last one the end token); padding is -100 either way.
    Masking by id also erases every example's real end token, one per example."""
    by_position = sum(answer_lengths)
    return by_position, by_position - len(answer_lengths)


LENGTH_CASES = [([4, 7, 5], [3, 2, 6]), ([10, 3], [1, 4]), ([6, 6, 2, 9], [2, 5, 3, 3])]


def _padding(prompt_lengths, answer_lengths) -> int:
    lengths = [p + a for p, a in zip(prompt_lengths, answer_lengths)]
    return sum(max(lengths) - length for length in lengths)


@exercise(reference_predict_loss_targets)
def check_predict_loss_targets(student) -> str:
    """predict_loss_targets(prompt_lengths, answer_lengths) -> (by_position, by_id), ints."""
    def as_ints(answer):
        try:
            return tuple(int(v) for v in answer) if len(answer) == 2 else answer
        except (TypeError, ValueError):
            return answer

    check_cases(lambda p, a: as_ints(student(p, a)), [((list(p), list(a)),) for p, a in LENGTH_CASES],
                reference=reference_predict_loss_targets,
                show=lambda args: f"prompt_lengths={args[0]}, answer_lengths={args[1]}",
                mistakes=[
                    (lambda p, a: (sum(a), sum(a)),
                     "Masking by id does not only hit the padding: with pad == eos, every example's real end "
                     "token has the pad id too."),
                    (lambda p, a: (sum(a) - len(a), sum(a)),
                     "The two are swapped: masking by position keeps each end token, masking by id erases it."),
                    (lambda p, a: (sum(a), 0),
                     "Masking by id erases only the end tokens, one per example; the other answer tokens keep "
                     "their labels."),
                    (lambda p, a: (sum(p) + sum(a), sum(p) + sum(a) - len(a)),
                     "The prompt positions carry -100 before any padding happens: they are not targets."),
                    (lambda p, a: (sum(a) + _padding(p, a), sum(a) - len(a)),
                     "Padding positions get -100 by position: they are never targets."),
                ])
    return (f"For prompt lengths {LENGTH_CASES[0][0]} and answer lengths {LENGTH_CASES[0][1]} the reference "
            f"predicts {reference_predict_loss_targets(*LENGTH_CASES[0])}.")


# Exercise 3.4 -------------------------------------------------------------------------------------------------
EVAL_RECORDS = RECORDS + [{**RECORDS[1], "instruction": "What is the capital of Lune?", "output": "Tesk"},
                          {**RECORDS[3], "input": "big road", "output": "BIG ROAD"},
                          {**RECORDS[0], "input": "red cup", "output": "cup red"},
                          {**RECORDS[2], "input": "It costs 40 coins.", "output": "40"}]
# What a model might write for each prompt: it rambles after its answer, pads it with spaces, starts with a blank
# line, or writes nothing at all.
SCRIPTED = ["star bright fish happy\n\n### Instruction:\nPut the", " Graff \nand more", "12 hats",
            "quiet box", "\nTesk\n", "BIG ROAD\n", "", "40"]


def _scripted_generate(records=EVAL_RECORDS, texts=SCRIPTED):
    """A stand-in for a model: a fixed text per prompt. Records the calls made to it."""
    answers = {reference_format_prompt(r): t for r, t in zip(records, texts)}

    def generate(prompts):
        generate.calls.append(list(prompts))
        return [answers.get(p, "") for p in prompts]
    generate.calls = []
    return generate


def _scored_by(line_of):
    """A wrong evaluate_instructions that takes `line_of(text)` as the answer (everything else right)."""
    def evaluate(generate, records):
        texts = generate([reference_format_prompt(r) for r in records])
        hits = {}
        for record, text in zip(records, texts):
            hits.setdefault(record["task"], []).append(line_of(text, record))
        return {task: sum(h) / len(h) for task, h in hits.items()}
    return evaluate


EVALUATION_MISTAKES = [
    (_scored_by(lambda text, r: text.split("\n")[0].strip() == r["output"]),
     "Take the first *non-empty* line: a model may start its answer with a blank line."),
    (_scored_by(lambda text, r: text.strip() == r["output"]),
     "Compare only the first line of each generation: models keep writing after their answer."),
    (_scored_by(lambda text, r: first_line(text).lower() == r["output"].lower()),
     "Keep case: 'quiet box' is not the answer 'QUIET BOX' to an uppercase task."),
    (_scored_by(lambda text, r: r["output"] in text),
     "Compare the whole first line exactly, not whether the answer appears in it (or starts it): '12 hats' is "
     "not '12'."),
    (_scored_by(lambda text, r: text.split("\n")[0] == r["output"]),
     "Strip the spaces around the first line: ' Graff ' is the answer 'Graff'."),
    (lambda generate, records: sum(
        first_line(t) == r["output"] for r, t in zip(records, generate([reference_format_prompt(r) for r in records])))
     / len(records),
     "Return a dict {task: accuracy}, one entry per task, not one number."),
]


@exercise(reference_evaluate_instructions)
def check_evaluate_instructions(student) -> str:
    """evaluate_instructions(generate, records) -> {task: accuracy}, first non-empty line, exact match."""
    generate = _scripted_generate()
    student(generate, [dict(r) for r in EVAL_RECORDS])
    sent = [p for call in generate.calls for p in call]
    expect(sorted(sent) == sorted(reference_format_prompt(r) for r in EVAL_RECORDS),
           "Call generate with the prompts made by format_prompt(record) (from utils.sft), one per record.")
    expect(len(generate.calls) == 1, f"Call generate once, with all {len(EVAL_RECORDS)} prompts (you called it "
                                     f"{len(generate.calls)} times): a model generates a batch at once.")
    scripted = ", ".join(f"{t!r}" for t in SCRIPTED)
    check_cases(student, [((_scripted_generate(), [dict(r) for r in EVAL_RECORDS]),)],
                reference=lambda g, records: reference_evaluate_instructions(g, records),
                mistakes=EVALUATION_MISTAKES,
                show=lambda args: f"{len(EVAL_RECORDS)} records whose scripted generations are {scripted}")
    return (f"On the scripted generations the reference returns "
            f"{reference_evaluate_instructions(_scripted_generate(), EVAL_RECORDS)}.")
