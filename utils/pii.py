"""Scrubbing personal details (PII) out of user chat logs before they become training data (lab 10).

Chat-bot users type their names, phone numbers, e-mail and street addresses into conversations; a model trained
on those logs can repeat them to someone else. So logs are scrubbed first: each detail is replaced by a
placeholder of its kind, which keeps the sentence usable for training:

    >>> scrub("I'm Maria Lopez, call me on (555) 123-4567.")
    "I'm [NAME], call me on [PHONE]."

The detectors are regular expressions plus a list of first names, as in simple production scrubbers (Microsoft
Presidio's pattern recognisers, BigCode's PII pipeline before its learned model). They are written to miss
rather than to over-scrub ordinary text: numbers in sums, years, doses and vital signs, place names of the course's
world, and a "sorry" after "I'm" are left alone (`tests/test_pii.py` lists both sides). They *do* miss things —
a name in lower case that is not introduced, a number spelt out in words — which is why lab 10 measures recall on
logs whose details are known, rather than trusting the patterns.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

PLACEHOLDERS = {"email": "[EMAIL]", "phone": "[PHONE]", "address": "[ADDRESS]", "name": "[NAME]"}

# Common first names (and the course world's people). A name from this list is scrubbed wherever it stands, with a
# following capitalised word taken as its surname; other names only when introduced ("my name is ...").
FIRST_NAMES = (
    "Mira", "Tom", "Ana", "Leo", "Sara", "Ben", "Ines", "Omar", "Lina", "Paul", "Nora", "Ivan", "Zoe", "Hugo",
    "Maria", "James", "John", "Robert", "Michael", "David", "William", "Richard", "Joseph", "Thomas", "Daniel",
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Susan", "Jessica", "Sarah", "Karen", "Emma", "Olivia",
    "Ava", "Sophia", "Liam", "Noah", "Lucas", "Mateo", "Aisha", "Fatima", "Mohammed", "Ahmed", "Priya", "Raj",
    "Wei", "Yuki", "Hiro", "Chen", "Elena", "Sofia", "Ivan", "Olga", "Anna", "Peter", "Laura", "Carlos", "Juan",
)

_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
# +CC, optional (area), then 2-4 groups of digits split by space, dot or dash; or 10-11 digits in one run.
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,5}\)[ .-]?)?\d{2,5}(?:[ .-]\d{2,6}){1,3}(?![\w-])"
    r"|(?<![\w+])\+?\d{10,12}(?!\w)")
_STREET_TYPES = ("Street", "St", "Road", "Rd", "Avenue", "Ave", "Lane", "Ln", "Drive", "Dr", "Boulevard", "Blvd",
                 "Way", "Court", "Ct", "Place", "Pl", "Terrace", "Close", "Square", "Sq")
_ADDRESS = re.compile(
    r"\b\d{1,5}[A-Za-z]?,?\s+(?:[A-Z][a-z]+\s+){1,3}(?:" + "|".join(_STREET_TYPES) + r")\b\.?"
    r"(?:,\s*(?:Apt|Flat|Unit)\.?\s*\d+[A-Za-z]?)?"
    r"(?:,\s*[A-Z][a-z]+(?:\s+[A-Z]{1,2}\d[\dA-Z]?\s*\d[A-Z]{2}|\s+\d{5})?)?")
_INTRODUCED = re.compile(r"\b(?:[Mm]y name is|[Cc]all me|I'm|I am|[Tt]his is|[Nn]ame:)\s+"
                         r"(?P<name>[A-Z][a-z]+(?:[ -][A-Z][a-z]+)?)")
_TITLED = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.?\s+(?P<name>[A-Z][a-z]+(?:[ -][A-Z][a-z]+)?)")
# Capitalised words that follow "I'm" / "This is" without being names.
_NOT_NAMES = {"Sorry", "Fine", "Not", "Here", "Back", "Glad", "Happy", "Sure", "Just", "Very", "So", "The", "A", "An",
              "It", "That", "What", "Going", "Looking", "Trying", "Writing", "Calling", "Asking", "Still", "Also"}


@dataclass(frozen=True)
class Span:
    kind: str  # one of PLACEHOLDERS
    start: int
    end: int
    text: str


_DATE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}")


def _looks_like_phone(match: str) -> bool:
    """7 to 15 digits and not a date (2024-05-01, 01.05.2024)."""
    digits = sum(c.isdigit() for c in match)
    return 7 <= digits <= 15 and not _DATE.fullmatch(match)


def find_pii(text: str, first_names: Iterable[str] = FIRST_NAMES) -> list[Span]:
    """Every personal detail found in `text`, as non-overlapping spans in order (e-mail, then address, then phone,
    then names: an earlier kind wins where two overlap)."""
    if not isinstance(text, str):
        raise TypeError(f"find_pii expects text (a str), got {type(text).__name__}.")
    found: list[Span] = []

    def add(kind: str, start: int, end: int) -> None:
        if any(start < s.end and s.start < end for s in found):
            return
        found.append(Span(kind, start, end, text[start:end]))

    for m in _EMAIL.finditer(text):
        add("email", m.start(), m.end())
    for m in _ADDRESS.finditer(text):
        add("address", m.start(), m.end())
    for m in _PHONE.finditer(text):
        if _looks_like_phone(m.group()):
            add("phone", m.start(), m.end())
    for pattern in (_INTRODUCED, _TITLED):
        for m in pattern.finditer(text):
            name = m.group("name")
            first = name.split()[0].split("-")[0]
            if first in _NOT_NAMES:
                continue
            add("name", m.start("name"), m.end("name"))
    names = sorted(set(first_names), key=len, reverse=True)
    if names:
        listed = re.compile(r"\b(?:" + "|".join(map(re.escape, names)) + r")\b(?:\s+[A-Z][a-z]+(?:-[A-Z][a-z]+)?)?")
        for m in listed.finditer(text):
            add("name", m.start(), m.end())
    return sorted(found, key=lambda s: s.start)


def scrub(text: str, first_names: Iterable[str] = FIRST_NAMES) -> str:
    """`text` with every detail `find_pii` finds replaced by its placeholder ([NAME], [PHONE], [EMAIL],
    [ADDRESS])."""
    out, last = [], 0
    for span in find_pii(text, first_names):
        out += [text[last : span.start], PLACEHOLDERS[span.kind]]
        last = span.end
    return "".join(out) + text[last:]
