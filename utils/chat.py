"""Chat conversations as training examples, and the chatbot program around a model.

A conversation is a list of messages `{"role": ..., "content": ...}` with roles system, user, assistant, tool.
Rendered in the Llama-3 format that the course's decoder knows:

    <|begin_of_text|><|start_header_id|>user<|end_header_id|>\\n\\nHi there.<|eot_id|>
    <|start_header_id|>assistant<|end_header_id|>\\n\\nHello!<|eot_id|>

What lab 04 builds in drafts, in its final version (labs 03, 11 and 12 use it too):
- `render_conversation` turns messages into `(ids, mask)`: token ids plus, per token, whether it carries loss.
  It is built from explicit token spans with one tiny helper that appends tokens together with their mask value
  (as nanochat's renderer does); it never searches the token stream for a template string, which silently zeroes
  the loss when the string tokenises differently in context (trl issues #1820, #1920). Only the assistant's
  content and the assistant's `<|eot_id|>` are supervised: that last token is how the model learns to stop.
- `add_chat_tokens` gives a tokenizer (and model) that lacks them the chat special tokens, a pad token distinct
  from every end token, and the course's training template (`utils/chat_templates/course_llama3_training.jinja`,
  beside the real families' templates); new tokens mean new embedding rows (`utils.profiles.fit_embeddings`).
- `ChatBot`, the program around the model: keeps the history, writes the headers, generates until `<|eot_id|>`,
  and drops the oldest turns (saying so) when the context is full.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import torch

from .batching import IGNORE_INDEX
from .evaluation import left_padded, require_pad_token
from .profiles import ensure_pad_token, fit_embeddings

ROLES = ("system", "user", "assistant", "tool")

BOS = "<|begin_of_text|>"
START_HEADER = "<|start_header_id|>"
END_HEADER = "<|end_header_id|>"
EOT = "<|eot_id|>"
HEADER_SUFFIX = "\n\n"  # written after <|end_header_id|>, before the content
CHAT_SPECIAL_TOKENS = (BOS, START_HEADER, END_HEADER, EOT)

TEMPLATES_DIR = Path(__file__).parent / "chat_templates"


def load_chat_template(name: str) -> str:
    """A chat template shipped in `utils/chat_templates/<name>.jinja` (the course's own, and real families')."""
    path = TEMPLATES_DIR / f"{name}.jinja"
    if not path.is_file():
        known = sorted(p.stem for p in TEMPLATES_DIR.glob("*.jinja"))
        raise FileNotFoundError(f"No chat template {name!r}; shipped ones: {', '.join(known)}.")
    return path.read_text()


# The course's training template, the one models/tiny-decoder ships (tools/build_models.py writes it there). Its
# first line says why it differs from an inference-only template, as trl's training templates do.
TRAINING_CHAT_TEMPLATE = load_chat_template("course_llama3_training")


class ConversationError(ValueError):
    """A conversation cannot be used as it is; the message says what to change."""


# ---------------------------------------------------------------------------------------------------------------
# Checking a conversation
# ---------------------------------------------------------------------------------------------------------------
# Which role may follow which: a tool message answers an assistant's tool call, and the assistant then answers.
_MAY_FOLLOW = {
    None: ("system", "user"),
    "system": ("user",),
    "user": ("assistant",),
    "assistant": ("user", "tool"),
    "tool": ("assistant",),
}


def check_conversation(messages: Sequence[dict], require_assistant: bool = True) -> None:
    """Raise `ConversationError` unless `messages` is a well-formed conversation.

    Rules: each message is a dict with a known `role` and text `content`; a system message may only come first;
    then user and assistant alternate, starting with the user; a tool message must answer an assistant message
    and be answered by one. With `require_assistant`, at least one assistant turn must be there to learn from.
    """
    if not isinstance(messages, (list, tuple)) or not messages:
        raise ConversationError("The conversation is empty: pass a list of {'role', 'content'} messages.")
    previous = None
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or "role" not in message or "content" not in message:
            raise ConversationError(f"Message {i} should be a dict with keys 'role' and 'content', got {message!r:.80}.")
        role = message["role"]
        if role not in ROLES:
            raise ConversationError(f"Message {i} has unknown role {role!r}; use one of {list(ROLES)}.")
        if not isinstance(message["content"], str):
            raise ConversationError(f"Message {i} ({role}) should have text content, got "
                                    f"{type(message['content']).__name__}.")
        if role not in _MAY_FOLLOW[previous]:
            after = f"after a {previous} message" if previous else "at the start"
            expected = " or ".join(_MAY_FOLLOW[previous])
            raise ConversationError(f"Roles out of order: message {i} is a {role} message {after}; expected "
                                    f"{expected} there. (A system message may only come first; user and "
                                    f"assistant alternate; a tool message answers an assistant's tool call.)")
        previous = role
    if require_assistant and not any(m["role"] == "assistant" for m in messages):
        raise ConversationError("The conversation has no assistant turn, so no token would carry loss: add the "
                                "assistant's reply (for generation, use add_generation_prompt=True instead).")


# ---------------------------------------------------------------------------------------------------------------
# Rendering: messages -> (ids, mask), from explicit token spans
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChatTokens:
    """The ids of the chat special tokens in one tokenizer."""
    bos: int | None
    start_header: int
    end_header: int
    eot: int

    @classmethod
    def of(cls, tokenizer) -> "ChatTokens":
        vocab = tokenizer.get_vocab()
        missing = [t for t in (START_HEADER, END_HEADER, EOT) if t not in vocab]
        if missing:
            raise ConversationError(f"The tokenizer has no {', '.join(missing)} token(s): call "
                                    "utils.chat.add_chat_tokens(tokenizer, model) first.")
        return cls(bos=tokenizer.bos_token_id, start_header=vocab[START_HEADER], end_header=vocab[END_HEADER],
                   eot=vocab[EOT])


def encode_after_header(tokenizer, content: str) -> tuple[list[int], list[int]]:
    """Tokens of HEADER_SUFFIX + content, split into (suffix tokens, content tokens).

    The special tokens around this text cut the token stream, so tokenising it on its own gives exactly the
    tokens the template's full string gives. The split point is a character offset we know (the suffix's length),
    not a search for tokens.
    """
    encoding = tokenizer(HEADER_SUFFIX + content, add_special_tokens=False, return_offsets_mapping=True)
    cut = len(HEADER_SUFFIX)
    suffix, body = [], []
    for token_id, (start, end) in zip(encoding["input_ids"], encoding["offset_mapping"]):
        if start < cut < end:
            raise ConversationError(f"A token spans both the header's {HEADER_SUFFIX!r} and the content "
                                    f"{content[:30]!r}: this tokenizer cannot separate them, so the mask would be "
                                    "ambiguous. Strip leading whitespace from the content.")
        (suffix if end <= cut else body).append(token_id)
    return suffix, body


def render_conversation(messages: Sequence[dict], tokenizer, add_generation_prompt: bool = False,
                        max_length: int | None = None) -> tuple[list[int], list[int]]:
    """Token ids of a conversation and, per token, 1 if it carries loss (assistant content and its
    `<|eot_id|>`) else 0 (begin of text, headers, system/user/tool messages).

    For training, pass a conversation with at least one assistant turn. For generation, pass the history with
    `add_generation_prompt=True`: the ids then end with the assistant's header, ready for the model to answer
    (and the mask is all zeros). With `max_length`, the ids are cut to that many tokens; a cut that leaves no
    supervised token raises `ConversationError`.
    """
    check_conversation(messages, require_assistant=not add_generation_prompt)
    special = ChatTokens.of(tokenizer)
    ids: list[int] = []
    mask: list[int] = []

    def add(token_ids: Sequence[int], supervised: bool) -> None:
        ids.extend(token_ids)
        mask.extend([int(supervised)] * len(token_ids))

    def add_header(role: str) -> None:
        add([special.start_header], False)
        add(tokenizer.encode(role, add_special_tokens=False), False)
        add([special.end_header], False)

    if special.bos is not None:
        add([special.bos], False)
    for message in messages:
        is_assistant = message["role"] == "assistant"
        add_header(message["role"])
        suffix, content = encode_after_header(tokenizer, message["content"])
        add(suffix, False)
        add(content, is_assistant)
        add([special.eot], is_assistant)  # the assistant's end of turn is how the model learns to stop
    if add_generation_prompt:
        add_header("assistant")
        # The suffix as it is tokenised in training, where content follows it (on its own it may merge
        # differently, e.g. "\n\n" as one token): the model then sees at inference what it saw in training.
        add(encode_after_header(tokenizer, "x")[0], False)

    # Invariants, checked every time "to prevent footguns".
    assert len(ids) == len(mask)
    n_assistant = sum(m["role"] == "assistant" for m in messages)
    assert sum(1 for i, m in zip(ids, mask) if m and i == special.eot) == n_assistant, "one supervised EOT per reply"
    assert not any(m and i in (special.start_header, special.end_header) for i, m in zip(ids, mask)), "header got loss"

    if max_length is not None and len(ids) > max_length:
        first = mask.index(1) if any(mask) else None
        ids, mask = ids[:max_length], mask[:max_length]
        if first is not None and not any(mask):
            raise ConversationError(f"Truncating to max_length={max_length} tokens cuts away every supervised "
                                    f"token (the first assistant token is at position {first}): raise max_length "
                                    "or drop earlier turns, otherwise this example teaches nothing.")
    return ids, mask


def labels_from_mask(ids: Sequence[int], mask: Sequence[int]) -> list[int]:
    """Labels for a causal LM: the token id where the mask is 1, IGNORE_INDEX (-100) elsewhere.

    No shifting here: Hugging Face causal LMs shift labels by one inside `forward`.
    """
    if len(ids) != len(mask):
        raise ValueError(f"ids has {len(ids)} tokens but mask has {len(mask)}.")
    return [int(i) if m else IGNORE_INDEX for i, m in zip(ids, mask)]


def conversation_to_example(messages: Sequence[dict], tokenizer, max_length: int | None = None,
                            mask_non_assistant_tokens: bool = True) -> dict[str, list[int]]:
    """A training example `{input_ids, attention_mask, labels}` from one conversation.

    With `mask_non_assistant_tokens=False` every token carries loss (plain language modelling of the whole
    conversation): lab 04 trains that way for comparison.
    """
    ids, mask = render_conversation(messages, tokenizer, max_length=max_length)
    if not mask_non_assistant_tokens:
        mask = [1] * len(ids)
    return {"input_ids": ids, "attention_mask": [1] * len(ids), "labels": labels_from_mask(ids, mask)}


def mask_to_html(tokenizer, ids: Sequence[int], mask: Sequence[int]) -> str:
    """HTML showing each token as a box: green if it carries loss, grey if not (use IPython.display.HTML)."""
    boxes = []
    for token_id, supervised in zip(ids, mask):
        text = tokenizer.decode([token_id]).replace("\n", "\\n")
        colour = "#b7e4b0" if supervised else "#e6e6e6"
        boxes.append(f'<span style="background:{colour};border:1px solid #999;border-radius:3px;margin:1px;'
                     f'padding:0 2px;font-family:monospace;white-space:pre" title="id {token_id}">'
                     f"{html.escape(text)}</span>")
    legend = ('<div style="margin-top:4px;font-size:90%"><span style="background:#b7e4b0">&nbsp;green&nbsp;</span>'
              ' = carries loss, <span style="background:#e6e6e6">&nbsp;grey&nbsp;</span> = no loss</div>')
    return '<div style="line-height:1.9">' + "".join(boxes) + "</div>" + legend


# ---------------------------------------------------------------------------------------------------------------
# Giving a base model the chat tokens and template
# ---------------------------------------------------------------------------------------------------------------
def add_chat_tokens(tokenizer, model=None, chat_template: str = TRAINING_CHAT_TEMPLATE) -> list[str]:
    """Make `tokenizer` (and `model`) ready for chat; return a list of what was changed (empty if nothing).

    - adds the header and end-of-turn special tokens that are missing (and a begin-of-text token if it has none);
    - adds a pad token distinct from the end tokens if the pad token is missing or equals one of them (padding is
      masked by the attention mask anyway; a distinct pad just removes a classic trap);
    - sets the training chat template (replacing another one, since `render_conversation` writes this format);
    - resizes the model's embeddings to the new vocabulary (new rows start at the mean of the old ones), and
      makes `<|eot_id|>` a stop token of the model's generation config.
    """
    changes = []
    vocab = tokenizer.get_vocab()
    missing = [t for t in (START_HEADER, END_HEADER, EOT) if t not in vocab]
    if missing:
        tokenizer.add_special_tokens({"extra_special_tokens": missing}, replace_extra_special_tokens=False)
        changes.append(f"added special tokens {missing}")
    if tokenizer.bos_token is None:
        tokenizer.add_special_tokens({"bos_token": BOS})
        changes.append(f"set bos_token to {BOS}")
    padded = ensure_pad_token(tokenizer)  # the model is resized once, below, for every new token
    if padded:
        changes.append(padded)
    if tokenizer.chat_template != chat_template:
        changes.append("set the training chat template" + (" (replacing another one)" if tokenizer.chat_template else ""))
        tokenizer.chat_template = chat_template
    if model is not None:
        resized = fit_embeddings(model, tokenizer)
        if resized:
            changes.append(resized)
        eot_id = tokenizer.convert_tokens_to_ids(EOT)
        model.config.pad_token_id = tokenizer.pad_token_id
        generation = model.generation_config
        stops = generation.eos_token_id
        stops = [] if stops is None else ([stops] if isinstance(stops, int) else list(stops))
        if eot_id not in stops:
            generation.eos_token_id = [eot_id] + stops
            changes.append("made <|eot_id|> a stop token of the generation config")
        generation.pad_token_id = tokenizer.pad_token_id
    return changes


# ---------------------------------------------------------------------------------------------------------------
# Generation and the chatbot program
# ---------------------------------------------------------------------------------------------------------------
@dataclass
class Reply:
    text: str  # decoded reply without the stop token
    ids: list[int]  # generated ids, without the stop token
    stopped: bool  # True if generation ended with <|eot_id|> (not by running out of new tokens)
    wrote_header: bool  # True if the model wrote a header (started a new turn itself) before stopping
    after_eot: list[int] = field(default_factory=list)  # what came after <|eot_id|> (only with stop_at_eot=False)


@torch.no_grad()
def generate_until_eot(model, prompt_ids: Sequence[int], eot_id: int, max_new_tokens: int = 64) -> tuple[list[int], bool]:
    """Greedy decoding, one token at a time with the KV cache, until `eot_id` or `max_new_tokens`.

    Returns (new token ids without the EOT, whether EOT was reached).
    """
    model.eval()
    device = next(model.parameters()).device
    input_ids = torch.tensor([list(prompt_ids)], device=device)
    past, new = None, []
    for _ in range(max_new_tokens):
        out = model(input_ids=input_ids, past_key_values=past, use_cache=True)
        past = out.past_key_values
        next_id = int(out.logits[0, -1].argmax())
        if next_id == eot_id:
            return new, True
        new.append(next_id)
        input_ids = torch.tensor([[next_id]], device=device)
    return new, False


@torch.no_grad()
def generate_replies(model, tokenizer, prompts: Sequence[Sequence[int]], max_new_tokens: int = 48,
                     batch_size: int = 64, stop_at_eot: bool = True) -> list[Reply]:
    """Greedy replies to many prompts (token ids ending with the assistant header), in left-padded batches.

    Generation stops at `<|eot_id|>` only (not at other end tokens), so a model that skips it and writes another
    turn shows it. With `stop_at_eot=False` it always runs `max_new_tokens` and `Reply.after_eot` holds what the
    model would have written next had the program not stopped it.
    """
    model.eval()
    special = ChatTokens.of(tokenizer)
    device = next(model.parameters()).device
    pad_id = require_pad_token(tokenizer)
    replies = []
    for start in range(0, len(prompts), batch_size):
        batch = left_padded(prompts[start : start + batch_size], pad_id, device)
        longest = batch["input_ids"].shape[1]
        # generate() fills an unset eos_token_id from the model's generation config, so "no stop token" has to be
        # set there, for the duration of the call.
        saved = model.generation_config.eos_token_id
        model.generation_config.eos_token_id = special.eot if stop_at_eot else None
        try:
            out = model.generate(**batch, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=pad_id)
        finally:
            model.generation_config.eos_token_id = saved
        for row in out[:, longest:].tolist():
            stopped = special.eot in row
            new = row[: row.index(special.eot)] if stopped else row
            after = row[row.index(special.eot) + 1 :] if stopped and not stop_at_eot else []
            replies.append(Reply(text=tokenizer.decode(new, skip_special_tokens=True).strip(), ids=new,
                                 stopped=stopped, wrote_header=special.start_header in new, after_eot=after))
    return replies


@dataclass
class ChatBot:
    """The program around a chat model: history, headers, generate until end of turn, context management.

        bot = ChatBot(model, tokenizer, system_prompt="Answer briefly.", max_context=256)
        bot.send("What is 3 + 4?")   # -> "3 + 4 = 7."
    """
    model: object
    tokenizer: object
    system_prompt: str | None = None
    max_context: int = 512  # tokens the model may see: prompt + reply
    max_new_tokens: int = 64
    history: list[dict] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # what the program did behind the user's back

    def messages(self) -> list[dict]:
        system = [{"role": "system", "content": self.system_prompt}] if self.system_prompt else []
        return system + self.history

    def prompt_ids(self) -> list[int]:
        """The history rendered with the assistant header at the end; drops the oldest exchanges (and records a
        notice) until prompt + reply fit in `max_context`."""
        budget = self.max_context - self.max_new_tokens
        if budget <= 0:
            raise ValueError(f"max_context ({self.max_context}) must exceed max_new_tokens ({self.max_new_tokens}).")
        system = self.messages()[: len(self.messages()) - len(self.history)]
        last_user = max(i for i, m in enumerate(self.history) if m["role"] == "user")
        alone, _ = render_conversation(system + self.history[last_user:], self.tokenizer, add_generation_prompt=True)
        if len(alone) > budget:
            self.history.pop()  # forget the message that cannot fit, so the bot stays usable
            raise ConversationError(f"This message alone needs {len(alone)} tokens but the context allows "
                                    f"{budget} for the prompt: send a shorter message.")
        while True:
            ids, _ = render_conversation(self.messages(), self.tokenizer, add_generation_prompt=True)
            if len(ids) <= budget:
                return ids
            user_turns = [i for i, m in enumerate(self.history) if m["role"] == "user"]
            dropped = self.history[: user_turns[1]]  # the oldest exchange: user, assistant (and tool) messages
            del self.history[: user_turns[1]]
            self.notices.append(f"context full ({len(ids)} > {budget} tokens): dropped the oldest "
                                f"{len(dropped)} message(s), starting with {dropped[0]['content'][:40]!r}")

    def send(self, text: str) -> str:
        """Add the user's message, generate the assistant's reply until <|eot_id|>, remember and return it."""
        self.history.append({"role": "user", "content": text})
        return self.respond()

    def respond(self) -> str:
        """Generate the assistant's reply to the history as it stands (after a user message, or after a tool
        message: `utils.tool_use.ToolChatBot`), remember and return it."""
        eot_id = ChatTokens.of(self.tokenizer).eot
        new, stopped = generate_until_eot(self.model, self.prompt_ids(), eot_id, self.max_new_tokens)
        reply = self.tokenizer.decode(new, skip_special_tokens=True).strip()
        if not stopped:
            self.notices.append(f"the reply hit max_new_tokens={self.max_new_tokens} before <|eot_id|>")
        self.history.append({"role": "assistant", "content": reply})
        return reply

    def reset(self) -> None:
        self.history.clear()
        self.notices.clear()
