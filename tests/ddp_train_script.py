"""Run by tests/test_multiprocess.py under `accelerate launch --cpu --num_processes 2`.

Trains a toy causal LM with the unchanged `utils.training.train`, records which examples each process saw and a
checksum of its final weights, and writes both to OUT_DIR/rank<k>.json.
"""
import json
import os
import sys

from utils.batching import pad_batch
from utils.tiny_models import tiny_llama
from utils.training import TrainConfig, train

out_dir = sys.argv[1]
seen = []


def recording_collate(examples):
    seen.extend(ex["input_ids"][0] for ex in examples)  # the first token identifies the example
    return pad_batch(examples, pad_token_id=0)


model = tiny_llama(vocab_size=80, seed=0)
data = [{"input_ids": [i] + [(i + k) % 80 for k in range(1, 6)], "labels": [i] + [(i + k) % 80 for k in range(1, 6)]}
        for i in range(1, 65)]
result = train(model, data, TrainConfig(max_steps=4, batch_size=4, progress=False, group_by_length=False),
               collate_fn=recording_collate)
rank = int(os.environ.get("RANK", 0))
checksum = sum(float(p.detach().double().sum()) for p in model.parameters())
with open(os.path.join(out_dir, f"rank{rank}.json"), "w") as f:
    json.dump({"seen": seen, "checksum": checksum, "world": int(os.environ.get("WORLD_SIZE", 1)),
               "loss": result.train_loss}, f)
