"""Build local stand-ins for the hub profile's real models: each family's tokenizer conventions, tiny random weights.

    python tools/build_standins.py                         # all stand-ins into outputs/standins/<Name>/
    python tools/build_standins.py --out /tmp/s --only SmolLM2-135M bert-base-uncased

Nothing on the course's CI machines can reach the Hugging Face Hub, yet the hub profile must run end to end there.
A stand-in is a `save_pretrained` folder that loads with the same Auto classes as the real model and reproduces
what code can trip over: which special tokens exist and their roles (bos, eos, pad, unk), whether the tokenizer adds
a BOS, the published chat template, tied embeddings, an embedding matrix larger than the tokenizer (Qwen), the
weights' dtype (`from_pretrained` defaults to dtype="auto", so a bf16 checkpoint loads as bf16), long contexts.
What it does not reproduce is anything learned: its weights are random, so no claim about a trained model can hold
on it. `config.json` says so in the key `itl_stand_in` (the real Hub id), which `utils.profiles.stand_in_of` reads,
and each folder has a `STAND_IN.md`.

Each tokenizer is trained here, in about a second, on every text the repo ships under `data/` (the corpus and all the
fine-tuning sets), so the course's data tokenises into sensible pieces: byte-level BPE for the decoders (as the real
ones are), WordPiece for BERT, a few thousand entries plus the family's special tokens. Everything is seeded and the
build is deterministic: two builds give byte-identical files (tests/test_standins.py checks it).

Sources. The facts below come from each model's published files on the Hub (tokenizer_config.json,
special_tokens_map.json, tokenizer.json, config.json, generation_config.json). The Hub cannot be reached from here, so
each comment says how the fact was checked: "verified" where a copy of the published file or a printout of the
loaded tokenizer was found in public code, issues or TRL's template store; "recalled" where it comes from memory of
the published file and no copy could be found to confirm it.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch  # noqa: E402
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers  # noqa: E402
from tokenizers import processors, trainers  # noqa: E402
from transformers import (BertConfig, BertForPreTraining, BertTokenizerFast, GenerationConfig,  # noqa: E402
                          LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM)

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from utils.chat import load_chat_template  # noqa: E402

DEFAULT_OUT = REPO / "outputs" / "standins"
SEED = 1234
BPE_VOCAB = 4096  # learned entries (bytes + merges) per decoder tokenizer; the real ones have 49k to 151k
WORDPIECE_VOCAB = 4096  # BERT's WordPiece vocabulary, special and [unused] entries included (real: 30522)

# Tiny and random: every code path runs in seconds on a CPU. Grouped-query attention (fewer key/value heads than
# query heads) as in all three real decoders.
TINY_DECODER = dict(hidden_size=64, intermediate_size=192, num_hidden_layers=2, num_attention_heads=4,
                    num_key_value_heads=2)
TINY_ENCODER = dict(hidden_size=64, intermediate_size=256, num_hidden_layers=2, num_attention_heads=2)


# ---------------------------------------------------------------------------------------------------------------
# Training text and tokenizers
# ---------------------------------------------------------------------------------------------------------------
def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def training_texts() -> list[str]:
    """Every string in every JSONL file under data/ (corpus and fine-tuning sets, all splits), in a fixed order."""
    texts = []
    for path in sorted((REPO / "data").rglob("*.jsonl")):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    texts += _strings(json.loads(line))
    if not texts:
        raise FileNotFoundError(f"No training text under {REPO / 'data'}: the stand-ins' tokenizers are trained on "
                                "the datasets the repo ships; restore them with `git checkout data/`.")
    return texts


# The pre-tokenizer regexes, as in each family's published tokenizer.json ("pre_tokenizer": Split + ByteLevel).
# Llama 3 (recalled, tokenizer.json of meta-llama/Llama-3.2-1B): numbers in groups of up to three digits.
LLAMA3_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
                r"\s*[\r\n]+|\s+(?!\S)|\s+")
# Qwen2.5 (recalled, tokenizer.json of Qwen/Qwen2.5-0.5B): the same but every digit on its own; NFC normalizer.
QWEN2_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
               r"\s*[\r\n]+|\s+(?!\S)|\s+")


# Within one build the SmolLM2 base and Instruct stand-ins share one trained tokenizer; `build` empties this first,
# so that each build trains its own (the determinism test compares two builds).
_TRAINED: dict[tuple, str] = {}


def byte_level_bpe(texts: list[str], leading_specials: list[str], split_regex: str | None = None,
                   nfc: bool = False) -> Tokenizer:
    """A byte-level BPE like GPT-2's (SmolLM2) or, with `split_regex`, like Llama 3's and Qwen2's (a regex split
    first, then bytes). `leading_specials` get ids 0, 1, ...; families whose special tokens come after the learned
    vocabulary (Llama 3, Qwen2) add them afterwards."""
    key = (tuple(leading_specials), split_regex, nfc)
    if key in _TRAINED:
        return Tokenizer.from_str(_TRAINED[key])
    tok = Tokenizer(models.BPE())
    if nfc:
        tok.normalizer = normalizers.NFC()
    if split_regex is None:
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    else:
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(split_regex), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(vocab_size=BPE_VOCAB + len(leading_specials), special_tokens=leading_specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(texts, trainer=trainer)
    _TRAINED[key] = tok.to_str()
    return tok


def add_trailing_tokens(tok: Tokenizer, tokens: list[tuple[str, bool]]) -> None:
    """Append (content, special) added tokens after the learned vocabulary, in order, as Llama 3 and Qwen2 do."""
    first = tok.get_vocab_size()
    for i, (content, special) in enumerate(tokens):
        added = AddedToken(content, special=special, normalized=False, lstrip=False, rstrip=False, single_word=False)
        if special:
            tok.add_special_tokens([added])
        else:
            tok.add_tokens([added])
        if tok.token_to_id(content) != first + i:
            raise RuntimeError(f"{content} got id {tok.token_to_id(content)}, expected {first + i}: it is in the "
                               "learned vocabulary already; rename the token or retrain.")


def published_template(name: str) -> str:
    """The chat template `utils/chat_templates/<name>.jinja` without its first line (the comment naming its
    source): byte for byte what the real model publishes, so code that recognises a template by comparing it
    (TRL swaps in its training templates that way) treats the stand-in like the real model."""
    text = load_chat_template(name)
    first, _, rest = text.partition("\n")
    if not (first.startswith("{#") and first.endswith("#}")):
        raise ValueError(f"utils/chat_templates/{name}.jinja must start with a one-line Jinja comment naming its "
                         "source; the stand-ins drop that line.")
    return rest


# ---------------------------------------------------------------------------------------------------------------
# The families
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StandIn:
    name: str  # folder name under the output directory
    hub_id: str  # the real model it imitates
    build: Callable[[list[str]], tuple]  # texts -> (model, tokenizer, generation_config or None)
    summary: str  # one line for STAND_IN.md


# SmolLM2 (HuggingFaceTB/SmolLM2-135M, -Instruct). Tokenizer: GPT2TokenizerFast, byte-level BPE, 49152 entries.
# Verified (printout of the loaded base tokenizer in public code): bos = eos = <|endoftext|>, pad None, vocab 49152;
# config.json bos_token_id = eos_token_id = 0, tie_word_embeddings true, max_position_embeddings 8192, rope_theta
# 100000, rms_norm_eps 1e-5, 9 heads / 3 key-value heads. Verified (published tokenizer_config.json of SmolLM2
# fine-tunes, which keep it): the 17 added tokens below with ids 0-16, all special. Recalled: unk = <|endoftext|>, no
# BOS added (GPT-2 style: "add_bos_token" absent, ByteLevel post-processor), model_max_length 8192, torch_dtype
# bfloat16 in config.json.
SMOLLM2_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<repo_name>", "<reponame>", "<file_sep>",
                    "<filename>", "<gh_stars>", "<issue_start>", "<issue_comment>", "<issue_closed>",
                    "<jupyter_start>", "<jupyter_text>", "<jupyter_code>", "<jupyter_output>", "<jupyter_script>",
                    "<empty_output>"]


def build_smollm2(texts: list[str], instruct: bool):
    tok = byte_level_bpe(texts, SMOLLM2_SPECIALS)
    if instruct:
        # Instruct (recalled, tokenizer_config.json / special_tokens_map.json of HuggingFaceTB/SmolLM2-135M-Instruct;
        # the same convention is verified for SmolLM-135M-Instruct in ml-explore/mlx-examples#900): bos
        # <|im_start|>, eos <|im_end|>, pad <|im_end|> (the end token: utils.profiles.ensure_pad_token replaces
        # it), unk <|endoftext|>, additional_special_tokens [<|im_start|>, <|im_end|>], and the ChatML template with
        # the default system prompt (verified: copies of the template in public code, see smollm2_instruct.jinja).
        # config.json: bos_token_id 1, eos_token_id 2, pad_token_id 2 (recalled).
        tokenizer = PreTrainedTokenizerFast(
            tokenizer_object=tok, bos_token="<|im_start|>", eos_token="<|im_end|>", pad_token="<|im_end|>",
            unk_token="<|endoftext|>", additional_special_tokens=["<|im_start|>", "<|im_end|>"],
            clean_up_tokenization_spaces=False, model_max_length=8192)
        tokenizer.chat_template = published_template("smollm2_instruct")
        ids = dict(bos_token_id=1, eos_token_id=2, pad_token_id=2)
    else:
        # Base: bos = eos = unk = <|endoftext|>, no pad token, no chat template (recalled: the base
        # tokenizer_config.json has none), every added token listed as an additional special token (recalled).
        tokenizer = PreTrainedTokenizerFast(
            tokenizer_object=tok, bos_token="<|endoftext|>", eos_token="<|endoftext|>", unk_token="<|endoftext|>",
            additional_special_tokens=SMOLLM2_SPECIALS, clean_up_tokenization_spaces=False, model_max_length=8192)
        ids = dict(bos_token_id=0, eos_token_id=0)
    config = LlamaConfig(vocab_size=len(tokenizer), max_position_embeddings=8192, rms_norm_eps=1e-5,
                         rope_parameters={"rope_type": "default", "rope_theta": 100000.0}, tie_word_embeddings=True,
                         **ids, **TINY_DECODER)
    model = seeded(LlamaForCausalLM, config)
    # generation_config.json (recalled): just the bos/eos (and, for Instruct, pad) ids of config.json.
    return model, tokenizer, GenerationConfig(**ids)


# Llama 3.2 (meta-llama/Llama-3.2-1B). Tokenizer: byte-level BPE (tiktoken-converted), 128000 learned entries, then
# 256 special tokens with ids 128000-128255 (recalled, tokenizer.json / tokenizer_config.json): <|begin_of_text|>,
# <|end_of_text|>, <|reserved_special_token_0|>, <|reserved_special_token_1|>, <|finetune_right_pad_id|>,
# <|reserved_special_token_2|>, <|start_header_id|>, <|end_header_id|>, <|eom_id|>, <|eot_id|>, <|python_tag|>, then
# <|reserved_special_token_3|> ... <|reserved_special_token_247|>. The stand-in keeps the first eleven and only
# reserved tokens 3 to 7 (a handful: enough to show that they exist and are special; the real model has 248).
# bos <|begin_of_text|>, eos <|end_of_text|>, no pad, no unk; the post-processor prepends <|begin_of_text|>
# (TemplateProcessing), so tokenizer("hi") starts with BOS. No chat template in the base model (verified:
# sgl-project/sglang#3385 quotes the published tokenizer_config.json; transformers#33778 adds the template to
# converted Llama 3.2 checkpoints only when instruct). config.json (recalled): LlamaForCausalLM, bos_token_id 128000,
# eos_token_id 128001, tie_word_embeddings true, max_position_embeddings 131072, rope_theta 500000 with "llama3"
# rope scaling (factor 32, low 1, high 4, original 8192), rms_norm_eps 1e-5, 32 heads / 8 key-value heads,
# torch_dtype bfloat16. generation_config.json (recalled): do_sample true, temperature 0.6, top_p 0.9.
LLAMA3_SPECIALS = (["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
                    "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>",
                    "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>", "<|python_tag|>"]
                   + [f"<|reserved_special_token_{i}|>" for i in range(3, 8)])


def build_llama32(texts: list[str]):
    tok = byte_level_bpe(texts, [], split_regex=LLAMA3_SPLIT)
    add_trailing_tokens(tok, [(t, True) for t in LLAMA3_SPECIALS])
    bos = tok.token_to_id("<|begin_of_text|>")
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<|begin_of_text|> $A:0",
                                      pair="<|begin_of_text|> $A:0 <|begin_of_text|> $B:1",
                                      special_tokens=[("<|begin_of_text|>", bos)])])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|begin_of_text|>",
                                        eos_token="<|end_of_text|>", clean_up_tokenization_spaces=True,
                                        model_max_length=131072)
    ids = dict(bos_token_id=bos, eos_token_id=tok.token_to_id("<|end_of_text|>"))
    config = LlamaConfig(vocab_size=len(tokenizer), max_position_embeddings=131072, rms_norm_eps=1e-5,
                         rope_parameters={"rope_type": "llama3", "rope_theta": 500000.0, "factor": 32.0,
                                          "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                          "original_max_position_embeddings": 8192},
                         tie_word_embeddings=True, **ids, **TINY_DECODER)
    model = seeded(LlamaForCausalLM, config)
    return model, tokenizer, GenerationConfig(**ids, do_sample=True, temperature=0.6, top_p=0.9)


# Qwen2.5 (Qwen/Qwen2.5-0.5B, the base model). Tokenizer (Qwen2TokenizerFast): NFC, regex split (single digits),
# byte-level BPE with 151643 learned entries, then 22 added tokens with ids 151643-151664 (recalled,
# tokenizer_config.json "added_tokens_decoder"): <|endoftext|>, <|im_start|>, <|im_end|>, <|object_ref_start|>,
# <|object_ref_end|>, <|box_start|>, <|box_end|>, <|quad_start|>, <|quad_end|>, <|vision_start|>, <|vision_end|>,
# <|vision_pad|>, <|image_pad|>, <|video_pad|> (special), then <tool_call>, </tool_call>, <|fim_prefix|>,
# <|fim_middle|>, <|fim_suffix|>, <|fim_pad|>, <|repo_name|>, <|file_sep|> (added but "special": false, so decoding
# with skip_special_tokens keeps them). bos null, eos <|endoftext|> (base; the Instruct models use <|im_end|>), pad
# <|endoftext|>, unk null, model_max_length 131072, additional_special_tokens = the 13 special ones after
# <|endoftext|>. Chat template: the Qwen2.5 ChatML template with tools, default system prompt "You are a helpful
# assistant." in the base model (recalled; corroborated by hiyouga/LlamaFactory#10772), "You are Qwen, created by
# Alibaba Cloud. You are a helpful assistant." in the Instruct models (verified: TRL's copy). config.json (recalled):
# Qwen2ForCausalLM, vocab_size 151936 (larger than the tokenizer's 151665: the embedding matrix is padded to a
# multiple of 128; the stand-in does the same), bos_token_id = eos_token_id = 151643, tie_word_embeddings true,
# max_position_embeddings 32768, rope_theta 1000000, rms_norm_eps 1e-6, 14 heads / 2 key-value heads, q/k/v biases,
# torch_dtype bfloat16. generation_config.json (recalled): bos/eos 151643, do_sample false, max_new_tokens 2048.
QWEN2_ADDED = ([(t, True) for t in ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>",
                                    "<|object_ref_end|>", "<|box_start|>", "<|box_end|>", "<|quad_start|>",
                                    "<|quad_end|>", "<|vision_start|>", "<|vision_end|>", "<|vision_pad|>",
                                    "<|image_pad|>", "<|video_pad|>"]]
               + [(t, False) for t in ["<tool_call>", "</tool_call>", "<|fim_prefix|>", "<|fim_middle|>",
                                       "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>"]])


def build_qwen25(texts: list[str]):
    tok = byte_level_bpe(texts, [], split_regex=QWEN2_SPLIT, nfc=True)
    add_trailing_tokens(tok, QWEN2_ADDED)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<|endoftext|>", pad_token="<|endoftext|>",
        additional_special_tokens=[t for t, special in QWEN2_ADDED[1:] if special],
        clean_up_tokenization_spaces=False, model_max_length=131072)
    tokenizer.chat_template = published_template("qwen2_5_base")
    end = tok.token_to_id("<|endoftext|>")
    padded_vocab = -(-len(tokenizer) // 128) * 128
    config = Qwen2Config(vocab_size=padded_vocab, max_position_embeddings=32768, rms_norm_eps=1e-6,
                         rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}, tie_word_embeddings=True,
                         bos_token_id=end, eos_token_id=end, use_sliding_window=False,
                         max_window_layers=TINY_DECODER["num_hidden_layers"], **TINY_DECODER)
    model = seeded(Qwen2ForCausalLM, config)
    return model, tokenizer, GenerationConfig(bos_token_id=end, eos_token_id=end, do_sample=False,
                                              max_new_tokens=2048)


# BERT (google-bert/bert-base-uncased). Verified (the long-published vocab.txt, used everywhere): WordPiece with
# "##" continuation, [PAD]=0, [unused0]..[unused98]=1..99, [UNK]=100, [CLS]=101, [SEP]=102, [MASK]=103, vocab 30522;
# lowercasing and accent stripping (BertNormalizer), BertPreTokenizer, "[CLS] A [SEP]" / "[CLS] A [SEP] B [SEP]" with
# token_type_ids 0/1. tokenizer_config.json (recalled): do_lower_case true, model_max_length 512. config.json
# (recalled): BertForMaskedLM, max_position_embeddings 512, type_vocab_size 2, pad_token_id 0, layer_norm_eps 1e-12,
# no torch_dtype (float32 weights). The stand-in keeps those ids: 99 [unused] entries fill 1..99 as in the real one.
BERT_SPECIALS = ["[PAD]"] + [f"[unused{i}]" for i in range(99)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def build_bert(texts: list[str]):
    # The vocabulary comes from a BPE trained on the same normalised words, each learned piece entered twice, as a
    # word start ("nut") and as a continuation ("##nut"). Not tokenizers' WordPieceTrainer: it numbers the "##"
    # pieces in hash-map order, which changes from run to run and, through tie-breaks, changes which pieces are
    # learned, so two builds would differ.
    pieces = Tokenizer(models.BPE())
    pieces.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None,
                                                   lowercase=True)
    pieces.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    pieces.train_from_iterator(texts, trainer=trainers.BpeTrainer(
        vocab_size=(WORDPIECE_VOCAB - len(BERT_SPECIALS)) // 2, show_progress=False))
    learned = [piece for piece, _ in sorted(pieces.get_vocab().items(), key=lambda item: item[1])]
    vocab = BERT_SPECIALS + learned + ["##" + piece for piece in learned]
    tok = Tokenizer(models.WordPiece({piece: i for i, piece in enumerate(vocab)}, unk_token="[UNK]",
                                     continuing_subword_prefix="##", max_input_chars_per_word=100))
    tok.normalizer = pieces.normalizer
    tok.pre_tokenizer = pieces.pre_tokenizer
    tok.decoder = decoders.WordPiece(prefix="##")
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(single="[CLS]:0 $A:0 [SEP]:0",
                                                       pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
                                                       special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    tokenizer = BertTokenizerFast(tokenizer_object=tok, do_lower_case=True, model_max_length=512,
                                  unk_token="[UNK]", sep_token="[SEP]", pad_token="[PAD]", cls_token="[CLS]",
                                  mask_token="[MASK]", clean_up_tokenization_spaces=True)
    config = BertConfig(vocab_size=len(tokenizer), max_position_embeddings=512, type_vocab_size=2, pad_token_id=0,
                        layer_norm_eps=1e-12, **TINY_ENCODER)
    # The published checkpoint holds the pooler and the next-sentence head besides the masked-LM head (it was
    # pretrained with both objectives) while its config.json names BertForMaskedLM: so a sequence classifier built
    # from it gets a pretrained pooler and only a new classifier. Saved from BertForPreTraining for the same effect.
    config.architectures = ["BertForMaskedLM"]
    return seeded(BertForPreTraining, config), tokenizer, None


def seeded(model_class, config):
    torch.manual_seed(SEED)
    return model_class(config).eval()


STANDINS = {s.name: s for s in [
    StandIn("SmolLM2-135M", "HuggingFaceTB/SmolLM2-135M", lambda t: build_smollm2(t, instruct=False),
            "base decoder: bos = eos = unk = <|endoftext|>, no pad token, no BOS added, no chat template"),
    StandIn("SmolLM2-135M-Instruct", "HuggingFaceTB/SmolLM2-135M-Instruct", lambda t: build_smollm2(t, instruct=True),
            "chat decoder: ChatML (<|im_start|>/<|im_end|>), eos = pad = <|im_end|>, default system prompt"),
    StandIn("Llama-3.2-1B", "meta-llama/Llama-3.2-1B", build_llama32,
            "base decoder: <|begin_of_text|> added as BOS, <|end_of_text|> eos, header/eot tokens, no pad, "
            "no chat template"),
    StandIn("Qwen2.5-0.5B", "Qwen/Qwen2.5-0.5B", build_qwen25,
            "base decoder: eos = pad = <|endoftext|>, no BOS, ChatML template with tools, FIM tokens, embedding "
            "rows padded beyond the tokenizer"),
    StandIn("bert-base-uncased", "google-bert/bert-base-uncased", build_bert,
            "encoder: lowercasing WordPiece, [PAD]=0 [UNK]=100 [CLS]=101 [SEP]=102 [MASK]=103"),
]}

# The real checkpoints' dtype (recalled, config.json "torch_dtype"). `from_pretrained` defaults to dtype="auto"
# (transformers 5), so the real decoders load in bfloat16 unless the caller asks for another dtype; the stand-ins
# are saved in the same dtype so that they load the same way. BERT's config names none: float32.
CHECKPOINT_DTYPE = {"SmolLM2-135M": torch.bfloat16, "SmolLM2-135M-Instruct": torch.bfloat16,
                    "Llama-3.2-1B": torch.bfloat16, "Qwen2.5-0.5B": torch.bfloat16,
                    "bert-base-uncased": torch.float32}


# What `save_pretrained` cannot express in tokenizer_config.json: the class the real model's tokenizer loads as
# (recalled, "tokenizer_class" in each published tokenizer_config.json), and special tokens the real file sets to
# null, which must be written as null or the loading class fills in its own default (Qwen2Tokenizer would make
# <|endoftext|> the unk token).
TOKENIZER_CONFIG = {
    "SmolLM2-135M": {"tokenizer_class": "GPT2Tokenizer"},
    "SmolLM2-135M-Instruct": {"tokenizer_class": "GPT2Tokenizer"},
    "Llama-3.2-1B": {"tokenizer_class": "PreTrainedTokenizerFast"},
    "Qwen2.5-0.5B": {"tokenizer_class": "Qwen2Tokenizer", "bos_token": None, "unk_token": None, "errors": "replace"},
    "bert-base-uncased": {"tokenizer_class": "BertTokenizer"},
}


# ---------------------------------------------------------------------------------------------------------------
# Writing a folder
# ---------------------------------------------------------------------------------------------------------------
def stand_in_card(standin: StandIn, model, tokenizer) -> str:
    params = sum(p.numel() for p in model.parameters())
    return (f"# {standin.name}: a stand-in, not the real model\n\n"
            f"Built by `tools/build_standins.py` to imitate [{standin.hub_id}](https://huggingface.co/"
            f"{standin.hub_id}) where the Hub cannot be reached (the course's CI runs the hub profile on it).\n\n"
            f"- Same conventions as the real model: {standin.summary}.\n"
            f"- Tokenizer trained on the repo's `data/`: {len(tokenizer)} entries (the real one is far larger).\n"
            f"- Model: {type(model).__name__}, {model.config.num_hidden_layers} layers, hidden size "
            f"{model.config.hidden_size}, {params:,} parameters, **random weights** (seed {SEED}).\n\n"
            "Every code path runs on it; nothing it generates or scores means anything. `config.json` carries "
            f"`\"itl_stand_in\": \"{standin.hub_id}\"`, which `utils.profiles.stand_in_of` reads so that notebooks "
            "print, rather than assert, claims that need a trained model.\n")


def build_one(standin: StandIn, texts: list[str], out: Path) -> Path:
    model, tokenizer, generation_config = standin.build(texts)
    model.config.itl_stand_in = standin.hub_id
    model = model.to(CHECKPOINT_DTYPE[standin.name])
    architectures = model.config.architectures
    if generation_config is not None:
        model.generation_config = generation_config
    folder = out / standin.name
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():  # a rebuild leaves no file of an earlier layout behind
        if old.is_file():
            old.unlink()
    model.save_pretrained(folder)
    if architectures:  # save_pretrained writes the saving class; keep the published one
        path = folder / "config.json"
        path.write_text(json.dumps({**json.loads(path.read_text()), "architectures": architectures}, indent=2,
                                   sort_keys=True) + "\n")
    tokenizer.save_pretrained(folder)
    path = folder / "tokenizer_config.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **TOKENIZER_CONFIG[standin.name]}, indent=2,
                               sort_keys=True, ensure_ascii=False) + "\n")
    (folder / "STAND_IN.md").write_text(stand_in_card(standin, model, tokenizer))
    return folder


def folder_digest(folder: Path) -> dict[str, str]:
    """sha256 of every file in a stand-in folder (the determinism test compares two builds with it)."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def build(out: Path = DEFAULT_OUT, only: list[str] | None = None, quiet: bool = False) -> list[Path]:
    names = only or list(STANDINS)
    unknown = [n for n in names if n not in STANDINS]
    if unknown:
        raise SystemExit(f"Unknown stand-in(s) {', '.join(unknown)}; choose from {', '.join(STANDINS)}.")
    texts = training_texts()
    _TRAINED.clear()
    folders = []
    for name in names:
        start = time.time()
        folders.append(build_one(STANDINS[name], texts, Path(out)))
        if not quiet:
            print(f"{name:24s} -> {folders[-1]}  ({time.time() - start:.1f}s)", flush=True)
    return folders


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output directory (default {DEFAULT_OUT})")
    parser.add_argument("--only", nargs="+", metavar="NAME", help=f"build only these: {', '.join(STANDINS)}")
    args = parser.parse_args(argv)
    start = time.time()
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # one "Writing model shards" bar per folder says nothing here
    build(args.out, args.only)
    print(f"done in {time.time() - start:.1f}s")


if __name__ == "__main__":
    main()
