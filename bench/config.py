"""The benchmark's one configuration object and the facts it is built on.

Defaults are chosen so that a full ``make bench`` stays under about ten minutes on the
project's 2-core machine; every duration and count is an option of ``python -m bench``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO_ROOT / "bench"
PRISM_DIR = BENCH_DIR / ".prism"
RESULTS_DIR = BENCH_DIR / "results"

DEFAULT_TOKEN = "dz_mock_token"
DEFAULT_BUSINESS_ID = "b5a1c6de-0000-4000-8000-000000000001"
# The lead's `make mock` port; a benchmark must never take it.
RESERVED_PORTS = frozenset({4010})

MOCK = "mock"
PRISM_STATIC = "prism-static"
PRISM_DYNAMIC = "prism-dynamic"
SERVERS = (MOCK, PRISM_STATIC, PRISM_DYNAMIC)
PRISM_SERVERS = (PRISM_STATIC, PRISM_DYNAMIC)

PHASES = ("throughput", "scaling", "suite")

# A CPU-bound single-process server keeps about one core busy; clearly less means it
# was starved of CPU by other work on the machine during that run.
SATURATED_CORES = 0.8


@dataclass(frozen=True)
class Operation:
    """One bulk operation as the load generator calls it."""

    name: str
    path: str
    sample_key: str

    def sized_key(self, rows: int) -> str:
        """The mock's ready-made sample key with ``rows`` data rows."""
        return self.sample_key.replace(".csv", f"-{rows}.csv")


# Data rows of the mock's samples/invoices.csv and samples/bills.csv: the size of the
# distinct files a --distinct-files run imports instead.
SAMPLE_ROWS = {"invoices": 6, "bills": 5}

OPERATIONS = (
    Operation("invoices", "/api/v1/invoices/bulk", "samples/invoices.csv"),
    Operation("bills", "/api/v1/bills/bulk", "samples/bills.csv"),
)


@dataclass(frozen=True)
class BenchConfig:
    """Everything a benchmark run depends on, as chosen on the command line."""

    runs: int = 3
    duration_s: float = 10.0
    warmup_s: float = 2.0
    connections: int = 16
    threads: int = 1
    sizes: tuple[int, ...] = (10, 100, 1_000, 10_000)
    # 0: every request imports the ready-made sample file. N: N files of the same shape
    # and different content, in turn (over 64 defeats the mock's memo of parsed files).
    distinct_files: int = 0
    # Rounds of the suite benchmark: each times the four variants of bench/suite.py once.
    suite_runs: int = 3
    # How late the staging-like implementation answers every request.
    suite_latency_ms: int = 150
    # A sequential run against the late implementation takes minutes.
    suite_timeout_s: float = 600.0
    load_tool: str = "auto"
    phases: tuple[str, ...] = PHASES
    with_prism: bool = True
    profile: str = "auto"
    profile_s: float = 8.0
    startup_timeout_s: float = 60.0
    settle_s: float = 1.0
    python: str = sys.executable
    node: str = "node"
    prism_package: str = "@stoplight/prism-cli@5"
    token: str = DEFAULT_TOKEN
    business_id: str = DEFAULT_BUSINESS_ID
    mock_args: tuple[str, ...] = ()
    results_dir: Path = RESULTS_DIR
    strict: bool = False

    def headers(self) -> dict[str, str]:
        """The headers every bulk request carries; Prism validates them too."""
        return {
            "Authorization": f"Bearer {self.token}",
            "x-business-id": self.business_id,
            "Content-Type": "application/json",
        }
