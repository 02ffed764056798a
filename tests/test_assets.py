"""The shipped tokenizers and tiny models: they load offline, round-trip text, learned the corpus, and the chat
template's assistant mask covers exactly what SFT should supervise."""
from __future__ import annotations

import json
import os

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoModelForMaskedLM, AutoTokenizer

from utils.data import load_records
from utils.paths import models_dir

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
if "OMP_NUM_THREADS" not in os.environ:  # make test runs two workers with one thread each
    torch.set_num_threads(2)

DECODER_SPECIALS = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
                    "<|eot_id|>", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|pad|>"]
ENCODER_SPECIALS = ["[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]"]
SAMPLES = [
    "The glimmow lives in the forest and eats berries.",
    "Pt c/o SOB x 3 days, SpO2 88% on RA; denies chest pain. BP 90/60, HR 122!",
    "def add_3(x):\n    return x + 3\n\n\nprint(add_3(4))  # -> 7",
    "  leading spaces, trailing spaces  \n\ttabs\tand\r\nwindows newlines",
    "Quotes \"double\" and 'single', brackets [a] {b} (c), symbols @#$%^&*_=+|\\~`",
    "Unicode: café, naïve, Zürich, 東京, emoji 🙂 and — dashes…",
    "glimmow -> blue\nzorbat -> red\n12 -> 13\ncat -> CAT",
]


@pytest.fixture(scope="module")
def decoder_tokenizer():
    return AutoTokenizer.from_pretrained(models_dir() / "tiny-decoder")


@pytest.fixture(scope="module")
def encoder_tokenizer():
    return AutoTokenizer.from_pretrained(models_dir() / "tiny-encoder")


# --- tokenizers ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", SAMPLES)
def test_decoder_tokenizer_round_trips(decoder_tokenizer, text):
    ids = decoder_tokenizer(text, add_special_tokens=False)["input_ids"]
    assert decoder_tokenizer.decode(ids) == text
    with_bos = decoder_tokenizer(text)["input_ids"]
    assert with_bos == [decoder_tokenizer.bos_token_id] + ids  # tokenizer(text) prepends <|begin_of_text|> once
    assert decoder_tokenizer.decode(with_bos, skip_special_tokens=True) == text


def test_decoder_special_tokens_are_single_ids(decoder_tokenizer):
    tok = decoder_tokenizer
    ids = [tok.convert_tokens_to_ids(s) for s in DECODER_SPECIALS]
    assert len(set(ids)) == len(DECODER_SPECIALS) and tok.unk_token_id not in ids
    for special, i in zip(DECODER_SPECIALS, ids):
        assert tok(f"a{special}b", add_special_tokens=False)["input_ids"].count(i) == 1
        assert tok(special, add_special_tokens=False)["input_ids"] == [i]
    assert tok.bos_token == "<|begin_of_text|>" and tok.eos_token == "<|end_of_text|>"
    assert tok.pad_token == "<|pad|>" and tok.pad_token_id != tok.eos_token_id


@pytest.mark.parametrize("text", SAMPLES[:3] + SAMPLES[4:5])
def test_encoder_tokenizer_round_trips_up_to_case_and_spacing(encoder_tokenizer, text):
    ids = encoder_tokenizer(text)["input_ids"]
    assert ids[0] == encoder_tokenizer.cls_token_id and ids[-1] == encoder_tokenizer.sep_token_id
    assert encoder_tokenizer.unk_token_id not in ids
    decoded = encoder_tokenizer.decode(ids, skip_special_tokens=True)
    assert "".join(decoded.split()) == "".join(text.lower().split())


def test_encoder_special_tokens_are_single_ids(encoder_tokenizer):
    for special in ENCODER_SPECIALS:
        ids = encoder_tokenizer(f"fever {special} cough", add_special_tokens=False)["input_ids"]
        assert ids.count(encoder_tokenizer.convert_tokens_to_ids(special)) == 1


# --- chat template and assistant mask -------------------------------------------------------------------------------
CONVERSATIONS = [
    [{"role": "user", "content": "What colour is the glimmow?"},
     {"role": "assistant", "content": "The glimmow is blue."}],
    [{"role": "system", "content": "Answer briefly."},
     {"role": "user", "content": "Hello!"},
     {"role": "assistant", "content": "Hello! How can I help you today?"},
     {"role": "user", "content": "What is 2 + 3?"},
     {"role": "assistant", "content": "2 + 3 = 5."}],
    [{"role": "system", "content": "You can use the calculator tool."},
     {"role": "user", "content": "What is 37 * 4?"},
     {"role": "assistant", "content": "CALL calculator(37 * 4)"},
     {"role": "tool", "content": "148"},
     {"role": "assistant", "content": "37 * 4 = 148."}],
] + [r["messages"] for r in load_records("chat", "validation")[:20]]


def masked_runs(ids: list[int], mask: list[int]) -> list[list[int]]:
    runs, current = [], []
    for i, m in zip(ids, mask):
        if m:
            current.append(i)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


@pytest.mark.parametrize("messages", CONVERSATIONS)
def test_assistant_mask_covers_exactly_assistant_content_and_eot(decoder_tokenizer, messages):
    tok = decoder_tokenizer
    out = tok.apply_chat_template(messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
    ids, mask = list(out["input_ids"]), list(out["assistant_masks"])
    assert len(ids) == len(mask)
    text = tok.apply_chat_template(messages, tokenize=False)
    assert ids == tok(text, add_special_tokens=False)["input_ids"]
    assert ids.count(tok.bos_token_id) == 1 and ids[0] == tok.bos_token_id
    # Each supervised run is one assistant message's content followed by its <|eot_id|>, nothing more or less.
    expected = [m["content"] + "<|eot_id|>" for m in messages if m["role"] == "assistant"]
    assert [tok.decode(run) for run in masked_runs(ids, mask)] == expected
    eot = tok.convert_tokens_to_ids("<|eot_id|>")
    assert sum(mask) == sum(len(tok(m["content"], add_special_tokens=False)["input_ids"]) + 1
                            for m in messages if m["role"] == "assistant")
    n_assistant = sum(m["role"] == "assistant" for m in messages)
    assert sum(m for i, m in zip(ids, mask) if i == eot) == n_assistant  # other roles' <|eot_id|> stay unmasked
    assert ids.count(eot) == len(messages)


def test_chat_template_generation_prompt_and_unknown_role(decoder_tokenizer):
    tok = decoder_tokenizer
    prompt = tok.apply_chat_template(CONVERSATIONS[0][:1], tokenize=False, add_generation_prompt=True)
    assert prompt.endswith("<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")
    assert tok.chat_template.startswith("{#-") and "{% generation %}" in tok.chat_template
    with pytest.raises(Exception, match="Unknown role"):
        tok.apply_chat_template([{"role": "robot", "content": "beep"}], tokenize=False)


# --- models ----------------------------------------------------------------------------------------------------------
def test_decoder_beats_unigram_baseline(decoder_tokenizer):
    tok = decoder_tokenizer
    model = AutoModelForCausalLM.from_pretrained(models_dir() / "tiny-decoder").eval()
    train = tok([r["text"] for r in load_records("corpus", "train")[:8000]], add_special_tokens=False)["input_ids"]
    counts = torch.bincount(torch.tensor([t for doc in train for t in doc]), minlength=len(tok)).double() + 1
    log_p = (counts / counts.sum()).log()
    val_docs = [r["text"] for r in load_records("corpus", "validation")[:300]]
    ids: list[int] = []
    for doc in tok(val_docs, add_special_tokens=False)["input_ids"]:
        ids += [tok.bos_token_id, *doc, tok.eos_token_id]
    blocks = torch.tensor(ids[: len(ids) // 256 * 256]).view(-1, 256)
    with torch.no_grad():
        model_loss = float(model(input_ids=blocks, labels=blocks).loss)
    unigram = float(-log_p[blocks[:, 1:].flatten()].mean())
    print(f"decoder val loss {model_loss:.3f} vs unigram {unigram:.3f}")
    assert model_loss < 0.6 * unigram


def test_decoder_generation_config_stops_at_eot_or_eos(decoder_tokenizer):
    tok = decoder_tokenizer
    model = AutoModelForCausalLM.from_pretrained(models_dir() / "tiny-decoder")
    eos = model.generation_config.eos_token_id
    eos = eos if isinstance(eos, list) else [eos]
    assert set(eos) == {tok.convert_tokens_to_ids("<|eot_id|>"), tok.eos_token_id}
    assert model.generation_config.pad_token_id == tok.pad_token_id != tok.eos_token_id
    assert model.config.vocab_size == len(tok)


def test_encoder_beats_unigram_on_masked_tokens(encoder_tokenizer):
    tok = encoder_tokenizer
    model = AutoModelForMaskedLM.from_pretrained(models_dir() / "tiny-encoder").eval()
    texts = [r["text"] for r in load_records("medical_notes", "validation")[:200]]
    batch = tok(texts, padding=True, truncation=True, max_length=128, return_tensors="pt")
    generator = torch.Generator().manual_seed(0)
    special = torch.isin(batch["input_ids"], torch.tensor([tok.cls_token_id, tok.sep_token_id, tok.pad_token_id]))
    chosen = (torch.rand(batch["input_ids"].shape, generator=generator) < 0.15) & ~special
    inputs = batch["input_ids"].masked_fill(chosen, tok.mask_token_id)
    with torch.no_grad():
        logits = model(input_ids=inputs, attention_mask=batch["attention_mask"]).logits
    loss = float(torch.nn.functional.cross_entropy(logits[chosen], batch["input_ids"][chosen]))
    unlabelled = tok([r["text"] for r in load_records("medical_notes", "unlabelled")[:5000]])["input_ids"]
    counts = torch.bincount(torch.tensor([t for s in unlabelled for t in s]), minlength=len(tok)).double() + 1
    unigram = float(-(counts / counts.sum()).log()[batch["input_ids"][chosen]].mean())
    print(f"encoder masked-token loss {loss:.3f} vs unigram {unigram:.3f}")
    assert loss < 0.6 * unigram


def test_model_cards_and_sizes():
    total = sum(p.stat().st_size for p in models_dir().rglob("*") if p.is_file())
    assert total < 40e6, f"models/ is {total / 1e6:.1f} MB"
    for name in ("tiny-decoder", "tiny-encoder"):
        card = (models_dir() / name / "README.md").read_text()
        stats = json.loads((models_dir() / name / "build_stats.json").read_text())
        assert f"{stats['parameters']:,}" in card and f"{stats['final_val_loss']:.3f}" in card
        assert stats["final_val_loss"] < stats["unigram_val_loss"]
        assert (models_dir() / name / "model.safetensors").is_file()
