"""Uncertainty of a measured share: a score measured on n examples is an estimate, so labs print an interval."""
from __future__ import annotations

import math


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval (95 % for z = 1.96) for a proportion of `successes` out of `n`.

    Unlike the textbook p ± z·sqrt(p(1-p)/n), it stays inside [0, 1] and does not collapse to a width of zero
    at 0 % or 100 %, which matters for the small evaluation sets of these labs.
    """
    if n <= 0:
        raise ValueError(f"An interval needs at least one trial, got n={n}.")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must lie between 0 and n={n}, got {successes}.")
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def share_with_interval(successes: int, n: int) -> str:
    """'62.0 % [48.2, 74.1]' — a share and its 95 % Wilson interval, for printing."""
    low, high = wilson_interval(successes, n)
    return f"{successes / n:.1%} [{low:.1%}, {high:.1%}] (n={n})"
