"""utils.chat: which tokens carry loss, the errors for bad conversations, chat tokens for a base model, the
chatbot program.

Most tests use a word-level tokenizer built here (one token per word, fixed ids), so the supervised ids can be
pinned literally and do not change when the shipped models are rebuilt. The last tests check the shipped
tiny decoder's tokenizer against its own chat template, when models/ is there.
"""
import pytest
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import LlamaForCausalLM, PreTrainedTokenizerFast

from utils.batching import IGNORE_INDEX
from utils.chat import (EOT, TRAINING_CHAT_TEMPLATE, ChatBot, ConversationError, add_chat_tokens,
                        check_conversation, conversation_to_example, generate_replies, generate_until_eot,
                        labels_from_mask, mask_to_html, render_conversation)
from utils.paths import models_dir
from utils.tiny_models import tiny_llama

BOS, EOS, SH, EH, EOT_ID, PAD, UNK, NL = range(8)
WORDS = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>",
         "<|pad|>", "[UNK]", "\n", "user", "assistant", "system", "tool", "Hi", "Hello", "!", "Thanks", "Welcome",
         "Be", "brief", ".", "CALL", "add(2,3)", "5"]
ID = {w: i for i, w in enumerate(WORDS)}


def word_tokenizer(with_chat_tokens: bool = True) -> PreTrainedTokenizerFast:
    """One token per space-separated word, newlines as their own tokens; ids are the positions in WORDS."""
    words = WORDS if with_chat_tokens else [w for w in WORDS if w not in ("<|start_header_id|>", "<|end_header_id|>",
                                                                         "<|eot_id|>", "<|pad|>")]
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Split(" ", behavior="removed"),
                                                 pre_tokenizers.Split("\n", behavior="isolated")])
    tok.decoder = decoders.WordPiece()
    extra = ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"] if with_chat_tokens else []
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|begin_of_text|>",
                                        eos_token="<|end_of_text|>", unk_token="[UNK]",
                                        pad_token="<|pad|>" if with_chat_tokens else None,
                                        extra_special_tokens=extra)
    if with_chat_tokens:
        tokenizer.chat_template = TRAINING_CHAT_TEMPLATE
    return tokenizer


def tiny_model(vocab_size: int, seed: int = 8) -> LlamaForCausalLM:
    """Seed 8: a random model whose greedy replies to the test prompts are varied (8 tokens, 5 to 8 distinct) and
    contain <|eot_id|> after several tokens, so a generation loop that forgets to append its own tokens, or a
    batch that drops the attention mask, gives a different answer (the tests assert those preconditions)."""
    return tiny_llama(vocab_size, seed=seed)


TWO_TURNS = [
    {"role": "system", "content": "Be brief ."},
    {"role": "user", "content": "Hi"},
    {"role": "assistant", "content": "Hello !"},
    {"role": "user", "content": "Thanks"},
    {"role": "assistant", "content": "Welcome"},
]

# (token id, carries loss) for TWO_TURNS, written out by hand.
EXPECTED = [
    (BOS, 0),
    (SH, 0), (ID["system"], 0), (EH, 0), (NL, 0), (NL, 0), (ID["Be"], 0), (ID["brief"], 0), (ID["."], 0), (EOT_ID, 0),
    (SH, 0), (ID["user"], 0), (EH, 0), (NL, 0), (NL, 0), (ID["Hi"], 0), (EOT_ID, 0),
    (SH, 0), (ID["assistant"], 0), (EH, 0), (NL, 0), (NL, 0), (ID["Hello"], 1), (ID["!"], 1), (EOT_ID, 1),
    (SH, 0), (ID["user"], 0), (EH, 0), (NL, 0), (NL, 0), (ID["Thanks"], 0), (EOT_ID, 0),
    (SH, 0), (ID["assistant"], 0), (EH, 0), (NL, 0), (NL, 0), (ID["Welcome"], 1), (EOT_ID, 1),
]


def test_two_turn_conversation_supervises_exactly_the_assistant_tokens_and_their_eot():
    ids, mask = render_conversation(TWO_TURNS, word_tokenizer())
    assert ids == [i for i, _ in EXPECTED]
    assert mask == [m for _, m in EXPECTED]
    supervised = [i for i, m in zip(ids, mask) if m]
    assert supervised == [ID["Hello"], ID["!"], EOT_ID, ID["Welcome"], EOT_ID]
    assert [p for p, m in enumerate(mask) if m] == [22, 23, 24, 37, 38]


def test_labels_are_ids_where_supervised_and_ignore_index_elsewhere():
    example = conversation_to_example(TWO_TURNS, word_tokenizer())
    assert example["labels"] == [i if m else IGNORE_INDEX for i, m in EXPECTED]
    assert example["attention_mask"] == [1] * len(EXPECTED)
    unmasked = conversation_to_example(TWO_TURNS, word_tokenizer(), mask_non_assistant_tokens=False)
    assert unmasked["labels"] == unmasked["input_ids"]
    assert labels_from_mask([7, 8], [0, 1]) == [IGNORE_INDEX, 8]
    with pytest.raises(ValueError, match="mask has"):
        labels_from_mask([7, 8], [1])


def test_hand_built_mask_equals_template_assistant_mask():
    tokenizer = word_tokenizer()
    ids, mask = render_conversation(TWO_TURNS, tokenizer)
    out = tokenizer.apply_chat_template(TWO_TURNS, return_dict=True, return_assistant_tokens_mask=True)
    assert out["input_ids"] == ids
    assert out["assistant_masks"] == mask


def test_tool_turns_carry_no_loss_but_the_tool_call_does():
    messages = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "CALL add(2,3)"},
                {"role": "tool", "content": "5"}, {"role": "assistant", "content": "5 !"}]
    ids, mask = render_conversation(messages, word_tokenizer())
    assert [i for i, m in zip(ids, mask) if m] == [ID["CALL"], ID["add(2,3)"], EOT_ID, ID["5"], ID["!"], EOT_ID]
    tool_content = ids.index(ID["tool"]) + 4  # header: tool, <|end_header_id|>, \n, \n
    assert ids[tool_content] == ID["5"] and mask[tool_content] == 0


def test_generation_prompt_ends_with_the_assistant_header_and_has_no_loss():
    tokenizer = word_tokenizer()
    ids, mask = render_conversation(TWO_TURNS[:2], tokenizer, add_generation_prompt=True)
    assert ids[-5:] == [SH, ID["assistant"], EH, NL, NL] and not any(mask)
    assert ids == tokenizer.apply_chat_template(TWO_TURNS[:2], add_generation_prompt=True, return_dict=False)


@pytest.mark.parametrize("messages, match", [
    ([{"role": "user", "content": "Hi"}], "no assistant turn"),
    ([{"role": "system", "content": "Be brief ."}, {"role": "user", "content": "Hi"}], "no assistant turn"),
    ([{"role": "user", "content": "Hi"}, {"role": "user", "content": "Hi"},
      {"role": "assistant", "content": "Hello"}], "out of order"),
    ([{"role": "assistant", "content": "Hello"}, {"role": "user", "content": "Hi"}], "out of order"),
    ([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"},
      {"role": "system", "content": "Be brief ."}], "out of order"),
    ([{"role": "user", "content": "Hi"}, {"role": "tool", "content": "5"},
      {"role": "assistant", "content": "5"}], "out of order"),
    ([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"},
      {"role": "assistant", "content": "Hello"}], "out of order"),
    ([{"role": "user", "content": "Hi"}, {"role": "bot", "content": "Hello"}], "unknown role"),
    ([{"role": "user", "text": "Hi"}], "keys 'role' and 'content'"),
    ([], "empty"),
])
def test_bad_conversations_raise_clear_errors(messages, match):
    with pytest.raises(ConversationError, match=match):
        render_conversation(messages, word_tokenizer())


def test_truncation_that_cuts_every_supervised_token_raises():
    tokenizer = word_tokenizer()
    with pytest.raises(ConversationError, match="cuts away every supervised token"):
        render_conversation(TWO_TURNS, tokenizer, max_length=20)
    ids, mask = render_conversation(TWO_TURNS, tokenizer, max_length=23)  # keeps one supervised token
    assert len(ids) == 23 and sum(mask) == 1


def test_tokenizer_without_chat_tokens_is_told_to_add_them():
    with pytest.raises(ConversationError, match="add_chat_tokens"):
        render_conversation(TWO_TURNS, word_tokenizer(with_chat_tokens=False))


def test_add_chat_tokens_adds_tokens_pad_template_and_resizes_embeddings():
    tokenizer = word_tokenizer(with_chat_tokens=False)
    model = tiny_model(len(tokenizer))
    old_rows = model.get_input_embeddings().weight.shape[0]
    changes = add_chat_tokens(tokenizer, model)
    assert len(tokenizer) == old_rows + 4  # three chat tokens and a pad token
    assert model.get_input_embeddings().weight.shape[0] == len(tokenizer)
    assert tokenizer.pad_token == "<|pad|>" and tokenizer.pad_token_id not in (tokenizer.eos_token_id,)
    assert tokenizer.chat_template == TRAINING_CHAT_TEMPLATE
    assert tokenizer.convert_tokens_to_ids(EOT) in model.generation_config.eos_token_id
    assert any("resized" in c for c in changes) and any("pad token <|pad|>" in c for c in changes)
    assert add_chat_tokens(tokenizer, model) == []  # a second call changes nothing
    ids, mask = render_conversation(TWO_TURNS, tokenizer)
    out = tokenizer.apply_chat_template(TWO_TURNS, return_dict=True, return_assistant_tokens_mask=True)
    assert out["input_ids"] == ids and out["assistant_masks"] == mask


def test_pad_equal_to_eos_is_replaced():
    tokenizer = word_tokenizer(with_chat_tokens=False)
    tokenizer.pad_token = tokenizer.eos_token
    changes = add_chat_tokens(tokenizer)
    assert tokenizer.pad_token == "<|pad|>" and any("was '<|end_of_text|>'" in c for c in changes)


def _greedy(model, prompt, max_new_tokens):
    return model.generate(torch.tensor([prompt]), max_new_tokens=max_new_tokens, do_sample=False, eos_token_id=None,
                          pad_token_id=PAD)[0, len(prompt):].tolist()


def test_generate_until_eot_matches_greedy_generate_and_stops_at_eot():
    tokenizer = word_tokenizer()
    model = tiny_model(len(tokenizer))
    prompt, _ = render_conversation(TWO_TURNS[:2], tokenizer, add_generation_prompt=True)
    reference = _greedy(model, prompt, 8)
    # Preconditions: a loop that never appends its own tokens predicts the same next token at every step, so the
    # reference must not be one repeated token; and the stop token must first appear after a few tokens.
    assert len(set(reference)) >= 5, reference
    new, stopped = generate_until_eot(model, prompt, eot_id=len(WORDS) + 99, max_new_tokens=8)  # never emitted
    assert new == reference and not stopped
    stop = reference[3]
    assert reference.index(stop) == 3
    new, stopped = generate_until_eot(model, prompt, eot_id=stop, max_new_tokens=8)
    assert stopped and new == reference[:3]


def test_generate_replies_in_padded_batches_equals_one_at_a_time():
    tokenizer = word_tokenizer()
    model = tiny_model(len(tokenizer))
    long_prompt, _ = render_conversation(TWO_TURNS[:4], tokenizer, add_generation_prompt=True)
    short_prompt, _ = render_conversation(TWO_TURNS[:2], tokenizer, add_generation_prompt=True)
    replies = generate_replies(model, tokenizer, [long_prompt, short_prompt], max_new_tokens=8)
    for prompt, reply in zip([long_prompt, short_prompt], replies):
        new, stopped = generate_until_eot(model, prompt, EOT_ID, max_new_tokens=8)
        assert (reply.ids, reply.stopped) == (new, stopped)
        assert reply.wrote_header == (SH in new)
    # Preconditions: both replies have several tokens and stop at <|eot_id|>, and the batch is sensitive to the
    # mask: left-padding the short prompt and attending to the pads changes its greedy reply.
    assert all(len(r.ids) >= 3 and r.stopped for r in replies), [(r.ids, r.stopped) for r in replies]
    pad = len(long_prompt) - len(short_prompt)
    unmasked = model.generate(torch.tensor([[PAD] * pad + short_prompt]), attention_mask=torch.ones(1, len(long_prompt),
                              dtype=torch.long), max_new_tokens=8, do_sample=False, eos_token_id=None,
                              pad_token_id=PAD)[0, len(long_prompt):].tolist()
    assert unmasked != _greedy(model, short_prompt, 8)
    free = generate_replies(model, tokenizer, [short_prompt], max_new_tokens=8, stop_at_eot=False)[0]
    reference = _greedy(model, short_prompt, 8)
    stopped_at = reference.index(EOT_ID)
    assert free.ids == reference[:stopped_at] and free.after_eot == reference[stopped_at + 1:] and free.after_eot
    # The model's own generation config must not stop a free run either (generate() falls back to it).
    model.generation_config.eos_token_id = [reference[0]]
    again = generate_replies(model, tokenizer, [short_prompt], max_new_tokens=8, stop_at_eot=False)[0]
    assert (again.ids, again.after_eot) == (free.ids, free.after_eot)
    assert model.generation_config.eos_token_id == [reference[0]]  # restored afterwards


def test_chatbot_keeps_history_and_drops_oldest_turns_when_context_is_full():
    tokenizer = word_tokenizer()
    bot = ChatBot(tiny_model(len(tokenizer)), tokenizer, system_prompt="Be brief .", max_context=40,
                  max_new_tokens=4)
    for _ in range(4):
        bot.send("Hi")
        assert bot.history[-1]["role"] == "assistant"
        prompt, _ = render_conversation(bot.messages()[:-1], tokenizer, add_generation_prompt=True)
        assert len(prompt) <= bot.max_context - bot.max_new_tokens
    assert any("dropped the oldest" in n for n in bot.notices)
    assert bot.history[0]["role"] == "user" and bot.messages()[0]["role"] == "system"
    check_conversation(bot.messages())
    with pytest.raises(ConversationError, match="send a shorter message"):
        bot.send(" ".join(["Hi"] * 50))
    check_conversation(bot.messages())  # the bot is still usable after the error


def test_mask_to_html_colours_each_token():
    tokenizer = word_tokenizer()
    ids, mask = render_conversation(TWO_TURNS, tokenizer)
    page = mask_to_html(tokenizer, ids, mask)
    assert page.count("#b7e4b0;") == sum(mask) and page.count("<span style=\"background:#e6e6e6;") == len(mask) - sum(mask)


# --- the shipped tiny decoder --------------------------------------------------------------------------------
TINY = models_dir() / "tiny-decoder"
needs_tiny = pytest.mark.skipif(not (TINY / "tokenizer.json").exists(), reason="models/tiny-decoder not built yet")


@needs_tiny
def test_tiny_decoder_template_is_the_training_template():
    from transformers import AutoTokenizer
    assert AutoTokenizer.from_pretrained(TINY).chat_template == TRAINING_CHAT_TEMPLATE


@needs_tiny
def test_tiny_decoder_hand_built_mask_equals_template_mask_on_chat_validation():
    from transformers import AutoTokenizer
    from utils.data import load_records
    tokenizer = AutoTokenizer.from_pretrained(TINY)
    for record in load_records("chat", "validation"):
        ids, mask = render_conversation(record["messages"], tokenizer)
        out = tokenizer.apply_chat_template(record["messages"], return_dict=True, return_assistant_tokens_mask=True)
        assert out["input_ids"] == ids and out["assistant_masks"] == mask, record
