"""utils.sft: the prompt format, labels that ignore the prompt, scoring answers."""
import pytest
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

from utils.batching import IGNORE_INDEX
from utils.sft import (accuracy_by_task, answer_matches, evaluate_instructions, first_line, format_prompt,
                       prompt_ids, sample_per_task, tokenize_sft_example)

WITH_INPUT = {"instruction": "Put the words in the opposite order.", "input": "happy fish", "output": "fish happy",
              "task": "reverse_words"}
NO_INPUT = {"instruction": "What is the capital of Zantor?", "input": "", "output": "Graff", "task": "fact_qa"}


def word_tokenizer() -> PreTrainedTokenizerFast:
    words = ["<|begin_of_text|>", "<|end_of_text|>", "[UNK]", "\n", "###", "Instruction:", "Input:", "Response:",
             "happy", "fish", "Graff"]
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Split(" ", behavior="removed"),
                                                 pre_tokenizers.Split("\n", behavior="isolated")])
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|begin_of_text|>", eos_token="<|end_of_text|>",
                                   unk_token="[UNK]")


def test_format_prompt_with_and_without_input():
    assert format_prompt(WITH_INPUT) == ("### Instruction:\nPut the words in the opposite order.\n\n"
                                         "### Input:\nhappy fish\n\n### Response:\n")
    assert format_prompt(NO_INPUT) == "### Instruction:\nWhat is the capital of Zantor?\n\n### Response:\n"


def test_labels_ignore_the_prompt_and_supervise_answer_and_eos():
    tokenizer = word_tokenizer()
    example = tokenize_sft_example(WITH_INPUT, tokenizer)
    prompt = prompt_ids(WITH_INPUT, tokenizer)
    assert prompt[0] == 0 and example["input_ids"][: len(prompt)] == prompt
    assert example["input_ids"][len(prompt):] == [9, 8, 1]  # fish happy <|end_of_text|>
    assert example["labels"] == [IGNORE_INDEX] * len(prompt) + [9, 8, 1]
    assert example["attention_mask"] == [1] * len(example["input_ids"])
    unmasked = tokenize_sft_example(WITH_INPUT, tokenizer, mask_prompt=False)
    assert unmasked["labels"] == unmasked["input_ids"]


def test_truncation_that_removes_the_answer_raises():
    tokenizer = word_tokenizer()
    n_prompt = len(prompt_ids(WITH_INPUT, tokenizer))
    with pytest.raises(ValueError, match="cuts away the whole answer"):
        tokenize_sft_example(WITH_INPUT, tokenizer, max_length=n_prompt)
    cut = tokenize_sft_example(WITH_INPUT, tokenizer, max_length=n_prompt + 1)
    assert cut["labels"][-1] == 9 and len(cut["input_ids"]) == n_prompt + 1


def test_answer_matching_uses_the_first_line_and_keeps_case():
    assert first_line("\n  fish happy  \n### Instruction:\n...") == "fish happy"
    assert answer_matches(" Graff\nmore text", "Graff")
    assert not answer_matches("graff", "Graff")
    assert not answer_matches("", "Graff")


def test_accuracy_by_task_and_evaluate_instructions():
    records = [WITH_INPUT, NO_INPUT, {**NO_INPUT, "output": "Tesk"}]
    assert accuracy_by_task(records, ["fish happy", "Graff\n###", "Graff"]) == {"reverse_words": 1.0, "fact_qa": 0.5}
    seen = []

    def generate(prompts):
        seen.extend(prompts)
        return ["fish happy\n", "x", "Tesk"]

    assert evaluate_instructions(generate, records) == {"reverse_words": 1.0, "fact_qa": 0.5}
    assert seen == [format_prompt(r) for r in records]
    with pytest.raises(ValueError):
        accuracy_by_task(records, ["a"])


def test_sample_per_task_is_balanced_and_ordered():
    records = [{"task": t, "i": i} for i, t in enumerate("aabab")]
    assert [r["i"] for r in sample_per_task(records, 1)] == [0, 2]
    assert sample_per_task(records, None) == records
