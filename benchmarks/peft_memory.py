"""Benchmark: peak memory of one training step for full fine-tuning, LoRA and QLoRA on the same decoder shape.

The model is built from a configuration (random weights, no download) and saved once to a temporary folder, so
that QLoRA can load it through the real `from_pretrained(..., quantization_config=BitsAndBytesConfig(...))` path.
Each method then runs in its own process: load, one forward/backward/optimizer step on a fixed batch, report peak
memory (CUDA: `torch.cuda.max_memory_allocated`; CPU: the highest RSS sampled during the step minus the RSS before
loading, with glibc told to return freed blocks to the OS, so that RSS follows the live tensors).
Beside each measurement stands the usual estimate: weights + gradients + AdamW state (2 numbers per trainable).

    python benchmarks/peft_memory.py --shape tiny        # CPU, seconds (what the test runs)
    python benchmarks/peft_memory.py --shape llama-1b    # the GPU measurement (see benchmarks/README.md)
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time

import torch

from common import CPU_MEMORY_ENV, REAL_SHAPES, report  # benchmarks/common.py

SHAPES = {
    **REAL_SHAPES,
    "tiny": dict(vocab_size=1024, hidden_size=256, intermediate_size=512, num_hidden_layers=2,
                 num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256, tie_word_embeddings=True),
}
METHODS = ("full", "lora", "qlora")


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


class PeakRSS:
    """CPU only: sample this process's RSS every 5 ms while the `with` block runs and keep the highest."""

    def __enter__(self):
        self.peak, self._running = rss_mib(), True
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while self._running:
            self.peak = max(self.peak, rss_mib())
            time.sleep(0.005)

    def __exit__(self, *exc):
        self._running = False
        self._thread.join()
        self.peak = max(self.peak, rss_mib())


def pick_dtype(name: str) -> torch.dtype:
    """`auto`: bf16 on a GPU (what the labs' hub profile uses), fp32 on the CPU (the labs' offline profile)."""
    if name == "auto":
        return torch.bfloat16 if torch.cuda.is_available() else torch.float32
    return {"bf16": torch.bfloat16, "fp32": torch.float32}[name]


def one_step(method: str, checkpoint: str, seq_len: int, batch_size: int, dtype_name: str = "auto",
             checkpointing: bool = False) -> dict:
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    cuda = torch.cuda.is_available()
    dtype = pick_dtype(dtype_name)
    checkpointing_kwargs = {"use_reentrant": False}
    before = rss_mib()
    if method == "qlora":
        quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                                   bnb_4bit_compute_dtype=dtype)
        model = AutoModelForCausalLM.from_pretrained(checkpoint, quantization_config=quant, dtype=dtype,
                                                     device_map={"": 0} if cuda else {"": "cpu"})
        # the usual QLoRA preparation; note it keeps the non-quantized weights (embeddings, norms) in fp32
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=checkpointing,
                                                gradient_checkpointing_kwargs=checkpointing_kwargs)
    else:
        model = AutoModelForCausalLM.from_pretrained(checkpoint, dtype=dtype).to("cuda" if cuda else "cpu")
        if checkpointing:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=checkpointing_kwargs)
    if method in ("lora", "qlora"):
        model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, target_modules="all-linear", task_type="CAUSAL_LM"))
    model.train()
    loaded = rss_mib()
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(4, model.config.vocab_size, (batch_size, seq_len), generator=generator).to(model.device)
    start = time.perf_counter()
    with PeakRSS() as rss:
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        optimizer.step()
    seconds = time.perf_counter() - start
    if cuda:  # everything allocated on the GPU at the step's peak, weights included
        peak = torch.cuda.max_memory_allocated() / 2**20
    else:  # the step's highest RSS minus the RSS before loading (the libraries' own memory excluded)
        peak = rss.peak - before
    # gradients and AdamW's two moments are kept in each trainable parameter's own dtype
    trainable_bytes = sum(p.numel() * p.element_size() for p in model.parameters() if p.requires_grad)
    estimate = (weight_bytes + trainable_bytes + 2 * trainable_bytes) / 2**20
    return {"method": method, "total_params": total, "trainable_params": trainable,
            "trainable_share": trainable / total, "weights_mib": weight_bytes / 2**20,
            "estimate_weights_grads_adam_mib": estimate, "after_load_mib": loaded - before,
            "peak_step_mib": peak, "step_seconds": seconds}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shape", choices=SHAPES, default="tiny")
    parser.add_argument("--seq-len", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--dtype", choices=["auto", "bf16", "fp32"], default="auto",
                        help="weights and compute dtype; auto = bf16 on a GPU, fp32 on the CPU")
    parser.add_argument("--gradient-checkpointing", action="store_true",
                        help="recompute activations in the backward pass (all three methods alike)")
    parser.add_argument("--method", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--checkpoint", help=argparse.SUPPRESS)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)

    if args.method:  # child process: one method, print its JSON line
        print(json.dumps(one_step(args.method, args.checkpoint, args.seq_len, args.batch_size, args.dtype,
                                  args.gradient_checkpointing)))
        return {}

    from transformers import LlamaConfig, LlamaForCausalLM
    from utils.device import describe_device

    results = {"shape": args.shape, "device": describe_device(), "seq_len": args.seq_len,
               "batch_size": args.batch_size, "dtype": str(pick_dtype(args.dtype)),
               "gradient_checkpointing": args.gradient_checkpointing, "date": time.strftime("%Y-%m-%d"), "methods": {}}
    with tempfile.TemporaryDirectory() as checkpoint:
        torch.manual_seed(0)
        LlamaForCausalLM(LlamaConfig(**SHAPES[args.shape])).to(pick_dtype(args.dtype)).save_pretrained(checkpoint)
        env = {**os.environ, **CPU_MEMORY_ENV}
        for method in METHODS:
            child = subprocess.run([sys.executable, __file__, "--method", method, "--checkpoint", checkpoint,
                                    "--seq-len", str(args.seq_len), "--batch-size", str(args.batch_size),
                                    "--dtype", args.dtype,
                                    *(["--gradient-checkpointing"] if args.gradient_checkpointing else [])],
                                   capture_output=True, text=True, env=env)
            if child.returncode != 0:
                reason = (child.stderr.strip().splitlines() or ["unknown error"])[-1]
                results["methods"][method] = {"method": method, "skipped": reason}
                continue
            results["methods"][method] = json.loads(child.stdout.strip().splitlines()[-1])
    full = results["methods"]["full"].get("peak_step_mib")
    for method in ("lora", "qlora"):
        peak = results["methods"][method].get("peak_step_mib")
        if full and peak:
            results[f"{method}_peak_vs_full"] = peak / full
    return report(results, args.json)


if __name__ == "__main__":
    main()
