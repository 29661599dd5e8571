"""The request the throughput phase repeats: one bulk operation, and which files it imports.

By default every request imports the mock's ready-made sample, as a frontend clicking
"import" on one file does. ``--distinct-files N`` uploads N files of the sample's size
and different content first, and the requests import them in turn: the mock parses a
file it has seen before only once, so N over its memo (64 files) measures the cost of
content it has never seen.
"""

from __future__ import annotations

import json

import httpx

from bench.config import MOCK, SAMPLE_ROWS, BenchConfig, Operation
from bench.csvgen import bills_csv, invoices_csv
from bench.loadresult import LoadRequest
from bench.scaling import upload

UPLOAD_TIMEOUT_S = 30.0


def bulk_load(config: BenchConfig, server: str, base_url: str, operation: Operation,
              duration_s: float) -> LoadRequest:
    """``operation`` on ``server`` for ``duration_s``, over the keys of ``import_keys``."""
    body, *alternates = (json.dumps({"s3_key": key}).encode()
                         for key in import_keys(config, server, base_url, operation))
    return LoadRequest(
        url=base_url + operation.path,
        body=body,
        headers=config.headers(),
        connections=config.connections,
        duration_s=duration_s,
        threads=config.threads,
        alternates=tuple(alternates),
    )


def import_keys(config: BenchConfig, server: str, base_url: str,
                operation: Operation) -> list[str]:
    """The sample's key, or the keys of ``config.distinct_files`` fresh uploads.

    Prism ignores what a key points to, so it gets as many made-up keys: the same number
    of bodies, and so the same work for the load generator.
    """
    count = config.distinct_files
    if count == 0:
        return [operation.sample_key]
    if server != MOCK:
        return [f"uploads/bench/{operation.name}-{index}.csv" for index in range(count)]
    make = invoices_csv if operation.name == "invoices" else bills_csv
    rows = SAMPLE_ROWS[operation.name]
    with httpx.Client(base_url=base_url, timeout=UPLOAD_TIMEOUT_S) as client:
        return [upload(client, config, f"{operation.name}-{index}.csv", make(rows, seed=index + 1))
                for index in range(count)]
