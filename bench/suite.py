"""Wall time of one default contract-suite run against a freshly started mock.

A CI job starts the mock and runs the suite, so the suite is timed against a fresh
server each run; the mock's own start-up is reported separately and is not included.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.config import REPO_ROOT, BenchConfig
from bench.servers import RunningServer


@dataclass(frozen=True)
class SuiteSample:
    run: int
    seconds: float
    exit_code: int | None
    log: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def suite_command(config: BenchConfig, base_url: str) -> list[str]:
    """The suite's documented command line, with its defaults otherwise."""
    return [
        config.python,
        "-m",
        "dayzero_twin.contract_tests",
        "--base-url",
        base_url,
        "--token",
        config.token,
        "--business-id",
        config.business_id,
    ]


def time_suite(server: RunningServer, config: BenchConfig, run: int, log: Path) -> SuiteSample:
    """Run the suite once against ``server``; a timeout is recorded with no exit code."""
    with log.open("wb") as out:
        started = time.perf_counter()
        try:
            completed = subprocess.run(
                suite_command(config, server.base_url),
                cwd=REPO_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=config.suite_timeout_s,
                check=False,
            )
            exit_code: int | None = completed.returncode
        except subprocess.TimeoutExpired:
            exit_code = None
        seconds = time.perf_counter() - started
    return SuiteSample(run=run, seconds=seconds, exit_code=exit_code, log=str(log))
