"""Small statistics the bench reports: percentiles and latency summaries."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], q: float) -> float:
    """Return the `q`-th percentile of `values` by linear interpolation between closest ranks.

    Args:
        values: The sample (any order).
        q: The percentile, 0 to 100.

    Returns:
        The interpolated value; NaN for an empty sample.

    Raises:
        ValueError: If `q` is outside 0-100.
    """
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be between 0 and 100, got {q}")
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = math.ceil(rank)
    if low == high:
        return float(ordered[low])
    return float(ordered[low] + (ordered[high] - ordered[low]) * (rank - low))


@dataclass(frozen=True)
class Summary:
    """Count, p50, p95, p99 and maximum of a latency sample, in milliseconds."""

    count: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


def summarise(seconds: Sequence[float]) -> Summary:
    """Return the summary of a sample of durations given in seconds."""
    if not seconds:
        return Summary(0, math.nan, math.nan, math.nan, math.nan)
    return Summary(
        count=len(seconds),
        p50_ms=round(percentile(seconds, 50) * 1000, 1),
        p95_ms=round(percentile(seconds, 95) * 1000, 1),
        p99_ms=round(percentile(seconds, 99) * 1000, 1),
        max_ms=round(max(seconds) * 1000, 1),
    )
