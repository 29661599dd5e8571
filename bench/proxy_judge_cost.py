"""CPU time of one judgment: ``Judge.judge`` on one full 10-invoice list page, repeated.

Run as a script by ``bench.proxy_overhead`` (``python bench/proxy_judge_cost.py URL``)
once with this tree and once with the peer revision first on ``PYTHONPATH``, so each
measures its own ``dayzero_twin``. Prints the median over 5 batches of 100 judgments,
in ms per judgment.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import UTC, datetime

import httpx

from dayzero_twin.contract_tests.proxy.exchange import Exchange
from dayzero_twin.contract_tests.proxy.judge import Judge

TOKEN = "dz_mock_token"
BUSINESS = "b5a1c6de-0000-4000-8000-000000000001"


def main(base_url: str) -> int:
    headers = {"Authorization": f"Bearer {TOKEN}", "x-business-id": BUSINESS}
    response = httpx.get(f"{base_url}/api/v1/invoices", params={"limit": 10}, headers=headers)
    now = datetime.now(UTC)
    exchange = Exchange(
        method="GET",
        target="/api/v1/invoices?limit=10",
        request_headers=tuple(headers.items()),
        request_body=b"",
        status=response.status_code,
        response_headers=tuple(response.headers.items()),
        response_body=response.content,
        started=now,
        finished=now,
        token="token-bench",
    )
    judge = Judge()
    assert judge.judge(exchange) == []  # warm: schemas compiled, a valid page
    batches = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(100):
            judge.judge(exchange)
        batches.append((time.perf_counter() - started) / 100 * 1000)
    print(f"{statistics.median(batches):.2f} {len(response.content)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
