"""Per-run samples → the summary the report and the targets read (pure).

Samples are plain JSON-ready dicts, so the same functions summarise a fresh run and a
``results.json`` read back from disk. Medians across runs everywhere, except peak
memory, where the highest peak seen is the honest figure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bench.config import MOCK, PRISM_SERVERS, SATURATED_CORES
from bench.stats import PERCENTILES, median, median_or_none, ratio

Sample = Mapping[str, Any]
# pytest's exit codes of a suite that ran to the end: all passed, or some failed.
COMPLETED = (0, 1)


def summarize_throughput(samples: Iterable[Sample]) -> dict[str, dict[str, dict[str, Any]]]:
    """``{server: {operation: {rps, latency_ms, requests, unexpected, server_cores, …}}}``."""
    grouped: dict[tuple[str, str], list[Sample]] = {}
    for sample in samples:
        grouped.setdefault((sample["server"], sample["operation"]), []).append(sample)
    summary: dict[str, dict[str, dict[str, Any]]] = {}
    for (server, operation), group in grouped.items():
        results = [sample["result"] for sample in group]
        latency = {
            key: median(result["latency_ms"][key] for result in results)
            for key, _ in PERCENTILES
            if all(key in result["latency_ms"] for result in results)
        }
        summary.setdefault(server, {})[operation] = {
            "rps": median(result["rps"] for result in results),
            "latency_ms": latency,
            "requests": sum(result["requests"] for result in results),
            "unexpected": sum(sample["unexpected"] for sample in group),
            "server_cores": median_or_none(sample.get("server_cores") for sample in group),
            "runs": len(group),
            "tool": results[0]["tool"],
        }
    return summary


def throughput_ratios(
    throughput: Mapping[str, Mapping[str, Mapping[str, Any]]],
) -> dict[str, dict[str, float | None]]:
    """``{operation: {prism server: mock rps / prism rps}}`` for every measured pair."""
    ratios: dict[str, dict[str, float | None]] = {}
    for operation, mock in throughput.get(MOCK, {}).items():
        for prism in PRISM_SERVERS:
            peer = throughput.get(prism, {}).get(operation)
            if peer is not None:
                ratios.setdefault(operation, {})[prism] = ratio(mock["rps"], peer["rps"])
    return ratios


def paired_ratios(samples: Iterable[Sample]) -> dict[str, dict[str, dict[str, Any]]]:
    """Mock ÷ Prism within each run, where both were measured minutes apart.

    ``{operation: {prism server: {median, runs, saturated_median, saturated_runs}}}``.
    On a machine shared with other work, load comes and goes between runs; a ratio
    taken inside one run compares like with like, and the runs in which both servers
    kept a core busy (:data:`SATURATED_CORES`) are the ones no outside work distorted.
    """
    by_run: dict[tuple[int, str, str], Sample] = {}
    for sample in samples:
        by_run[(sample["run"], sample["server"], sample["operation"])] = sample
    found: dict[str, dict[str, tuple[list[float], list[float]]]] = {}
    for (run, server, operation), mock in sorted(by_run.items()):
        if server != MOCK:
            continue
        for prism in PRISM_SERVERS:
            peer = by_run.get((run, prism, operation))
            value = ratio(mock["result"]["rps"], peer["result"]["rps"]) if peer else None
            if peer is None or value is None:
                continue
            every, saturated = found.setdefault(operation, {}).setdefault(prism, ([], []))
            every.append(value)
            cores = (mock.get("server_cores"), peer.get("server_cores"))
            if all(c is not None and c >= SATURATED_CORES for c in cores):
                saturated.append(value)
    return {
        operation: {
            prism: {
                "median": median(every),
                "runs": len(every),
                "saturated_median": median_or_none(saturated),
                "saturated_runs": len(saturated),
            }
            for prism, (every, saturated) in per_prism.items()
        }
        for operation, per_prism in found.items()
    }


def summarize_servers(samples: Iterable[Sample]) -> dict[str, dict[str, float | None]]:
    """``{server: {startup_s, idle_rss_bytes, loaded_rss_bytes}}`` as medians."""
    grouped: dict[str, list[Sample]] = {}
    for sample in samples:
        grouped.setdefault(sample["server"], []).append(sample)
    return {
        server: {
            key: median_or_none(sample.get(key) for sample in group)
            for key in ("startup_s", "idle_rss_bytes", "loaded_rss_bytes")
        }
        for server, group in grouped.items()
    }


def summarize_scaling(samples: Iterable[Sample]) -> dict[str, dict[str, dict[str, Any]]]:
    """``{operation: {rows: {seconds, ms_per_row, peak_rss_bytes, ...}}}``; rows as text."""
    grouped: dict[tuple[str, int], list[Sample]] = {}
    for sample in samples:
        grouped.setdefault((sample["operation"], int(sample["rows"])), []).append(sample)
    summary: dict[str, dict[str, dict[str, Any]]] = {}
    for (operation, rows), group in sorted(grouped.items()):
        seconds = median(sample["seconds"] for sample in group)
        summary.setdefault(operation, {})[str(rows)] = {
            "seconds": seconds,
            "ms_per_row": seconds * 1000.0 / rows,
            "peak_rss_bytes": max(sample["peak_rss_bytes"] for sample in group),
            "upload_seconds": median(sample["upload_seconds"] for sample in group),
            "all_created": all(
                sample["status"] == 201 and sample["items"] == sample["expected_items"]
                for sample in group
            ),
            "runs": len(group),
        }
    return summary


def summarize_suite(samples: Iterable[Sample]) -> dict[str, Any] | None:
    """``{seconds, exit_codes, runs, variants, speedups}``; ``None`` when the suite never ran.

    ``seconds`` is the median of the default runs against the local mock; ``variants``
    lists every way the suite was run (implementation's lateness, workers: ``None`` is
    the default) with its median; ``speedups`` is, per lateness, the sequential median
    over the default one. Only runs that went to the end are timed: exit 0 (all passed)
    or 1 (some checks failed, pytest's code). A suite that could not start, was
    interrupted or timed out (2–5, or none) says nothing about how long a real run takes.
    """
    group = list(samples)
    if not group:
        return None
    by_variant: dict[tuple[int, int | None], list[Sample]] = {}
    for sample in group:
        key = (int(sample.get("latency_ms", 0)), sample.get("workers"))
        by_variant.setdefault(key, []).append(sample)
    variants = [
        {
            "latency_ms": latency,
            "workers": workers,
            "seconds": median_or_none(s["seconds"] for s in runs if s["exit_code"] in COMPLETED),
            "exit_codes": [s["exit_code"] for s in runs],
            "runs": len(runs),
        }
        for (latency, workers), runs in by_variant.items()
    ]
    seconds = {(v["latency_ms"], v["workers"]): v["seconds"] for v in variants}
    speedups = {
        str(latency): ratio(seconds.get((latency, 1)), seconds.get((latency, None)))
        for latency in sorted({latency for latency, _ in seconds})
        if (latency, 1) in seconds and (latency, None) in seconds
    }
    local_default = by_variant.get((0, None), [])
    return {
        "seconds": seconds.get((0, None)),
        "exit_codes": [sample["exit_code"] for sample in local_default],
        "runs": len(local_default),
        "variants": variants,
        "speedups": speedups,
    }


def summarize(samples: Mapping[str, list[Sample]]) -> dict[str, Any]:
    """Every section of the summary from the sample lists of a run."""
    throughput = summarize_throughput(samples.get("throughput", []))
    return {
        "throughput": throughput,
        "ratios": throughput_ratios(throughput),
        "paired_ratios": paired_ratios(samples.get("throughput", [])),
        "servers": summarize_servers(samples.get("servers", [])),
        "scaling": summarize_scaling(samples.get("scaling", [])),
        "suite": summarize_suite(samples.get("suite", [])),
    }
