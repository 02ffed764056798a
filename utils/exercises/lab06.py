"""Checks for labs/06_peft_lora_qlora.ipynb."""
from __future__ import annotations

import torch

from ..checks import check_cases, exercise


def reference_lora_forward(x, weight, bias, A, B, alpha, r):
    """The LoRA layer for a batch of row vectors x (batch, in): the frozen layer plus (alpha / r) * B A x."""
    return x @ weight.T + bias + (alpha / r) * (x @ A.T @ B.T)


def _lora_inputs(seed: int, batch: int, d_in: int, d_out: int, r: int, zero_b: bool = False):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, d_in, generator=g)
    weight, bias = torch.randn(d_out, d_in, generator=g), torch.randn(d_out, generator=g)
    A = torch.randn(r, d_in, generator=g)
    B = torch.zeros(d_out, r) if zero_b else torch.randn(d_out, r, generator=g)  # non-zero, as after training
    return x, weight, bias, A, B


def _scaled(scale):
    return lambda x, w, b, A, B, alpha, r: x @ w.T + b + scale(alpha, r) * (x @ A.T @ B.T)


@exercise(reference_lora_forward)
def check_lora_forward(student) -> str:
    """lora_forward(x, weight, bias, A, B, alpha, r) -> (batch, out) tensor."""
    cases = [(_lora_inputs(0, 5, 6, 4, 2) + (8, 2),), (_lora_inputs(1, 3, 7, 5, 4, zero_b=True) + (16, 4),),
             (_lora_inputs(2, 2, 3, 6, 3) + (6, 3),)]
    names = {0: "a trained adapter (r=2, alpha=8)", 1: "a fresh adapter, B = 0 (r=4, alpha=16)",
             2: "r=3, alpha=6"}
    ids = {id(case[0][0]): i for i, case in enumerate(cases)}
    check_cases(student, cases, reference=reference_lora_forward, rel_tol=1e-5,
                show=lambda args: f"{names[ids[id(args[0])]]}, x of shape {tuple(args[0].shape)} and W of shape "
                                  f"{tuple(args[1].shape)}",
                mistakes=[
                    (_scaled(lambda alpha, r: 1), "Scale the low-rank update by alpha / r."),
                    (_scaled(lambda alpha, r: r / alpha), "The scale is alpha / r, not r / alpha."),
                    (_scaled(lambda alpha, r: alpha), "The scale is alpha / r: you left out the division by r."),
                    (lambda x, w, b, A, B, alpha, r: (alpha / r) * (x @ A.T @ B.T),
                     "Keep the frozen base layer: the update is added to x W^T + b, it does not replace it."),
                    (lambda x, w, b, A, B, alpha, r: x @ w.T + (alpha / r) * (x @ A.T @ B.T),
                     "You left out the base layer's bias."),
                    (lambda x, w, b, A, B, alpha, r: x @ w.T + b + (alpha / r) * (x @ B @ A),
                     "x is a batch of ROW vectors: the update is x A^T B^T (A is (r, in), B is (out, r))."),
                ])
    return "With B = 0 the reference equals the base layer exactly, as at initialisation."


def reference_lora_parameter_count(layer_shapes, r):
    """Trainable LoRA parameters for adapted layers given as (out_features, in_features): A (r, in) and B (out, r)
    per layer."""
    return sum(r * (in_features + out_features) for out_features, in_features in layer_shapes)


_SHAPES = [([(192, 192), (512, 192), (192, 512)], 8), ([(10, 3)], 2), ([(48, 64), (64, 48), (64, 64), (128, 64)], 4)]


@exercise(reference_lora_parameter_count)
def check_lora_parameter_count(student) -> str:
    """lora_parameter_count(layer_shapes, r) -> int."""
    check_cases(student, [(case,) for case in _SHAPES], reference=reference_lora_parameter_count,
                show=lambda args: f"layers {args[0]} with r={args[1]}",
                mistakes=[
                    (lambda shapes, r: sum(o * i for o, i in shapes),
                     "That is the size of the full weight matrices; LoRA trains A (r x in) and B (out x r) instead."),
                    (lambda shapes, r: sum(r * o * i for o, i in shapes),
                     "A is r x in and B is out x r: add their sizes, do not multiply them."),
                    (lambda shapes, r: sum(r * i for _, i in shapes), "Count both matrices: you counted only A."),
                    (lambda shapes, r: sum(r * o for o, _ in shapes), "Count both matrices: you counted only B."),
                    (lambda shapes, r: 2 * sum(r * (o + i) for o, i in shapes),
                     "Each layer has one A and one B, not two of each."),
                    (lambda shapes, r: sum(8 * (o + i) for o, i in shapes), "Use the rank r you are given."),
                    (lambda shapes, r: sum(r * (o + i) + o for o, i in shapes),
                     "LoRA adds no bias: the base layer's bias stays frozen."),
                ])
    return f"The reference counts {reference_lora_parameter_count(*_SHAPES[0]):,} for the first example."


def reference_find_target_modules(model):
    """Sorted distinct last names of the model's nn.Linear modules, without its output layer."""
    output_layer = model.get_output_embeddings()
    names = {name.split(".")[-1] for name, module in model.named_modules()
             if isinstance(module, torch.nn.Linear) and module is not output_layer}
    return sorted(names)


class _Block(torch.nn.Module):
    def __init__(self, d: int):
        super().__init__()
        self.norm = torch.nn.LayerNorm(d)
        self.mixer = torch.nn.Linear(d, d)
        self.gate = torch.nn.Linear(d, 2 * d)
        self.head = torch.nn.Linear(2 * d, d)  # a projection inside a block that happens to be called "head"


class _ToyLM(torch.nn.Module):
    """A language model whose layers have none of Llama's or BERT's names; its output layer is `readout`."""

    def __init__(self, vocab: int = 12, d: int = 8):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, d)
        self.blocks = torch.nn.ModuleList([_Block(d), _Block(d)])
        self.readout = torch.nn.Linear(d, vocab, bias=False)

    def get_output_embeddings(self):
        return self.readout


def _models():
    from ..tiny_models import tiny_bert

    torch.manual_seed(0)
    return [tiny_bert(), _ToyLM()]


_LLAMA = ["down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj"]


@exercise(reference_find_target_modules)
def check_find_target_modules(student) -> str:
    """find_target_modules(model) -> sorted list of last names, on models whose names differ from the lab's."""
    models = _models()
    names = {id(models[0]): "a BERT masked-LM model (its output layer is cls.predictions.decoder)",
             id(models[1]): "a toy model with layers called mixer, gate and head and an output layer called readout"}

    def linear_names(model, keep):
        return sorted({n.split(".")[-1] for n, m in model.named_modules() if keep(n, m)})

    linear = torch.nn.Linear
    check_cases(student, [((model,),) for model in models], reference=reference_find_target_modules,
                show=lambda args: names[id(args[0])],
                mistakes=[
                    (lambda m: linear_names(m, lambda n, x: isinstance(x, linear)),
                     "Leave out the output layer, as large as the vocabulary and usually not adapted: find it with "
                     "model.get_output_embeddings(), not by the name 'lm_head' (other models call it differently)."),
                    (lambda m: linear_names(m, lambda n, x: isinstance(x, linear) and "head" not in n
                                            and "decoder" not in n),
                     "Find the output layer with model.get_output_embeddings() and compare modules, not names: a "
                     "layer inside a block may be called 'head' too."),
                    (lambda m: sorted(n for n, x in m.named_modules()
                                      if isinstance(x, linear) and x is not m.get_output_embeddings()),
                     "Return the last part of each name ('q_proj'), not the full path "
                     "('model.layers.0.self_attn.q_proj'): peft matches names by their ending."),
                    (lambda m: [n.split(".")[-1] for n, x in m.named_modules()
                                if isinstance(x, linear) and x is not m.get_output_embeddings()],
                     "Return each name once, sorted."),
                    (lambda m: linear_names(m, lambda n, x: hasattr(x, "weight") and n
                                            and x is not m.get_output_embeddings()),
                     "Keep only torch.nn.Linear modules: embeddings and norms have weights too."),
                    (lambda m: _LLAMA, "Those are the Llama decoder's names: read them off the model you are given."),
                ])
    return "The reference finds ['dense', 'key', 'query', 'value'] in BERT and ['gate', 'head', 'mixer'] in the toy."


def reference_predict_training_memory(frozen_params, trainable_params):
    """Bytes an fp32 training step with AdamW keeps for the weights, the gradients and the optimizer state."""
    return {"weights": 4 * (frozen_params + trainable_params), "gradients": 4 * trainable_params,
            "optimizer state": 8 * trainable_params}


def _memory_with(**changes):
    def predict(frozen, trainable):
        right = reference_predict_training_memory(frozen, trainable)
        return {**right, **{key: change(frozen, trainable) for key, change in changes.items()}}
    return predict


_MEMORY = [(0, 1_000), (5_000, 80), (123_456, 789)]


@exercise(reference_predict_training_memory)
def check_predict_training_memory(student) -> str:
    """predict_training_memory(frozen_params, trainable_params) -> {weights, gradients, optimizer state} in bytes."""
    check_cases(student, [(case,) for case in _MEMORY], reference=reference_predict_training_memory,
                show=lambda args: f"{args[0]:,} frozen and {args[1]:,} trainable parameters",
                mistakes=[
                    (_memory_with(**{"optimizer state": lambda f, t: 4 * t}),
                     "AdamW keeps TWO running averages per trainable parameter (the mean and the mean square)."),
                    (_memory_with(gradients=lambda f, t: 4 * (f + t)),
                     "Frozen parameters get no gradient: only the trainable ones do."),
                    (_memory_with(**{"optimizer state": lambda f, t: 8 * (f + t)}),
                     "The optimizer keeps state only for the parameters it updates, the trainable ones."),
                    (_memory_with(weights=lambda f, t: 4 * f),
                     "The weights are all of them, frozen and trainable: the adapter lives in memory too."),
                    (lambda f, t: {k: 8 * v for k, v in reference_predict_training_memory(f, t).items()},
                     "Count bytes, not bits: an fp32 number takes 4 bytes."),
                    (lambda f, t: {k: v // 2 for k, v in reference_predict_training_memory(f, t).items()},
                     "These are fp32 numbers: 4 bytes each, not 2."),
                ])
    return f"The reference predicts {reference_predict_training_memory(*_MEMORY[1])} for the second example."
