"""``python -m bench registry``: what one recorded invoice costs the suite's registry.

Each created invoice costs the run-wide checks one ``Registry.new_id`` and one
``Registry.new_number``. Measured side by side in one run: the in-memory set and dict
(one check at a time), the shared SQLite file from one process, and from several
processes recording at once (workers contending for its write lock). Each process
records ``BATCH`` new invoices per batch; printed: the median over ``BATCHES`` batches
of the time per invoice (for several processes, the median of their medians), and its
ratio to the in-memory baseline.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from dayzero_twin.contract_tests.support.assertions import Registry
from dayzero_twin.contract_tests.support.shared_registry import SharedStore, create

BATCH = 1_000
BATCHES = 5
RESPONSE = httpx.Response(201, request=httpx.Request("POST", "http://bench/api/v1/invoices/bulk"))


def per_invoice_us(registry: Registry, tag: str) -> float:
    """Median microseconds per recorded invoice over the batches."""
    times = []
    for batch in range(BATCHES):
        entities = [str(uuid.uuid4()) for _ in range(BATCH)]
        started = time.perf_counter()
        for n, entity in enumerate(entities):
            registry.new_id(entity, RESPONSE, "bench")
            registry.new_number(f"{tag}-{batch}-{n}", entity, RESPONSE, "bench")
        times.append((time.perf_counter() - started) / BATCH * 1e6)
    return statistics.median(times)


def _shared_process(path: str, tag: str, start: Any, results: Any) -> None:
    store = SharedStore(Path(path))
    start.wait()
    results.put(per_invoice_us(Registry(ids=store.ids, numbers=store.numbers), tag))
    store.close()


def shared_us(processes: int) -> float:
    """Median of the processes' medians, all recording into one new file at once."""
    with tempfile.TemporaryDirectory(prefix="bench-registry-") as scratch:
        path = create(Path(scratch))
        context = multiprocessing.get_context("spawn")
        start, results = context.Barrier(processes), context.Queue()
        workers = [
            context.Process(target=_shared_process, args=(str(path), f"p{n}", start, results))
            for n in range(processes)
        ]
        for worker in workers:
            worker.start()
        medians: list[float] = [results.get(timeout=300) for _ in workers]
        for worker in workers:
            worker.join()
    return statistics.median(medians)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench registry", description=__doc__)
    parser.add_argument(
        "--processes", type=int, nargs="+", default=[3, 6], help="contending processes"
    )
    args = parser.parse_args(argv)
    baseline = per_invoice_us(Registry(), "memory")
    rows = [("in memory (one check at a time)", baseline)]
    with tempfile.TemporaryDirectory(prefix="bench-registry-") as scratch:
        store = SharedStore(create(Path(scratch)))
        rows.append(
            ("shared file, 1 process", per_invoice_us(Registry(store.ids, store.numbers), "one"))
        )
        store.close()
    for processes in args.processes:
        rows.append((f"shared file, {processes} processes at once", shared_us(processes)))
    print(f"{'registry':40} {'µs per invoice':>15} {'× in memory':>12}")
    for name, micros in rows:
        print(f"{name:40} {micros:15.1f} {micros / baseline:12.1f}")
    return 0
