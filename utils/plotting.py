"""Loss curves: training loss (smoothed) and evaluation loss against optimizer steps."""
from __future__ import annotations

import matplotlib.pyplot as plt


def _smooth(values: list[float], window: int) -> list[float]:
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def plot_loss(*results, labels: list[str] | None = None, title: str = "Loss", smooth: int = 10, ax=None):
    """Plot one or more `TrainResult`s (from `utils.training.train`) on one axis; returns the axis."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5))
    labels = labels or [f"run {i + 1}" for i in range(len(results))]
    for result, label in zip(results, labels):
        line, = ax.plot(result.steps, _smooth(result.train_loss, smooth), label=f"{label} (train)")
        if result.eval_loss:
            ax.plot(result.eval_steps, result.eval_loss, "o--", color=line.get_color(), label=f"{label} (eval)")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("cross-entropy loss")
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    return ax
