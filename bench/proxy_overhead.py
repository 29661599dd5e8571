"""What the checking proxy adds per request: p50/p99 latency at 16 connections, direct
to a mock vs through ``dayzero-contract proxy`` in front of the same mock.

``python -m bench.proxy_overhead [--requests 2000] [--connections 16] [--rounds 3]
[--peer-revision REV]``. The mock and the proxies run as subprocesses on loopback, the
load generator here (httpx, asyncio). Every request is a ``GET /api/v1/invoices?limit=10``
of a business holding 50 invoices, so every page is full (judged: status, content
type, schema, auth, page rules, read-backs): the figure is the
per-request cost of forwarding plus judging a typical read; bulk imports (oracle, larger
bodies) are not measured here.

Each round measures direct, then through this tree's proxy, then (with
``--peer-revision``) through the proxy of another git revision of this repository (its
sources exported to a temporary directory and put first on ``PYTHONPATH``), all against
one mock. The machine is shared, so only figures of the same round are compared: the
"added" latency of a round is proxy minus direct of that round, and the summary is the
median over rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from dayzero_twin.contract_tests.mock_process import MOCK_BUSINESS, MOCK_TOKEN, running_mock

HEADERS = {"Authorization": f"Bearer {MOCK_TOKEN}", "x-business-id": MOCK_BUSINESS}
ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("openapi", "mock_server", "contract_tests", "docs")
START_SECONDS = 60


async def load(base_url: str, requests: int, connections: int) -> tuple[list[float], int]:
    """Latencies of the requests that were answered, and how many failed in transport
    (a keep-alive connection the server closed as the client reused it: counted, shown,
    left out of the quantiles)."""
    latencies: list[float] = []
    failed = 0
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        for _ in range(50):  # warm-up
            await client.get("/api/v1/invoices", params={"limit": 10}, headers=HEADERS)
        queue = iter(range(requests))

        async def worker() -> None:
            nonlocal failed
            for _ in queue:
                started = time.perf_counter()
                try:
                    response = await client.get(
                        "/api/v1/invoices", params={"limit": 10}, headers=HEADERS
                    )
                except httpx.TransportError:
                    failed += 1
                    continue
                latencies.append(time.perf_counter() - started)
                response.raise_for_status()

        await asyncio.gather(*(worker() for _ in range(connections)))
    return latencies, failed


def fill(base_url: str, invoices: int) -> None:
    """Import ``invoices`` invoices straight into the mock, so every page is full."""
    rows = ["customer_email,customer_name,due_date,item_description,quantity,unit_price"]
    rows += [
        f"c{i}@example.com,Customer {i},2026-03-01,item {i},2,{10 + i}.25" for i in range(invoices)
    ]
    with httpx.Client(base_url=base_url, headers=HEADERS, timeout=60) as client:
        uploaded = client.post(
            "/api/v1/upload/direct",
            files={"file": ("f.csv", ("\n".join(rows) + "\n").encode(), "text/csv")},
        )
        uploaded.raise_for_status()
        client.post(
            "/api/v1/invoices/bulk", json={"s3_key": uploaded.json()["s3_key"]}
        ).raise_for_status()


def quantiles(values: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(values, n=100)
    return cuts[49] * 1000, cuts[98] * 1000


@contextlib.contextmanager
def exported(revision: str) -> Iterator[Path]:
    """A ``PYTHONPATH`` entry holding ``dayzero_twin`` as it was at ``revision``."""
    with tempfile.TemporaryDirectory(prefix="proxy-peer-") as scratch:
        source, path = Path(scratch) / "src", Path(scratch) / "path"
        archive = Path(scratch) / "src.tar"
        subprocess.run(
            ["git", "archive", "--output", str(archive), revision, *PACKAGES],
            cwd=ROOT,
            check=True,
        )
        with tarfile.open(archive) as tar:
            tar.extractall(source, filter="data")
        (path / "dayzero_twin").mkdir(parents=True)
        for package in PACKAGES:
            (path / "dayzero_twin" / package).symlink_to(source / package)
        yield path


@contextlib.contextmanager
def running_proxy(upstream: str, python_path: Path | None) -> Iterator[str]:
    env = dict(os.environ)
    if python_path is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(python_path), env.get("PYTHONPATH")]))
    proxy = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dayzero_twin.contract_tests",
            "proxy",
            "--upstream",
            upstream,
            "--port",
            "0",
        ],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tempfile.gettempdir() if python_path is not None else ROOT,
    )
    try:
        assert proxy.stderr is not None
        line = proxy.stderr.readline()
        if "listening on " not in line:
            raise RuntimeError(f"the proxy did not start: {line!r}")
        yield line.split("listening on ", 1)[1].split(" ", 1)[0]
    finally:
        proxy.terminate()
        proxy.wait(timeout=START_SECONDS)


def judge_cost(mock_url: str, python_path: Path | None) -> str:
    """``bench/proxy_judge_cost.py`` under this tree or the peer: ms per judgment."""
    env = dict(os.environ)
    if python_path is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(python_path), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "proxy_judge_cost.py"), mock_url],
        env=env,
        cwd=tempfile.gettempdir() if python_path is not None else ROOT,
        capture_output=True,
        text=True,
        timeout=START_SECONDS * 5,
        check=True,
    )
    millis, size = done.stdout.split()
    return f"{float(millis):.2f} ms per judgment of a {size}-byte page"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--peer-revision", help="also measure the proxy of this git revision")
    args = parser.parse_args()
    added: dict[str, list[tuple[float, float]]] = {}
    with contextlib.ExitStack() as stack:
        mock_url = stack.enter_context(running_mock())
        fill(mock_url, 50)
        proxies: dict[str, Path | None] = {"this tree": None}
        if args.peer_revision:
            proxies[args.peer_revision] = stack.enter_context(exported(args.peer_revision))
        print(
            f"{args.requests} requests, {args.connections} connections, "
            "GET /api/v1/invoices?limit=10; ms"
        )
        for name, python_path in proxies.items():
            print(f"judge CPU, {name}: {judge_cost(mock_url, python_path)}")
        for round_ in range(1, args.rounds + 1):
            times, failed = asyncio.run(load(mock_url, args.requests, args.connections))
            d50, d99 = quantiles(times)
            print(
                f"round {round_}: direct          p50 {d50:7.1f}  p99 {d99:7.1f}"
                + (f"   ({failed} failed)" if failed else "")
            )
            for name, python_path in proxies.items():
                with running_proxy(mock_url, python_path) as url:
                    times, failed = asyncio.run(load(url, args.requests, args.connections))
                p50, p99 = quantiles(times)
                added.setdefault(name, []).append((p50 - d50, p99 - d99))
                print(
                    f"round {round_}: via {name:11} p50 {p50:7.1f}  p99 {p99:7.1f}"
                    f"   added p50 {p50 - d50:+7.1f}  p99 {p99 - d99:+7.1f}"
                    + (f"   ({failed} failed)" if failed else "")
                )
    for name, figures in added.items():
        print(
            f"median over {len(figures)} rounds, added by {name}: "
            f"p50 {statistics.median(f[0] for f in figures):+.1f} ms, "
            f"p99 {statistics.median(f[1] for f in figures):+.1f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
