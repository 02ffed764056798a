"""Benchmark: SFT with the `utils` loop against TRL's `SFTTrainer`, with padding and padding-free, same data and shape.

The data is the course's chat training set (`data/chat`), tokenised with the offline tokenizer (models/tiny-decoder)
and supervised on the assistant's tokens only. The model is a decoder of a given shape (configuration only, random
initialisation, no download). All three trainers see the same batches in the same order (the `utils` loop's
length-grouped batches; TRL reads them sequentially) and the same optimiser settings:

- `utils`: `utils.training.train`, padded batches (`pad_batch`);
- `trl`: `SFTTrainer(assistant_only_loss=True)`, padded batches;
- `trl-padding-free`: the same with `padding_free=True`: each batch flattened into one row, position ids restarting
  per conversation (lab 11). On a GPU with flash-attention only the diagonal blocks are computed; with sdpa (the CPU)
  the full score matrix of the row is computed and masked.

Reported per trainer: tokens per second (real tokens, padding excluded, counted where the model runs), padding waste
and peak memory (CUDA `max_memory_allocated`, or on the CPU the process's peak RSS). Each trainer runs in its own
process.

    python benchmarks/trl_sft.py --shape tiny --steps 5          # CPU, seconds (what a test could run)
    python benchmarks/trl_sft.py --shape tiny-decoder --steps 30 # the offline model's shape
    python benchmarks/trl_sft.py --shape smollm2-135m --steps 50 # the hub decoder's shape (a GPU)
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from utils.chat import conversation_to_example  # noqa: E402
from utils.data import load_records  # noqa: E402
from utils.device import describe_device, mixed_precision_for, pick_device  # noqa: E402
from utils.training import TrainConfig, length_grouped_batches, train  # noqa: E402

from common import REAL_SHAPES, report, throughput  # noqa: E402  (benchmarks/common.py)

TINY_DECODER = json.loads((REPO / "models" / "tiny-decoder" / "config.json").read_text())
SHAPES = {
    **REAL_SHAPES,
    "tiny-decoder": {k: TINY_DECODER[k] for k in ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                                                 "num_attention_heads", "num_key_value_heads",
                                                 "max_position_embeddings", "tie_word_embeddings")},
    "tiny": dict(vocab_size=3072, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2, max_position_embeddings=512, tie_word_embeddings=True),
}
TRAINERS = ("utils", "trl", "trl-padding-free")
LR, WARMUP, MAX_LENGTH = 1e-4, 1, 256


def peak_memory_mib(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB -> MiB (whole process)


def count_tokens(model) -> dict:
    counts = {"real": 0, "positions": 0}

    def hook(module, args, kwargs):  # counted where the model runs: a data loader may read ahead
        ids, mask = kwargs["input_ids"], kwargs.get("attention_mask")
        counts["real"] += int(mask.sum()) if mask is not None and "position_ids" not in kwargs else ids.numel()
        counts["positions"] += ids.numel()

    model.register_forward_pre_hook(hook, with_kwargs=True)
    return counts


def run(trainer: str, model, tokenizer, records, args, device) -> dict:
    examples = [conversation_to_example(r["messages"], tokenizer, MAX_LENGTH) for r in records]
    counts = count_tokens(model)
    if trainer == "utils":
        config = TrainConfig(max_steps=args.steps, batch_size=args.batch_size, lr=LR, warmup_steps=WARMUP,
                             eval_every=0, group_by_length=True, progress=False, seed=0)
        seconds = train(model, examples, config, pad_token_id=tokenizer.pad_token_id).seconds
    else:
        from datasets import Dataset
        from datasets.utils.logging import disable_progress_bar
        from trl import SFTConfig, SFTTrainer

        disable_progress_bar()
        # The utils loop's batches, laid out in order and read sequentially: both see the same batches.
        batches = length_grouped_batches([len(ex["input_ids"]) for ex in examples], args.batch_size, seed=0)
        ordered = [records[i]["messages"] for batch in batches for i in batch]
        padding_free = trainer == "trl-padding-free"
        with tempfile.TemporaryDirectory() as out:
            config = SFTConfig(output_dir=out, max_steps=args.steps, per_device_train_batch_size=args.batch_size,
                               learning_rate=LR, warmup_steps=WARMUP, lr_scheduler_type="cosine", max_grad_norm=1.0,
                               assistant_only_loss=True, padding_free=padding_free,
                               max_length=None if padding_free else MAX_LENGTH, train_sampling_strategy="sequential",
                               logging_steps=args.steps, save_strategy="no", report_to=[], disable_tqdm=True,
                               use_cpu=device.type == "cpu", bf16=mixed_precision_for(device) == "bf16", seed=0)
            sft = SFTTrainer(model=model, args=config, processing_class=tokenizer,
                             train_dataset=Dataset.from_list([{"messages": m} for m in ordered]))
            start = time.perf_counter()
            sft.train()
            seconds = time.perf_counter() - start
    return throughput(counts, seconds)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shape", choices=SHAPES, default="tiny")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--trainer", choices=(*TRAINERS, "all"), default="all")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)

    device = pick_device()
    results = {"shape": args.shape, "device": describe_device(device), "steps": args.steps,
               "batch_size": args.batch_size, "date": time.strftime("%Y-%m-%d"), "data": "data/chat train"}
    if args.trainer == "all":
        # each trainer in its own process, so that peak memory is its own
        for name in TRAINERS:
            with tempfile.NamedTemporaryFile(suffix=".json") as out:
                rest = [a for a in (argv if argv is not None else sys.argv[1:])]
                subprocess.run([sys.executable, __file__, *rest, "--trainer", name, "--json", out.name], check=True,
                               stdout=subprocess.DEVNULL)
                results[name] = json.load(open(out.name))[name]
        for name in TRAINERS[1:]:
            results[f"{name}_vs_utils_speed"] = results[name]["tokens_per_second"] / results["utils"]["tokens_per_second"]
    else:
        tokenizer = AutoTokenizer.from_pretrained(REPO / "models" / "tiny-decoder")
        shape = dict(SHAPES[args.shape])
        shape["vocab_size"] = max(shape["vocab_size"], len(tokenizer))
        torch.manual_seed(0)
        model = LlamaForCausalLM(LlamaConfig(**shape, pad_token_id=tokenizer.pad_token_id))
        model.to(device)
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats()
        records = load_records("chat", "train")
        results[args.trainer] = run(args.trainer, model, tokenizer, records, args, device)
        results[args.trainer]["peak_memory_mib"] = peak_memory_mib(device)
        results["attention"] = model.config._attn_implementation
    return report(results, args.json, show=args.trainer == "all")


if __name__ == "__main__":
    main()
