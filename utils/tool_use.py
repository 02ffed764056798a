"""Tool calls: the chatbot program runs the tool the assistant asks for, and lets the model answer with the result.

The course's chat data (data/chat) teaches one tool, in one fixed form. With the system prompt
"You can use the calculator tool. To use it, write: CALL calculator(EXPRESSION).", a conversation goes

    user       What is 86 + 16?
    assistant  CALL calculator(86 + 16)      <- the model writes a call, not an answer
    tool       102                           <- the *program* runs the tool and adds its result as a tool message
    assistant  86 + 16 = 102.                <- the model answers, reading the result

The model only writes text; running the tool is the program's job. A chatbot that skips it hands the raw call back
to the user. Here:
- `parse_tool_call` recognises a call (and tells a malformed one from plain text);
- `calculator` evaluates arithmetic only: it parses the expression with `ast` and walks a whitelist of nodes
  (numbers, + - * / // % **, unary minus, brackets). Never `eval`/`exec`: the expression comes from a model, which
  may write anything. Sizes are bounded and a deadline is checked at every node, so no expression runs long;
- `ToolChatBot` is `utils.chat.ChatBot` plus the loop: reply, and while the reply is a call, run the tool, append a
  `tool` message and generate again (at most `max_tool_calls` times).
"""
from __future__ import annotations

import ast
import operator
import re
import time
from dataclasses import dataclass

from .chat import ChatBot

CALC_SYSTEM = "You can use the calculator tool. To use it, write: CALL calculator(EXPRESSION)."
CALL_PREFIX = "CALL "
_CALL = re.compile(r"CALL ([A-Za-z_]\w*)\((.*)\)", re.DOTALL)


class ToolError(ValueError):
    """A tool call that cannot be run; the message says why (it is shown to the model as the tool's answer)."""


@dataclass(frozen=True)
class ToolCall:
    name: str
    argument: str


def parse_tool_call(text: str) -> ToolCall | None:
    """The tool call in an assistant reply, or None when the reply is not a call.

    A call is the whole reply, `CALL name(argument)`. A reply that starts with `CALL ` but does not have that form
    raises `ToolError` (the model tried to call and got the syntax wrong: a different failure from not calling).
    """
    text = text.strip()
    if not text.startswith(CALL_PREFIX):
        return None
    match = _CALL.fullmatch(text)
    if match is None:
        raise ToolError(f"Malformed tool call {text[:60]!r}: expected CALL name(argument).")
    return ToolCall(name=match.group(1), argument=match.group(2).strip())


_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}
MAX_EXPRESSION_CHARS = 200
MAX_MAGNITUDE = 10**30  # no operand or result beyond this: keeps every operation fast
MAX_EXPONENT = 64


def calculator(expression: str, time_limit_s: float = 0.1) -> str:
    """Evaluate an arithmetic expression safely and return the result as text ("102", "2.5").

    Only numbers, + - * / // % **, unary signs and brackets are allowed; anything else (names, calls, attributes,
    strings...) raises `ToolError`, as do division by zero, numbers beyond 1e30, exponents beyond 64, and running
    past `time_limit_s` (checked at every node of the expression).
    """
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise ToolError(f"Expression too long ({len(expression)} > {MAX_EXPRESSION_CHARS} characters).")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError) as error:
        raise ToolError(f"Not an arithmetic expression: {expression[:60]!r} ({type(error).__name__}).") from None
    deadline = time.monotonic() + time_limit_s

    def bounded(value):
        if abs(value) > MAX_MAGNITUDE:
            raise ToolError(f"Number too large (beyond 1e30) in {expression[:60]!r}.")
        return value

    def walk(node):
        if time.monotonic() > deadline:
            raise ToolError(f"Time limit of {time_limit_s} s exceeded.")
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return bounded(node.value)
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return _UNARY[type(node.op)](walk(node.operand))
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Pow) and abs(right) > MAX_EXPONENT:
                raise ToolError(f"Exponent {right} too large (at most {MAX_EXPONENT}).")
            try:
                return bounded(_BINARY[type(node.op)](left, right))
            except ZeroDivisionError:
                raise ToolError("Division by zero.") from None
            except OverflowError:
                raise ToolError("Result too large.") from None
        raise ToolError(f"Only numbers and + - * / // % ** are allowed, not {type(node).__name__} in "
                        f"{expression[:60]!r}.")

    try:
        result = walk(tree)
    except RecursionError:
        raise ToolError("Expression nested too deeply.") from None
    if isinstance(result, complex):
        raise ToolError("Result is not a real number.")
    if isinstance(result, float) and result.is_integer():
        result = int(result)
    return str(result) if isinstance(result, int) else f"{result:.6g}"


TOOLS = {"calculator": calculator}


def run_tool_call(call: ToolCall, tools: dict = TOOLS) -> str:
    """The text of the tool message that answers `call`: the tool's result, or `error: ...` if it cannot run."""
    if call.name not in tools:
        return f"error: unknown tool {call.name!r}; available: {', '.join(sorted(tools))}"
    try:
        return tools[call.name](call.argument)
    except ToolError as error:
        return f"error: {error}"


@dataclass
class ToolChatBot(ChatBot):
    """`ChatBot` that runs the tools the assistant calls, then lets the model answer with the result.

        bot = ToolChatBot(model, tokenizer, system_prompt=CALC_SYSTEM)
        bot.send("What is 86 + 16?")   # -> "86 + 16 = 102." (history: user, assistant call, tool, assistant)
    """
    max_tool_calls: int = 2  # per user message: a model that keeps calling is stopped, and the notices say so

    def send(self, text: str) -> str:
        reply = super().send(text)
        for _ in range(self.max_tool_calls):
            try:
                call = parse_tool_call(reply)
            except ToolError as error:
                self.notices.append(f"not run: {error}")
                return reply
            if call is None:
                return reply
            result = run_tool_call(call)
            self.notices.append(f"ran {call.name}({call.argument}) -> {result}")
            self.history.append({"role": "tool", "content": result})
            reply = self.respond()
        if parse_tool_call_or_none(reply) is not None:
            self.notices.append(f"stopped after {self.max_tool_calls} tool calls; the last call was not run")
        return reply


def parse_tool_call_or_none(text: str) -> ToolCall | None:
    """`parse_tool_call`, with a malformed call read as no call (for counting)."""
    try:
        return parse_tool_call(text)
    except ToolError:
        return None
