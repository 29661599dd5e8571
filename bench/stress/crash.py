"""SIGKILL the mock in the middle of a load, restart it on the same ``--data-dir``, compare.

Each round starts the mock on the data directory the previous round left behind, checks
everything known so far, then lets ``--writers`` threads upload and import small files
(invoices with ``finalize: true`` and bills, alternating) until ``kill_after`` imports of
this round were acknowledged, and kills the process with SIGKILL while the others are
still in flight. A ledger in this script remembers what the mock promised:

- every entity of every acknowledged 201 must be stored after the restart, field for
  field as the 201 showed it, and exactly once;
- a file whose import got no answer (in flight at the kill) must be stored entirely or
  not at all, and once seen either way it must stay that way in later rounds;
- no entity may appear that belongs to no file the ledger knows;
- invoice numbers stay unique and gap-free across every crash;
- an upload acknowledged before a kill can still be imported after it.

Run as ``python -m bench.stress.crash [--rounds 10 --writers 6]``; exits 1 on a problem.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.stress.concurrency import number_series_problems
from bench.stress.csvgen import count_by_marker, new_marker, valid_csv
from bench.stress.harness import KINDS, Api, Kind, MockProcess

# Fields that must read back exactly as the 201 showed them (URLs carry the port, which
# changes with every restart, and are left out).
STABLE_FIELDS: dict[Kind, tuple[str, ...]] = {
    "invoices": ("id", "business_id", "status", "number", "currency", "total", "total_paid",
                 "balance_due", "description", "customer_id", "customer_email", "due_date",
                 "line_items", "created_at"),
    "bills": ("id", "business_id", "status", "amount", "expected_amount", "currency",
              "description", "vendor_id", "vendor_name", "due_on", "received_on", "type",
              "created_at"),
}


@dataclass
class Ledger:
    """What the mock acknowledged, and what it may or may not have stored."""

    # (kind, marker) -> the items of its 201
    acknowledged: dict[tuple[Kind, str], list[dict[str, Any]]] = field(default_factory=dict)
    # (kind, marker) -> rows of a file whose import got no answer
    in_doubt: dict[tuple[Kind, str], int] = field(default_factory=dict)
    # (kind, marker) -> rows once seen after a restart: stored (rows) or not (0), for good
    settled: dict[tuple[Kind, str], int] = field(default_factory=dict)
    # uploads acknowledged with 200 and not imported yet: (kind, marker, rows, key)
    spare_uploads: list[tuple[Kind, str, int, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class CrashReport:
    rounds: int = 0
    requests: int = 0
    acknowledged_files: int = 0
    in_doubt_files: int = 0
    in_doubt_stored: int = 0
    entities_checked: int = 0
    uploads_checked: int = 0
    acknowledged_entities: int = 0
    problems: list[str] = field(default_factory=list)


def verify(api: Api, ledger: Ledger, report: CrashReport) -> None:
    """Check the restarted mock against everything the ledger knows."""
    for kind in KINDS:
        stored = api.walk(kind)
        report.entities_checked += len(stored)
        by_id: dict[str, dict[str, Any]] = {}
        for item in stored:
            if item["id"] in by_id:
                report.problems.append(f"{kind} {item['id']} listed twice")
            by_id[item["id"]] = item
        counts = count_by_marker(stored)
        known = {m for (k, m) in (*ledger.acknowledged, *ledger.in_doubt, *ledger.settled)
                 if k == kind}
        report.problems.extend(f"{kind}: {n} entities of unknown file {m!r}"
                               for m, n in counts.items() if m.startswith("cr-") and m not in known)
        for (item_kind, marker), items in ledger.acknowledged.items():
            if item_kind != kind:
                continue
            for acked in items:
                found = by_id.get(acked["id"])
                if found is None:
                    report.problems.append(f"LOST {kind} {acked['id']} of acknowledged {marker}")
                    continue
                changed = [f for f in STABLE_FIELDS[kind] if found.get(f) != acked.get(f)]
                if changed:
                    report.problems.append(f"{kind} {acked['id']}: {changed} differ from the 201")
            if counts.get(marker, 0) != len(items):
                report.problems.append(f"{kind} {marker}: {counts.get(marker, 0)} stored, "
                                       f"{len(items)} acknowledged")
        for (item_kind, marker), rows in list(ledger.in_doubt.items()):
            if item_kind != kind:
                continue
            seen = counts.get(marker, 0)
            if seen not in (0, rows):
                report.problems.append(f"HALF-IMPORTED {kind} {marker}: {seen} of {rows} rows")
            report.in_doubt_stored += seen == rows
            ledger.settled[(kind, marker)] = seen
            del ledger.in_doubt[(kind, marker)]
        for (item_kind, marker), rows in ledger.settled.items():
            if item_kind == kind and counts.get(marker, 0) != rows:
                report.problems.append(f"{kind} {marker}: was {rows} after a restart, "
                                       f"now {counts.get(marker, 0)}")
    numbers = [item["number"] for item in api.walk("invoices") if item.get("number")]
    report.problems.extend(number_series_problems(numbers))


def check_spare_uploads(api: Api, ledger: Ledger, report: CrashReport) -> None:
    """Uploads acknowledged before the kill must still import (then they join the ledger)."""
    spares, ledger.spare_uploads = ledger.spare_uploads[:3], ledger.spare_uploads[3:]
    for kind, marker, rows, key in spares:
        report.uploads_checked += 1
        response = api.bulk(kind, key, flag=kind == "invoices")
        report.requests += 1
        if response.status_code != 201:
            report.problems.append(f"upload {key} acknowledged before a kill: import after "
                                   f"restart gave {response.status_code} {response.text[:200]}")
            continue
        items = response.json()["items"]
        if len(items) != rows:
            report.problems.append(f"upload {key}: {len(items)} of {rows} rows imported")
        ledger.acknowledged[(kind, marker)] = items
        report.acknowledged_files += 1


def writer(base_url: str, ledger: Ledger, report: CrashReport, stop: threading.Event,
           acked: list[int], rnd: random.Random, max_files: int) -> None:
    """Upload and import small files until ``stop`` or the process dies; record everything."""
    with Api(base_url, timeout=30) as api:
        for _ in range(max_files):
            if stop.is_set():
                return
            kind: Kind = rnd.choice(KINDS)
            rows = rnd.randint(1, 12)
            marker = new_marker("cr")
            try:
                key = api.upload_key(valid_csv(kind, rows, marker))
            except (httpx.HTTPError, AssertionError):
                return  # the process is gone; an unacknowledged upload promises nothing
            if rnd.random() < 0.1:
                with ledger.lock:
                    ledger.spare_uploads.append((kind, marker, rows, key))
                continue
            with ledger.lock:
                ledger.in_doubt[(kind, marker)] = rows
                report.requests += 1
            try:
                response = api.bulk(kind, key, flag=kind == "invoices")
            except httpx.HTTPError:
                return  # stays in doubt: all or nothing after the restart
            with ledger.lock:
                if response.status_code == 201:
                    del ledger.in_doubt[(kind, marker)]
                    ledger.acknowledged[(kind, marker)] = response.json()["items"]
                    report.acknowledged_files += 1
                    acked[0] += 1
                else:
                    report.problems.append(f"{kind} import answered {response.status_code} "
                                           f"{response.text[:200]}")
                    del ledger.in_doubt[(kind, marker)]
                    return


def crash_round(data_dir: Path, ledger: Ledger, report: CrashReport, *, writers: int,
                kill_after: int, seed: int, time_limit: float = 30.0) -> None:
    """Restart, verify, load, SIGKILL."""
    with MockProcess(data_dir=data_dir) as mock:
        with Api(mock.base_url) as api:
            verify(api, ledger, report)
            check_spare_uploads(api, ledger, report)
        stop = threading.Event()
        acked = [0]
        threads = [
            threading.Thread(target=writer, args=(mock.base_url, ledger, report, stop, acked,
                                                   random.Random(seed * 1000 + i), 10_000),
                             daemon=True)
            for i in range(writers)
        ]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + time_limit
        while acked[0] < kill_after and time.monotonic() < deadline and any(
                t.is_alive() for t in threads):
            time.sleep(0.001)
        mock.kill()
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        report.rounds += 1
    report.in_doubt_files += len(ledger.in_doubt)


def run_crash(data_dir: Path, *, rounds: int, writers: int, seed: int = 0) -> CrashReport:
    """``rounds`` kill-and-restart rounds, then a last restart that verifies everything."""
    ledger = Ledger()
    report = CrashReport()
    rnd = random.Random(seed)
    for number in range(rounds):
        crash_round(data_dir, ledger, report, writers=writers, kill_after=rnd.randint(0, 40),
                    seed=seed + number)
    with MockProcess(data_dir=data_dir) as mock, Api(mock.base_url) as api:
        verify(api, ledger, report)
        check_spare_uploads(api, ledger, report)
        verify(api, ledger, report)
    report.acknowledged_entities = sum(len(items) for items in ledger.acknowledged.values())
    return report


def format_report(report: CrashReport) -> str:
    return (f"crash recovery: {report.rounds} SIGKILL-and-restart rounds, {report.requests} "
            f"bulk imports sent, {report.acknowledged_files} acknowledged files, "
            f"{report.in_doubt_files} in flight at a kill ({report.in_doubt_stored} of them "
            f"stored whole, the rest not at all), {report.entities_checked} entity readings "
            f"checked, {report.uploads_checked} pre-kill uploads imported after a restart, "
            f"{report.acknowledged_entities} acknowledged entities, {len(report.problems)} "
            "lost, half-imported or changed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stress.crash", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--writers", type=int, default=6, help="concurrent writer threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", type=Path,
                        help="keep the state here (default: a temporary folder, removed)")
    args = parser.parse_args(argv)

    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        data_dir = args.data_dir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        report = run_crash(data_dir, rounds=args.rounds, writers=args.writers, seed=args.seed)
    for problem in report.problems[:30]:
        print("PROBLEM", problem)
    print(f"{format_report(report)}, {time.monotonic() - started:.1f}s")
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
