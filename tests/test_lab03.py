"""Lab 03: each exercise check accepts another correct answer and rejects plausible wrong ones, naming the mistake."""
import pytest

from notebook_cells import assert_accepts, assert_rejects
from utils.exercises import lab03
from utils.sft import first_line, format_prompt


pytestmark = pytest.mark.usefixtures("student_mode")  # a rejected answer prints, as for a student


# Exercise 3.1: format_prompt -----------------------------------------------------------------------------------
def test_format_prompt_accepts_a_different_correct_implementation(capsys):
    def with_a_list(record):
        parts = ["### Instruction:", record["instruction"].strip(), ""]
        if record["input"].strip():
            parts += ["### Input:", record["input"].strip(), ""]
        return "\n".join(parts + ["### Response:", ""])
    assert_accepts(lab03.check_format_prompt, with_a_list, capsys)


def _always_input(record):
    return (f"### Instruction:\n{record['instruction']}\n\n### Input:\n{record['input']}\n\n"
            "### Response:\n")


@pytest.mark.parametrize("wrong, hint", [
    (_always_input, "leave out the whole '### Input:' section"),
    (lambda r: format_prompt(r) + r["output"], "the output is what the model must write"),
    (lambda r: format_prompt(r).rstrip("\n"), "*and its newline*"),
    (lambda r: format_prompt(r).replace("\n\n", "\n"), "blank line"),
    (lambda r: "### Instruction:\nPut the words in the opposite order.\n\n### Input:\nhappy fish bright star\n\n"
               "### Response:\n", "the reference returns '### Instruction:\\nWhat is the capital of Zantor?"),
    (lambda r: format_prompt(r).split("\n"), "yours returned ["),  # a list of lines, not the text
])
def test_format_prompt_rejects(wrong, hint, capsys):
    assert_rejects(lab03.check_format_prompt, wrong, hint, capsys)


# Exercise 3.2: build_sft_labels (the diagnosis: the colleague's pre-shifted labels) -----------------------------
def test_build_sft_labels_accepts_a_different_correct_implementation_with_an_attention_mask(capsys):
    def by_position(prompt_ids, answer_ids):
        ids = prompt_ids + answer_ids
        return {"input_ids": ids, "attention_mask": [1] * len(ids),
                "labels": [t if i >= len(prompt_ids) else -100 for i, t in enumerate(ids)]}
    assert_accepts(lab03.check_build_sft_labels, by_position, capsys)


def _colleagues_version(prompt_ids, answer_ids):  # the buggy code shown in the exercise
    input_ids = prompt_ids + answer_ids
    labels = [-100] * len(prompt_ids) + answer_ids
    labels = labels[1:] + [-100]
    return {"input_ids": input_ids, "labels": labels}


@pytest.mark.parametrize("wrong, hint", [
    (_colleagues_version, "shifted by one"),
    (lambda p, a: {"input_ids": p + a, "labels": p + a}, "The prompt is supervised too"),
    (lambda p, a: {"input_ids": p + a, "labels": [0] * len(p) + a}, "not 0"),
    (lambda p, a: {"input_ids": p + a, "labels": [-100] * len(p) + a[:-1] + [-100]}, "teaches the model to stop"),
    (lambda p, a: {"input_ids": p + a, "labels": a}, "one entry per input id"),
    (lambda p, a: (p + a, [-100] * len(p) + a), "yours returned [["),  # a tuple, not the dict asked for
])
def test_build_sft_labels_rejects(wrong, hint, capsys):
    assert_rejects(lab03.check_build_sft_labels, wrong, hint, capsys)


# Exercise 3.3: predict_loss_targets (a prediction, compared with the measurement in the lab) ---------------------
def test_predict_loss_targets_accepts_a_count_by_building_the_labels(capsys):
    def by_simulation(prompt_lengths, answer_lengths):
        eos, longest = 1, max(p + a for p, a in zip(prompt_lengths, answer_lengths))
        by_position = by_id = 0
        for p, a in zip(prompt_lengths, answer_lengths):
            ids = [5] * p + [7] * (a - 1) + [eos] + [eos] * (longest - p - a)
            labels = [-100] * p + ids[p:p + a] + [-100] * (longest - p - a)
            by_position += sum(label != -100 for label in labels)
            by_id += sum(label != -100 and i != eos for i, label in zip(ids, labels))
        return by_position, by_id
    assert_accepts(lab03.check_predict_loss_targets, by_simulation, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (lambda p, a: (sum(a), sum(a)), "every example's real end token has the pad id"),
    (lambda p, a: (sum(a) - len(a), sum(a)), "swapped"),
    (lambda p, a: (sum(a), 0), "one per example"),
    (lambda p, a: (sum(p) + sum(a), sum(p) + sum(a) - len(a)), "The prompt positions carry -100"),
    (lambda p, a: (11, 8), "the reference returns [5, 3]"),  # the first example's answer, hard-coded
    (lambda p, a: (sum(a), sum(a) - 1), "the reference returns [11, 8]"),  # one end token, not one per example
])
def test_predict_loss_targets_rejects(wrong, hint, capsys):
    assert_rejects(lab03.check_predict_loss_targets, wrong, hint, capsys)


# Exercise 3.4: evaluate_instructions -----------------------------------------------------------------------------
def test_evaluate_instructions_accepts_a_different_correct_implementation(capsys):
    def with_counters(generate, records):
        texts = generate([format_prompt(r) for r in records])
        right, total = {}, {}
        for record, text in zip(records, texts):
            task = record["task"]
            total[task] = total.get(task, 0) + 1
            right[task] = right.get(task, 0) + (first_line(text) == record["output"])
        return {task: right[task] / total[task] for task in total}
    assert_accepts(lab03.check_evaluate_instructions, with_counters, capsys)


def _scoring(line_of):
    def evaluate(generate, records):
        texts = generate([format_prompt(r) for r in records])
        hits = {}
        for record, text in zip(records, texts):
            hits.setdefault(record["task"], []).append(line_of(text) == record["output"])
        return {task: sum(h) / len(h) for task, h in hits.items()}
    return evaluate


def _one_at_a_time(generate, records):
    texts = [generate([format_prompt(r)])[0] for r in records]
    return {task: sum(first_line(t) == r["output"] for r, t in zip(records, texts) if r["task"] == task)
            / sum(r["task"] == task for r in records) for task in {r["task"] for r in records}}


def _case_blind(generate, records):
    texts = generate([format_prompt(r) for r in records])
    hits = {}
    for record, text in zip(records, texts):
        hits.setdefault(record["task"], []).append(first_line(text).lower() == record["output"].lower())
    return {task: sum(h) / len(h) for task, h in hits.items()}


def _crashes_on_an_empty_generation(generate, records):
    return _scoring(lambda text: [line for line in text.split("\n") if line.strip()][0].strip())(generate, records)


@pytest.mark.parametrize("wrong, hint", [
    # the answer issue 18 found accepted: the first line, not the first non-empty one
    (_scoring(lambda text: text.split("\n")[0].strip()), "first *non-empty* line"),
    (_scoring(lambda text: text.strip()), "Compare only the first line"),
    (_scoring(lambda text: text.split("\n")[0]), "Strip the spaces"),
    (_case_blind, "Keep case"),
    (_crashes_on_an_empty_generation, "IndexError"),
    (_one_at_a_time, "Call generate once"),
    (lambda generate, records: {"reverse_words": 0.5, "fact_qa": 1.0, "extract_number": 0.5, "uppercase": 0.5},
     "Call generate with the prompts"),  # the example's answer, hard-coded
])
def test_evaluate_instructions_rejects(wrong, hint, capsys):
    assert_rejects(lab03.check_evaluate_instructions, wrong, hint, capsys)
