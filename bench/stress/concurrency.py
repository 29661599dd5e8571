"""Many bulk requests at once on one business: each entity stored once, numbers gap-free.

Per round, ``--files`` CSV files are uploaded, then imported by as many threads released
together by a barrier (all invoices with ``finalize: true``, then all bills). The files
share customer e-mails and vendor names, so the find-or-create of customers and vendors
races too. Afterwards the lists are walked with cursors and checked:

- every 201 holds all rows of its file, and every created id is listed exactly once;
- each file's entities are all stored (counted by the file's description marker);
- invoice numbers are unique and form one gap-free series;
- one e-mail is one customer and one vendor name is one vendor, however many files raced.

Run as ``python -m bench.stress.concurrency [--files 16 --rows 25 --rounds 5]``.
"""

from __future__ import annotations

import argparse
import re
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.stress.csvgen import HEADERS, bill_row, count_by_marker, invoice_row, new_marker, to_csv
from bench.stress.harness import KINDS, Api, Kind, MockProcess

NUMBER = re.compile(r"(?P<prefix>.*?)(?P<serial>\d+)")


@dataclass
class ConcurrencyReport:
    requests: int = 0
    created: int = 0
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    numbers: int = 0


def _file(kind: Kind, rows: int, marker: str, index: int) -> bytes:
    # Customers and vendors come from a pool of 7 shared by every file: concurrent files
    # create the same parties at the same time.
    if kind == "invoices":
        body = [invoice_row(index * rows + i, marker, email=f"race{i % 7}@example.com")
                for i in range(rows)]
    else:
        body = [bill_row(index * rows + i, marker, vendor=f"Race Vendor {i % 7}")
                for i in range(rows)]
    return to_csv(HEADERS[kind], body).encode()


def _at_once(count: int, call: Callable[[int], Any]) -> list[Any]:
    """Run ``call(i)`` for ``i < count`` in ``count`` threads released together."""
    barrier = threading.Barrier(count, timeout=60)

    def task(i: int) -> Any:
        barrier.wait()
        return call(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(task, range(count)))


def number_series_problems(numbers: list[str]) -> list[str]:
    """Invoice numbers must be unique and one gap-free series (same prefix, serials n..m)."""
    problems = [f"invoice number {n!r} used {c} times" for n, c in Counter(numbers).items()
                if c > 1]
    parsed = [NUMBER.fullmatch(n) for n in numbers]
    if not all(parsed):
        odd = [n for n in numbers if not NUMBER.fullmatch(n)]
        return [*problems, f"invoice numbers without a serial: {odd[:5]}"]
    prefixes = {m["prefix"] for m in parsed if m}
    if len(prefixes) > 1:
        problems.append(f"invoice numbers in {len(prefixes)} series: {sorted(prefixes)[:5]}")
    serials = sorted({int(m["serial"]) for m in parsed if m})
    if serials and serials != list(range(serials[0], serials[0] + len(serials))):
        missing = sorted(set(range(serials[0], serials[-1] + 1)) - set(serials))
        problems.append(f"gaps in invoice numbers: {len(missing)} missing, e.g. {missing[:10]}")
    return problems


def run_round(base_url: str, files: int, rows: int, report: ConcurrencyReport) -> None:
    """One round: ``files`` concurrent imports per operation."""
    with Api(base_url) as api:
        for kind in KINDS:
            markers = [new_marker(f"cc{i}") for i in range(files)]
            keys = [api.upload_key(_file(kind, rows, markers[i], i)) for i in range(files)]

            def call(i: int, kind: Kind = kind, keys: list[str] = keys) -> tuple[int, Any]:
                with Api(base_url) as own:  # one connection per thread
                    response = own.bulk(kind, keys[i], flag=True)
                    return response.status_code, response.json()

            results = _at_once(files, call)
            report.requests += files
            for i, (status, body) in enumerate(results):
                if status != 201:
                    report.problems.append(f"{kind} file {i}: {status} {str(body)[:300]}")
                    continue
                if len(body["items"]) != rows:
                    report.problems.append(f"{kind} file {i}: 201 with {len(body['items'])} "
                                           f"of {rows} rows")
                report.created += len(body["items"])
            acknowledged = [item["id"] for status, body in results if status == 201
                            for item in body["items"]]
            stored = api.walk(kind)
            report.checked += len(stored)
            listed = Counter(item["id"] for item in stored)
            report.problems.extend(f"{kind} {i} listed {listed[i]} times, created once"
                                   for i in acknowledged if listed[i] != 1)
            counts = count_by_marker(stored)
            report.problems.extend(f"{kind} file {m}: {counts.get(m, 0)} of {rows} stored"
                                   for m in markers if counts.get(m, 0) != rows)
            report.problems.extend(party_problems(kind, stored))


def party_problems(kind: Kind, stored: list[dict[str, Any]]) -> list[str]:
    """The same e-mail (customers) or name (vendors) must resolve to one party everywhere."""
    key_field, id_field = (("customer_email", "customer_id") if kind == "invoices"
                           else ("vendor_name", "vendor_id"))
    ids: defaultdict[str, set[str]] = defaultdict(set)
    for item in stored:
        if item.get(key_field):
            ids[str(item[key_field]).casefold()].add(str(item.get(id_field)))
    return [f"{key_field} {key!r} resolved to {len(found)} different {id_field}s"
            for key, found in ids.items() if len(found) > 1]


def run_concurrency(base_url: str, *, files: int, rows: int, rounds: int) -> ConcurrencyReport:
    report = ConcurrencyReport()
    for _ in range(rounds):
        run_round(base_url, files, rows, report)
    with Api(base_url) as api:
        numbers = [item["number"] for item in api.walk("invoices") if item.get("number")]
        finalized = [item for item in api.walk("invoices") if item.get("status") == "open"]
    report.numbers = len(numbers)
    if len(numbers) != len(finalized):
        report.problems.append(f"{len(finalized)} open invoices but {len(numbers)} numbers")
    report.problems.extend(number_series_problems(numbers))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stress.concurrency",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=16, help="concurrent requests per round")
    parser.add_argument("--rows", type=int, default=25, help="rows per file")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--data-dir", help="run the mock on SQLite in this folder")
    args = parser.parse_args(argv)

    started = time.monotonic()
    with MockProcess(data_dir=Path(args.data_dir) if args.data_dir else None) as mock:
        report = run_concurrency(mock.base_url, files=args.files, rows=args.rows,
                                 rounds=args.rounds)
    for problem in report.problems[:30]:
        print("PROBLEM", problem)
    print(f"concurrency: {report.requests} concurrent bulk requests ({args.files} at a time), "
          f"{report.created} entities created, {report.checked} listed entities checked, "
          f"{report.numbers} invoice numbers checked, {len(report.problems)} problems, "
          f"{time.monotonic() - started:.1f}s")
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
