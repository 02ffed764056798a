"""The stand-ins (tools/build_standins.py) have their real families' tokenizer conventions, and the family chat
templates in utils/chat_templates/ mark exactly the assistant tokens in their training versions.

The expected values are written out literally: a reader learns each family's conventions from this file.
"""
import json
from pathlib import Path

import pytest
import torch
from transformers import (AutoModelForCausalLM, AutoModelForMaskedLM, AutoModelForSequenceClassification,
                          AutoTokenizer)

import build_standins
from conftest import ROOT
from utils.chat import load_chat_template
from utils.profiles import stand_in_of

TRL_TEMPLATES = Path(__import__("trl").__file__).parent / "chat_templates"


def tokenizer_of(standins, name):
    return AutoTokenizer.from_pretrained(standins / name)


# ---------------------------------------------------------------------------------------------------------------
# Special tokens, ids, BOS, templates
# ---------------------------------------------------------------------------------------------------------------
def test_smollm2_base_has_endoftext_as_bos_eos_and_unk_and_no_pad_token(standins):
    tok = tokenizer_of(standins, "SmolLM2-135M")
    assert (tok.bos_token, tok.eos_token, tok.unk_token, tok.pad_token) == (
        "<|endoftext|>", "<|endoftext|>", "<|endoftext|>", None)
    assert (tok.bos_token_id, tok.eos_token_id, tok.unk_token_id) == (0, 0, 0)
    assert tok.convert_tokens_to_ids(["<|im_start|>", "<|im_end|>", "<repo_name>", "<empty_output>"]) == [1, 2, 3, 16]
    assert tok("hi").input_ids[0] != tok.bos_token_id  # GPT-2 style: no BOS added
    assert tok.chat_template is None
    assert type(tok).__name__ == "GPT2Tokenizer"


def test_smollm2_instruct_ends_turns_with_im_end_and_pads_with_it(standins):
    tok = tokenizer_of(standins, "SmolLM2-135M-Instruct")
    assert (tok.bos_token, tok.eos_token, tok.pad_token, tok.unk_token) == (
        "<|im_start|>", "<|im_end|>", "<|im_end|>", "<|endoftext|>")
    assert (tok.bos_token_id, tok.eos_token_id, tok.pad_token_id, tok.unk_token_id) == (1, 2, 2, 0)
    assert tok("hi").input_ids[0] != tok.bos_token_id
    assert tok.chat_template == load_chat_template("smollm2_instruct").partition("\n")[2]
    rendered = tok.apply_chat_template([{"role": "user", "content": "Hi"}], tokenize=False,
                                       add_generation_prompt=True)
    assert rendered == ("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face"
                        "<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")


def test_llama32_adds_begin_of_text_and_keeps_its_special_tokens_after_the_learned_vocabulary(standins):
    tok = tokenizer_of(standins, "Llama-3.2-1B")
    first = len(tok) - len(build_standins.LLAMA3_SPECIALS)  # 128000 in the real tokenizer
    assert (tok.bos_token, tok.eos_token, tok.pad_token, tok.unk_token) == (
        "<|begin_of_text|>", "<|end_of_text|>", None, None)
    assert tok.convert_tokens_to_ids(["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>",
                                      "<|end_header_id|>", "<|eot_id|>", "<|reserved_special_token_3|>"]) == [
        first, first + 1, first + 6, first + 7, first + 9, first + 11]
    assert tok("hi").input_ids[0] == tok.bos_token_id
    assert tok.decode(tok("hi").input_ids, skip_special_tokens=True) == "hi"
    assert tok.chat_template is None  # the base model publishes none


def test_qwen25_base_pads_and_ends_with_endoftext_adds_no_bos_and_keeps_fim_tokens_non_special(standins):
    tok = tokenizer_of(standins, "Qwen2.5-0.5B")
    first = len(tok) - len(build_standins.QWEN2_ADDED)  # 151643 in the real tokenizer
    assert (tok.bos_token, tok.eos_token, tok.pad_token, tok.unk_token) == (
        None, "<|endoftext|>", "<|endoftext|>", None)
    assert tok.convert_tokens_to_ids(["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<tool_call>",
                                      "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>"]) == [
        first, first + 1, first + 2, first + 14, first + 16, first + 17, first + 18, first + 19]
    assert tok("hi").input_ids[0] < first
    fim = "<|fim_prefix|>def f(<|fim_suffix|>)<|fim_middle|>"
    assert tok.decode(tok(fim).input_ids, skip_special_tokens=True) == fim  # added, but not "special"
    assert tok.decode(tok("<|im_end|>x").input_ids, skip_special_tokens=True) == "x"
    assert tok.chat_template == load_chat_template("qwen2_5_base").partition("\n")[2]
    assert tok.apply_chat_template([{"role": "user", "content": "Hi"}], tokenize=False) == (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n")


def test_bert_keeps_the_published_ids_of_its_special_tokens_and_lowercases(standins):
    tok = tokenizer_of(standins, "bert-base-uncased")
    assert [tok.pad_token_id, tok.unk_token_id, tok.cls_token_id, tok.sep_token_id, tok.mask_token_id] == [
        0, 100, 101, 102, 103]
    assert tok.convert_ids_to_tokens([1, 99]) == ["[unused0]", "[unused98]"]
    encoded = tok("Hello World", "Nuts")
    assert tok.convert_ids_to_tokens(encoded.input_ids) == ["[CLS]", "hello", "world", "[SEP]", "nuts", "[SEP]"]
    assert encoded.token_type_ids == [0, 0, 0, 0, 1, 1]
    assert tok.model_max_length == 512


@pytest.mark.parametrize("name, trl_file", [("qwen2_5", "qwen2_5.jinja"), ("llama3", "llama3_2.jinja"),
                                            ("gemma", "gemma3.jinja")])
def test_family_templates_are_byte_identical_to_trls_copies_of_the_published_ones(name, trl_file):
    assert load_chat_template(name).partition("\n")[2] == (TRL_TEMPLATES / trl_file).read_text()


def test_the_qwen_base_template_differs_from_the_instruct_one_only_in_its_default_system_prompt():
    base, instruct = load_chat_template("qwen2_5_base"), load_chat_template("qwen2_5")
    assert base.partition("\n")[2] == instruct.partition("\n")[2].replace(
        "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.", "You are a helpful assistant.")


# ---------------------------------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------------------------------
DECODERS = {"SmolLM2-135M": "HuggingFaceTB/SmolLM2-135M", "SmolLM2-135M-Instruct": "HuggingFaceTB/SmolLM2-135M-Instruct",
            "Llama-3.2-1B": "meta-llama/Llama-3.2-1B", "Qwen2.5-0.5B": "Qwen/Qwen2.5-0.5B"}


@pytest.mark.parametrize("name", list(DECODERS))
def test_each_decoder_loads_with_the_auto_classes_in_bf16_with_tied_embeddings_and_says_it_is_a_stand_in(
        standins, name):
    folder = standins / name
    model = AutoModelForCausalLM.from_pretrained(folder)
    tok = AutoTokenizer.from_pretrained(folder)
    assert model.dtype == torch.bfloat16  # as the real checkpoint loads with the default dtype="auto"
    assert model.get_output_embeddings().weight.data_ptr() == model.get_input_embeddings().weight.data_ptr()
    assert model.config.max_position_embeddings >= 2048
    assert stand_in_of(str(folder)) == DECODERS[name]
    assert "not the real model" in (folder / "STAND_IN.md").read_text()
    assert model.config.eos_token_id == tok.eos_token_id == model.generation_config.eos_token_id
    assert model.get_input_embeddings().weight.shape[0] >= len(tok)
    with torch.no_grad():
        logits = model(**tok(["The korrow eats nuts."], return_tensors="pt")).logits
    assert logits.shape[-1] == model.config.vocab_size and torch.isfinite(logits).all()


def test_qwen_stand_in_has_more_embedding_rows_than_tokens_like_the_real_model(standins):
    model = AutoModelForCausalLM.from_pretrained(standins / "Qwen2.5-0.5B")
    rows = model.get_input_embeddings().weight.shape[0]
    assert rows > len(tokenizer_of(standins, "Qwen2.5-0.5B")) and rows % 128 == 0  # real: 151936 rows, 151665 tokens


def test_bert_loads_as_masked_lm_and_as_classifier_with_only_the_classifier_new(standins):
    folder = standins / "bert-base-uncased"
    mlm = AutoModelForMaskedLM.from_pretrained(folder)
    assert mlm.cls.predictions.decoder.weight.data_ptr() == mlm.bert.embeddings.word_embeddings.weight.data_ptr()
    assert mlm.config.max_position_embeddings == 512 and mlm.dtype == torch.float32
    _, info = AutoModelForSequenceClassification.from_pretrained(folder, num_labels=2, output_loading_info=True)
    assert sorted(info["missing_keys"]) == ["classifier.bias", "classifier.weight"]  # the pooler is pretrained
    assert stand_in_of(str(folder)) == "google-bert/bert-base-uncased"


@pytest.mark.parametrize("name", list(build_standins.STANDINS))
def test_the_course_data_tokenises_into_word_sized_pieces_without_unknown_tokens(standins, name):
    tok = tokenizer_of(standins, name)
    texts = [json.loads(line)["text"] for line in open(ROOT / "data" / "corpus" / "validation.jsonl")][:200]
    ids = tok(texts, add_special_tokens=False).input_ids
    # Bytes alone give about one character per token; a vocabulary that fits the text gives English-like 3 or more.
    assert sum(map(len, texts)) / sum(map(len, ids)) >= 3
    if name == "bert-base-uncased":
        assert all(tok.unk_token_id not in row for row in ids)


def test_two_builds_give_byte_identical_files(standins, tmp_path):
    build_standins.build(tmp_path, quiet=True)
    for name in build_standins.STANDINS:
        assert build_standins.folder_digest(tmp_path / name) == build_standins.folder_digest(standins / name), name


def test_build_rejects_an_unknown_name_and_names_the_known_ones(tmp_path):
    with pytest.raises(SystemExit, match="SmolLM2-135M"):
        build_standins.build(tmp_path, only=["SmolLM3"])


# ---------------------------------------------------------------------------------------------------------------
# Training templates: same text, and the mask covers exactly each assistant turn's content and end token
# ---------------------------------------------------------------------------------------------------------------
CONVERSATION = [
    {"role": "system", "content": "Answer briefly."},
    {"role": "user", "content": "What does the korrow eat?"},
    {"role": "assistant", "content": "Nuts."},
    {"role": "user", "content": "And the fendle?"},
    {"role": "assistant", "content": "Insects, mostly at night."},
]
WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
TOOL_CALL = {"role": "assistant", "content": "", "tool_calls": [
    {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]}
TOOL_CONVERSATION = [{"role": "user", "content": "Weather in Paris?"}, TOOL_CALL,
                     {"role": "tool", "content": "sunny"}, {"role": "assistant", "content": "It is sunny."}]


@pytest.fixture(scope="session")
def gemma_tokenizer(standins):
    """No Gemma stand-in is built: the SmolLM2 tokenizer plus Gemma's turn tokens and <bos> serves the template."""
    tok = tokenizer_of(standins, "SmolLM2-135M-Instruct")
    tok.add_special_tokens({"bos_token": "<bos>", "additional_special_tokens": ["<start_of_turn>", "<end_of_turn>"]})
    return tok


# template name -> (stand-in whose tokenizer renders it, end-of-turn token, conversations it supports, kwargs)
TEMPLATES = {
    "smollm2_instruct": ("SmolLM2-135M-Instruct", "<|im_end|>", [CONVERSATION, CONVERSATION[1:]], {}),
    "qwen2_5": ("Qwen2.5-0.5B", "<|im_end|>", [CONVERSATION, CONVERSATION[1:], TOOL_CONVERSATION], {}),
    "llama3": ("Llama-3.2-1B", "<|eot_id|>", [CONVERSATION, CONVERSATION[1:], TOOL_CONVERSATION],
               {"date_string": "26 Jul 2024"}),
    "gemma": (None, "<end_of_turn>", [CONVERSATION, CONVERSATION[1:]], {}),
}


def template_tokenizer(name, standins, gemma_tokenizer):
    stand_in = TEMPLATES[name][0]
    return gemma_tokenizer if stand_in is None else tokenizer_of(standins, stand_in)


def render(tok, template, messages, **kwargs):
    return tok.apply_chat_template(messages, chat_template=template, tokenize=False, **kwargs)


def tools_for(messages):
    return [WEATHER_TOOL] if any("tool_calls" in m for m in messages) else None


def expected_assistant_spans(tok, name, messages, full):
    """Character spans of each assistant turn, found without the training template: the text rendered by the
    inference template for the conversation up to that turn (with the generation prompt) is a prefix of the full
    text; the turn runs from the end of that prefix through the next end-of-turn token."""
    end_token, kwargs = TEMPLATES[name][1], TEMPLATES[name][3]
    spans = []
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        prefix = render(tok, load_chat_template(name), messages[:i], add_generation_prompt=True,
                        tools=tools_for(messages), **kwargs)
        assert full.startswith(prefix)
        end = full.index(end_token, len(prefix)) + len(end_token)
        if message["content"] and "tool_calls" not in message:
            assert full[len(prefix):end] == message["content"].strip() + end_token
        spans.append((len(prefix), end))
    return spans


def mask_from_offsets(offsets, spans):
    mask = []
    for start, end in offsets:
        inside = any(s <= start and end <= e for s, e in spans)
        straddles = any(start < s < end or start < e < end for s, e in spans)
        assert not straddles, f"a token ({start}, {end}) crosses an assistant span boundary"
        mask.append(int(inside))
    return mask


@pytest.mark.parametrize("name", list(TEMPLATES))
def test_training_template_renders_the_same_text_as_the_inference_template(name, standins, gemma_tokenizer):
    tok = template_tokenizer(name, standins, gemma_tokenizer)
    kwargs = TEMPLATES[name][3]
    for messages in TEMPLATES[name][2]:
        for generation_prompt in (False, True):
            if generation_prompt and messages[-1]["role"] == "assistant":
                messages = messages[:-1]
            assert render(tok, load_chat_template(f"{name}_training"), messages, tools=tools_for(messages),
                          add_generation_prompt=generation_prompt, **kwargs) == render(
                tok, load_chat_template(name), messages, tools=tools_for(messages),
                add_generation_prompt=generation_prompt, **kwargs)


@pytest.mark.parametrize("name", list(TEMPLATES))
def test_training_template_masks_exactly_each_assistant_turns_content_and_end_token(name, standins, gemma_tokenizer):
    tok = template_tokenizer(name, standins, gemma_tokenizer)
    kwargs = TEMPLATES[name][3]
    for messages in TEMPLATES[name][2]:
        full = render(tok, load_chat_template(name), messages, tools=tools_for(messages), **kwargs)
        encoding = tok(full, add_special_tokens=False, return_offsets_mapping=True)
        expected = mask_from_offsets(encoding.offset_mapping, expected_assistant_spans(tok, name, messages, full))
        out = tok.apply_chat_template(messages, chat_template=load_chat_template(f"{name}_training"),
                                      tools=tools_for(messages), return_dict=True,
                                      return_assistant_tokens_mask=True, **kwargs)
        assert out["input_ids"] == encoding.input_ids
        assert out["assistant_masks"] == expected
        supervised = tok.decode([i for i, m in zip(out["input_ids"], out["assistant_masks"]) if m])
        end_token = TEMPLATES[name][1]
        assert supervised.count(end_token) == sum(m["role"] == "assistant" for m in messages)


def test_the_smollm2_training_mask_supervises_exactly_the_answers_and_their_im_end(standins):
    tok = tokenizer_of(standins, "SmolLM2-135M-Instruct")
    out = tok.apply_chat_template(CONVERSATION, chat_template=load_chat_template("smollm2_instruct_training"),
                                  return_dict=True, return_assistant_tokens_mask=True)
    supervised = [i for i, m in zip(out["input_ids"], out["assistant_masks"]) if m]
    assert tok.decode(supervised) == "Nuts.<|im_end|>Insects, mostly at night.<|im_end|>"
