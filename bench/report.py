"""The results as a markdown report (pure: a results dict in, text out).

The report leads with the targets, so a reader sees pass/fail first and the tables
that justify it after. Every figure is a median of the runs unless it says otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bench.config import MOCK, OPERATIONS, SATURATED_CORES, SERVERS
from bench.stats import PERCENTILES, ratio
from bench.targets import MB

MISSING = "—"


def fmt(value: float | None, digits: int = 2) -> str:
    """A number with thousands separators and ``digits`` decimals; a dash when unknown."""
    if value is None:
        return MISSING
    return f"{value:,.{digits}f}"


def fmt_mb(value: float | None) -> str:
    return MISSING if value is None else f"{value / MB:,.1f}"


def verdict(passed: bool | None) -> str:
    return {True: "PASS", False: "**FAIL**", None: "n/a"}[passed]


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured table; pipes inside cells are escaped so columns stay aligned."""

    def cell(text: str) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in headers) + " |"]
    lines.append("|" + "|".join("---" for _ in headers) + "|")
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def machine_line(machine: Mapping[str, Any]) -> str:
    """One line naming everything the figures depend on."""
    parts = [
        f"{machine.get('cores', '?')} cores",
        str(machine.get("cpu", "unknown CPU")),
        f"{fmt(machine.get('memory_bytes', 0) / 1e9, 1)} GB RAM",
        str(machine.get("os", "")),
        f"Python {machine.get('python', '?')}",
        f"Node {machine.get('node', '?')}",
        f"Prism {machine.get('prism', '?')}",
        f"wrk {machine.get('wrk', '?')}",
        f"load average (1, 5, 15 min) at start {machine.get('loadavg', '?')}, "
        f"at end {machine.get('loadavg_end', '?')}",
    ]
    return ", ".join(part for part in parts if part)


def target_row(target: Mapping[str, Any]) -> list[str]:
    """label, measured, limit, verdict; counts without decimals, unknowns as a bare dash."""
    digits = 0 if target["unit"] == "responses" else 2
    measured = target["measured"]
    shown = MISSING if measured is None else f"{fmt(measured, digits)} {target['unit']}"
    limit = f"{target['comparison']} {fmt(target['limit'], digits)} {target['unit']}"
    return [target["label"], shown, limit, verdict(target["passed"])]


def targets_table(targets: Sequence[Mapping[str, Any]]) -> str:
    return markdown_table(
        ["target", "measured", "limit", "result"], [target_row(t) for t in targets]
    )


def _throughput_section(summary: Mapping[str, Any]) -> str:
    throughput = summary.get("throughput", {})
    ratios = summary.get("ratios", {})
    keys = [key for key, _ in PERCENTILES]
    headers = ["server", "operation", "req/s", *(f"{key} ms" for key in keys)]
    headers += ["not 201", "mock ÷ this (medians)", "server CPU (cores)", "runs", "tool"]
    rows = []
    for server in SERVERS:
        for op in OPERATIONS:
            entry = throughput.get(server, {}).get(op.name)
            if entry is None:
                continue
            mock_ratio = "1.00" if server == MOCK else fmt(ratios.get(op.name, {}).get(server))
            rows.append(
                [
                    server,
                    op.name,
                    fmt(entry["rps"], 0),
                    *(fmt(entry["latency_ms"].get(key)) for key in keys),
                    str(entry["unexpected"]),
                    mock_ratio,
                    fmt(entry.get("server_cores")),
                    str(entry["runs"]),
                    entry["tool"],
                ]
            )
    if not rows:
        return "_not measured_"
    return "\n".join([markdown_table(headers, rows), "", _paired_section(summary)])


def _paired_section(summary: Mapping[str, Any]) -> str:
    """Mock ÷ Prism within each run, the basis of the throughput targets."""
    paired = summary.get("paired_ratios", {})
    rows = [
        [
            op.name,
            prism,
            f"{fmt(entry['median'])} ({entry['runs']})",
            f"{fmt(entry['saturated_median'])} ({entry['saturated_runs']})",
        ]
        for op in OPERATIONS
        for prism, entry in paired.get(op.name, {}).items()
    ]
    if not rows:
        return ""
    headers = [
        "operation",
        "mock ÷",
        "median of per-run ratios (runs)",
        f"same, runs where both used ≥ {SATURATED_CORES} cores (runs)",
    ]
    return "\n".join(
        [
            "Mock ÷ Prism measured within the same run (the throughput targets use the last "
            "column where it has runs: those are the runs no outside work distorted):",
            "",
            markdown_table(headers, rows),
        ]
    )


def contention_note(results: Mapping[str, Any]) -> str | None:
    """A warning when the figures show the machine was busy with other work."""
    throughput = results.get("summary", {}).get("throughput", {})
    cores = [
        entry["server_cores"]
        for per_op in throughput.values()
        for entry in per_op.values()
        if entry.get("server_cores") is not None
    ]
    machine = results.get("machine", {})
    try:
        load = float(str(machine.get("loadavg", "0")).split(",")[0])
    except ValueError:
        load = 0.0
    starved = bool(cores) and min(cores) < SATURATED_CORES
    busy = load > (machine.get("cores") or 1) / 2
    if not (starved or busy):
        return None
    return (
        "**Warning: the machine was busy.** "
        + (f"1-minute load average {load:.2f} at start. " if busy else "")
        + (
            f"A server under load used as little as {min(cores):.2f} cores "
            f"(a saturated single-process server uses about 1): other work took CPU from it. "
            if starved
            else ""
        )
        + "Absolute figures are pessimistic; mock and Prism ran interleaved under the same "
        "conditions, so the ratios are the fairer comparison."
    )


def _servers_section(summary: Mapping[str, Any]) -> str:
    servers = summary.get("servers", {})
    rows = [
        [
            name,
            fmt(servers[name].get("startup_s")),
            fmt_mb(servers[name].get("idle_rss_bytes")),
            fmt_mb(servers[name].get("loaded_rss_bytes")),
        ]
        for name in SERVERS
        if name in servers
    ]
    headers = ["server", "start-up to first 201 (s)", "idle RSS (MB)", "RSS after load (MB)"]
    return markdown_table(headers, rows) if rows else "_not measured_"


def _scaling_section(summary: Mapping[str, Any]) -> str:
    scaling = summary.get("scaling", {})
    rows = []
    for op in OPERATIONS:
        for rows_text, entry in sorted(scaling.get(op.name, {}).items(), key=lambda i: int(i[0])):
            rows.append(
                [
                    op.name,
                    f"{int(rows_text):,}",
                    fmt(entry["seconds"], 3),
                    fmt(entry["ms_per_row"], 3),
                    fmt_mb(entry["peak_rss_bytes"]),
                    fmt(entry["upload_seconds"], 3),
                    "yes" if entry["all_created"] else "**no**",
                ]
            )
    headers = [
        "operation",
        "rows",
        "request to 201 (s)",
        "ms per row",
        "peak RSS (MB)",
        "upload (s)",
        "201 with every item",
    ]
    if not rows:
        return "_not measured_"
    return "\n".join([markdown_table(headers, rows), "", *_flatness(scaling)])


def _flatness(scaling: Mapping[str, Any]) -> list[str]:
    """How the cost per row of the largest file compares with the next size down."""
    lines = []
    for op in OPERATIONS:
        entries = sorted(scaling.get(op.name, {}).items(), key=lambda item: int(item[0]))
        if len(entries) < 2:
            continue
        (small_rows, small), (large_rows, large) = entries[-2], entries[-1]
        lines.append(
            f"- {op.name}: cost per row at {int(large_rows):,} rows is "
            f"{fmt(ratio(large['ms_per_row'], small['ms_per_row']))}× that at "
            f"{int(small_rows):,} rows (1× is perfectly flat)."
        )
    return lines


def _suite_section(summary: Mapping[str, Any]) -> str:
    suite = summary.get("suite")
    if not suite:
        return "_not measured_"
    rows = []
    for variant in suite.get("variants", []):
        target = (
            f"mock, every request {variant['latency_ms']} ms late"
            if variant["latency_ms"]
            else "local mock"
        )
        workers = "default" if variant["workers"] is None else f"`--workers {variant['workers']}`"
        codes = ", ".join(MISSING if code is None else str(code) for code in variant["exit_codes"])
        rows.append([target, workers, fmt(variant["seconds"], 1), str(variant["runs"]), codes])
    table = markdown_table(["implementation", "workers", "median s", "runs", "exit codes"], rows)
    speedups = [
        f"- {'local mock' if latency == '0' else f'{latency} ms late'}: `--workers 1` takes "
        f"{fmt(value)}× as long as the default."
        for latency, value in suite.get("speedups", {}).items()
    ]
    return "\n".join(
        [
            table,
            "",
            *speedups,
            "",
            "Exit codes: 0 the implementation passed every check, 1 some checks failed; "
            "other codes and timeouts are not timed.",
        ]
    )


def _hotspots_section(profiles: Sequence[Mapping[str, Any]]) -> str:
    parts = []
    for profile in profiles:
        parts += [
            f"### {profile['title']}",
            "",
            f"{profile['profiler']}; {fmt(profile['busy_share'] * 100, 0)}% of samples busy; "
            f"shares are of busy time. Call tree: `{profile['path']}`.",
            "",
            "Where the CPU was (self time):",
            "",
        ]
        rows = [
            [
                f"`{spot['where']}`",
                fmt(spot["self_share"] * 100, 1),
                fmt(spot["total_share"] * 100, 1),
            ]
            for spot in profile["hotspots"]
        ]
        parts += [markdown_table(["file:function", "self %", "inclusive %"], rows), ""]
        parts += [
            "The mock's functions by own cost (their code plus the library code they call "
            "directly, without the mock functions they call):",
            "",
        ]
        rows = [
            [
                f"`{spot['where']}`",
                fmt(spot["own_share"] * 100, 1),
                fmt(spot["total_share"] * 100, 1),
            ]
            for spot in profile["app_hotspots"]
        ]
        parts += [markdown_table(["file:function", "own %", "inclusive %"], rows), ""]
    return "\n".join(parts)


def _files_under_load(distinct_files: int) -> str:
    if not distinct_files:
        return "under load every request imports the same sample file"
    return f"under load the requests import {distinct_files} different files in turn"


def render(results: Mapping[str, Any]) -> str:
    """The whole markdown report for one benchmark run."""
    config = results.get("config", {})
    summary = results.get("summary", {})
    sections = [
        f"# Benchmark results — {results.get('started_at', '')}",
        "",
        f"**Machine:** {machine_line(results.get('machine', {}))}",
        "",
        (
            f"**Settings:** {config.get('runs')} runs; load {config.get('duration_s')} s per "
            f"run after {config.get('warmup_s')} s warm-up, {config.get('connections')} "
            f"connections, {config.get('threads')} load thread(s); bulk sizes "
            f"{', '.join(str(size) for size in config.get('sizes', []))}; "
            f"{_files_under_load(config.get('distinct_files', 0))}. "
            "Figures are medians of the runs; peak RSS is the highest seen."
        ),
        "",
        *([contention_note(results), ""] if contention_note(results) else []),
        "## Targets",
        "",
        targets_table(results.get("targets", [])),
        "",
        "## Throughput and latency",
        "",
        _throughput_section(summary),
        "",
        "## Start-up and memory",
        "",
        _servers_section(summary),
        "",
        "## Bulk-size scaling (mock)",
        "",
        _scaling_section(summary),
        "",
        "## Contract suite",
        "",
        _suite_section(summary),
        "",
    ]
    if results.get("profiles"):
        sections += ["## Hot spots of missed targets", "", _hotspots_section(results["profiles"])]
    if results.get("errors"):
        sections += ["## Phases that did not complete", ""]
        sections += [f"- {error}" for error in results["errors"]]
        sections.append("")
    if results.get("charts"):
        sections += ["## Charts", ""]
        sections += [f"![{name}]({name})" for name in results["charts"]]
        sections.append("")
    return "\n".join(sections)
