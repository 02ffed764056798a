"""One switch between the offline profile (tiny models shipped in `models/`, CPU budgets) and the hub profile
(real models from the Hugging Face Hub, GPU budgets).

Every notebook has a parameter cell `PROFILE = os.environ.get("ITL_PROFILE", "offline")`; change it there or set
the environment variable. Both profiles load through the same `from_pretrained` call: a profile only says *which*
name or folder to load.
"""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from urllib.parse import urlparse

from .paths import models_dir


@dataclass(frozen=True)
class Profile:
    name: str
    decoder: str  # base (pretrained-only) decoder: a local folder or a Hub id
    encoder: str  # BERT-style encoder
    needs_gpu: bool
    description: str

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
            encoder="google-bert/bert-base-uncased",
            needs_gpu=True,
            description="real models from the Hugging Face Hub; needs a network and a GPU (e.g. Colab T4)",
        ),
    }


PROFILE_NAMES = ("offline", "hub")


def get_profile(name: str | None = None) -> Profile:
    """The profile called `name`, or the one named by `ITL_PROFILE`, or 'offline'."""
    name = (name or os.environ.get("ITL_PROFILE") or "offline").strip().lower()
    if name not in PROFILE_NAMES:
        raise ValueError(f"Unknown profile {name!r}. Choose one of {', '.join(PROFILE_NAMES)} "
                         "(set PROFILE in the notebook's parameter cell or the ITL_PROFILE environment variable).")
    return _profiles()[name]


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


def load_decoder(profile: Profile | str | None = None):
    """(model, tokenizer) for the profile's base decoder, as `AutoModelForCausalLM` in fp32 (eval mode)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    profile = profile if isinstance(profile, Profile) else get_profile(profile)
    tokenizer = _from_pretrained(AutoTokenizer, profile.decoder)
    model = _from_pretrained(AutoModelForCausalLM, profile.decoder)
    return model.eval(), tokenizer


def load_encoder(profile: Profile | str | None = None, labels: list[str] | None = None):
    """(model, tokenizer) for the profile's encoder.

    With `labels`, a sequence-classification model whose new head (randomly initialised) predicts those labels;
    without, the masked-LM model as pretrained.
    """
    from transformers import AutoModelForMaskedLM, AutoModelForSequenceClassification, AutoTokenizer

    profile = profile if isinstance(profile, Profile) else get_profile(profile)
    tokenizer = _from_pretrained(AutoTokenizer, profile.encoder)
    if labels is None:
        return _from_pretrained(AutoModelForMaskedLM, profile.encoder).eval(), tokenizer
    # transformers prints a long "LOAD REPORT" table here; the one fact in it that matters is which parameters
    # are new (the classification head), so we say that in one line instead.
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        model, info = _from_pretrained(
            AutoModelForSequenceClassification, profile.encoder, num_labels=len(labels),
            id2label=dict(enumerate(labels)), label2id={label: i for i, label in enumerate(labels)},
            output_loading_info=True,
        )
    finally:
        hf_logging.set_verbosity(verbosity)
    new = sorted(info["missing_keys"])
    print(f"New, randomly initialised parameters (the task head): {', '.join(new) if new else 'none'}")
    return model, tokenizer
