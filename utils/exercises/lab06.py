"""Checks for labs/06_peft_lora_qlora.ipynb."""
from __future__ import annotations

import torch

from ..checks import attempt, report


def _lora_inputs(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(5, 6, generator=g)
    weight, bias = torch.randn(4, 6, generator=g), torch.randn(4, generator=g)
    A, B = torch.randn(2, 6, generator=g), torch.randn(4, 2, generator=g)  # r = 2; B non-zero, as after training
    return x, weight, bias, A, B


def check_lora_forward(lora_forward) -> bool:
    """y = x W^T + b + (alpha / r) * x A^T B^T, for a batch of row vectors x."""
    name = "lora_forward"
    x, weight, bias, A, B = _lora_inputs()
    alpha, r = 8, 2
    ok, answer = attempt(name, lora_forward, x, weight, bias, A, B, alpha, r)
    if not ok:
        return False
    if not isinstance(answer, torch.Tensor):
        return report(name, False, f"Return a tensor, not a {type(answer).__name__}.")
    base = x @ weight.T + bias
    update = x @ A.T @ B.T
    if answer.shape != base.shape:
        return report(name, False, f"For x of shape {tuple(x.shape)} and W of shape {tuple(weight.shape)} the "
                                   f"output has shape {tuple(base.shape)}, yours {tuple(answer.shape)}.")
    if torch.allclose(answer, base + (alpha / r) * update, atol=1e-5):
        x0, w0, b0, A0, _ = _lora_inputs(1)
        ok, zero = attempt(name, lora_forward, x0, w0, b0, A0, torch.zeros(4, 2), 16, 4)
        if not ok:
            return False
        return report(name, torch.allclose(zero, x0 @ w0.T + b0, atol=1e-5),
                      "With B = 0 the layer must equal the base layer exactly.")
    if torch.allclose(answer, base + update, atol=1e-5):
        return report(name, False, "Scale the low-rank update by alpha / r.")
    if torch.allclose(answer, base + (r / alpha) * update, atol=1e-5):
        return report(name, False, "The scale is alpha / r, not r / alpha.")
    if torch.allclose(answer, (alpha / r) * update, atol=1e-5) or torch.allclose(answer, x @ weight.T + (alpha / r) * update, atol=1e-5):
        return report(name, False, "Keep the frozen base layer: y = x W^T + b + (alpha / r) x A^T B^T "
                                   "(did you forget W or the bias?).")
    return report(name, False, "Expected x @ weight.T + bias + (alpha / r) * (x @ A.T @ B.T); A has shape (r, in), "
                               "B has shape (out, r).")


def check_lora_parameter_count(lora_parameter_count) -> bool:
    """Each adapted (out, in) layer adds A (r x in) and B (out x r): r * (in + out) parameters."""
    name = "lora_parameter_count"
    shapes = [(192, 192), (512, 192), (192, 512)]
    ok, answer = attempt(name, lora_parameter_count, shapes, 8)
    if not ok:
        return False
    expected = sum(8 * (o + i) for o, i in shapes)
    if answer == expected:
        ok, answer = attempt(name, lora_parameter_count, [(10, 3)], 2)
        return ok and report(name, answer == 26, f"For one (10, 3) layer and r=2 expected 26, got {answer!r}.")
    if answer == sum(o * i for o, i in shapes):
        return report(name, False, "That is the size of the full weight matrices; LoRA trains A (r x in) and "
                                   "B (out x r) instead.")
    if answer == sum(8 * o * i for o, i in shapes):
        return report(name, False, "A is r x in and B is out x r: add their sizes, r*in + out*r.")
    if answer in (sum(8 * i for _, i in shapes), sum(8 * o for o, _ in shapes)):
        return report(name, False, "Count both matrices, A (r x in) and B (out x r).")
    if answer == 2 * expected:
        return report(name, False, "Each layer has one A and one B: r * (in + out), not twice that.")
    return report(name, False, f"Expected {expected} for shapes {shapes} and r=8, got {answer!r}.")


def _tiny_llama():
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=2, tie_word_embeddings=False)
    torch.manual_seed(0)
    return LlamaForCausalLM(config)


def _tiny_bert():
    from transformers import BertConfig, BertForMaskedLM

    config = BertConfig(vocab_size=64, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32)
    torch.manual_seed(0)
    return BertForMaskedLM(config)


def check_find_target_modules(find_target_modules) -> bool:
    """The distinct last names of the nn.Linear layers, without the model's output layer, sorted."""
    name = "find_target_modules"
    llama = _tiny_llama()
    ok, answer = attempt(name, find_target_modules, llama)
    if not ok:
        return False
    expected = ["down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj"]
    if not isinstance(answer, list):
        return report(name, False, f"Return a sorted list of strings, not a {type(answer).__name__}.")
    if "lm_head" in answer:
        return report(name, False, "Leave out the output layer (`model.get_output_embeddings()`, here lm_head): "
                                   "it is as large as the vocabulary and is usually not adapted.")
    if any("." in str(n) for n in answer):
        return report(name, False, "Return the last part of each name ('q_proj'), not the full path "
                                   "('model.layers.0.self_attn.q_proj'): peft matches names by their ending.")
    if "embed_tokens" in answer:
        return report(name, False, "Keep only torch.nn.Linear layers (isinstance(module, torch.nn.Linear)).")
    if sorted(set(answer)) == expected and answer != expected:
        return report(name, False, "Return each name once, sorted.")
    if answer != expected:
        return report(name, False, f"For a Llama model expected {expected}, got {answer}.")
    ok, answer = attempt(name, find_target_modules, _tiny_bert())
    expected = ["dense", "key", "query", "value"]
    return ok and report(name, answer == expected,
                         f"For a BERT masked-LM model (its output layer is `cls.predictions.decoder`) expected "
                         f"{expected}, got {answer}: find the output layer with `model.get_output_embeddings()` "
                         "rather than by the name 'lm_head'.")
