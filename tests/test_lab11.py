"""Labs 11 and 12 (from the lab to practice): packing, tool calls, and the exercise checks' hints.

- `utils.packing` gives exactly what transformers' and TRL's padding-free collators and TRL's BFD packing give;
- the padding-free row keeps attention inside each example (with `use_cache=False`), naive concatenation does not;
- `utils.tool_use`: the calculator runs arithmetic only, the tool loop runs a call and answers with the result;
- every exercise check rejects plausible wrong answers, and its hint names the mistake.
"""
import nbformat
import pytest
import torch

from notebook_cells import ROOT
from utils.batching import IGNORE_INDEX

NOTEBOOKS = ["11_trl_and_packing.ipynb", "12_chat_formats_and_tool_calls.ipynb"]
TOY = [{"input_ids": [11, 12, 13], "labels": [IGNORE_INDEX, 12, 13]},
       {"input_ids": [21, 22], "labels": [IGNORE_INDEX, 22]},
       {"input_ids": [31, 32, 33, 34], "labels": [IGNORE_INDEX, IGNORE_INDEX, 33, 34]}]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_has_the_lab_shape(name):
    nb = nbformat.read(ROOT / "solutions" / name, as_version=4)
    first = nb.cells[0]
    for word in ("**Objectives.**", "**Prerequisites.**", "**Time:**", "colab-badge"):
        assert word in first.source, f"{name}: first cell lacks {word}"
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert code_cells[0].source == (ROOT / "tools" / "setup_cell.py").read_text().rstrip("\n")
    assert code_cells[1].source.startswith('PROFILE = os.environ.get("ITL_PROFILE", "offline")')
    assert "## Check your understanding" in nb.cells[-2].source and "<!-- BEGIN SOLUTION -->" in nb.cells[-2].source
    assert f'record_results("{name[:-6]}"' in code_cells[-1].source
    assert not any(c.outputs for c in code_cells), "solutions are committed without outputs"
    assert "eval(" not in "".join(c.source for c in code_cells).replace("model.eval(", ""), "no eval in these labs"


# --------------------------------------------------------------------------------------------------------------
# utils.packing
# --------------------------------------------------------------------------------------------------------------
def test_flatten_batch_restarts_positions_and_never_predicts_across_examples():
    from utils.packing import flatten_batch

    batch = flatten_batch(TOY)
    assert set(batch) == {"input_ids", "labels", "position_ids"}, "no attention_mask: it would hide the position ids"
    assert batch["input_ids"].tolist() == [[11, 12, 13, 21, 22, 31, 32, 33, 34]]
    assert batch["position_ids"].tolist() == [[0, 1, 2, 0, 1, 0, 1, 2, 3]]
    assert batch["labels"].tolist() == [[-100, 12, 13, -100, 22, -100, -100, 33, 34]]
    # an example without labels is trained on every token but its first
    assert flatten_batch([{"input_ids": [5, 6]}, {"input_ids": [7, 8]}])["labels"].tolist() == [[-100, 6, -100, 8]]


def test_flatten_batch_equals_the_library_collators():
    from transformers import DataCollatorWithFlattening
    from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

    from utils.packing import flatten_batch

    ours = flatten_batch(TOY)
    for library in (DataCollatorWithFlattening()(TOY), DataCollatorForLanguageModeling(0, padding_free=True)(TOY)):
        assert all(torch.equal(ours[key], library[key]) for key in ours)


def test_naive_concatenation_runs_positions_on_with_a_full_mask():
    from utils.packing import concatenate_naively

    batch = concatenate_naively(TOY)
    assert batch["position_ids"].tolist() == [list(range(9))]
    assert batch["attention_mask"].tolist() == [[1] * 9]


def test_pack_examples_is_best_fit_decreasing_as_trl_packs():
    from datasets import Dataset
    from trl.data_utils import pack_dataset

    from utils.packing import pack_examples

    lengths = [5, 3, 8, 2, 6, 4, 1, 7, 3, 3]
    examples = [{"input_ids": list(range(100 * i, 100 * i + n)), "labels": list(range(100 * i, 100 * i + n))}
                for i, n in enumerate(lengths)]
    rows = pack_examples(examples, 10)
    assert [row["seq_lengths"] for row in rows] == [[8, 2], [7, 3], [6, 4], [5, 3, 1], [3]]
    assert rows[0]["position_ids"] == [0, 1, 2, 3, 4, 5, 6, 7, 0, 1]
    trl_rows = pack_dataset(Dataset.from_list(examples), 10, strategy="bfd")
    assert [row["input_ids"] for row in rows] == trl_rows["input_ids"]
    assert [row["seq_lengths"] for row in rows] == trl_rows["seq_lengths"]


def test_pack_examples_says_what_to_fix():
    from utils.packing import flatten_batch, pack_examples

    with pytest.raises(ValueError, match=r"longer than max_length=3 \(example 2 has 4 tokens\)"):
        pack_examples(TOY, 3)
    with pytest.raises(ValueError, match="one label per token"):
        flatten_batch([{"input_ids": [1, 2, 3], "labels": [1, 2]}])
    with pytest.raises(ValueError, match="empty"):
        flatten_batch([])


def _tiny_llama():
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    return LlamaForCausalLM(LlamaConfig(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=64,
                                        attn_implementation="sdpa")).eval()


def test_padding_free_attends_within_examples_only_without_the_cache():
    from utils.packing import concatenate_naively, flatten_batch

    model = _tiny_llama()
    examples = [{"input_ids": [1, 5, 9, 2, 7]}, {"input_ids": [1, 6, 3, 4]}]
    with torch.no_grad():
        alone = model(input_ids=torch.tensor([examples[1]["input_ids"]])).logits[0]
        flat = flatten_batch(examples)
        del flat["labels"]
        free = model(**flat, use_cache=False).logits[0, 5:]
        cached = model(**flat).logits[0, 5:]
        naive = concatenate_naively(examples)
        del naive["labels"]
        leaked = model(**naive).logits[0, 5:]
    assert torch.allclose(free, alone, atol=1e-5)
    assert not torch.allclose(leaked, alone, atol=1e-3)
    assert not torch.allclose(cached, alone, atol=1e-3), "transformers now builds the packed mask with a cache: " \
                                                          "update lab 11's proof cell and its text"


# --------------------------------------------------------------------------------------------------------------
# utils.tool_use
# --------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("expression, expected", [("86 + 16", "102"), ("73 * 13", "949"), ("94 - 16", "78"),
                                                  ("7 / 2", "3.5"), ("6 / 3", "2"), ("-(3 + 4) * 2", "-14"),
                                                  ("2 ** 10", "1024"), ("17 // 5", "3"), ("17 % 5", "2")])
def test_calculator_computes_arithmetic(expression, expected):
    from utils.tool_use import calculator

    assert calculator(expression) == expected


@pytest.mark.parametrize("expression, says", [
    ("__import__('os').system('ls')", "not Call"), ("open('x').read()", "not Call"), ("x + 1", "not Name"),
    ("(1).__class__", "not Attribute"), ("'a' * 3", "not Constant"), ("True + 1", "not Constant"),
    ("[1, 2]", "not List"), ("lambda: 1", "not Lambda"), ("9 ** 9 ** 9", "Exponent"), ("10 ** 31", "too large"),
    ("1 / 0", "Division by zero"), ("1 +", "Not an arithmetic expression"), ("1" * 201, "too long"),
])
def test_calculator_refuses_everything_else_and_says_why(expression, says):
    from utils.tool_use import ToolError, calculator

    with pytest.raises(ToolError, match=says):
        calculator(expression)


def test_calculator_stops_at_its_time_limit():
    from utils.tool_use import ToolError, calculator

    with pytest.raises(ToolError, match="Time limit"):
        calculator(" + ".join(["(2 ** 60 * 2 ** 60)"] * 5), time_limit_s=0.0)


def test_parse_tool_call_tells_a_malformed_call_from_no_call():
    from utils.tool_use import ToolCall, ToolError, parse_tool_call, run_tool_call

    assert parse_tool_call(" CALL calculator(86 + 16) ") == ToolCall("calculator", "86 + 16")
    assert parse_tool_call("86 + 16 = 102.") is None
    with pytest.raises(ToolError, match="Malformed"):
        parse_tool_call("CALL calculator 86 + 16")
    assert run_tool_call(ToolCall("weather", "Kelmar")).startswith("error: unknown tool 'weather'")
    assert run_tool_call(ToolCall("calculator", "1 / 0")) == "error: Division by zero."


def _scripted(monkeypatch, tokenizer, replies):
    """Make the chatbot's generation return `replies` in order (and record the prompts it was given)."""
    import utils.chat

    prompts = []

    def fake_generate(model, prompt_ids, eot_id, max_new_tokens=64):
        prompts.append(tokenizer.decode(prompt_ids))
        return tokenizer.encode(replies[len(prompts) - 1], add_special_tokens=False), True

    monkeypatch.setattr(utils.chat, "generate_until_eot", fake_generate)  # ToolChatBot generates through ChatBot
    return prompts


def test_tool_chatbot_runs_the_call_and_answers_with_the_result(monkeypatch):
    from transformers import AutoTokenizer

    from utils.tool_use import CALC_SYSTEM, ToolChatBot

    tokenizer = AutoTokenizer.from_pretrained(ROOT / "models" / "tiny-decoder")
    prompts = _scripted(monkeypatch, tokenizer, ["CALL calculator(86 + 16)", "86 + 16 = 102."])
    bot = ToolChatBot(model=None, tokenizer=tokenizer, system_prompt=CALC_SYSTEM)
    assert bot.send("What is 86 + 16?") == "86 + 16 = 102."
    assert [(m["role"], m["content"]) for m in bot.history] == [
        ("user", "What is 86 + 16?"), ("assistant", "CALL calculator(86 + 16)"), ("tool", "102"),
        ("assistant", "86 + 16 = 102.")]
    assert prompts[1].endswith("<|start_header_id|>tool<|end_header_id|>\n\n102<|eot_id|>"
                               "<|start_header_id|>assistant<|end_header_id|>\n\n")


def test_tool_chatbot_stops_a_model_that_keeps_calling(monkeypatch):
    from transformers import AutoTokenizer

    from utils.tool_use import CALC_SYSTEM, ToolChatBot

    tokenizer = AutoTokenizer.from_pretrained(ROOT / "models" / "tiny-decoder")
    _scripted(monkeypatch, tokenizer, ["CALL calculator(1 + 1)"] * 5)
    bot = ToolChatBot(model=None, tokenizer=tokenizer, system_prompt=CALC_SYSTEM, max_tool_calls=2)
    assert bot.send("What is 1 + 1?") == "CALL calculator(1 + 1)"
    assert [m["role"] for m in bot.history] == ["user", "assistant", "tool", "assistant", "tool", "assistant"]
    assert "stopped after 2 tool calls" in bot.notices[-1]


# --------------------------------------------------------------------------------------------------------------
# Exercise checks: each rejects plausible wrong answers and names the mistake
# --------------------------------------------------------------------------------------------------------------
@pytest.fixture
def lenient(monkeypatch):
    monkeypatch.delenv("ITL_STRICT_CHECKS", raising=False)


def _rejects(check, wrong, capsys, hint):
    assert check(wrong) is False
    out = capsys.readouterr().out
    assert hint in out, out


def test_loss_option_check_hints(lenient, capsys):
    from utils.exercises.lab11 import check_loss_option

    def swapped(row):
        return "completion_only_loss" if "messages" in row else "assistant_only_loss" if "prompt" in row else None

    def text_as_completion(row):
        return "assistant_only_loss" if "messages" in row else "completion_only_loss" if "prompt" in row or "text" in row else None

    def never_raises(row):
        return "assistant_only_loss" if "messages" in row else "completion_only_loss" if "prompt" in row else None

    _rejects(check_loss_option, swapped, capsys, "`assistant_only_loss` is for `messages`")
    _rejects(check_loss_option, text_as_completion, capsys, "every token carries loss")
    _rejects(check_loss_option, never_raises, capsys, "raise a ValueError")


def test_reset_position_ids_check_hints(lenient, capsys):
    from utils.exercises.lab11 import check_reset_position_ids

    _rejects(check_reset_position_ids, lambda lengths: list(range(sum(lengths))), capsys, "restart at 0")
    _rejects(check_reset_position_ids, lambda lengths: [p + 1 for n in lengths for p in range(n)], capsys,
             "Count from 0")
    _rejects(check_reset_position_ids, lambda lengths: [p for n in lengths for p in range(n - 1)], capsys,
             "One position per token")


def test_attends_across_examples_check_hints(lenient, capsys):
    from utils.exercises.lab11 import check_attends_across_examples

    def only_mask(batch, lengths):  # forgets that missing or running-on position ids also leak
        return "attention_mask" in batch and any(len(row) > 1 for row in lengths)

    def any_mask(batch, lengths):  # a mask always means a leak, even for one example per row
        return "attention_mask" in batch or any(
            batch.get("position_ids", torch.zeros(1, 1))[r].tolist() != list(range(sum(row)))
            for r, row in enumerate(lengths) if len(row) > 1)

    def first_row_only(batch, lengths):
        row = lengths[0]
        if len(row) < 2:
            return False
        if "attention_mask" in batch or "position_ids" not in batch:
            return True
        return batch["position_ids"][0].tolist() != [p for n in row for p in range(n)]

    _rejects(check_attends_across_examples, only_mask, capsys, "Which rule did your function miss?")
    _rejects(check_attends_across_examples, any_mask, capsys, "A row holding a single example cannot leak")
    _rejects(check_attends_across_examples, first_row_only, capsys, "two rows")


def test_diagnose_mask_check_hints(lenient, capsys):
    from utils.exercises.lab12 import check_diagnose_mask

    def last_run_only(tokens, mask, end_token):
        if not any(mask):
            return "empty"
        last = max(i for i, m in enumerate(mask) if m)
        if tokens[last] != end_token:
            return "end of turn not supervised"
        starts = [i for i, m in enumerate(mask) if m and (i == 0 or not mask[i - 1])]
        return "header supervised" if any(tokens[i] == "<|im_start|>" for i in starts) else "ok"

    def every_end_token(tokens, mask, end_token):
        if not any(mask):
            return "empty"
        if any(t == end_token and not m for t, m in zip(tokens, mask)):
            return "end of turn not supervised"
        return "ok"

    def ignores_headers(tokens, mask, end_token):
        if not any(mask):
            return "empty"
        ends = [i for i, m in enumerate(mask) if m and (i + 1 == len(mask) or not mask[i + 1])]
        return "end of turn not supervised" if any(tokens[i] != end_token for i in ends) else "ok"

    _rejects(check_diagnose_mask, last_run_only, capsys, "check each run, not only the last one")
    _rejects(check_diagnose_mask, every_end_token, capsys, "not at every <|im_end|>")
    _rejects(check_diagnose_mask, ignores_headers, capsys, "the program writes headers")


def test_parse_call_check_hints(lenient, capsys):
    import re

    from utils.exercises.lab12 import check_parse_call

    def unstripped(text):
        match = re.fullmatch(r"CALL (\w+)\((.*)\)", text.strip())
        return (match.group(1), match.group(2)) if match else None

    def searches(text):  # finds a call anywhere in the reply
        match = re.search(r"CALL (\w+)\((.*)\)", text)
        return (match.group(1), match.group(2).strip()) if match else None

    def lazy(text):  # stops at the first ')'
        match = re.fullmatch(r"CALL (\w+)\(([^)]*)\).*", text.strip())
        return (match.group(1), match.group(2).strip()) if match else None

    _rejects(check_parse_call, unstripped, capsys, "Strip the spaces around the argument")
    _rejects(check_parse_call, searches, capsys, "a call is the whole reply")
    _rejects(check_parse_call, lazy, capsys, "between the first '(' and the last ')'")
