"""Small pure statistics: medians across runs, percentiles of latencies, ratios.

Medians, not means, summarise repeated runs: one run disturbed by another process on a
shared 2-core machine should not move the reported figure.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence

# The latency percentiles every load result reports, as (key, percent).
PERCENTILES: tuple[tuple[str, float], ...] = (
    ("p50", 50.0),
    ("p75", 75.0),
    ("p90", 90.0),
    ("p99", 99.0),
    ("p99.9", 99.9),
)


def median(values: Iterable[float]) -> float:
    """The median of ``values``; an empty input is a bug in the caller, so it raises."""
    data = list(values)
    if not data:
        raise ValueError("median of no values")
    return float(statistics.median(data))


def median_or_none(values: Iterable[float | None]) -> float | None:
    """The median of the values that were measured, or ``None`` when none was."""
    data = [value for value in values if value is not None]
    return median(data) if data else None


def percentile(sorted_values: Sequence[float], percent: float) -> float:
    """Nearest-rank percentile of already sorted values (the definition wrk uses)."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    if not 0.0 < percent <= 100.0:
        raise ValueError(f"percent must be in (0, 100], got {percent}")
    rank = math.ceil(percent / 100.0 * len(sorted_values))
    return float(sorted_values[max(rank, 1) - 1])


def latency_percentiles(latencies_ms: Iterable[float]) -> dict[str, float]:
    """All of :data:`PERCENTILES` for raw per-request latencies in milliseconds."""
    ordered = sorted(latencies_ms)
    return {key: percentile(ordered, percent) for key, percent in PERCENTILES}


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator``, or ``None`` when either is unknown or the divisor is 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator
