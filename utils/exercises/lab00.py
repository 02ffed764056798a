"""Checks for labs/00_setup.ipynb."""
from __future__ import annotations

import torch

from ..checks import attempt, report


def check_count_trainable_parameters(count_trainable_parameters) -> bool:
    """The student's function must count only parameters with requires_grad=True."""
    name = "count_trainable_parameters"
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 2))  # 15 + 8 parameters
    model[0].weight.requires_grad_(False)  # freeze 12 of them
    ok, answer = attempt(name, count_trainable_parameters, model)
    if not ok:
        return False
    if answer == 23:
        return report(name, False, "You counted every parameter: count only those with `p.requires_grad`.")
    if answer == 2:
        return report(name, False, "You counted tensors, not numbers: add up `p.numel()`.")
    return report(name, answer == 11, f"Expected 11 trainable numbers in the test model, got {answer!r}.")
