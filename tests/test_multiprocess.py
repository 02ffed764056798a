"""The utils training loop runs unchanged data-parallel under `accelerate launch` (here: 2 CPU processes, gloo)."""
import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT


def test_two_processes_see_different_shards_and_end_with_identical_weights(tmp_path):
    accelerate = Path(sys.executable).parent / "accelerate"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    # accelerate 1.x launches several CPU processes with `--cpu` only through MPI (a hostfile); `--multi_gpu` uses
    # torchrun instead, and on a machine without GPUs every process falls back to the CPU with the gloo backend.
    subprocess.run([str(accelerate), "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
                    "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", "29517",
                    str(ROOT / "tests" / "ddp_train_script.py"), str(tmp_path)],
                   check=True, env=env, cwd=ROOT, timeout=300, capture_output=True)
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [r["world"] for r in ranks] == [2, 2]
    seen0, seen1 = set(ranks[0]["seen"]), set(ranks[1]["seen"])
    assert seen0 and seen1 and not seen0 & seen1, "each process must get its own shard of the data"
    assert ranks[0]["checksum"] == ranks[1]["checksum"], "data-parallel replicas must end with identical weights"
