"""The GPU benchmarks run end to end on a tiny shape on CPU (figures are reported, not asserted as timings)."""
import pytest

pytestmark = pytest.mark.filterwarnings("ignore")


def test_sft_throughput_benchmark_reports_both_trainers():
    import sft_throughput
    results = sft_throughput.main(["--shape", "tiny", "--steps", "3", "--batch-size", "8", "--examples", "200"])
    for name in ("utils", "hf"):
        assert results[name]["tokens_per_second"] > 0 and results[name]["peak_memory_mib"] > 0
    # length-grouped batching keeps padding low (the benchmark's own target is < 10 %)
    assert results["utils"]["padding_waste"] < 0.10
    # both trainers saw the same batches
    assert results["utils"]["real_tokens"] == results["hf"]["real_tokens"]
    assert results["utils"]["padding_waste"] == pytest.approx(results["hf"]["padding_waste"])


@pytest.mark.parametrize("options", [[], ["--gradient-checkpointing", "--dtype", "bf16"]], ids=["default", "gc-bf16"])
def test_peft_memory_benchmark_measures_all_three_methods(options):
    import peft_memory
    results = peft_memory.main(["--shape", "tiny", "--seq-len", "32", "--batch-size", "2", *options])
    assert results["gradient_checkpointing"] == ("--gradient-checkpointing" in options)
    assert results["dtype"] == ("torch.bfloat16" if "bf16" in options else "torch.float32")
    methods = results["methods"]
    # bitsandbytes is a required dependency and QLoRA runs on the CPU: no method may be skipped here.
    assert not [m for m in methods.values() if "skipped" in m], methods
    assert all(methods[m]["peak_step_mib"] > 0 for m in ("full", "lora", "qlora"))
    assert methods["full"]["trainable_share"] == 1.0
    assert 0 < methods["lora"]["trainable_share"] < 0.10
    # (QLoRA's share is over packed 4-bit storage, two weights per stored number, so it is not LoRA's share.)
    assert methods["lora"]["trainable_share"] < methods["qlora"]["trainable_share"] < 1.0


def test_trl_benchmark_runs_three_trainers_on_the_same_tokens():
    import trl_sft
    results = trl_sft.main(["--shape", "tiny", "--steps", "2", "--batch-size", "8"])
    names = trl_sft.TRAINERS
    assert len({results[name]["real_tokens"] for name in names}) == 1, "every trainer must see the same tokens"
    assert results["trl-padding-free"]["padding_waste"] == 0  # no padding at all: examples end to end
    assert results["utils"]["padding_waste"] > 0  # the padded trainers do pad
    assert all(results[name]["tokens_per_second"] > 0 and results[name]["peak_memory_mib"] > 0 for name in names)
