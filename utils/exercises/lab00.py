"""Checks for labs/00_setup.ipynb."""
from __future__ import annotations

import torch

from ..checks import check_cases, exercise


def reference_count_trainable_parameters(model: torch.nn.Module) -> int:
    """The number of trainable numbers in `model`: elements of the parameters that require a gradient."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


NAMES = ["two Linear layers, the first weight frozen", "an Embedding and a Linear, the bias frozen",
         "an Embedding tied to the output Linear"]


def _models() -> list[torch.nn.Module]:
    """Small models whose answers differ by every mistake the hints name (so no constant can pass)."""
    first = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 2))  # 15 + 8 numbers in 4 tensors
    first[0].weight.requires_grad_(False)  # freeze 12 of them: 11 trainable
    second = torch.nn.Sequential(torch.nn.Embedding(10, 5), torch.nn.Linear(5, 7))  # 50 + 42 numbers
    second[1].bias.requires_grad_(False)  # 7 frozen: 85 trainable
    tied = torch.nn.Sequential(torch.nn.Embedding(6, 4), torch.nn.Linear(4, 6, bias=False))
    tied[1].weight = tied[0].weight  # one shared matrix: 24 numbers, counted once
    return [first, second, tied]


@exercise(reference_count_trainable_parameters)
def check_count_trainable_parameters(student) -> str:
    """count_trainable_parameters(model) -> int, the trainable numbers (not tensors) in the model."""
    models = _models()
    names = {id(model): name for model, name in zip(models, NAMES)}
    check_cases(student, [((model,),) for model in models], reference=reference_count_trainable_parameters,
                show=lambda args: f"the test model of {names[id(args[0])]}",
                mistakes=[
                    (lambda m: sum(p.numel() for p in m.parameters()),
                     "You counted every parameter: count only those that require a gradient."),
                    (lambda m: sum(1 for p in m.parameters() if p.requires_grad),
                     "You counted tensors, not numbers: a weight matrix holds many numbers."),
                    (lambda m: sum(p.numel() for p in m.parameters() if not p.requires_grad),
                     "You counted the frozen numbers: count the ones that require a gradient."),
                    (lambda m: sum(p.numel() for p in m.state_dict().values()),
                     "model.state_dict() lists a tied matrix twice and ignores requires_grad: iterate over "
                     "model.parameters()."),
                ])
    return "The reference counts 11, 85 and 24 trainable numbers in the three test models."


def reference_llama_parameter_count(config) -> int:
    """Parameters of a Llama-architecture causal LM (LlamaForCausalLM), read off its config alone."""
    d, layers, ff = config.hidden_size, config.num_hidden_layers, config.intermediate_size
    head_dim = getattr(config, "head_dim", None) or d // config.num_attention_heads
    q_out, kv_out = config.num_attention_heads * head_dim, config.num_key_value_heads * head_dim
    attention = d * q_out + 2 * d * kv_out + q_out * d  # q, k, v, o projections
    if getattr(config, "attention_bias", False):
        attention += q_out + 2 * kv_out + d
    mlp = 3 * d * ff + ((2 * ff + d) if getattr(config, "mlp_bias", False) else 0)  # gate, up, down
    per_layer = attention + mlp + 2 * d  # two RMSNorm weights
    embeddings = config.vocab_size * d
    head = 0 if config.tie_word_embeddings else config.vocab_size * d
    return embeddings + layers * per_layer + d + head  # + the final norm


def _configs():
    from transformers import LlamaConfig

    return [LlamaConfig(vocab_size=100, hidden_size=16, intermediate_size=40, num_hidden_layers=2,
                        num_attention_heads=4, num_key_value_heads=4, tie_word_embeddings=True),
            LlamaConfig(vocab_size=60, hidden_size=24, intermediate_size=32, num_hidden_layers=3,
                        num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=False)]


@exercise(reference_llama_parameter_count)
def check_predict_parameter_count(student) -> str:
    """predict_parameter_count(config) -> int, from the config alone (the check builds the model and counts)."""
    from ..tiny_models import count_parameters, tiny_llama

    configs = _configs()
    measured = [count_parameters(tiny_llama(config=c)) for c in configs]
    assert measured == [reference_llama_parameter_count(c) for c in configs], "reference out of date"
    names = {id(configs[0]): "a tied 2-layer config (d=16, vocabulary 100)",
             id(configs[1]): "an untied 3-layer config with grouped-query attention (d=24, 2 of 4 heads for k/v)"}

    def untied(c):
        return reference_llama_parameter_count(c) + (c.vocab_size * c.hidden_size if c.tie_word_embeddings else 0)

    def full_kv(c):
        head_dim = c.hidden_size // c.num_attention_heads
        return reference_llama_parameter_count(c) + 2 * c.num_hidden_layers * c.hidden_size * (
            c.hidden_size - c.num_key_value_heads * head_dim)

    check_cases(student, [((c,), m) for c, m in zip(configs, measured)], show=lambda args: names[id(args[0])],
                mistakes=[
                    (untied, "A tied output layer *is* the embedding matrix: count it once."),
                    (lambda c: reference_llama_parameter_count(c) - (2 * c.num_hidden_layers + 1) * c.hidden_size,
                     "You left out the normalisation weights: two per layer and one at the end, each of size d."),
                    (full_kv, "With grouped-query attention k and v have num_key_value_heads * head_dim outputs, "
                              "not d."),
                    (lambda c: reference_llama_parameter_count(c) - c.num_hidden_layers * c.hidden_size
                     * c.intermediate_size, "The MLP has three matrices (gate, up, down), not two."),
                ])
    return f"The reference predicts {measured[0]:,} and {measured[1]:,}, and building the models measures the same."
