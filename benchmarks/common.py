"""What both benchmarks share: the real decoder shapes they build from a configuration alone (random weights, no
download), the allocator setting that makes CPU memory readings follow the live tensors, and how results are
reported."""
import json

REAL_SHAPES = {
    # SmolLM2-135M's published configuration (HuggingFaceTB/SmolLM2-135M, config.json): the labs' hub decoder
    "smollm2-135m": dict(vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                         num_attention_heads=9, num_key_value_heads=3, max_position_embeddings=2048,
                         tie_word_embeddings=True),
    # Llama-3.2-1B's published configuration (vocabulary, widths, depth)
    "llama-1b": dict(vocab_size=128256, hidden_size=2048, intermediate_size=8192, num_hidden_layers=16,
                     num_attention_heads=32, num_key_value_heads=8, max_position_embeddings=2048,
                     tie_word_embeddings=True),
}

# On the CPU, glibc keeps freed memory for reuse unless told to hand every block of 64 KiB or more straight back to
# the OS; without this, a process's RSS also counts whatever an earlier allocation pattern left behind. Set it in
# the environment of each measured child process. It slows small allocations down, so it is for memory
# measurements only, never for timings.
CPU_MEMORY_ENV = {"MALLOC_MMAP_THRESHOLD_": "65536", "MALLOC_TRIM_THRESHOLD_": "0"}


def throughput(counts: dict, seconds: float) -> dict:
    """Tokens per second and padding waste from the real-token and position counts taken where the model runs
    (pad positions / all positions, over the whole run, as the utils loop reports it)."""
    return {"tokens_per_second": counts["real"] / seconds, "padding_waste": 1 - counts["real"] / counts["positions"],
            "real_tokens": counts["real"], "seconds": seconds}


def report(results: dict, json_path: str | None, show: bool = True) -> dict:
    """Print the results as JSON (unless `show` is False) and also write them to `json_path` when given."""
    if show:
        print(json.dumps(results, indent=2))
    if json_path:
        with open(json_path, "w") as f:
            json.dump(results, f, indent=2)
    return results
