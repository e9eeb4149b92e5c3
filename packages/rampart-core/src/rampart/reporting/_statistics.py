"""Confidence intervals for pass and attack-success rates."""

from __future__ import annotations

from math import sqrt

__all__ = ["wilson_interval"]

_Z95 = 1.959963984540054


def wilson_interval(
    successes: int, trials: int, /, *, z: float = _Z95
) -> tuple[float, float] | None:
    """The Wilson score interval for ``successes`` out of ``trials`` (95% by default).

    Unlike the normal approximation it stays inside [0, 1] and is meaningful for tiny samples
    and for rates of exactly 0 or 1, which is what safety runs mostly produce. Returns ``None``
    when there are no trials.
    """
    if trials < 0 or successes < 0 or successes > trials:
        raise ValueError(
            f"wilson_interval needs 0 <= successes <= trials, got {successes} of {trials}"
        )
    if trials == 0:
        return None
    p = successes / trials
    z2 = z * z
    denominator = 1.0 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half_width = z * sqrt(p * (1.0 - p) / trials + z2 / (4 * trials * trials)) / denominator
    # The bounds are exactly 0 and 1 at the extremes; rounding must not push them past.
    low = 0.0 if successes == 0 else max(0.0, centre - half_width)
    high = 1.0 if successes == trials else min(1.0, centre + half_width)
    return (low, high)
