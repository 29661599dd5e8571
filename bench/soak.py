"""``python -m bench soak`` (``make soak``): memory stays flat once the budget is reached.

Starts one mock with a small storage budget on a free loopback port and drives
sustained load at it for a bounded time (default 120 s): writer threads upload a
freshly generated CSV file and bulk-import it, over and over, each file new content
with new invoice numbers and ids. A sampler reads the mock's RSS (psutil, from outside)
and ``/__mock/health`` (entities kept and evicted, upload bytes held, journal bytes)
every few seconds. The figures go to ``bench/results/soak-<UTC time>/`` as
``results.json`` (every sample) and ``results.md`` (the table), and to stdout.

The verdict compares the RSS once the budget is reached: the median of the first third
of the samples after the first eviction against the median of the last third. Without
a budget, RSS would grow with the entities kept (about 1.3 KB each); with it, the
entities kept stop growing and so should the RSS. A benchmark figure, not a test:
the exit status is 0 when the run completed, 1 when it could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.config import RESULTS_DIR
from bench.stress.csvgen import new_marker, valid_csv
from bench.stress.harness import KINDS, Api, MockProcess

FLAT_GROWTH = 0.10  # RSS may move by this fraction between the two thirds and be "flat"


@dataclass
class Sample:
    """One look at the mock: seconds since the load started and what it held then."""

    t: float
    rss_mib: float
    entities_kept: int
    entities_evicted: int
    uploads_kept: int
    upload_mib_held: float
    journal_kib: float
    imports: int
    disk_mib: float | None


@dataclass
class Load:
    """What the writers did; updated by several threads under ``lock``."""

    imports: int = 0
    uploads: int = 0
    rows: int = 0
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def disk_bytes(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())


def writer(base_url: str, rows: int, stop: threading.Event, load: Load, index: int) -> None:
    """Upload a new file and import it until ``stop``; failures recorded, not raised."""
    kind = KINDS[index % len(KINDS)]
    with Api(base_url, timeout=30.0) as api:
        while not stop.is_set():
            try:
                key = api.upload_key(valid_csv(kind, rows, new_marker("soak")))
                response = api.bulk(kind, key)
                if response.status_code != 201:
                    raise AssertionError(f"bulk {response.status_code} {response.text[:200]}")
            except (AssertionError, httpx.HTTPError) as error:
                with load.lock:
                    load.failures.append(str(error)[:300])
                if len(load.failures) > 20:
                    stop.set()
                continue
            with load.lock:
                load.imports += 1
                load.uploads += 1
                load.rows += rows


def sample(mock: MockProcess, client: httpx.Client, started: float, load: Load,
           data_dir: Path | None) -> Sample:
    health = client.get("/__mock/health").json()
    storage, journal = health["storage"], health["journal"]
    return Sample(
        t=round(time.monotonic() - started, 1),
        rss_mib=round(mock.rss_bytes() / 2**20, 1),
        entities_kept=storage["entities_kept"],
        entities_evicted=storage["entities_evicted"],
        uploads_kept=storage["uploads_kept"],
        upload_mib_held=round(storage["upload_bytes_held"] / 2**20, 2),
        journal_kib=round(journal["bytes"] / 1024, 1),
        imports=load.imports,
        disk_mib=round(disk_bytes(data_dir) / 2**20, 1) if data_dir is not None else None,
    )


def verdict(samples: list[Sample]) -> dict[str, Any]:
    """RSS before and after the budget was reached, and whether it stayed flat."""
    reached = [s for s in samples if s.entities_evicted > 0]
    if len(reached) < 6:
        return {"budget_reached_at_s": reached[0].t if reached else None, "flat": None,
                "note": "too few samples after the budget was reached to judge"}
    third = len(reached) // 3
    early = statistics.median(s.rss_mib for s in reached[:third])
    late = statistics.median(s.rss_mib for s in reached[-third:])
    growth = (late - early) / early
    return {
        "budget_reached_at_s": reached[0].t,
        "rss_at_budget_mib": reached[0].rss_mib,
        "rss_early_median_mib": early,
        "rss_late_median_mib": late,
        "rss_growth_after_budget": round(growth, 3),
        "rss_max_mib": max(s.rss_mib for s in samples),
        "entities_kept_max": max(s.entities_kept for s in samples),
        "flat": abs(growth) <= FLAT_GROWTH,
    }


def table(samples: list[Sample]) -> str:
    disk = samples and samples[0].disk_mib is not None
    head = ["t (s)", "imports", "RSS (MiB)", "entities kept", "evicted", "uploads kept",
            "upload MiB", "journal KiB", *(["disk MiB"] if disk else [])]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for s in samples:
        cells = [s.t, s.imports, s.rss_mib, f"{s.entities_kept:,}", f"{s.entities_evicted:,}",
                 s.uploads_kept, s.upload_mib_held, s.journal_kib,
                 *([s.disk_mib] if disk else [])]
        lines.append("| " + " | ".join(str(cell) for cell in cells) + " |")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench soak", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add = parser.add_argument
    add("--duration", type=float, default=120.0, help="seconds of load (%(default)s, max 600)")
    add("--interval", type=float, default=3.0, help="seconds between samples (%(default)s)")
    add("--writers", type=int, default=2, help="concurrent upload+import loops (%(default)s)")
    add("--rows", type=int, default=20, help="data rows per generated file (%(default)s)")
    add("--max-entities-per-business", type=int, default=5000,
        help="the mock's entity budget for this run (%(default)s)")
    add("--max-uploads-per-business", type=int, default=50, help="(%(default)s)")
    add("--max-upload-bytes-per-business", type=int, default=4 * 2**20, help="(%(default)s)")
    add("--data-dir", action="store_true", help="run the mock on SQLite in a scratch folder")
    add("--results-dir", type=Path, default=RESULTS_DIR, help="where results go (%(default)s)")
    return parser


def run(args: argparse.Namespace) -> dict[str, Any]:
    scratch = tempfile.TemporaryDirectory(prefix="soak-") if args.data_dir else None
    data_dir = Path(scratch.name) / "data" if scratch is not None else None
    budget_args = [
        "--max-entities-per-business", str(args.max_entities_per_business),
        "--max-uploads-per-business", str(args.max_uploads_per_business),
        "--max-upload-bytes-per-business", str(args.max_upload_bytes_per_business),
    ]
    load, stop, samples = Load(), threading.Event(), []
    load_average = os.getloadavg()[0]
    began = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        with MockProcess(data_dir=data_dir, extra_args=budget_args) as mock, \
                httpx.Client(base_url=mock.base_url, timeout=10.0) as client:
            idle = sample(mock, client, time.monotonic(), load, data_dir)
            started = time.monotonic()
            threads = [threading.Thread(target=writer, daemon=True,
                                        args=(mock.base_url, args.rows, stop, load, index))
                       for index in range(args.writers)]
            for thread in threads:
                thread.start()
            deadline = started + min(args.duration, 600.0)
            while time.monotonic() < deadline and not stop.is_set():
                stop.wait(min(args.interval, max(0.0, deadline - time.monotonic())))
                samples.append(sample(mock, client, started, load, data_dir))
                print(table(samples[-1:]).splitlines()[-1], flush=True)
            stop.set()
            for thread in threads:
                thread.join(timeout=35)
    finally:
        if scratch is not None:
            scratch.cleanup()
    return {
        "started": began,
        "ended": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_1m_at_start": round(load_average, 2),
        "cpus": os.cpu_count(),
        "settings": {key: (str(value) if isinstance(value, Path) else value)
                     for key, value in vars(args).items()},
        "idle": asdict(idle),
        "load": {"imports": load.imports, "uploads": load.uploads, "rows": load.rows,
                 "failures": load.failures[:20]},
        "verdict": verdict(samples),
        "samples": [asdict(s) for s in samples],
    }


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    print(f"soak: {args.duration:g} s, {args.writers} writers, {args.rows} rows per file, "
          f"budget {args.max_entities_per_business:,} entities per business", flush=True)
    try:
        results = run(args)
    except Exception as error:  # the mock did not start, or the machine refused
        print(f"soak could not run: {error}", file=sys.stderr)
        return 1
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.results_dir / f"soak-{stamp}"
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    samples = [Sample(**s) for s in results["samples"]]
    summary = json.dumps(results["verdict"], indent=2)
    (out / "results.md").write_text(
        f"# Soak run {results['started']}\n\nload average (1 min) at start: "
        f"{results['load_average_1m_at_start']} on {results['cpus']} CPUs\n\n"
        f"idle RSS {results['idle']['rss_mib']} MiB; {results['load']['imports']:,} imports, "
        f"{results['load']['rows']:,} rows; failures {len(results['load']['failures'])}\n\n"
        f"```json\n{summary}\n```\n\n{table(samples)}\n")
    print(f"\nverdict: {summary}\nresults: {out}")
    return 1 if results["load"]["failures"] and not results["load"]["imports"] else 0


if __name__ == "__main__":
    sys.exit(main())
