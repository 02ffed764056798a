"""Train the course's tokenizers and pretrain its two tiny models from the shipped data, reproducibly, on CPU.

    python tools/build_models.py                       # everything: tokenizers, decoder, encoder (~30 min, 2 cores)
    python tools/build_models.py --only tokenizers     # or: decoder | encoder | candidates
    python tools/build_models.py --quick --out /tmp/m  # smoke test: tiny budgets, a few seconds each
    python tools/build_models.py --device cuda         # the same build on a GPU (a few minutes); fp32 throughout

Writes `models/tiny-decoder/` (LlamaForCausalLM + byte-level BPE tokenizer with a chat template) and
`models/tiny-encoder/` (BertForMaskedLM + WordPiece tokenizer), each a standard `save_pretrained` folder with a
`README.md` model card whose numbers (parameters, steps, tokens, wall time, losses) are measured by this script.
`--only candidates` trains a few decoder sizes briefly and stores what it measured in
`models/size_candidates.json`; the decoder's model card shows that table.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import string
import sys
import time
from pathlib import Path

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch  # noqa: E402
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers  # noqa: E402
from transformers import (BertConfig, BertForMaskedLM, BertTokenizerFast, GenerationConfig,  # noqa: E402
                          LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast)

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from utils.data import load_records  # noqa: E402
from utils.chat import TRAINING_CHAT_TEMPLATE  # noqa: E402

SEED = 1234
DECODER_SPECIAL_TOKENS = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
                          "<|eot_id|>", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|pad|>"]
ENCODER_SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
DECODER_VOCAB = 3072
ENCODER_VOCAB = 3072

# The chat template lives in utils/chat.py (labs render conversations with the same spans); its first line
# says why it differs from an inference-only template.
CHAT_TEMPLATE = TRAINING_CHAT_TEMPLATE

# Decoder sizes tried by `--only candidates`; the chosen one is DECODER_SIZE.
DECODER_CANDIDATES = {
    "2L-d128": dict(layers=2, hidden=128, heads=4, intermediate=384),
    "4L-d192": dict(layers=4, hidden=192, heads=6, intermediate=512),
    "4L-d256": dict(layers=4, hidden=256, heads=8, intermediate=688),
}
DECODER_SIZE = "2L-d128"
ENCODER_SIZE = dict(layers=3, hidden=128, heads=4, intermediate=512)

FULL = dict(decoder_steps=600, decoder_batch=16, block=256, decoder_lr=3e-3,
            encoder_steps=3000, encoder_batch=32, encoder_lr=1e-3, candidate_steps=40)
QUICK = dict(decoder_steps=20, decoder_batch=8, block=128, decoder_lr=3e-3,
             encoder_steps=20, encoder_batch=16, encoder_lr=1e-3, candidate_steps=10)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# Where training runs (`--device`). Data, masking and shuffling stay on the CPU with CPU generators, so the
# same seed draws the same batches on either device; only the arithmetic differs.
DEVICE = torch.device("cpu")


def device_name() -> str:
    if DEVICE.type == "cuda":
        return f"GPU ({torch.cuda.get_device_name(DEVICE)}, torch {torch.__version__}), fp32 without TF32"
    return f"CPU ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads), fp32"


# ---------------------------------------------------------------------------------------------------------------
# Tokenizers
# ---------------------------------------------------------------------------------------------------------------
def decoder_training_text() -> list[str]:
    """The pretraining corpus's train split only. A merge learned from fine-tuning text alone would give the base
    model tokens whose embeddings pretraining never updated (tests/test_data.py bounds that share at 1 %)."""
    return [r["text"] for r in load_records("corpus", "train")]


def train_decoder_tokenizer(vocab_size: int) -> PreTrainedTokenizerFast:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=DECODER_SPECIAL_TOKENS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(decoder_training_text(), trainer=trainer)
    bos = tok.token_to_id("<|begin_of_text|>")
    # Like Llama 3: tokenizer(text) starts with <|begin_of_text|>, as every pretraining document did.
    tok.post_processor = processors.TemplateProcessing(single="<|begin_of_text|> $A",
                                                       pair="<|begin_of_text|> $A <|begin_of_text|> $B",
                                                       special_tokens=[("<|begin_of_text|>", bos)])
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<|begin_of_text|>", eos_token="<|end_of_text|>", pad_token="<|pad|>",
        additional_special_tokens=DECODER_SPECIAL_TOKENS[2:8], clean_up_tokenization_spaces=False,
        model_max_length=1024, padding_side="right")
    fast.chat_template = CHAT_TEMPLATE
    return fast


def train_encoder_tokenizer(vocab_size: int) -> BertTokenizerFast:
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    texts = [r["text"] for r in load_records("medical_notes", "unlabelled")]
    texts += [r["text"] for r in load_records("sentiment", "train")]
    texts += [r["text"] for r in load_records("corpus", "train")]
    # Every printable ASCII character is in the alphabet, so punctuation the notes never use ("; { #") is not [UNK].
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=ENCODER_SPECIAL_TOKENS,
                                        initial_alphabet=[c for c in string.printable if not c.isspace()],
                                        show_progress=False)
    tok.train_from_iterator(texts, trainer=trainer)
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
                                                       special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    return BertTokenizerFast(tokenizer_object=tok, do_lower_case=True, model_max_length=128)


def build_tokenizers(out: Path) -> None:
    start = time.time()
    corpus_val = "\n".join(r["text"] for r in load_records("corpus", "validation"))
    for size in (2048, 3072, 4096):  # measured for the record; DECODER_VOCAB is the one kept
        t = train_decoder_tokenizer(size)
        n = len(t(corpus_val, add_special_tokens=False)["input_ids"])
        log(f"decoder BPE vocab {size}: {len(corpus_val) / n:.2f} characters per token on validation corpus")
    dec = train_decoder_tokenizer(DECODER_VOCAB)
    dec.save_pretrained(out / "tiny-decoder")
    enc = train_encoder_tokenizer(ENCODER_VOCAB)
    enc.save_pretrained(out / "tiny-encoder")
    log(f"tokenizers saved (decoder vocab {len(dec)}, encoder vocab {len(enc)}) in {time.time() - start:.0f}s")


# ---------------------------------------------------------------------------------------------------------------
# Decoder pretraining
# ---------------------------------------------------------------------------------------------------------------
def packed_blocks(tokenizer, split: str, block: int) -> torch.Tensor:
    """Every document as <|begin_of_text|> ... <|end_of_text|>, concatenated and cut into equal blocks."""
    texts = [r["text"] for r in load_records("corpus", split)]
    ids: list[int] = []
    for doc in tokenizer(texts, add_special_tokens=False)["input_ids"]:
        ids += [tokenizer.bos_token_id, *doc, tokenizer.eos_token_id]
    n = len(ids) // block
    return torch.tensor(ids[: n * block]).view(n, block)


def unigram_loss(train: torch.Tensor, val: torch.Tensor, vocab_size: int) -> float:
    """Cross-entropy (nats/token) of the validation targets under train-split token frequencies (add-one)."""
    counts = torch.bincount(train.flatten(), minlength=vocab_size).double() + 1
    log_p = (counts / counts.sum()).log()
    return float(-log_p[val[:, 1:].flatten()].mean())


def make_decoder(tokenizer, size: dict) -> LlamaForCausalLM:
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=size["hidden"], intermediate_size=size["intermediate"],
        num_hidden_layers=size["layers"], num_attention_heads=size["heads"], num_key_value_heads=size["heads"],
        max_position_embeddings=1024, rope_theta=10000.0, tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id, attn_implementation="sdpa")
    torch.manual_seed(SEED)
    return LlamaForCausalLM(config)


@torch.no_grad()
def causal_val_loss(model, val: torch.Tensor, batch: int = 32) -> float:
    model.eval()
    total, n = 0.0, 0
    for i in range(0, len(val), batch):
        x = val[i: i + batch].to(model.device)
        total += float(model(input_ids=x, labels=x).loss) * len(x)
        n += len(x)
    model.train()
    return total / n


def lr_at(step: int, steps: int, peak: float) -> float:
    warmup = max(1, steps // 20)
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def train_decoder(model, train: torch.Tensor, val: torch.Tensor, steps: int, batch: int, lr: float,
                  eval_every: int) -> dict:
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.1)
    generator = torch.Generator().manual_seed(SEED)
    order = torch.randperm(len(train), generator=generator)
    cursor, curve = 0, []
    start = time.time()
    model.train()
    for step in range(steps):
        if cursor + batch > len(order):
            order, cursor = torch.randperm(len(train), generator=generator), 0
        x = train[order[cursor: cursor + batch]].to(DEVICE)
        cursor += batch
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, steps, lr)
        loss = model(input_ids=x, labels=x).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if (step + 1) % eval_every == 0 or step + 1 == steps:
            # Intermediate points use the first 32 validation blocks (cheap); the final one uses all of them.
            val_loss = causal_val_loss(model, val if step + 1 == steps else val[:32])
            elapsed = time.time() - start
            curve.append({"step": step + 1, "train_loss": round(loss.item(), 4), "val_loss": round(val_loss, 4),
                          "seconds": round(elapsed, 1)})
            log(f"  step {step + 1}/{steps}  train {loss.item():.3f}  val {val_loss:.3f}  "
                f"{(step + 1) * batch * train.shape[1] / elapsed:,.0f} tok/s  {elapsed:.0f}s")
    seconds = time.time() - start
    tokens = steps * batch * train.shape[1]
    return {"steps": steps, "batch": batch, "block": train.shape[1], "tokens_seen": tokens,
            "seconds": round(seconds, 1), "tokens_per_second": round(tokens / seconds), "curve": curve,
            "final_val_loss": curve[-1]["val_loss"]}


def measure_candidates(out: Path, budget: dict) -> None:
    tokenizer = PreTrainedTokenizerFast.from_pretrained(out / "tiny-decoder")
    train = packed_blocks(tokenizer, "train", budget["block"])
    val = packed_blocks(tokenizer, "validation", budget["block"])
    results = []
    for name, size in DECODER_CANDIDATES.items():
        model = make_decoder(tokenizer, size).to(DEVICE)
        log(f"candidate {name}: {model.num_parameters():,} parameters")
        stats = train_decoder(model, train, val, budget["candidate_steps"], budget["decoder_batch"],
                              budget["decoder_lr"], eval_every=budget["candidate_steps"])
        results.append({"name": name, **size, "parameters": model.num_parameters(), "steps": stats["steps"],
                        "tokens_seen": stats["tokens_seen"], "seconds": stats["seconds"],
                        "tokens_per_second": stats["tokens_per_second"], "val_loss": stats["final_val_loss"]})
        # Saved after each candidate, so a run stopped early still records what it measured.
        (out / "size_candidates.json").write_text(json.dumps(results, indent=2) + "\n")
    log("candidates: " + json.dumps(results))


def build_decoder(out: Path, budget: dict) -> None:
    torch.manual_seed(SEED)
    path = out / "tiny-decoder"
    tokenizer = PreTrainedTokenizerFast.from_pretrained(path)
    train = packed_blocks(tokenizer, "train", budget["block"])
    val = packed_blocks(tokenizer, "validation", budget["block"])
    baseline = unigram_loss(train, val, len(tokenizer))
    size = DECODER_CANDIDATES[DECODER_SIZE]
    model = make_decoder(tokenizer, size).to(DEVICE)
    log(f"decoder {DECODER_SIZE}: {model.num_parameters():,} parameters; {train.numel():,} train tokens in "
        f"{len(train)} blocks, {val.numel():,} validation tokens; unigram baseline {baseline:.3f}")
    initial = causal_val_loss(model, val)
    stats = train_decoder(model, train, val, budget["decoder_steps"], budget["decoder_batch"],
                          budget["decoder_lr"], eval_every=max(1, budget["decoder_steps"] // 10))
    model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.bos_token_id, pad_token_id=tokenizer.pad_token_id,
        eos_token_id=[tokenizer.convert_tokens_to_ids("<|eot_id|>"), tokenizer.eos_token_id],
        do_sample=False, max_new_tokens=64)
    model.save_pretrained(path, safe_serialization=True)
    tokenizer.save_pretrained(path)
    stats.update(parameters=model.num_parameters(), initial_val_loss=round(initial, 4),
                 unigram_val_loss=round(baseline, 4), train_tokens=train.numel(), val_tokens=val.numel(),
                 size=DECODER_SIZE, device=device_name())
    (path / "build_stats.json").write_text(json.dumps(stats, indent=2) + "\n")
    evaluate_decoder(out)


def evaluate_decoder(out: Path) -> None:
    """Measure the saved decoder on the shipped validation split (and on heldout_facts), against the unigram
    baseline, and (re)write its build_stats.json and model card. Runs at the end of every decoder build."""
    path = out / "tiny-decoder"
    tokenizer = PreTrainedTokenizerFast.from_pretrained(path)
    model = LlamaForCausalLM.from_pretrained(path)
    stats = json.loads((path / "build_stats.json").read_text())
    block = stats["block"]
    train = packed_blocks(tokenizer, "train", block)
    val = packed_blocks(tokenizer, "validation", block)
    heldout = packed_blocks(tokenizer, "heldout_facts", block)
    untrained = make_decoder(tokenizer, DECODER_CANDIDATES[stats["size"]])
    stats.update(final_val_loss=round(causal_val_loss(model, val), 4),
                 initial_val_loss=round(causal_val_loss(untrained, val), 4),
                 unigram_val_loss=round(unigram_loss(train, val, len(tokenizer)), 4), val_tokens=val.numel(),
                 heldout_facts_loss=round(causal_val_loss(model, heldout), 4),
                 heldout_facts_unigram=round(unigram_loss(train, heldout, len(tokenizer)), 4))
    (path / "build_stats.json").write_text(json.dumps(stats, indent=2) + "\n")
    write_decoder_card(path, model, tokenizer, stats, out / "size_candidates.json")
    log(f"decoder: val loss {stats['final_val_loss']:.3f} vs unigram {stats['unigram_val_loss']:.3f}; "
        f"heldout_facts {stats['heldout_facts_loss']:.3f} vs unigram {stats['heldout_facts_unigram']:.3f}; "
        f"trained in {stats['seconds']:.0f}s")


# ---------------------------------------------------------------------------------------------------------------
# Encoder pretraining (masked LM)
# ---------------------------------------------------------------------------------------------------------------
def mask_tokens(ids: torch.Tensor, attention: torch.Tensor, tokenizer, generator: torch.Generator):
    """BERT masking: 15 % of real (non-special) tokens are targets; of those 80 % -> [MASK], 10 % -> random
    token, 10 % unchanged. Everything else gets label -100."""
    labels = ids.clone()
    special = (ids == tokenizer.cls_token_id) | (ids == tokenizer.sep_token_id) | (attention == 0)
    chosen = (torch.rand(ids.shape, generator=generator) < 0.15) & ~special
    labels[~chosen] = -100
    ids = ids.clone()
    roll = torch.rand(ids.shape, generator=generator)
    ids[chosen & (roll < 0.8)] = tokenizer.mask_token_id
    random_slot = chosen & (roll >= 0.8) & (roll < 0.9)
    ids[random_slot] = torch.randint(len(ENCODER_SPECIAL_TOKENS), len(tokenizer), ids.shape,
                                     generator=generator)[random_slot]
    return ids, labels


def encode_texts(tokenizer, texts: list[str]) -> list[list[int]]:
    return tokenizer(texts, truncation=True, max_length=128)["input_ids"]


def pad_batch(seqs: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id)
    attention = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s)
        attention[i, : len(s)] = 1
    return ids, attention


@torch.no_grad()
def mlm_val_loss(model, tokenizer, seqs: list[list[int]], unigram_log_p: torch.Tensor) -> tuple[float, float]:
    """MLM loss on a fixed masking of the validation notes, and the unigram baseline on the same targets."""
    model.eval()
    generator = torch.Generator().manual_seed(SEED + 1)
    total, baseline, n = 0.0, 0.0, 0
    for i in range(0, len(seqs), 64):
        ids, attention = pad_batch(seqs[i: i + 64], tokenizer.pad_token_id)
        inputs, labels = mask_tokens(ids, attention, tokenizer, generator)
        logits = model(input_ids=inputs.to(model.device), attention_mask=attention.to(model.device)).logits.cpu()
        target = labels != -100
        total += float(torch.nn.functional.cross_entropy(logits[target], labels[target], reduction="sum"))
        baseline += float(-unigram_log_p[labels[target]].sum())
        n += int(target.sum())
    model.train()
    return total / n, baseline / n


def build_encoder(out: Path, budget: dict) -> None:
    torch.manual_seed(SEED)
    path = out / "tiny-encoder"
    tokenizer = BertTokenizerFast.from_pretrained(path)
    texts = [r["text"] for r in load_records("medical_notes", "unlabelled")]
    # Some general text too, so the encoder is not only a notes model (the sentiment lab uses it as well).
    texts += [r["text"] for r in load_records("corpus", "train") if r["kind"] in ("story", "description")]
    texts += [r["text"] for r in load_records("sentiment", "train")]
    train = encode_texts(tokenizer, texts)
    val = encode_texts(tokenizer, [r["text"] for r in load_records("medical_notes", "validation")])
    counts = torch.bincount(torch.tensor([t for s in train for t in s]), minlength=len(tokenizer)).double() + 1
    unigram_log_p = (counts / counts.sum()).log()
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=ENCODER_SIZE["hidden"],
                        num_hidden_layers=ENCODER_SIZE["layers"], num_attention_heads=ENCODER_SIZE["heads"],
                        intermediate_size=ENCODER_SIZE["intermediate"], max_position_embeddings=128,
                        pad_token_id=tokenizer.pad_token_id, attn_implementation="sdpa")
    torch.manual_seed(SEED)
    model = BertForMaskedLM(config).to(DEVICE)
    log(f"encoder: {model.num_parameters():,} parameters; {len(train):,} training texts")
    initial, baseline = mlm_val_loss(model, tokenizer, val, unigram_log_p)
    steps, batch, lr = budget["encoder_steps"], budget["encoder_batch"], budget["encoder_lr"]
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    generator = torch.Generator().manual_seed(SEED)
    order, cursor, curve, tokens = torch.randperm(len(train), generator=generator).tolist(), 0, [], 0
    start = time.time()
    model.train()
    for step in range(steps):
        if cursor + batch > len(order):
            order, cursor = torch.randperm(len(train), generator=generator).tolist(), 0
        ids, attention = pad_batch([train[j] for j in order[cursor: cursor + batch]], tokenizer.pad_token_id)
        cursor += batch
        tokens += int(attention.sum())
        inputs, labels = mask_tokens(ids, attention, tokenizer, generator)
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, steps, lr)
        loss = model(input_ids=inputs.to(DEVICE), attention_mask=attention.to(DEVICE),
                     labels=labels.to(DEVICE)).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if (step + 1) % max(1, steps // 8) == 0 or step + 1 == steps:
            val_loss, _ = mlm_val_loss(model, tokenizer, val, unigram_log_p)
            elapsed = time.time() - start
            curve.append({"step": step + 1, "train_loss": round(loss.item(), 4), "val_loss": round(val_loss, 4),
                          "seconds": round(elapsed, 1)})
            log(f"  step {step + 1}/{steps}  train {loss.item():.3f}  val {val_loss:.3f}  "
                f"{tokens / elapsed:,.0f} tok/s  {elapsed:.0f}s")
    seconds = time.time() - start
    model.save_pretrained(path, safe_serialization=True)
    tokenizer.save_pretrained(path)
    stats = {"steps": steps, "batch": batch, "tokens_seen": tokens, "seconds": round(seconds, 1),
             "tokens_per_second": round(tokens / seconds), "curve": curve, "final_val_loss": curve[-1]["val_loss"],
             "initial_val_loss": round(initial, 4), "unigram_val_loss": round(baseline, 4),
             "parameters": model.num_parameters(), "train_texts": len(train), "device": device_name()}
    (path / "build_stats.json").write_text(json.dumps(stats, indent=2) + "\n")
    write_encoder_card(path, model, tokenizer, stats)
    log(f"encoder saved: MLM val loss {stats['final_val_loss']:.3f} vs unigram {baseline:.3f} ({seconds:.0f}s)")


# ---------------------------------------------------------------------------------------------------------------
# Model cards
# ---------------------------------------------------------------------------------------------------------------
def curve_table(curve: list[dict]) -> str:
    rows = ["| step | train loss | val loss | seconds |", "|---:|---:|---:|---:|"]
    rows += [f"| {c['step']} | {c['train_loss']:.3f} | {c['val_loss']:.3f} | {c['seconds']:.0f} |" for c in curve]
    return "\n".join(rows)


def candidates_table(path: Path) -> str:
    if not path.is_file():
        return "(not measured in this build; run `python tools/build_models.py --only candidates`)"
    rows = ["| candidate | parameters | steps | tokens/s | val loss after the short run |",
            "|---|---:|---:|---:|---:|"]
    for c in json.loads(path.read_text()):
        rows.append(f"| {c['name']} | {c['parameters']:,} | {c['steps']} | {c['tokens_per_second']:,} | "
                    f"{c['val_loss']:.3f} |")
    return "\n".join(rows)


def write_decoder_card(path: Path, model, tokenizer, stats: dict, candidates: Path) -> None:
    c = model.config
    text = f"""# tiny-decoder

A tiny Llama-architecture **base** language model for the course labs, pretrained from scratch by
`tools/build_models.py` on `data/corpus/train.jsonl` (synthetic, 15 kinds of document: an invented world's
facts, `x -> y` pattern documents, stories with dialogue, FAQ pages, quizzes with answer keys, forum threads,
clinical notes with an assessment line, drug leaflets, worksheets, reviews, medical-note prose, small Python
functions with and without docstrings). It was never shown chat special tokens or instruction-template
formatting, so questions reach it only the way documents hold them (lab 01 measures what it does with a bare
question). Every number below was measured by the build.

| | |
|---|---|
| parameters | {stats['parameters']:,} (embeddings tied with the output layer) |
| architecture | LlamaForCausalLM: {c.num_hidden_layers} layers, hidden {c.hidden_size}, {c.num_attention_heads} heads, MLP {c.intermediate_size}, RoPE, max positions {c.max_position_embeddings} |
| tokenizer | byte-level BPE, vocab {len(tokenizer)}, trained on the corpus train split only (plus the special tokens below) |
| training data | {stats['train_tokens']:,} tokens (corpus train, each document `<|{'begin_of_text'}|> ... <|end_of_text|>`, packed into blocks of {stats['block']}) |
| steps x batch | {stats['steps']} x {stats['batch']} blocks |
| tokens seen | {stats['tokens_seen']:,} ({stats['tokens_seen'] / stats['train_tokens']:.1f} epochs) |
| optimiser | AdamW, peak lr {FULL['decoder_lr'] if stats['steps'] == FULL['decoder_steps'] else QUICK['decoder_lr']}, warmup + cosine to 10 %, weight decay 0.1, grad clip 1.0, seed {SEED} |
| wall time | {stats['seconds']:.0f} s ({stats['tokens_per_second']:,} tokens/s) |
| device | {stats['device']} |
| validation loss (corpus validation, {stats['val_tokens']:,} tokens) | initial {stats['initial_val_loss']:.3f}, **final {stats['final_val_loss']:.3f}** nats/token |
| unigram baseline (train token frequencies) | {stats['unigram_val_loss']:.3f} nats/token |
| `corpus/heldout_facts` (fact phrasings never seen in training, incl. held-out animals/countries) | {stats['heldout_facts_loss']:.3f} nats/token (unigram {stats['heldout_facts_unigram']:.3f}) |

## Special tokens

`<|begin_of_text|>` (bos, added by `tokenizer(text)`), `<|end_of_text|>` (eos, ends pretraining documents),
`<|start_header_id|>`, `<|end_header_id|>`, `<|eot_id|>` (end of turn; **untrained in the base model**: SFT
must supervise it or the model never learns to stop), `<|fim_prefix|>`, `<|fim_suffix|>`, `<|fim_middle|>`
(also untrained until the FIM lab), `<|pad|>` (pad, distinct from eos). `generation_config` stops at
`<|eot_id|>` or `<|end_of_text|>` and pads with `<|pad|>`.

## Chat template

Llama-3 style: `<|begin_of_text|>` then per message `<|start_header_id|>ROLE<|end_header_id|>\\n\\n` +
content + `<|eot_id|>`; roles system, user, assistant, tool (anything else raises a template error). Assistant
content and its `<|eot_id|>` are wrapped in `{{% generation %}}`, so
`apply_chat_template(..., return_dict=True, return_assistant_tokens_mask=True)` returns the SFT loss mask.

## Loss curve

{curve_table(stats['curve'])}

Intermediate validation points use the first 32 validation blocks and were logged during training; the
headline numbers in the table at the top are recomputed on the whole shipped validation split after training
(`python tools/build_models.py --only evaluate`).

## Choosing the size

Short runs of each candidate on the same data, batch and learning rate (tokens/s on a shared 2-core CPU: noisy
up to about 2x). `models/size_candidates.json` was measured on the first world's corpus and tokenizer and not
re-measured since (`--only candidates` does it):

{candidates_table(candidates)}

Chosen: **{DECODER_SIZE}**. See `data/README.md` ("Tiny models") for the reasoning.

## Intended use

Teaching only: SFT, chat masking, in-context learning, LoRA, guardrails, structured output and FIM labs,
fine-tuned for about a minute on a laptop CPU. It knows only the synthetic world of `data/`.
"""
    (path / "README.md").write_text(text)


def write_encoder_card(path: Path, model, tokenizer, stats: dict) -> None:
    c = model.config
    text = f"""# tiny-encoder

A tiny BERT-architecture **masked language model** for the encoder labs, pretrained from scratch by
`tools/build_models.py` on `data/medical_notes/unlabelled.jsonl` (synthetic clinical notes; no real patient
information) plus the stories and descriptions of `data/corpus/train.jsonl` and the sentiment train texts.
Load it with `BertForSequenceClassification.from_pretrained(...)` to fine-tune (the classifier head is new).
Every number below was measured by the build.

| | |
|---|---|
| parameters | {stats['parameters']:,} |
| architecture | BertForMaskedLM: {c.num_hidden_layers} layers, hidden {c.hidden_size}, {c.num_attention_heads} heads, MLP {c.intermediate_size}, max positions {c.max_position_embeddings} |
| tokenizer | WordPiece, uncased, vocab {len(tokenizer)}; [CLS] [SEP] [PAD] [MASK] [UNK] |
| training data | {stats['train_texts']:,} texts, one per sequence (max 128 tokens) |
| objective | MLM: 15 % of tokens, of which 80 % [MASK], 10 % random, 10 % unchanged |
| steps x batch | {stats['steps']} x {stats['batch']} texts |
| tokens seen | {stats['tokens_seen']:,} |
| optimiser | AdamW, peak lr {FULL['encoder_lr']}, warmup + cosine to 10 %, weight decay 0.01, seed {SEED} |
| wall time | {stats['seconds']:.0f} s ({stats['tokens_per_second']:,} tokens/s) |
| device | {stats['device']} |
| MLM validation loss (medical_notes validation texts, fixed masking) | initial {stats['initial_val_loss']:.3f}, **final {stats['final_val_loss']:.3f}** nats/masked token |
| unigram baseline on the same masked tokens | {stats['unigram_val_loss']:.3f} |

## Loss curve

{curve_table(stats['curve'])}

## Intended use

Teaching only: fine-tuning for disease-severity and sentiment classification, and comparing pretrained vs
randomly initialised encoders when few labels are available.
"""
    (path / "README.md").write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["tokenizers", "candidates", "decoder", "encoder", "evaluate"])
    parser.add_argument("--quick", action="store_true", help="tiny budgets: a smoke test, not usable models")
    parser.add_argument("--out", type=Path, default=REPO / "models")
    parser.add_argument("--threads", type=int, default=2,
                        help="torch threads; use 1 when other jobs share the CPU (2 threads on 2 busy cores "
                             "measured 5x slower than 1)")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda: where the models train")
    parser.add_argument("--candidate-steps", type=int, help="override the steps of each candidate run")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    global DEVICE
    DEVICE = torch.device(args.device)
    torch.backends.cuda.matmul.allow_tf32 = False  # fp32 arithmetic on either device
    budget = dict(QUICK if args.quick else FULL)
    if args.candidate_steps:
        budget["candidate_steps"] = args.candidate_steps
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.time()
    steps = [args.only] if args.only else ["tokenizers", "decoder", "encoder"]
    actions = {"tokenizers": build_tokenizers,
               "candidates": lambda o: measure_candidates(o, budget),
               "decoder": lambda o: build_decoder(o, budget),
               "evaluate": evaluate_decoder,
               "encoder": lambda o: build_encoder(o, budget)}
    for step in steps:
        log(f"== {step}")
        actions[step](args.out)
    log(f"done in {time.time() - start:.0f}s")


if __name__ == "__main__":
    main()
