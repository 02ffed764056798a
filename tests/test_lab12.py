"""Lab 12 (chat formats and tool calls): `utils.tool_use` (the calculator runs arithmetic only, the tool loop runs a
call and answers with the result), and every exercise check rejects plausible wrong answers, its hint naming the
mistake.
"""
import re

import nbformat
import pytest
from notebook_cells import ROOT, assert_accepts, assert_rejects

from utils.exercises.lab12 import check_diagnose_mask, check_parse_call

NOTEBOOK = "12_chat_formats_and_tool_calls.ipynb"


pytestmark = pytest.mark.usefixtures("student_mode")  # a rejected answer prints, as for a student


def test_notebook_uses_no_eval():
    """The lab shape itself is checked for every notebook in tests/test_tooling.py."""
    nb = nbformat.read(ROOT / "solutions" / NOTEBOOK, as_version=4)
    code = "".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "eval(" not in code.replace("model.eval(", ""), "no eval in these labs"


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
# Exercise checks: each accepts another correct answer and rejects plausible wrong ones, naming the mistake
# --------------------------------------------------------------------------------------------------------------
def diagnose_by_boundaries(tokens, mask, end_token):
    starts = [i for i, m in enumerate(mask) if m and (i == 0 or not mask[i - 1])]
    ends = [i for i, m in enumerate(mask) if m and (i + 1 == len(mask) or not mask[i + 1])]
    if not starts:
        return "empty"
    if any(tokens[i] != end_token for i in ends):
        return "end of turn not supervised"
    if any(tokens[i] in ("<|im_start|>", "<|start_header_id|>", "<start_of_turn>") for i in starts):
        return "header supervised"
    return "ok"


def test_diagnose_mask_check_accepts_run_boundaries(capsys):
    assert_accepts(check_diagnose_mask, diagnose_by_boundaries, capsys)


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


def header_before_end(tokens, mask, end_token):  # checks in the wrong order
    result = diagnose_by_boundaries(tokens, mask, end_token)
    starts = [i for i, m in enumerate(mask) if m and (i == 0 or not mask[i - 1])]
    return "header supervised" if result != "empty" and any(tokens[i] == "<|im_start|>" for i in starts) else result


@pytest.mark.parametrize("wrong, hint", [
    (last_run_only, "check each run, not only the last one"),
    (every_end_token, "not at every <|im_end|>"),
    (ignores_headers, "the program writes headers"),
    (lambda tokens, mask, end_token: "ok" if any(mask) else "empty", "how each one ends"),
    (lambda tokens, mask, end_token: diagnose_by_boundaries(tokens, mask, "<|eot_id|>"), "the reference returns 'ok'"),
])
def test_diagnose_mask_check_rejects(wrong, hint, capsys):
    assert_rejects(check_diagnose_mask, wrong, hint, capsys)


def test_parse_call_check_accepts_string_methods(capsys):
    def by_hand(text):
        text = text.strip()
        if not (text.startswith("CALL ") and text.endswith(")") and "(" in text):
            return None
        name, _, argument = text[5:-1].partition("(")
        return (name, argument.strip()) if name.isidentifier() else None
    assert_accepts(check_parse_call, by_hand, capsys)


def unstripped(text):
    match = re.fullmatch(r"CALL (\w+)\((.*)\)", text.strip())
    return (match.group(1), match.group(2)) if match else None


def searches(text):  # finds a call anywhere in the reply
    match = re.search(r"CALL (\w+)\((.*)\)", text)
    return (match.group(1), match.group(2).strip()) if match else None


def lazy(text):  # stops at the first ')'
    match = re.fullmatch(r"CALL (\w+)\(([^)]*)\).*", text.strip())
    return (match.group(1), match.group(2).strip()) if match else None


def argument_first(text):
    match = re.fullmatch(r"CALL (\w+)\((.*)\)", text.strip())
    return (match.group(2).strip(), match.group(1)) if match else None


@pytest.mark.parametrize("wrong, hint", [
    (unstripped, "Strip the spaces around the argument"),
    (searches, "A call is the whole reply"),
    (lazy, "between the first '(' and the last ')'"),
    (argument_first, "Return (name, argument)"),
    (lambda text: ("calculator", "86 + 16"), "the reference returns ['calculator', '7 * 3']"),  # the example, hard-coded
])
def test_parse_call_check_rejects(wrong, hint, capsys):
    assert_rejects(check_parse_call, wrong, hint, capsys)
