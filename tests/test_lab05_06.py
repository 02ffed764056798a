"""Extra checks for labs 05 (in-context learning vs fine-tuning) and 06 (LoRA / QLoRA).

- both notebooks keep the shape every lab has (header, setup cell, parameter cell, check-your-understanding, results);
- the exercise checks recognise the common mistakes they promise hints for;
- the bitsandbytes workaround lab 06 relies on keeps gradients flowing through 4-bit layers on the CPU.
"""
import importlib.util

import nbformat
import pytest
import torch

from notebook_cells import ROOT

NOTEBOOKS = ["05_icl_vs_finetuning.ipynb", "06_peft_lora_qlora.ipynb"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_has_the_lab_shape(name):
    nb = nbformat.read(ROOT / "solutions" / name, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown"
    for word in ("**Objectives.**", "**Prerequisites.**", "**Time:**", "colab-badge"):
        assert word in first.source, f"{name}: first cell lacks {word}"
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    setup = (ROOT / "tools" / "setup_cell.py").read_text().rstrip("\n")
    assert code_cells[0].source == setup
    assert code_cells[1].source.startswith('PROFILE = os.environ.get("ITL_PROFILE", "offline")')
    assert "## Check your understanding" in nb.cells[-2].source
    assert "<!-- BEGIN SOLUTION -->" in nb.cells[-2].source
    assert code_cells[-1].source.lstrip().startswith("seconds = time.perf_counter() - notebook_start")
    assert f'record_results(\n    "{name[:-6]}"' in code_cells[-1].source
    assert not any(c.outputs for c in code_cells), "solutions are committed without outputs"


def _quiet(monkeypatch):
    monkeypatch.delenv("ITL_STRICT_CHECKS", raising=False)


def test_lab05_prompt_check_hints(monkeypatch, capsys):
    _quiet(monkeypatch)
    from utils.exercises.lab05 import check_build_k_shot_prompt

    def trailing_space(demos, query, k, template="Note: {text}\nSeverity:"):
        blocks = [template.format(text=t) + " " + label for t, label in demos[:k]]
        return "\n\n".join(blocks + [template.format(text=query)]) + " "

    def off_by_one(demos, query, k, template="Note: {text}\nSeverity:"):
        blocks = [template.format(text=t) + " " + label for t, label in demos[: k + 1]]
        return "\n\n".join(blocks + [template.format(text=query)])

    assert check_build_k_shot_prompt(trailing_space) is False
    assert "no space or newline" in capsys.readouterr().out
    assert check_build_k_shot_prompt(off_by_one) is False
    assert "demonstrations and the query" in capsys.readouterr().out


def test_lab05_score_check_hints(monkeypatch, capsys):
    _quiet(monkeypatch)
    from utils.exercises.lab05 import check_score_label_words

    def first_position(model, tokenizer, prompt, label_words):
        ids = tokenizer(prompt, return_tensors="pt").input_ids
        with torch.no_grad():
            logits = model(input_ids=ids).logits[0, 0]
        return logits[[tokenizer.encode(w, add_special_tokens=False)[0] for w in label_words]]

    def probabilities(model, tokenizer, prompt, label_words):
        ids = tokenizer(prompt, return_tensors="pt").input_ids
        with torch.no_grad():
            logits = model(input_ids=ids).logits[0, -1].softmax(-1)
        return logits[[tokenizer.encode(w, add_special_tokens=False)[0] for w in label_words]]

    assert check_score_label_words(first_position) is False
    assert "LAST position" in capsys.readouterr().out
    assert check_score_label_words(probabilities) is False
    assert "raw logits" in capsys.readouterr().out


def test_lab05_table_row_hints(monkeypatch, capsys):
    _quiet(monkeypatch)
    from utils.exercises.lab05 import check_table_row

    def total_time(approach, predictions, gold, prompt_lengths, inference_seconds, trainable_params, train_seconds):
        return {"approach": approach, "accuracy": sum(p == g for p, g in zip(predictions, gold)) / len(gold),
                "trainable_params": trainable_params, "train_seconds": train_seconds,
                "prompt_tokens_per_query": sum(prompt_lengths) / len(prompt_lengths),
                "ms_per_query": 1000 * inference_seconds}

    assert check_table_row(total_time) is False
    assert "ONE query" in capsys.readouterr().out


def test_lab06_check_hints(monkeypatch, capsys):
    _quiet(monkeypatch)
    from utils.exercises.lab06 import check_find_target_modules, check_lora_forward, check_lora_parameter_count

    assert check_lora_forward(lambda x, w, b, A, B, alpha, r: x @ w.T + b + x @ A.T @ B.T) is False
    assert "alpha / r" in capsys.readouterr().out
    assert check_lora_parameter_count(lambda shapes, r: sum(o * i for o, i in shapes)) is False
    assert "full weight matrices" in capsys.readouterr().out

    def with_lm_head(model):
        return sorted({n.split(".")[-1] for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)})

    def full_names(model):
        out = model.get_output_embeddings()
        return sorted(n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear) and m is not out)

    def by_name(model):
        return sorted({n.split(".")[-1] for n, m in model.named_modules()
                       if isinstance(m, torch.nn.Linear) and not n.endswith("lm_head")})

    assert check_find_target_modules(with_lm_head) is False
    assert "output layer" in capsys.readouterr().out
    assert check_find_target_modules(full_names) is False
    assert "last part" in capsys.readouterr().out
    assert check_find_target_modules(by_name) is False
    assert "get_output_embeddings" in capsys.readouterr().out


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
