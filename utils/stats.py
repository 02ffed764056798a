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


# Two-sided 95 % Student-t quantiles for n - 1 degrees of freedom (n = 2..10 runs): a few seeds give a wide interval.
_T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}


def mean_interval(values) -> tuple[float, float, float]:
    """Mean of a figure measured over several seeds and its 95 % Student-t interval: (mean, low, high).

    With 3 seeds the t quantile is 4.3, so the interval is honest about how little three runs pin down.
    """
    values = [float(v) for v in values]
    n = len(values)
    if not 2 <= n <= 10:
        raise ValueError(f"mean_interval needs between 2 and 10 runs (one per seed), got {n}.")
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = _T95[n - 1] * sd / math.sqrt(n)
    return mean, mean - half, mean + half


def seeds_summary(values, fmt: str = ".3f") -> str:
    """'0.412 [0.371, 0.453] over 3 seeds: 0.401, 0.420, 0.415' — for printing a per-seed comparison."""
    values = [float(v) for v in values]
    mean, low, high = mean_interval(values)
    runs = ", ".join(format(v, fmt) for v in values)
    return f"{mean:{fmt}} [{low:{fmt}}, {high:{fmt}}] over {len(values)} seeds: {runs}"
