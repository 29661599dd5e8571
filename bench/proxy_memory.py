"""The checking proxy's memory over a long session: resident set size of the proxy
process while a client uploads, imports, lists and reads back, again and again.

``python -m bench.proxy_memory [--iterations 600] [--rows 40]``. Two proxies, one after
the other in the same run, in front of one mock, both recording a HAR: ``bounded`` with
small bounds (``--tune``: 20 uploads / 256 KiB of files, 2,000 entities...), so the run
goes far past them, and ``loose`` with bounds no session of this length reaches, which
remembers everything as the proxy did before its memory was bounded. Each iteration is
4 exchanges: upload a CSV of ``--rows`` rows (new customers each time), bulk-import it,
list the newest page, GET one created invoice. RSS is sampled every tenth of the run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import psutil

from dayzero_twin.contract_tests.mock_process import MOCK_BUSINESS, MOCK_TOKEN, running_mock

HEADERS = {"Authorization": f"Bearer {MOCK_TOKEN}", "x-business-id": MOCK_BUSINESS}
BOUNDED = (
    "max_uploads=20",
    f"max_upload_bytes={256 * 1024}",
    "max_entities=2000",
    "max_registered=2000",
    "max_parties=1000",
    "max_pages=200",
    "max_keys=500",
)
LOOSE = (
    "max_uploads=1000000",
    f"max_upload_bytes={4 * 1024**3}",
    "max_entities=100000000",
    "max_registered=100000000",
    "max_parties=100000000",
    "max_pages=1000000",
    "max_keys=1000000",
)
SAMPLES = 10
START_SECONDS = 30


def csv_file(rows: int, tag: int) -> bytes:
    lines = ["customer_email,customer_name,due_date,item_description,quantity,unit_price"]
    lines += [
        f"c{tag}-{i}@example.com,Customer {tag}-{i},2026-03-01,item {i},2,{10 + i}.25"
        for i in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


def iteration(client: httpx.Client, rows: int, tag: int) -> None:
    uploaded = client.post(
        "/api/v1/upload/direct",
        headers=HEADERS,
        files={"file": ("f.csv", csv_file(rows, tag), "text/csv")},
    )
    uploaded.raise_for_status()
    created = client.post(
        "/api/v1/invoices/bulk", headers=HEADERS, json={"s3_key": uploaded.json()["s3_key"]}
    )
    created.raise_for_status()
    client.get("/api/v1/invoices", params={"limit": 50}, headers=HEADERS).raise_for_status()
    first = created.json()["items"][0]["id"]
    client.get(f"/api/v1/invoices/{first}", headers=HEADERS).raise_for_status()


def session(mock_url: str, tune: tuple[str, ...], iterations: int, rows: int) -> list[float]:
    """RSS of the proxy (MiB) before the session and after each tenth of it."""
    with tempfile.TemporaryDirectory() as scratch:
        command = [
            sys.executable,
            "-m",
            "dayzero_twin.contract_tests",
            "proxy",
            "--upstream",
            mock_url,
            "--port",
            "0",
            "--record",
            str(Path(scratch) / "session.har"),
        ]
        for setting in tune:
            command += ["--tune", setting]
        proxy = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
        try:
            assert proxy.stderr is not None
            line = proxy.stderr.readline()
            url = line.split("listening on ", 1)[1].split(" ", 1)[0]
            process = psutil.Process(proxy.pid)
            rss = [process.memory_info().rss / 2**20]
            with httpx.Client(base_url=url, timeout=60) as client:
                for done in range(1, iterations + 1):
                    iteration(client, rows, tag=done + os.getpid() * 10_000_000)
                    if done % max(1, iterations // SAMPLES) == 0:
                        rss.append(process.memory_info().rss / 2**20)
            listed = httpx.get(f"{url}/__proxy/violations", timeout=60).json()
            assert listed["violation_count"] == 0, listed["violations_by_rule"]
        finally:
            proxy.terminate()
            proxy.wait(timeout=120)
    return rss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=600)
    parser.add_argument("--rows", type=int, default=40)
    args = parser.parse_args()
    with running_mock() as mock_url:
        results = {
            name: session(mock_url, tune, args.iterations, args.rows)
            for name, tune in (("loose", LOOSE), ("bounded", BOUNDED))
        }
    print(
        f"{args.iterations} iterations x 4 exchanges, {args.rows}-row files; "
        "proxy RSS (MiB) at each tenth of the session"
    )
    for name, rss in results.items():
        quarter = rss[len(rss) // 4]
        print(
            f"{name:8} "
            + " ".join(f"{value:6.1f}" for value in rss)
            + f"   growth over the last 3/4: {rss[-1] - quarter:+.1f} MiB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
