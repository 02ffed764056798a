"""One switch between the offline profile (tiny models shipped in `models/`, CPU budgets) and the hub profile
(real models from the Hugging Face Hub, GPU budgets).

Every notebook has a parameter cell `PROFILE = os.environ.get("ITL_PROFILE", "offline")`; change it there or set
the environment variable. Both profiles load through the same `from_pretrained` call: a profile only says *which*
name or folder to load.

Overrides, for real use: `ITL_DECODER`, `ITL_INSTRUCT_DECODER` and `ITL_ENCODER` replace the active profile's model
names with another Hub id or a local folder (a mirror, a university cache, another small model such as
Qwen/Qwen2.5-0.5B). `ITL_MAX_STEPS=N` (see `utils.training.capped_steps`) caps every training run for smoke runs.

`claim(profile, holds, statement, measured)` is how a notebook states a result that needs a trained model: it is
asserted where it can be expected to hold (offline always; the hub profile with real models and full budgets) and
printed, with the measurement, where it cannot (stand-in models with random weights, or budgets cut by
ITL_MAX_STEPS). A claim is never dropped silently.
"""
from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlparse

from .paths import models_dir, repo_root


@dataclass(frozen=True)
class Profile:
    name: str
    decoder: str  # base (pretrained-only) decoder: a local folder or a Hub id
    encoder: str  # BERT-style encoder
    needs_gpu: bool
    description: str
    # An instruction-tuned decoder of the same family, for base-vs-instruct comparisons and preference tuning.
    # None offline: the course trains its own chat model there (lab 04).
    instruct_decoder: str | None = None

    @property
    def is_offline(self) -> bool:
        return self.name == "offline"


def _profiles() -> dict[str, Profile]:
    return {
        "offline": Profile(
            name="offline",
            decoder=str(models_dir() / "tiny-decoder"),
            encoder=str(models_dir() / "tiny-encoder"),
            needs_gpu=False,
            description="tiny models built by this repo (no download); runs on 2 CPU cores",
        ),
        "hub": Profile(
            name="hub",
            decoder="HuggingFaceTB/SmolLM2-135M",
            instruct_decoder="HuggingFaceTB/SmolLM2-135M-Instruct",
            encoder="google-bert/bert-base-uncased",
            needs_gpu=True,
            description="real models from the Hugging Face Hub; needs a network and a GPU (e.g. Colab T4)",
        ),
    }


PROFILE_NAMES = ("offline", "hub")
OVERRIDES = {"decoder": "ITL_DECODER", "instruct_decoder": "ITL_INSTRUCT_DECODER", "encoder": "ITL_ENCODER"}


def get_profile(name: str | None = None) -> Profile:
    """The profile called `name`, or the one named by `ITL_PROFILE`, or 'offline', with any model names replaced
    by the environment variables ITL_DECODER, ITL_INSTRUCT_DECODER and ITL_ENCODER."""
    name = (name or os.environ.get("ITL_PROFILE") or "offline").strip().lower()
    if name not in PROFILE_NAMES:
        raise ValueError(f"Unknown profile {name!r}. Choose one of {', '.join(PROFILE_NAMES)} "
                         "(set PROFILE in the notebook's parameter cell or the ITL_PROFILE environment variable).")
    profile = _profiles()[name]
    overrides = {field: _local_or_hub(os.environ[var].strip()) for field, var in OVERRIDES.items()
                 if os.environ.get(var, "").strip()}
    if overrides:
        said = ", ".join(f"{OVERRIDES[field]}={value}" for field, value in overrides.items())
        profile = replace(profile, **overrides, description=f"{profile.description}; overridden: {said}")
    return profile


def _local_or_hub(name: str) -> str:
    """An override as given: a folder (relative to the current directory or to the repo) becomes an absolute path,
    since notebooks run from their own folder; anything else is a Hub id."""
    for candidate in (Path(name).expanduser(), repo_root() / name):
        if candidate.is_dir():
            return str(candidate.resolve())
    return name


def stand_in_of(name_or_path: str | None) -> str | None:
    """The real model a local stand-in imitates (from its config's `itl_stand_in`), or None for a real model.

    Stand-ins (built by `tools/build_standins.py` for tests) have a real family's tokenizer conventions and random
    weights: every code path runs on them, but no claim about what training achieves can hold.
    """
    if not name_or_path or not os.path.isfile(os.path.join(name_or_path, "config.json")):
        return None
    with open(os.path.join(name_or_path, "config.json")) as f:
        return json.load(f).get("itl_stand_in")


class ClaimFailed(AssertionError):
    """A result the notebook states did not hold where it was expected to."""


def claims_checkable(profile: Profile) -> tuple[bool, str]:
    """(True, "") if this run's results can be expected to meet the notebook's claims, else (False, why not)."""
    from .training import max_steps_override

    if max_steps_override() is not None:
        return False, f"training capped at {max_steps_override()} steps by ITL_MAX_STEPS"
    stand_ins = [s for s in map(stand_in_of, (profile.decoder, profile.instruct_decoder, profile.encoder)) if s]
    if stand_ins:
        return False, f"stand-in models with random weights ({', '.join(stand_ins)})"
    return True, ""


def claim(profile: Profile, holds: bool, statement: str, measured: str = "") -> bool:
    """State a result: asserted where it can be expected to hold, printed (never dropped) where it cannot.

    `statement` says what should be true ("SFT beats the base model"), `measured` the numbers behind it.
    Returns whether it held.
    """
    checkable, why_not = claims_checkable(profile)
    detail = f" ({measured})" if measured else ""
    if holds:
        print(f"✔ holds: {statement}{detail}")
    elif checkable:
        raise ClaimFailed(f"{statement}: does not hold{detail}.")
    else:
        print(f"✘ does not hold here: {statement}{detail}. Not asserted: {why_not}.")
    return bool(holds)


class HubUnavailableError(RuntimeError):
    """The hub profile was chosen but the Hugging Face Hub cannot be reached."""


def _hub_reachable(timeout: float = 3.0) -> bool:
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes"):
        return False
    host = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname or "huggingface.co"
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def _from_pretrained(cls, name_or_path: str, **kwargs):
    """`cls.from_pretrained`, failing fast with a clear message when a Hub model cannot be fetched."""
    if os.path.isdir(name_or_path):
        return cls.from_pretrained(name_or_path, **kwargs)
    if os.path.isabs(name_or_path) or name_or_path.startswith("."):
        raise FileNotFoundError(f"No model folder at {name_or_path}. The offline models ship with the repo in "
                                "models/: restore them with `git checkout models/` or rebuild with `make assets`.")
    if not _hub_reachable():
        try:  # maybe it is in the local Hugging Face cache from an earlier run
            return cls.from_pretrained(name_or_path, local_files_only=True, **kwargs)
        except OSError:
            raise HubUnavailableError(
                f"Cannot load {name_or_path!r}: the Hugging Face Hub is not reachable from this machine and the "
                "model is not in the local cache. Use the offline profile instead: set PROFILE = 'offline' in the "
                "parameter cell (or ITL_PROFILE=offline), which needs no download."
            ) from None
    return cls.from_pretrained(name_or_path, **kwargs)


PAD = "<|pad|>"


def fit_embeddings(model, tokenizer) -> str | None:
    """Give every token of `tokenizer` an embedding row (and output row), new rows near the mean of the old ones.

    Only ever grows the matrix: some families ship more rows than tokens (Qwen2.5 pads to a multiple of 128), and
    `resize_token_embeddings(len(tokenizer))` would then *cut* rows, possibly ones in use. Returns what changed.
    """
    rows = model.get_input_embeddings().weight.shape[0]
    if len(tokenizer) <= rows:
        return None
    model.resize_token_embeddings(len(tokenizer), mean_resizing=True)
    return f"embeddings resized {rows} -> {len(tokenizer)} rows"


def ensure_pad_token(tokenizer, model=None) -> str | None:
    """Give a tokenizer without a pad token (SmolLM2, Llama 3) a distinct one, `<|pad|>`; resize `model` to match.

    Never pad with the end token: code that then masks padding by id also hides every real end token, and the
    model never learns to stop. (Everything in `utils` masks padding by the attention mask; a distinct pad token
    removes the trap for code that does not.) Returns a sentence saying what changed, or None.
    """
    end_tokens = {tokenizer.eos_token, "<|eot_id|>", "<|im_end|>", "<end_of_turn>"}
    if tokenizer.pad_token is not None and tokenizer.pad_token not in end_tokens:
        return None
    old = tokenizer.pad_token
    tokenizer.add_special_tokens({"pad_token": PAD})
    said = f"added pad token {PAD} (id {tokenizer.pad_token_id}; was {old!r})"
    if model is not None:
        resized = fit_embeddings(model, tokenizer)
        if resized:
            said += f", {resized}"
        model.config.pad_token_id = tokenizer.pad_token_id
        if model.generation_config is not None:
            model.generation_config.pad_token_id = tokenizer.pad_token_id
    return said


def load_decoder(profile: Profile | str | None = None, instruct: bool = False):
    """(model, tokenizer) for the profile's base decoder (or, with `instruct=True`, its instruction-tuned
    decoder), as `AutoModelForCausalLM` in fp32, in eval mode, with a pad token distinct from every end token."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    profile = profile if isinstance(profile, Profile) else get_profile(profile)
    name = profile.instruct_decoder if instruct else profile.decoder
    if name is None:
        raise ValueError(f"The {profile.name} profile has no instruction-tuned decoder: the course trains its own "
                         "chat model offline (lab 04). Set ITL_INSTRUCT_DECODER to a model folder or Hub id.")
    tokenizer = _from_pretrained(AutoTokenizer, name)
    # fp32 weights whatever the checkpoint's dtype (SmolLM2 ships bf16, and transformers 5 loads a checkpoint in its
    # own dtype by default): training keeps fp32 master weights; utils.device decides about mixed precision.
    model = _from_pretrained(AutoModelForCausalLM, name, dtype=torch.float32)
    if tokenizer.eos_token_id is None:
        raise ValueError(f"The tokenizer of {name} has no eos_token: set one (tokenizer.eos_token = ...) to the "
                         "token that ends a document, or generation and SFT cannot know where a text ends.")
    said = ensure_pad_token(tokenizer, model)
    if said:
        print(f"{name}: {said}.")
    return model.eval(), tokenizer


def load_encoder(profile: Profile | str | None = None, labels: list[str] | None = None, verbose: bool = True):
    """(model, tokenizer) for the profile's encoder.

    With `labels`, a sequence-classification model whose new head (randomly initialised) predicts those labels,
    and (unless verbose=False, for a loop of runs) a line naming the new parameters; without, the masked-LM model
    as pretrained.
    """
    import torch
    from transformers import AutoModelForMaskedLM, AutoModelForSequenceClassification, AutoTokenizer

    profile = profile if isinstance(profile, Profile) else get_profile(profile)
    tokenizer = _from_pretrained(AutoTokenizer, profile.encoder)
    if labels is None:
        return _from_pretrained(AutoModelForMaskedLM, profile.encoder, dtype=torch.float32).eval(), tokenizer
    # transformers prints a long "LOAD REPORT" table here; the one fact in it that matters is which parameters
    # are new (the classification head), so we say that in one line instead.
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        model, info = _from_pretrained(
            AutoModelForSequenceClassification, profile.encoder, num_labels=len(labels),
            id2label=dict(enumerate(labels)), label2id={label: i for i, label in enumerate(labels)},
            output_loading_info=True, dtype=torch.float32,
        )
    finally:
        hf_logging.set_verbosity(verbosity)
    new = sorted(info["missing_keys"])
    if verbose:
        print(f"New, randomly initialised parameters (the task head): {', '.join(new) if new else 'none'}")
    return model, tokenizer
