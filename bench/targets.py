"""The issue's performance targets, checked against the measured summary (pure).

These are benchmark targets, not timed tests: a miss is reported (and profiled), never
turned into a failing test. A target whose figure was not measured is "n/a", not a pass.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from bench.config import MOCK, OPERATIONS, PRISM_DYNAMIC, PRISM_SERVERS, PRISM_STATIC
from bench.stats import ratio

MB = 1_000_000
COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">=": operator.ge,
}


@dataclass(frozen=True)
class Target:
    """One target: what is measured, the limit, and whether the figure meets it."""

    key: str
    label: str
    measured: float | None
    comparison: str
    limit: float
    unit: str

    @property
    def passed(self) -> bool | None:
        if self.measured is None:
            return None
        return COMPARISONS[self.comparison](self.measured, self.limit)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed}


def _get(mapping: Mapping[str, Any] | None, *keys: str) -> Any:
    """``mapping[k1][k2]…`` or ``None`` when any level is missing."""
    node: Any = mapping
    for key in keys:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def _ratio_target(
    summary: Mapping[str, Any], operation: str, prism: str, prism_label: str, limit: float
) -> Target:
    """Mock ÷ Prism throughput, on the fairest basis the run offers.

    Best: the median of per-run ratios over runs in which both servers kept a core
    busy; then the median of all per-run ratios; last, the ratio of the medians.
    """
    paired = _get(summary, "paired_ratios", operation, prism) or {}
    kind = "vs_static" if prism == PRISM_STATIC else "vs_dynamic"
    label = f"{operation}: throughput vs {prism_label}"
    if paired.get("saturated_runs"):
        measured = paired["saturated_median"]
        label += f" (runs with both CPU-bound: {paired['saturated_runs']} of {paired['runs']})"
    elif paired.get("runs"):
        measured = paired["median"]
        label += f" (per-run ratios, {paired['runs']} runs; none with both CPU-bound)"
    else:
        measured = _get(summary, "ratios", operation, prism)
    return Target(f"{operation}.{kind}", label, measured, ">=", limit, "×")


def evaluate(summary: Mapping[str, Any], *, largest_rows: int = 10_000) -> list[Target]:
    """Every target of the issue, in the order the report lists them."""
    targets: list[Target] = []
    throughput = summary.get("throughput", {})
    scaling = summary.get("scaling", {})
    servers = summary.get("servers", {})
    for op in OPERATIONS:
        name = op.name
        targets += [
            _ratio_target(summary, name, PRISM_STATIC, "Prism static", 1.5),
            _ratio_target(summary, name, PRISM_DYNAMIC, "Prism dynamic", 6.0),
            Target(
                f"{name}.p99",
                f"{name}: mock p99 latency at the benchmark's connections",
                _get(throughput, MOCK, name, "latency_ms", "p99"),
                "<=",
                25.0,
                "ms",
            ),
            Target(
                f"{name}.all_201",
                f"{name}: mock responses under load that were not 201",
                _get(throughput, MOCK, name, "unexpected"),
                "<=",
                0,
                "responses",
            ),
        ]
    rows = str(largest_rows)
    peaks: list[float] = []
    for op in OPERATIONS:
        seconds = _get(scaling, op.name, rows, "seconds")
        targets.append(
            Target(
                f"{op.name}.bulk_{rows}",
                f"{op.name}: {largest_rows:,}-row bulk, request to complete 201",
                seconds,
                "<",
                1.0,
                "s",
            )
        )
        peak = _get(scaling, op.name, rows, "peak_rss_bytes")
        if peak is not None:
            peaks.append(peak / MB)
    targets.append(
        Target(
            "bulk_peak_rss",
            f"mock peak RSS during {largest_rows:,}-row bulks",
            max(peaks) if peaks else None,
            "<",
            300.0,
            "MB",
        )
    )
    targets.append(
        Target(
            "startup",
            "mock start-up to first 201",
            _get(servers, MOCK, "startup_s"),
            "<",
            1.5,
            "s",
        )
    )
    prism_idle = [
        value
        for value in (_get(servers, name, "idle_rss_bytes") for name in PRISM_SERVERS)
        if value is not None
    ]
    targets.append(
        Target(
            "idle_memory",
            "mock idle RSS / Prism's (the smaller Prism mode)",
            ratio(_get(servers, MOCK, "idle_rss_bytes"), min(prism_idle) if prism_idle else None),
            "<",
            0.5,
            "×",
        )
    )
    targets.append(
        Target(
            "suite",
            "contract suite, one default run against the local mock",
            _get(summary, "suite", "seconds"),
            "<",
            30.0,
            "s",
        )
    )
    late = [
        variant["seconds"]
        for variant in (_get(summary, "suite", "variants") or [])
        if variant["latency_ms"] and variant["workers"] is None
    ]
    targets.append(
        Target(
            "suite_late",
            "contract suite, one default run against the late mock (--suite-latency)",
            late[0] if late else None,
            "<",
            60.0,
            "s",
        )
    )
    return targets
