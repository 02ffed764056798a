"""Unit tests of the shared utils: batching, training loop, evaluation, profiles, checks, results."""
import time

import pytest
import torch

from utils.batching import IGNORE_INDEX, pad_batch, padding_fraction
from utils.evaluation import classification_report, exact_match, generate_batch
from utils.profiles import HubUnavailableError, get_profile, load_decoder
from utils.tiny_models import tiny_llama
from utils.training import TrainConfig, causal_lm_loss, is_causal_lm, length_grouped_batches, library_loss, train


def test_padding_is_masked_by_position_even_when_pad_equals_eos():
    eos = 2
    batch = pad_batch([{"input_ids": [5, 6, eos], "labels": [5, 6, eos]}, {"input_ids": [7], "labels": [7]}],
                      pad_token_id=eos)
    assert batch["input_ids"].tolist() == [[5, 6, eos], [7, eos, eos]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]
    # the real eos of example 0 keeps its label; only the padding of example 1 is ignored
    assert batch["labels"].tolist() == [[5, 6, eos], [7, IGNORE_INDEX, IGNORE_INDEX]]
    assert padding_fraction(batch) == pytest.approx(2 / 6)


def test_left_padding_and_classification_labels():
    batch = pad_batch([{"input_ids": [1, 2], "labels": 0}, {"input_ids": [3], "labels": 2}], 0, padding_side="left")
    assert batch["input_ids"].tolist() == [[1, 2], [0, 3]]
    assert batch["labels"].tolist() == [0, 2]


def test_length_grouping_uses_every_example_once_and_reduces_padding():
    lengths = [1, 50] * 64
    batches = length_grouped_batches(lengths, batch_size=8, seed=0)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert all(len({lengths[i] for i in b}) == 1 for b in batches)


def _toy_lm():
    return tiny_llama(vocab_size=16, seed=0)


def _counting_data(n=64):
    # sequences 1 2 3 ... : the next token is always the previous one + 1, easy to learn
    return [{"input_ids": list(range(1 + i % 5, 9 + i % 5)), "labels": list(range(1 + i % 5, 9 + i % 5))}
            for i in range(n)]


def test_training_loop_learns_and_is_repeatable():
    config = TrainConfig(max_steps=40, batch_size=8, lr=3e-3, eval_every=20, progress=False)
    data = _counting_data()
    first = train(_toy_lm(), data, config, eval_data=data[:16])
    second = train(_toy_lm(), data, config, eval_data=data[:16])
    assert first.eval_loss[-1] < 0.5 * first.train_loss[0]
    assert first.train_loss == second.train_loss  # same seed, same machine: same numbers
    assert first.eval_steps == [20, 40] and len(first.steps) == 40 and first.tokens_seen > 0
    assert "40 steps" in first.summary()


def test_gradient_accumulation_equals_one_big_batch():
    # Every sequence has 8 tokens, so the mean loss over two micro-batches of 4 is the mean over the batch of 8:
    # the same optimizer steps, the same weights. Without accumulation (or counting micro-batches as steps) the
    # weights differ, which the last assert shows.
    data = _counting_data()
    big, accumulated, small = _toy_lm(), _toy_lm(), _toy_lm()
    config = dict(max_steps=3, lr=3e-3, progress=False, group_by_length=False)  # the same order of examples
    big_run = train(big, data, TrainConfig(batch_size=8, **config))
    accumulated_run = train(accumulated, data, TrainConfig(batch_size=4, grad_accum_steps=2, **config))
    small_run = train(small, data, TrainConfig(batch_size=4, **config))
    assert accumulated_run.steps == big_run.steps == [1, 2, 3]
    assert accumulated_run.tokens_seen == big_run.tokens_seen == 2 * small_run.tokens_seen
    for a, b in zip(accumulated.parameters(), big.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    assert any(not torch.allclose(a, c, atol=1e-5) for a, c in zip(accumulated.parameters(), small.parameters()))


def _masked_prompt_batch():
    """Three rows of different lengths (right-padded), each with a prompt that carries no loss."""
    examples = []
    for prompt_len, answer_len in [(5, 2), (3, 4), (7, 1)]:
        ids = [(3 * i + prompt_len) % 40 + 2 for i in range(prompt_len + answer_len)]
        examples.append({"input_ids": ids, "labels": [IGNORE_INDEX] * prompt_len + ids[prompt_len:]})
    return pad_batch(examples, pad_token_id=0)


@pytest.mark.parametrize("wrapped", [False, True], ids=["plain", "lora"])
def test_causal_lm_loss_equals_the_library_loss_and_its_gradients(wrapped):
    # The training loop's loss asks for logits only where a label needs them; the number it returns, and the
    # gradients it sends back, must be the library's own (`model(**batch).loss`), for a PEFT-wrapped model too.
    from peft import LoraConfig, get_peft_model

    batch = _masked_prompt_batch()
    keep = (batch["labels"][:, 1:] != IGNORE_INDEX).any(0)
    assert 0 < keep.sum() < keep.numel()  # some positions are skipped, or the test would prove nothing
    grads = []
    for loss_fn in (library_loss, causal_lm_loss):
        model = tiny_llama(vocab_size=48, hidden_size=32, layers=2, seed=3).train()
        if wrapped:
            model = get_peft_model(model, LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False))
        assert is_causal_lm(model)
        loss = loss_fn(model, batch)
        loss.backward()
        grads.append((loss.detach(), [p.grad.clone() for p in model.parameters() if p.requires_grad]))
    (library, library_grads), (ours, our_grads) = grads
    torch.testing.assert_close(ours, library, rtol=1e-5, atol=1e-6)
    for a, b in zip(our_grads, library_grads):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)
    unmasked = _masked_prompt_batch()
    unmasked["labels"] = unmasked["input_ids"].clone()  # a different loss: the test can tell losses apart
    same_model = tiny_llama(vocab_size=48, hidden_size=32, layers=2, seed=3)
    assert not torch.isclose(causal_lm_loss(same_model, unmasked), library_loss(same_model, _masked_prompt_batch()))


def test_only_causal_lms_get_the_selective_loss():
    from utils.tiny_models import tiny_bert

    assert not is_causal_lm(tiny_bert(num_labels=3)) and not is_causal_lm(tiny_bert())
    assert is_causal_lm(tiny_llama())
    batch = _masked_prompt_batch()
    with pytest.raises(ValueError, match="per-token `labels`"):
        causal_lm_loss(tiny_llama(), {**batch, "labels": torch.tensor([0, 1, 2])})  # one label per row


def test_training_on_nothing_is_an_error():
    with pytest.raises(ValueError, match="empty"):
        train(_toy_lm(), [], TrainConfig(progress=False))


def test_classification_report():
    report_ = classification_report(["a", "b", "b", "c"], ["a", "b", "c", "c"], labels=["a", "b", "c"])
    assert report_["accuracy"] == 0.75
    assert report_["macro_f1"] == pytest.approx((1 + 2 / 3 + 2 / 3) / 3)
    assert report_["confusion"].tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]


def test_exact_match_ignores_case_and_spaces():
    assert exact_match([" Blue", "red "], ["blue", "green"]) == 0.5
    with pytest.raises(ValueError):
        exact_match(["a"], ["a", "b"])


def test_generate_batch_left_pads_and_strips_the_prompt():
    class Tok:
        pad_token_id, eos_token_id = 0, 15
        def encode(self, text, add_special_tokens=False):
            return [int(t) for t in text.split()]
        def batch_decode(self, rows, skip_special_tokens=True):
            return [" ".join(str(t) for t in row.tolist() if t not in (0, 15)) for row in rows]
    model = _toy_lm()
    train(model, _counting_data(), TrainConfig(max_steps=60, batch_size=8, lr=3e-3, progress=False))
    out = generate_batch(model, Tok(), ["1 2 3", "4 5 6 7"], max_new_tokens=2, stop_token_ids=[15])
    assert out == ["4 5", "8 9"]


def test_unknown_profile_says_what_to_choose():
    with pytest.raises(ValueError, match="offline, hub"):
        get_profile("gpu")


def test_offline_profile_loads_local_models():
    model, tokenizer = load_decoder("offline")
    assert model.config.vocab_size >= len(tokenizer)


def test_hub_profile_without_network_fails_fast_with_advice(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", "/nonexistent-hf-home")
    start = time.perf_counter()
    with pytest.raises(HubUnavailableError, match="PROFILE = 'offline'"):
        load_decoder("hub")
    assert time.perf_counter() - start < 10


def test_record_results(tmp_path, monkeypatch):
    import json
    from utils import paths
    from utils.results import record_results
    monkeypatch.setattr(paths, "repo_root", lambda: tmp_path)
    record_results("99_x", accuracy=0.51234567, model="tiny")
    assert json.loads((tmp_path / "outputs/results/99_x.json").read_text()) == {"accuracy": 0.5123, "model": "tiny"}
    with pytest.raises(TypeError):
        record_results("99_x", table=[1, 2])


def test_bf16_only_on_gpus_with_native_support(monkeypatch):
    from utils.device import mixed_precision_for
    assert mixed_precision_for(torch.device("cpu")) == "no"  # bf16 autocast is slower than fp32 on CPUs
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (7, 5))  # a T4
    assert mixed_precision_for(torch.device("cuda")) == "no"
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (9, 0))  # an H100 / H200
    assert mixed_precision_for(torch.device("cuda")) == "bf16"


def test_outputs_dir_keeps_lab_runs_apart_and_follows_itl_outputs(tmp_path, monkeypatch):
    from utils import paths
    from utils.results import record_results
    monkeypatch.setattr(paths, "repo_root", lambda: tmp_path)
    monkeypatch.delenv("ITL_OUTPUTS", raising=False)
    (tmp_path / "labs").mkdir()
    monkeypatch.chdir(tmp_path / "labs")  # Jupyter and nbval run a notebook in its own folder
    assert paths.outputs_dir("02_encoder") == tmp_path / "outputs" / "labs" / "02_encoder"
    record_results("99_x", accuracy=0.5)
    assert (tmp_path / "outputs/labs/results/99_x.json").is_file()
    monkeypatch.chdir(tmp_path)
    assert paths.outputs_dir("02_encoder") == tmp_path / "outputs" / "02_encoder"
    monkeypatch.setenv("ITL_OUTPUTS", str(tmp_path / "elsewhere"))
    assert paths.outputs_dir("x") == tmp_path / "elsewhere" / "x" and (tmp_path / "elsewhere" / "x").is_dir()


def test_mean_interval_is_the_student_t_interval():
    import numpy as np
    from scipy import stats
    from utils.stats import mean_interval, seeds_summary
    for values in ([0.61, 0.70, 0.66], [1.0, 2.0], [0.2, 0.25, 0.3, 0.22, 0.27]):
        mean, low, high = mean_interval(values)
        expected = stats.t.interval(0.95, len(values) - 1, loc=np.mean(values), scale=stats.sem(values))
        assert np.allclose([low, high], expected, atol=1e-3) and np.isclose(mean, np.mean(values))
    assert seeds_summary(iter([0.5, 0.7, 0.6])).endswith("over 3 seeds: 0.500, 0.700, 0.600")
    with pytest.raises(ValueError, match="between 2 and 10 runs"):
        mean_interval([0.5])


def test_paired_difference_judges_the_seed_by_seed_gap_not_the_two_arms_apart():
    from utils.stats import mean_interval, paired_difference
    # Both arms vary a lot from seed to seed, but the first is ahead by about 0.05 in every seed: the arms' own
    # intervals overlap, the paired difference resolves it.
    first, second = [0.62, 0.81, 0.70], [0.565, 0.763, 0.645]
    assert mean_interval(first)[1] < mean_interval(second)[2]
    gap = paired_difference(first, second)
    assert gap.differences == pytest.approx((0.055, 0.047, 0.055))
    assert (gap.mean, gap.low, gap.high) == pytest.approx(mean_interval([0.055, 0.047, 0.055]))
    assert gap.sign == 1 and gap.resolved and gap.verdict("pretrained", "random init", "better") == "pretrained better"
    assert paired_difference(second, first).verdict("a", "b", higher="") == "b"
    noisy = paired_difference([0.5, 0.7, 0.6], [0.6, 0.5, 0.62])
    assert noisy.sign == 0 and not noisy.resolved and noisy.verdict("a", "b").startswith("no difference shown")
    assert str(gap).endswith("over 3 seeds: +0.055, +0.047, +0.055") and gap.format(".2f").count("[") == 1
    with pytest.raises(ValueError, match="one figure per seed on both sides"):
        paired_difference([0.5, 0.6, 0.7], [0.5, 0.6])


def test_train_select_by_keeps_the_best_scoring_step():
    from utils.tiny_models import tiny_bert
    from utils.training import TrainConfig, train
    torch.manual_seed(0)
    model = tiny_bert(num_labels=2)
    data = [{"input_ids": [2, 5 + i % 7, 9, 3], "labels": i % 2} for i in range(32)]
    snapshots = {}

    def score(m):  # a score that peaks at step 4, so the model must end with the step-4 weights, not the last ones
        step = len(snapshots) * 2 + 2
        snapshots[step] = {k: v.detach().clone() for k, v in m.state_dict().items()}
        return -abs(step - 4)

    result = train(model, data, TrainConfig(max_steps=8, batch_size=8, eval_every=2, progress=False), select_by=score)
    assert result.select_steps == [2, 4, 6, 8] and result.select_scores == [-2, 0, -2, -4]
    assert result.best_step == 4
    assert all(torch.equal(v, snapshots[4][k]) for k, v in model.state_dict().items())
    assert not all(torch.equal(v, snapshots[8][k]) for k, v in model.state_dict().items())
