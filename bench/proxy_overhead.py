"""What the checking proxy adds per request: p50/p99 latency at 16 connections, direct
to a mock vs through ``dayzero-contract proxy`` in front of the same mock.

``python -m bench.proxy_overhead [--requests 2000] [--connections 16]``. Both run as
subprocesses on loopback, the load generator here (httpx, asyncio). Every request is a
``GET /api/v1/invoices?limit=10`` (judged: status, content type, schema, auth, page
rules, read-backs): the figure is the per-request cost of forwarding plus judging a
typical read; bulk imports (oracle, larger bodies) are not measured here.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time

import httpx

from dayzero_twin.contract_tests.mock_process import MOCK_BUSINESS, MOCK_TOKEN, running_mock

HEADERS = {"Authorization": f"Bearer {MOCK_TOKEN}", "x-business-id": MOCK_BUSINESS}


async def load(base_url: str, requests: int, connections: int) -> list[float]:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        for _ in range(50):  # warm-up
            await client.get("/api/v1/invoices", params={"limit": 10}, headers=HEADERS)
        queue = iter(range(requests))

        async def worker() -> None:
            for _ in queue:
                started = time.perf_counter()
                response = await client.get(
                    "/api/v1/invoices", params={"limit": 10}, headers=HEADERS
                )
                latencies.append(time.perf_counter() - started)
                response.raise_for_status()

        await asyncio.gather(*(worker() for _ in range(connections)))
    return latencies


def quantiles(values: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(values, n=100)
    return cuts[49] * 1000, cuts[98] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    with running_mock() as mock_url:
        proxy = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dayzero_twin.contract_tests",
                "proxy",
                "--upstream",
                mock_url,
                "--port",
                "0",
            ],
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert proxy.stderr is not None
            line = proxy.stderr.readline()
            proxy_url = line.split("listening on ", 1)[1].split(" ", 1)[0]
            direct = asyncio.run(load(mock_url, args.requests, args.connections))
            through = asyncio.run(load(proxy_url, args.requests, args.connections))
        finally:
            proxy.terminate()
            proxy.wait(timeout=30)
    (d50, d99), (p50, p99) = quantiles(direct), quantiles(through)
    print(
        f"{args.requests} requests, {args.connections} connections, GET /api/v1/invoices?limit=10"
    )
    print(f"direct       p50 {d50:7.2f} ms   p99 {d99:7.2f} ms")
    print(f"via proxy    p50 {p50:7.2f} ms   p99 {p99:7.2f} ms")
    print(f"added        p50 {p50 - d50:7.2f} ms   p99 {p99 - d99:7.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
