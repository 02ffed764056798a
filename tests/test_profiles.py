"""utils.profiles with other model families: overrides, pad tokens, BOS conventions, chat tokens, the step cap, and
claims that are asserted only where they can hold. Uses the stand-ins of tools/build_standins.py (conftest)."""
import pytest
import torch

from utils.chat import EOT, add_chat_tokens, render_conversation
from utils.evaluation import generate_batch
from utils.profiles import ClaimFailed, claim, ensure_pad_token, get_profile, load_decoder, stand_in_of
from utils.sft import prompt_ids, tokenize_sft_example
from utils.training import capped_steps

RECORD = {"instruction": "Put the words in the opposite order.", "input": "happy fish", "output": "fish happy"}


@pytest.fixture
def hub_with(monkeypatch, standins):
    """The hub profile with its decoder replaced by a stand-in, as ITL_DECODER does."""
    def use(decoder: str):
        monkeypatch.setenv("ITL_DECODER", str(standins / decoder))
        monkeypatch.setenv("ITL_INSTRUCT_DECODER", str(standins / "SmolLM2-135M-Instruct"))
        return get_profile("hub")
    return use


def test_overrides_replace_the_model_names_and_say_so(monkeypatch, standins):
    monkeypatch.setenv("ITL_ENCODER", "distilbert/distilbert-base-uncased")
    monkeypatch.setenv("ITL_DECODER", str(standins / "Qwen2.5-0.5B"))
    profile = get_profile("hub")
    assert profile.encoder == "distilbert/distilbert-base-uncased"  # not a folder here: a Hub id, kept as is
    assert profile.decoder == str((standins / "Qwen2.5-0.5B").resolve())
    assert profile.instruct_decoder == "HuggingFaceTB/SmolLM2-135M-Instruct"  # not overridden
    assert "ITL_DECODER=" in profile.description and "ITL_ENCODER=" in profile.description


def test_a_relative_override_folder_is_found_from_the_repo_root(monkeypatch):
    monkeypatch.setenv("ITL_DECODER", "models/tiny-decoder")
    monkeypatch.chdir("/")
    assert get_profile("hub").decoder.endswith("/models/tiny-decoder")


@pytest.mark.parametrize("family", ["SmolLM2-135M", "Llama-3.2-1B"])
def test_a_decoder_without_pad_token_gets_a_distinct_one_and_a_matching_embedding_row(family, hub_with):
    model, tokenizer = load_decoder(hub_with(family))
    assert tokenizer.pad_token == "<|pad|>" and tokenizer.pad_token_id != tokenizer.eos_token_id
    assert model.get_input_embeddings().weight.shape[0] >= len(tokenizer)
    assert model.config.pad_token_id == tokenizer.pad_token_id
    assert next(model.parameters()).dtype == torch.float32  # the checkpoints are bf16; training wants fp32


def test_a_pad_token_equal_to_the_end_token_is_replaced(standins):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(standins / "SmolLM2-135M-Instruct")
    assert tokenizer.pad_token == tokenizer.eos_token == "<|im_end|>"  # as published
    said = ensure_pad_token(tokenizer)
    assert "was '<|im_end|>'" in said and tokenizer.pad_token == "<|pad|>"
    assert ensure_pad_token(tokenizer) is None  # nothing left to do


def test_bos_is_added_only_where_the_family_has_one(hub_with):
    _, smol = load_decoder(hub_with("SmolLM2-135M"))
    _, llama = load_decoder(hub_with("Llama-3.2-1B"))
    # SmolLM2's bos is its end-of-text token: the SFT prompt starts with it, as its pretraining documents did.
    assert prompt_ids(RECORD, smol)[0] == smol.bos_token_id == smol.eos_token_id
    assert prompt_ids(RECORD, llama)[0] == llama.convert_tokens_to_ids("<|begin_of_text|>")
    assert prompt_ids(RECORD, llama).count(llama.bos_token_id) == 1  # never twice
    example = tokenize_sft_example(RECORD, smol)
    assert example["labels"][-1] == smol.eos_token_id  # the answer ends with the family's own end token


def test_a_family_without_chat_tokens_gets_them_and_renders_the_course_format(hub_with):
    model, tokenizer = load_decoder(hub_with("Qwen2.5-0.5B"))
    rows = model.get_input_embeddings().weight.shape[0]
    changes = add_chat_tokens(tokenizer, model)
    assert any("added special tokens" in c for c in changes)
    ids, mask = render_conversation([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}],
                                    tokenizer)
    eot = tokenizer.convert_tokens_to_ids(EOT)
    assert ids[-1] == eot and mask[-1] == 1
    assert model.get_input_embeddings().weight.shape[0] >= len(tokenizer) >= rows - 1000  # never shrunk below vocab
    assert eot in model.generation_config.eos_token_id


def test_generation_without_a_pad_token_says_what_to_add(standins):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(standins / "SmolLM2-135M")
    model = AutoModelForCausalLM.from_pretrained(standins / "SmolLM2-135M")
    with pytest.raises(ValueError, match="ensure_pad_token"):
        generate_batch(model, tokenizer, ["Hello", "Hi there"], max_new_tokens=2)


def test_a_decoder_without_eos_is_refused_with_what_to_set(hub_with, standins, tmp_path, monkeypatch):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(standins / "Llama-3.2-1B")
    tokenizer.eos_token = None
    tokenizer.save_pretrained(tmp_path)
    AutoModelForCausalLM.from_pretrained(standins / "Llama-3.2-1B").save_pretrained(tmp_path)
    monkeypatch.setenv("ITL_DECODER", str(tmp_path))
    with pytest.raises(ValueError, match="has no eos_token"):
        load_decoder(get_profile("hub"))


def test_no_instruct_decoder_offline_is_a_clear_error():
    with pytest.raises(ValueError, match="ITL_INSTRUCT_DECODER"):
        load_decoder(get_profile("offline"), instruct=True)


def test_max_steps_caps_and_says_so(monkeypatch, capsys):
    monkeypatch.delenv("ITL_MAX_STEPS", raising=False)
    assert capped_steps(500) == 500
    monkeypatch.setenv("ITL_MAX_STEPS", "3")
    assert capped_steps(500) == 3 and "ITL_MAX_STEPS=3: training 3 of 500" in capsys.readouterr().out
    assert capped_steps(2) == 2  # a cap above the budget changes nothing
    monkeypatch.setenv("ITL_MAX_STEPS", "three")
    with pytest.raises(ValueError, match="positive whole number"):
        capped_steps(10)


def test_claims_are_asserted_offline_and_printed_on_stand_ins_or_capped_runs(monkeypatch, hub_with, capsys):
    monkeypatch.delenv("ITL_MAX_STEPS", raising=False)
    offline = get_profile("offline")
    assert claim(offline, True, "A beats B", "0.9 vs 0.1") is True
    with pytest.raises(ClaimFailed, match="A beats B: does not hold"):
        claim(offline, False, "A beats B", "0.1 vs 0.9")
    stand_in = hub_with("SmolLM2-135M")
    assert stand_in_of(stand_in.decoder) == "HuggingFaceTB/SmolLM2-135M"
    assert claim(stand_in, False, "A beats B", "0.1 vs 0.9") is False
    assert "Not asserted: stand-in models with random weights" in capsys.readouterr().out
    monkeypatch.setenv("ITL_MAX_STEPS", "2")
    assert claim(offline, False, "A beats B") is False
    assert "capped at 2 steps" in capsys.readouterr().out
    for name in ("ITL_MAX_STEPS", "ITL_DECODER", "ITL_INSTRUCT_DECODER"):
        monkeypatch.delenv(name)
    real_hub = get_profile("hub")  # real model names, full budget: asserted
    with pytest.raises(ClaimFailed):
        claim(real_hub, False, "A beats B")
