"""PNG charts of the summary: latency percentiles, throughput, bulk-size scaling.

matplotlib's Agg backend is selected before pyplot is imported, so charts render on a
machine without a display (CI included).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # after use(): the backend must be chosen first

from bench.config import OPERATIONS, SERVERS
from bench.stats import PERCENTILES
from bench.targets import MB


def latency_chart(summary: Mapping[str, Any], path: Path) -> bool:
    """Latency percentile curves per server, one panel per operation; False if no data."""
    throughput = summary.get("throughput", {})
    if not throughput:
        return False
    keys = [key for key, _ in PERCENTILES]
    figure, axes = plt.subplots(1, len(OPERATIONS), figsize=(11, 4.2), sharey=True)
    for axis, op in zip(axes, OPERATIONS, strict=True):
        for server in SERVERS:
            entry = throughput.get(server, {}).get(op.name)
            if entry is None:
                continue
            values = [entry["latency_ms"].get(key) for key in keys]
            axis.plot(keys, values, marker="o", label=f"{server} ({entry['rps']:,.0f} req/s)")
        axis.set_title(f"POST /api/v1/{op.name}/bulk")
        axis.set_yscale("log")
        axis.set_xlabel("percentile")
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=8)
    axes[0].set_ylabel("latency (ms, log scale)")
    figure.suptitle("Latency percentiles under load (medians of runs)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True


def throughput_chart(summary: Mapping[str, Any], path: Path) -> bool:
    """Requests per second per server and operation; False if no data."""
    throughput = summary.get("throughput", {})
    if not throughput:
        return False
    figure, axis = plt.subplots(figsize=(8, 4))
    width = 0.8 / len(SERVERS)
    for index, server in enumerate(SERVERS):
        values = [throughput.get(server, {}).get(op.name, {}).get("rps", 0.0) for op in OPERATIONS]
        positions = [op_index + index * width for op_index in range(len(OPERATIONS))]
        bars = axis.bar(positions, values, width, label=server)
        axis.bar_label(bars, fmt="%.0f", fontsize=8)
    axis.set_xticks([i + width * (len(SERVERS) - 1) / 2 for i in range(len(OPERATIONS))])
    axis.set_xticklabels([f"{op.name}/bulk" for op in OPERATIONS])
    axis.set_ylabel("requests per second")
    axis.set_title("Throughput (medians of runs)")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True


def scaling_chart(summary: Mapping[str, Any], path: Path) -> bool:
    """Time to 201, cost per row and peak RSS against rows per file; False if no data."""
    scaling = summary.get("scaling", {})
    if not scaling:
        return False
    figure, axes = plt.subplots(1, 3, figsize=(13, 4))
    for op in OPERATIONS:
        entries = sorted(scaling.get(op.name, {}).items(), key=lambda item: int(item[0]))
        if not entries:
            continue
        rows = [int(size) for size, _ in entries]
        axes[0].plot(rows, [e["seconds"] for _, e in entries], marker="o", label=op.name)
        axes[1].plot(rows, [e["ms_per_row"] for _, e in entries], marker="o", label=op.name)
        axes[2].plot(
            rows, [e["peak_rss_bytes"] / MB for _, e in entries], marker="o", label=op.name
        )
    titles = ("request to 201 (s)", "cost per row (ms)", "mock peak RSS (MB)")
    for axis, title in zip(axes, titles, strict=True):
        axis.set_xscale("log")
        axis.set_xlabel("rows in the CSV")
        axis.set_title(title)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend()
    axes[0].set_yscale("log")
    axes[0].axhline(1.0, color="red", linestyle="--", linewidth=1)
    axes[2].axhline(300.0, color="red", linestyle="--", linewidth=1)
    figure.suptitle("Bulk-size scaling of the mock (dashed: targets)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True


def write_charts(summary: Mapping[str, Any], out_dir: Path) -> list[str]:
    """Write every chart that has data; the file names written."""
    charts = {
        "latency.png": latency_chart,
        "throughput.png": throughput_chart,
        "scaling.png": scaling_chart,
    }
    return [name for name, draw in charts.items() if draw(summary, out_dir / name)]
