"""Lab 00: the exercise check rejects plausible wrong answers, each with the hint that names the mistake."""
import pytest

from notebook_cells import assert_accepts, assert_rejects
from utils.exercises.lab00 import check_count_trainable_parameters as check


pytestmark = pytest.mark.usefixtures("student_mode")  # a rejected answer prints, as for a student


def test_count_trainable_parameters_accepts_a_different_correct_implementation(capsys):
    def by_hand(model):
        total = 0
        for parameter in model.parameters():
            if parameter.requires_grad:
                total += parameter.numel()
        return total
    assert_accepts(check, by_hand, capsys)


@pytest.mark.parametrize("wrong, hint", [
    (lambda model: sum(p.numel() for p in model.parameters()), "count only those that require a gradient"),
    (lambda model: sum(1 for p in model.parameters() if p.requires_grad), "You counted tensors"),
    (lambda model: sum(v.numel() for k, v in model.state_dict().items() if model.get_parameter(k).requires_grad),
     "lists a tied matrix twice"),
    (lambda model: 11, "the reference returns 85"),  # the first test model's answer, hard-coded
    (lambda model: float(sum(p.numel() for p in model.parameters() if p.requires_grad)) + 0.5, "returns 11"),
])
def test_count_trainable_parameters_rejects(wrong, hint, capsys):
    assert_rejects(check, wrong, hint, capsys)


def _right(config):
    from utils.exercises.lab00 import reference_llama_parameter_count
    return reference_llama_parameter_count(config)


def test_predict_parameter_count_accepts_counting_a_built_model(capsys):
    from transformers import LlamaForCausalLM

    from utils.exercises.lab00 import check_predict_parameter_count as check_count

    assert_accepts(check_count, lambda config: LlamaForCausalLM(config).num_parameters(), capsys)


@pytest.mark.parametrize("wrong, hint", [
    (lambda c: _right(c) + (c.vocab_size * c.hidden_size if c.tie_word_embeddings else 0), "count it once"),
    (lambda c: _right(c) - (2 * c.num_hidden_layers + 1) * c.hidden_size, "normalisation weights"),
    (lambda c: _right(c) + 2 * c.num_hidden_layers * c.hidden_size * (
        c.hidden_size - c.num_key_value_heads * (c.hidden_size // c.num_attention_heads)), "grouped-query"),
    (lambda c: _right(c) - c.num_hidden_layers * c.hidden_size * c.intermediate_size, "three matrices"),
    (lambda c: 7568, "the reference returns 15144"),  # the first config's answer, hard-coded
])
def test_predict_parameter_count_rejects(wrong, hint, capsys):
    from utils.exercises.lab00 import check_predict_parameter_count as check_count

    assert_rejects(check_count, wrong, hint, capsys)
