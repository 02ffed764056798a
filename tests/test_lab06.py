"""Lab 06 (LoRA and QLoRA): the notebook keeps the lab's shape, every exercise check accepts another correct
implementation and rejects plausible wrong ones with the hint that names the mistake, and the bitsandbytes
workaround the lab relies on keeps gradients flowing through 4-bit layers on the CPU."""
import importlib.util

import pytest
import torch

from notebook_cells import assert_accepts, assert_rejects
from utils.exercises.lab06 import (check_find_target_modules, check_lora_forward, check_lora_parameter_count,
                                   check_predict_training_memory)

NOTEBOOK = "06_peft_lora_qlora.ipynb"


pytestmark = pytest.mark.usefixtures("student_mode")  # a rejected answer prints, as for a student


# --- 6.1 lora_forward ---------------------------------------------------------------------------------------------

def test_lora_forward_accepts_the_merged_weight_form(capsys):
    def lora_forward(x, weight, bias, A, B, alpha, r):
        return torch.nn.functional.linear(x, weight + alpha / r * B @ A, bias)
    assert_accepts(check_lora_forward, lora_forward, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (lambda x, w, b, A, B, alpha, r: x @ w.T + b + x @ A.T @ B.T, "Scale the low-rank update by alpha / r"),
    (lambda x, w, b, A, B, alpha, r: x @ w.T + b + r / alpha * x @ A.T @ B.T, "not r / alpha"),
    (lambda x, w, b, A, B, alpha, r: x @ w.T + b + alpha * x @ A.T @ B.T, "division by r"),
    (lambda x, w, b, A, B, alpha, r: x @ w.T + alpha / r * x @ A.T @ B.T, "bias"),
    (lambda x, w, b, A, B, alpha, r: alpha / r * x @ A.T @ B.T, "Keep the frozen base layer"),
    (lambda x, w, b, A, B, alpha, r: x @ w + b + alpha / r * x @ A.T @ B.T, "size of tensor"),  # W not transposed
])
def test_lora_forward_rejects(wrong, hint, capsys):
    assert_rejects(check_lora_forward, wrong, hint, capsys)


# --- 6.2 lora_parameter_count (prediction) ------------------------------------------------------------------------

def test_lora_parameter_count_accepts_counting_the_matrices_it_would_build(capsys):
    def lora_parameter_count(layer_shapes, r):
        return sum(torch.empty(r, i).numel() + torch.empty(o, r).numel() for o, i in layer_shapes)
    assert_accepts(check_lora_parameter_count, lora_parameter_count, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (lambda shapes, r: sum(o * i for o, i in shapes), "full weight matrices"),
    (lambda shapes, r: sum(r * o * i for o, i in shapes), "do not multiply"),
    (lambda shapes, r: sum(r * i for o, i in shapes), "only A"),
    (lambda shapes, r: sum(8 * (o + i) for o, i in shapes), "Use the rank r"),
    (lambda shapes, r: sum(r * (o + i) + o for o, i in shapes), "no bias"),
    (lambda shapes, r: 14_336, "returns 26"),  # the first example's answer, hard-coded
])
def test_lora_parameter_count_rejects(wrong, hint, capsys):
    assert_rejects(check_lora_parameter_count, wrong, hint, capsys)


# --- 6.3 find_target_modules --------------------------------------------------------------------------------------

def test_find_target_modules_accepts_collecting_the_output_layer_by_identity(capsys):
    def find_target_modules(model):
        names = []
        for name, module in model.named_modules():
            if type(module).__name__ == "Linear" and id(module) != id(model.get_output_embeddings()):
                last = name.rsplit(".", 1)[-1]
                if last not in names:
                    names.append(last)
        return sorted(names)
    assert_accepts(check_find_target_modules, find_target_modules, capsys)


def _linear_names(model, keep):
    return sorted({n.split(".")[-1] for n, m in model.named_modules() if isinstance(m, torch.nn.Linear) and keep(n, m)})


@pytest.mark.parametrize("wrong, hint", [
    (lambda model: ["down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj"],
     "Llama decoder's names"),  # issue 18: hard-coded names passed
    (lambda model: _linear_names(model, lambda n, m: True), "Leave out the output layer"),
    (lambda model: _linear_names(model, lambda n, m: not n.endswith("lm_head")), "not by the name 'lm_head'"),
    (lambda model: _linear_names(model, lambda n, m: not n.endswith(("lm_head", "decoder"))), "readout"),
    (lambda model: _linear_names(model, lambda n, m: "head" not in n and "decoder" not in n), "compare modules"),
    (lambda model: sorted(n for n, m in model.named_modules()
                          if isinstance(m, torch.nn.Linear) and m is not model.get_output_embeddings()), "last part"),
    (lambda model: [n.split(".")[-1] for n, m in model.named_modules()
                    if isinstance(m, torch.nn.Linear) and m is not model.get_output_embeddings()], "once, sorted"),
])
def test_find_target_modules_rejects(wrong, hint, capsys):
    assert_rejects(check_find_target_modules, wrong, hint, capsys)


# --- 6.4 predict_training_memory (prediction) ---------------------------------------------------------------------

def test_predict_training_memory_accepts_bytes_per_number_times_counts(capsys):
    def predict_training_memory(frozen_params, trainable_params):
        fp32 = torch.finfo(torch.float32).bits // 8
        return {"weights": fp32 * (frozen_params + trainable_params), "gradients": fp32 * trainable_params,
                "optimizer state": 2 * fp32 * trainable_params}
    assert_accepts(check_predict_training_memory, predict_training_memory, capsys)


def _memory(weights=lambda f, t: 4 * (f + t), gradients=lambda f, t: 4 * t, state=lambda f, t: 8 * t):
    return lambda f, t: {"weights": weights(f, t), "gradients": gradients(f, t), "optimizer state": state(f, t)}


@pytest.mark.parametrize("wrong, hint", [
    (_memory(state=lambda f, t: 4 * t), "TWO running averages"),
    (_memory(gradients=lambda f, t: 4 * (f + t)), "Frozen parameters get no gradient"),
    (_memory(state=lambda f, t: 8 * (f + t)), "only for the parameters it updates"),
    (_memory(weights=lambda f, t: 4 * f), "frozen and trainable"),
    (_memory(weights=lambda f, t: 32 * (f + t), gradients=lambda f, t: 32 * t, state=lambda f, t: 64 * t), "bits"),
    (lambda f, t: [4 * (f + t), 4 * t, 8 * t], "the reference returns {'weights': 4000"),  # a list, not a dict
])
def test_predict_training_memory_rejects(wrong, hint, capsys):
    assert_rejects(check_predict_training_memory, wrong, hint, capsys)


@pytest.mark.skipif(importlib.util.find_spec("bitsandbytes") is None, reason="bitsandbytes not installed")
def test_4bit_layer_passes_gradients_on_cpu_after_evaluation():
    """Lab 06 switches off bitsandbytes' inference-only CPU repacking; with that, a 4-bit layer that has run in eval
    mode still back-propagates exactly like a float layer holding the dequantised weights."""
    import bitsandbytes as bnb
    import bitsandbytes.functional as F

    torch.manual_seed(0)
    dense = torch.nn.Linear(128, 64, bias=False)
    layer = bnb.nn.Linear4bit(128, 64, bias=False, compute_dtype=torch.float32, quant_type="nf4")
    layer.load_state_dict(dense.state_dict())
    layer = layer.to("cpu")  # quantises
    layer.support_avx512bf16_for_cpu = False  # the workaround used in lab 06
    x = torch.randn(8, 128)
    layer.eval()
    with torch.no_grad():
        layer(x)  # an evaluation pass, as training loops do between steps
    layer.train()
    reference = F.dequantize_4bit(layer.weight.data, layer.weight.quant_state).float()
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    layer(x1).sum().backward()
    (x2 @ reference.T).sum().backward()
    assert torch.allclose(x1.grad, x2.grad, atol=1e-4)
