"""Supervised fine-tuning on instruction / input / output records: the prompt format, tokenising with the prompt
masked out of the loss, and scoring generated answers. Lab 03 builds these step by step; labs 06 and 07 import them.

The prompt follows Alpaca's layout (instruction, optional input, response), without Alpaca's one-sentence preamble
("Below is an instruction that describes a task...") to save a tiny model some tokens:

    ### Instruction:
    Put the words in the opposite order.

    ### Input:
    happy fish bright star

    ### Response:
    star bright fish happy<|end_of_text|>
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

from .batching import IGNORE_INDEX
from .evaluation import generate_batch

INSTRUCTION_HEADER = "### Instruction:\n"
INPUT_HEADER = "### Input:\n"
RESPONSE_HEADER = "### Response:\n"


def format_prompt(record: Mapping[str, str]) -> str:
    """The prompt for one record: instruction, the input section only if the input is not empty, the response
    header. The model's answer is written right after it."""
    prompt = INSTRUCTION_HEADER + record["instruction"].strip() + "\n\n"
    if record.get("input", "").strip():
        prompt += INPUT_HEADER + record["input"].strip() + "\n\n"
    return prompt + RESPONSE_HEADER


def prompt_ids(record: Mapping[str, str], tokenizer) -> list[int]:
    """Token ids the model sees before answering: begin-of-text (if the tokenizer has one) and the prompt.

    Training and generation both use this, so the model answers from exactly the tokens it was trained on.
    """
    bos = [tokenizer.bos_token_id] if tokenizer.bos_token_id is not None else []
    return bos + tokenizer.encode(format_prompt(record), add_special_tokens=False)


def tokenize_sft_example(record: Mapping[str, str], tokenizer, max_length: int | None = None,
                         mask_prompt: bool = True) -> dict[str, list[int]]:
    """`{input_ids, attention_mask, labels}` for one record: prompt ids, then the output's ids and the end token.

    Labels are IGNORE_INDEX (-100) on the prompt when `mask_prompt` (the model is not taught to write prompts),
    and the token ids on the answer and its end-of-text token (so it learns to stop). They are not shifted:
    Hugging Face causal LMs shift inside `forward`. The prompt and the answer are tokenised separately, so the
    boundary between them is exact. A `max_length` that leaves no answer token raises a ValueError.
    """
    if tokenizer.eos_token_id is None:
        raise ValueError("The tokenizer has no eos_token: the model could never learn where an answer ends.")
    prompt = prompt_ids(record, tokenizer)
    answer = tokenizer.encode(record["output"], add_special_tokens=False) + [tokenizer.eos_token_id]
    input_ids = prompt + answer
    labels = ([IGNORE_INDEX] * len(prompt) if mask_prompt else list(prompt)) + answer
    if max_length is not None and len(input_ids) > max_length:
        if len(prompt) >= max_length:
            raise ValueError(f"The prompt alone has {len(prompt)} tokens, so max_length={max_length} cuts away "
                             f"the whole answer: raise max_length or shorten the input ({record['input'][:40]!r}).")
        input_ids, labels = input_ids[:max_length], labels[:max_length]
    return {"input_ids": input_ids, "attention_mask": [1] * len(input_ids), "labels": labels}


def first_line(text: str) -> str:
    """The answer part of a generation: its first non-empty line, stripped (a base model rarely stops)."""
    for line in text.strip().split("\n"):
        if line.strip():
            return line.strip()
    return ""


def answer_matches(prediction: str, reference: str) -> bool:
    """Exact match of the prediction's first line with the reference, case-sensitive (casing is the task in
    'uppercase' and 'lowercase'; the references are written in one canonical form)."""
    return first_line(prediction) == reference.strip()


def predict(model, tokenizer, records: Sequence[Mapping[str, str]], max_new_tokens: int = 32,
            batch_size: int = 64) -> list[str]:
    """Greedy generations for the records' prompts (stopping at the end-of-text or end-of-turn token)."""
    stops = [t for t in {tokenizer.eos_token_id, tokenizer.convert_tokens_to_ids("<|eot_id|>")}
             if t is not None and t != tokenizer.unk_token_id]
    return generate_batch(model, tokenizer, [prompt_ids(r, tokenizer) for r in records],
                          max_new_tokens=max_new_tokens, batch_size=batch_size, stop_token_ids=stops)


def make_generate(model, tokenizer, max_new_tokens: int = 32) -> Callable[[list[str]], list[str]]:
    """A function prompts (text) -> generations, for code that should not care which model it talks to."""
    def generate(prompts: list[str]) -> list[str]:
        bos = [tokenizer.bos_token_id] if tokenizer.bos_token_id is not None else []
        ids = [bos + tokenizer.encode(p, add_special_tokens=False) for p in prompts]
        stops = [t for t in {tokenizer.eos_token_id, tokenizer.convert_tokens_to_ids("<|eot_id|>")}
                 if t is not None and t != tokenizer.unk_token_id]
        return generate_batch(model, tokenizer, ids, max_new_tokens=max_new_tokens, stop_token_ids=stops)
    return generate


def accuracy_by_task(records: Sequence[Mapping[str, str]], predictions: Sequence[str]) -> dict[str, float]:
    """Share of records per task whose prediction matches (see `answer_matches`), tasks in first-seen order."""
    if len(records) != len(predictions):
        raise ValueError(f"{len(records)} records but {len(predictions)} predictions.")
    hits: dict[str, list[bool]] = {}
    for record, prediction in zip(records, predictions):
        hits.setdefault(record["task"], []).append(answer_matches(prediction, record["output"]))
    return {task: sum(h) / len(h) for task, h in hits.items()}


def evaluate_instructions(generate: Callable[[list[str]], list[str]], records: Sequence[Mapping[str, str]]) -> dict[str, float]:
    """Accuracy per task of a `generate(prompts) -> texts` function on instruction records."""
    return accuracy_by_task(records, generate([format_prompt(r) for r in records]))


def sample_per_task(records: Sequence[Mapping[str, str]], per_task: int | None) -> list[Mapping[str, str]]:
    """The first `per_task` records of each task (all if None), in their original order: a fixed, balanced subset."""
    if per_task is None:
        return list(records)
    counts: dict[str, int] = {}
    chosen = []
    for record in records:
        if counts.get(record["task"], 0) < per_task:
            counts[record["task"]] = counts.get(record["task"], 0) + 1
            chosen.append(record)
    return chosen
