"""The one tiny-model factory: small random models for exercise checks and tests (never for the labs' results).

Seeded, so two calls give the same weights; `config=` takes a full config, otherwise the keyword arguments change
the defaults. Nothing stops `generate` early (no eos/bos/pad) unless you pass those ids.
"""
from __future__ import annotations

import torch


def count_parameters(model: torch.nn.Module) -> int:
    """Every number in the model, a tied matrix once (what `model.num_parameters()` counts)."""
    return sum(p.numel() for p in model.parameters())


def tiny_llama(vocab_size: int = 48, hidden_size: int = 32, layers: int = 1, seed: int = 0, config=None, **kwargs):
    """A LlamaForCausalLM with random weights, in eval mode."""
    from transformers import LlamaConfig, LlamaForCausalLM

    if config is None:
        settings = dict(vocab_size=vocab_size, hidden_size=hidden_size, intermediate_size=2 * hidden_size,
                        num_hidden_layers=layers, num_attention_heads=2, num_key_value_heads=2,
                        max_position_embeddings=256, bos_token_id=None, eos_token_id=None, pad_token_id=None)
        config = LlamaConfig(**{**settings, **kwargs})
    torch.manual_seed(seed)
    return LlamaForCausalLM(config).eval()


def tiny_bert(vocab_size: int = 64, hidden_size: int = 16, layers: int = 1, seed: int = 0, num_labels: int | None = None,
              **kwargs):
    """A BertForMaskedLM (or BertForSequenceClassification with `num_labels`) with random weights, in eval mode."""
    from transformers import BertConfig, BertForMaskedLM, BertForSequenceClassification

    config = BertConfig(**{**dict(vocab_size=vocab_size, hidden_size=hidden_size, num_hidden_layers=layers,
                                  num_attention_heads=2, intermediate_size=2 * hidden_size,
                                  max_position_embeddings=128), **kwargs})
    torch.manual_seed(seed)
    if num_labels is not None:
        config.num_labels = num_labels
        return BertForSequenceClassification(config).eval()
    return BertForMaskedLM(config).eval()
