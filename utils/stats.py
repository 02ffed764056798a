"""Uncertainty of a measured figure: a score measured on n examples, or over a few seeds, is an estimate, so labs
print an interval, and a comparison of two arms run with the same seeds is judged on its paired difference."""
from __future__ import annotations

import math
from dataclasses import dataclass


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


@dataclass(frozen=True)
class PairedDifference:
    """`first` minus `second`, seed by seed, with the mean's 95 % Student-t interval.

    Pairing matters: two runs with the same seed share their data order (and their subset), so the seed-to-seed
    noise both arms share cancels in the difference, and three seeds can resolve a gap that the two arms' own
    intervals would hide.
    """

    differences: tuple[float, ...]
    mean: float
    low: float
    high: float

    @property
    def sign(self) -> int:
        """+1 when the interval lies above 0 (first higher), -1 when below (second higher), 0 when it holds 0."""
        return 1 if self.low > 0 else -1 if self.high < 0 else 0

    @property
    def resolved(self) -> bool:
        """Whether the interval excludes 0: the seeds show a difference."""
        return self.sign != 0

    def verdict(self, first: str, second: str, higher: str = "higher") -> str:
        """'<first> higher' when the interval lies above 0, '<second> higher' when below, and otherwise 'no
        difference shown at this scale (the interval holds 0)'. `higher` is the word after the name ('' for none)."""
        if self.sign == 0:
            return "no difference shown at this scale (the interval holds 0)"
        return f"{first if self.sign > 0 else second} {higher}".strip()

    def format(self, fmt: str = "+.3f") -> str:
        """'+0.044 [+0.003, +0.085]'."""
        return f"{self.mean:{fmt}} [{self.low:{fmt}}, {self.high:{fmt}}]"

    def __str__(self) -> str:
        """'+0.044 [+0.003, +0.085] over 3 seeds: +0.048, +0.058, +0.026'."""
        return seeds_summary(self.differences, "+.3f")


def paired_difference(first, second) -> PairedDifference:
    """Seed by seed `first[i] - second[i]` (two lists of one figure per seed, in the same seed order), its mean
    and 95 % Student-t interval (`mean_interval`)."""
    first, second = [float(v) for v in first], [float(v) for v in second]
    if len(first) != len(second):
        raise ValueError(f"A paired difference needs one figure per seed on both sides, got {len(first)} and "
                         f"{len(second)}: run both arms with the same seeds.")
    differences = tuple(a - b for a, b in zip(first, second))
    return PairedDifference(differences, *mean_interval(differences))
