"""Bulk-size scaling of the mock: time to a complete 201 and peak RSS per file size.

Each operation gets a fresh mock, so its memory figures are its own. Each file is
generated (see :mod:`bench.csvgen`), uploaded once through
``POST /api/v1/upload/direct`` and then imported ``runs`` times. The timed span is one
bulk request, from sending it until the last byte of the 201 body has arrived; the
upload is timed separately because a client pays it once per file, not per import.
Peak RSS is polled every few milliseconds across the request.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import httpx

from bench.config import OPERATIONS, BenchConfig, Operation
from bench.csvgen import expected_items, generate
from bench.processes import PeakRss
from bench.servers import RunningServer

REQUEST_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class ScalingSample:
    operation: str
    rows: int
    run: int
    seconds: float
    status: int
    items: int
    expected_items: int
    peak_rss_bytes: int
    upload_seconds: float
    csv_bytes: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def upload(client: httpx.Client, config: BenchConfig, name: str, content: bytes) -> str:
    """Upload ``content`` as a CSV and return its ``s3_key``."""
    headers = {key: value for key, value in config.headers().items() if key != "Content-Type"}
    response = client.post(
        "/api/v1/upload/direct",
        headers=headers,
        files={"file": (name, content, "text/csv")},
    )
    if response.status_code != 200:
        raise RuntimeError(f"upload of {name} answered {response.status_code}: {response.text}")
    return str(response.json()["s3_key"])


def _item_count(response: httpx.Response) -> int:
    """How many items a bulk response holds; 0 for an error or unreadable body."""
    try:
        items = response.json().get("items")
    except (ValueError, AttributeError):
        return 0
    return len(items) if isinstance(items, list) else 0


def run_scaling(
    server: RunningServer, config: BenchConfig, operations: Iterable[Operation] = OPERATIONS
) -> list[ScalingSample]:
    """All sizes × ``operations`` × ``config.runs`` imports against one mock."""
    samples: list[ScalingSample] = []
    with httpx.Client(base_url=server.base_url, timeout=REQUEST_TIMEOUT_S) as client:
        for operation in operations:
            for rows in config.sizes:
                content = generate(operation.name, rows)
                expected = expected_items(operation.name, content)
                started = time.perf_counter()
                key = upload(client, config, f"bench-{operation.name}-{rows}.csv", content)
                upload_seconds = time.perf_counter() - started
                body = json.dumps({"s3_key": key}).encode()
                for run in range(config.runs):
                    with PeakRss(server.process.pid) as peak:
                        started = time.perf_counter()
                        response = client.post(
                            operation.path, content=body, headers=config.headers()
                        )
                        seconds = time.perf_counter() - started
                    items = _item_count(response)
                    samples.append(
                        ScalingSample(
                            operation=operation.name,
                            rows=rows,
                            run=run,
                            seconds=seconds,
                            status=response.status_code,
                            items=items,
                            expected_items=expected,
                            peak_rss_bytes=peak.peak,
                            upload_seconds=upload_seconds,
                            csv_bytes=len(content),
                        )
                    )
    return samples
