"""Benchmark: SFT throughput of the `utils` training loop against Hugging Face `Trainer`, same data and settings.

A decoder of a given shape (configuration only, random initialisation, no download) is trained for a few steps on
synthetic variable-length examples whose lengths follow an instruction-data-like distribution. For each trainer we
report tokens per second (real tokens, padding excluded), padding waste (share of pad positions in the batches)
and peak memory of the training process. Both trainers see the same batches, in the same order: the `utils`
loop's length-grouped batches, which `Trainer` reads sequentially.

    python benchmarks/sft_throughput.py --shape tiny             # CPU, seconds (what the test runs)
    python benchmarks/sft_throughput.py --shape smollm2-135m     # the GPU measurement (see benchmarks/README.md)
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from functools import partial

import torch
from transformers import LlamaConfig, LlamaForCausalLM, Trainer, TrainingArguments

from utils.batching import pad_batch
from utils.device import describe_device, mixed_precision_for, pick_device
from utils.training import TrainConfig, length_grouped_batches, train

from common import REAL_SHAPES, report, throughput  # benchmarks/common.py

SHAPES = {
    **REAL_SHAPES,
    "tiny": dict(vocab_size=512, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                 num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512, tie_word_embeddings=True),
}


def synthetic_sft_data(n: int, vocab_size: int, max_len: int, seed: int = 0) -> list[dict]:
    """Examples with log-normally distributed lengths (many short, a few long), like instruction data."""
    rng = random.Random(seed)
    data = []
    for _ in range(n):
        length = max(8, min(max_len, int(rng.lognormvariate(4.3, 0.6))))
        ids = [rng.randrange(4, vocab_size) for _ in range(length)]
        prompt = length // 3
        data.append({"input_ids": ids, "labels": [-100] * prompt + ids[prompt:]})
    return data


def peak_memory_mib(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB -> MiB (whole process)


def run_utils_loop(model, data, args, device) -> dict:
    config = TrainConfig(max_steps=args.steps, batch_size=args.batch_size, lr=1e-4, warmup_steps=1, eval_every=0,
                         group_by_length=True, progress=False)
    result = train(model, data, config, pad_token_id=0)
    return {"tokens_per_second": result.tokens_per_second, "padding_waste": result.padding_fraction,
            "real_tokens": result.tokens_seen, "seconds": result.seconds}


def run_trainer(model, data, args, device) -> dict:
    # The same batches as the utils loop: its length-grouped batches, laid out in order, read sequentially.
    lengths = [len(example["input_ids"]) for example in data]
    batches = length_grouped_batches(lengths, args.batch_size, seed=TrainConfig.seed)
    data = [data[i] for batch in batches for i in batch]
    counts = {"real": 0, "positions": 0}

    def count_batch(module, positional, inputs):  # counted where the model runs: the data loader may read ahead
        counts["real"] += int(inputs["attention_mask"].sum())
        counts["positions"] += inputs["attention_mask"].numel()

    model.register_forward_pre_hook(count_batch, with_kwargs=True)

    with tempfile.TemporaryDirectory() as out:
        training_args = TrainingArguments(
            output_dir=out, max_steps=args.steps, per_device_train_batch_size=args.batch_size, learning_rate=1e-4,
            warmup_steps=1, lr_scheduler_type="cosine", max_grad_norm=1.0, logging_steps=args.steps,
            save_strategy="no", report_to=[], train_sampling_strategy="sequential", dataloader_num_workers=0,
            bf16=mixed_precision_for(device) == "bf16", use_cpu=device.type == "cpu", remove_unused_columns=False,
            disable_tqdm=True, seed=0,
        )
        trainer = Trainer(model=model, args=training_args, train_dataset=data, data_collator=partial(pad_batch, pad_token_id=0))
        start = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - start
    return throughput(counts, seconds)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shape", choices=SHAPES, default="tiny")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--trainer", choices=["utils", "hf", "both"], default="both")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.examples % args.batch_size:
        parser.error("--examples must be a multiple of --batch-size, so that both trainers see the same batches")

    device = pick_device()
    shape = SHAPES[args.shape]
    data = synthetic_sft_data(args.examples, shape["vocab_size"], max_len=512)
    results = {"shape": args.shape, "device": describe_device(device), "steps": args.steps,
               "batch_size": args.batch_size, "date": time.strftime("%Y-%m-%d")}
    if args.trainer == "both":
        # each trainer in its own process, so that peak memory is its own (on CPU it is the process's peak RSS)
        for name in ("utils", "hf"):
            with tempfile.NamedTemporaryFile(suffix=".json") as out:
                subprocess.run([sys.executable, __file__, *(argv or sys.argv[1:]), "--trainer", name, "--json", out.name],
                               check=True, stdout=subprocess.DEVNULL)
                results[name] = json.load(open(out.name))[name]
    else:
        torch.manual_seed(0)
        model = LlamaForCausalLM(LlamaConfig(**shape))
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats()
        runner = run_utils_loop if args.trainer == "utils" else run_trainer
        results[args.trainer] = runner(model, data, args, device)
        results[args.trainer]["peak_memory_mib"] = peak_memory_mib(device)
    if "utils" in results and "hf" in results:
        results["utils_vs_trainer_speed"] = results["utils"]["tokens_per_second"] / results["hf"]["tokens_per_second"]
    return report(results, args.json, show=args.trainer == "both")  # a child process reports through its file


if __name__ == "__main__":
    main()
