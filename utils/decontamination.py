"""Deduplication and decontamination by word n-gram overlap (lab 10).

A training set is *contaminated* when it contains test items: a model can then score well on the test by
remembering answers instead of having the skill. The usual defence (GPT-3, Llama 2, the Tulu and OLMo data
pipelines) is n-gram overlap: split every test item into word n-grams, and drop a training item that shares too
many of them. Two choices decide what it catches:

- `n`: too small and the shared wording of a task template ("rewrite the text in") flags clean items; too large
  and a short test item (fewer than n words) can never be matched — here such a text counts as one n-gram made of
  all its words, so it is caught only when a training text is exactly as short and the same;
- `min_overlap`: the share of a training text's n-grams that must occur in the test set.

    test_index = ngram_index(test_texts, n=8)
    leaked = [overlap(text, test_index, n=8) >= 0.5 for text in train_texts]

Texts are compared after `normalise_words` (lower case, words and numbers only), so a change of case or
punctuation does not hide a copy. `deduplicate` removes exact copies after the same normalisation.
"""
from __future__ import annotations

import re
from typing import Iterable, Sequence

_WORD = re.compile(r"[a-z0-9]+")


def normalise_words(text: str) -> list[str]:
    """Lower-cased words and numbers of `text`; punctuation, case and spacing are dropped."""
    if not isinstance(text, str):
        raise TypeError(f"normalise_words expects text (a str), got {type(text).__name__}.")
    return _WORD.findall(text.lower())


def ngrams(text: str, n: int) -> set[tuple[str, ...]]:
    """The set of word n-grams of `text` (normalised). A text of fewer than `n` words (but at least one) gives one
    n-gram made of all its words; an empty text gives none."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}.")
    words = normalise_words(text)
    if not words:
        return set()
    if len(words) < n:
        return {tuple(words)}
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def ngram_index(texts: Iterable[str], n: int) -> set[tuple[str, ...]]:
    """Every n-gram of every text (typically the test set), for `overlap`."""
    index: set[tuple[str, ...]] = set()
    for text in texts:
        index |= ngrams(text, n)
    return index


def overlap(text: str, index: set[tuple[str, ...]], n: int) -> float:
    """Share of `text`'s n-grams that occur in `index` (0.0 for a text without words)."""
    grams = ngrams(text, n)
    if not grams:
        return 0.0
    return len(grams & index) / len(grams)


def flag_contaminated(texts: Sequence[str], test_texts: Sequence[str], n: int, min_overlap: float = 0.5) -> list[bool]:
    """For each text, whether at least `min_overlap` of its n-grams occur in `test_texts`."""
    if not 0.0 < min_overlap <= 1.0:
        raise ValueError(f"min_overlap is a share of n-grams in (0, 1], got {min_overlap}.")
    index = ngram_index(test_texts, n)
    return [overlap(text, index, n) >= min_overlap for text in texts]


def deduplicate(texts: Sequence[str]) -> list[int]:
    """Indices of the texts to keep: the first of each group of texts that are equal after normalisation."""
    seen: set[tuple[str, ...]] = set()
    keep = []
    for i, text in enumerate(texts):
        key = tuple(normalise_words(text))
        if key not in seen:
            seen.add(key)
            keep.append(i)
    return keep
