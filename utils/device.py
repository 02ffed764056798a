"""Which device to train on, and how to say so in one line.

Order of preference: an NVIDIA GPU (CUDA), then Apple silicon (MPS), then the CPU. Mixed precision is used only
where it pays: bf16 on GPUs that support it natively. On a CPU, bf16 autocast is several times *slower* than fp32, so we
stay in fp32 there.
"""
from __future__ import annotations

import os
import platform

import torch


def pick_device() -> torch.device:
    """CUDA if available, else Apple MPS, else CPU. `ITL_DEVICE=cpu` forces a choice (e.g. for tests)."""
    forced = os.environ.get("ITL_DEVICE")
    if forced:
        return torch.device(forced)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def mixed_precision_for(device: torch.device) -> str:
    """'bf16' on a CUDA GPU that supports it, otherwise 'no' (plain fp32)."""
    # Native bf16 arrived with Ampere (compute capability 8.x). Older GPUs such as Colab's T4 (7.5) would only
    # emulate it, slowly, although recent torch's `is_bf16_supported()` counts emulation too.
    if device.type == "cuda" and torch.cuda.get_device_capability(device)[0] >= 8:
        return "bf16"
    return "no"


def describe_device(device: torch.device | None = None) -> str:
    """One line for the top of a notebook, e.g. 'cpu (2 threads, x86_64), torch 2.13.0, fp32'."""
    device = device or pick_device()
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        props = torch.cuda.get_device_properties(index)
        what = f"cuda: {props.name}, {props.total_memory / 2**30:.0f} GiB"
    elif device.type == "mps":
        what = "mps (Apple silicon)"
    else:
        what = f"cpu ({torch.get_num_threads()} threads, {platform.machine()})"
    precision = "bf16 mixed precision" if mixed_precision_for(device) == "bf16" else "fp32"
    return f"{what}, torch {torch.__version__}, {precision}"
