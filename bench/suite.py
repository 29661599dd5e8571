"""Wall time of a default contract-suite run, beside its one-check-at-a-time baseline.

A CI job starts the implementation and runs the suite, so every run is timed against a
freshly started server; the server's own start-up is not included. Each round times,
in turn, the suite's default (``--workers`` not given) and ``--workers 1`` against two
implementations: the mock on loopback, where the suite and the server share the CPU,
and the mock answering every request 150 ms late (:mod:`bench.late`), like a staging
API. Medians over rounds, and the sequential/default ratio per implementation.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.config import REPO_ROOT, BenchConfig


@dataclass(frozen=True)
class SuiteVariant:
    """One way of running the suite: against which implementation, with how many
    workers (``None``: the suite's default)."""

    latency_ms: int
    workers: int | None

    @property
    def label(self) -> str:
        target = f"{self.latency_ms}-ms-late mock" if self.latency_ms else "local mock"
        workers = "default" if self.workers is None else f"--workers {self.workers}"
        return f"{target}, {workers}"

    @property
    def slug(self) -> str:
        return f"{self.latency_ms}ms-{'default' if self.workers is None else self.workers}w"


@dataclass(frozen=True)
class SuiteSample:
    run: int
    latency_ms: int
    workers: int | None
    seconds: float
    exit_code: int | None
    log: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def variants(config: BenchConfig) -> Iterator[SuiteVariant]:
    """Default and sequential, local then late: the order of every round."""
    for latency in (0, config.suite_latency_ms):
        for workers in (None, 1):
            yield SuiteVariant(latency, workers)


def late_command(config: BenchConfig, port: int) -> list[str]:
    """The mock behind :mod:`bench.late`, answering ``suite_latency_ms`` late."""
    return [
        config.python,
        "-m",
        "bench.late",
        "--port",
        str(port),
        "--latency-ms",
        str(config.suite_latency_ms),
    ]


def suite_command(config: BenchConfig, base_url: str, workers: int | None = None) -> list[str]:
    """The suite's documented command line, with its defaults otherwise."""
    command = [
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
    return command if workers is None else [*command, "--workers", str(workers)]


def time_suite(
    base_url: str, config: BenchConfig, variant: SuiteVariant, run: int, log: Path
) -> SuiteSample:
    """Run the suite once against ``base_url``; a timeout is recorded with no exit code."""
    with log.open("wb") as out:
        started = time.perf_counter()
        try:
            completed = subprocess.run(
                suite_command(config, base_url, variant.workers),
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
    return SuiteSample(
        run=run,
        latency_ms=variant.latency_ms,
        workers=variant.workers,
        seconds=seconds,
        exit_code=exit_code,
        log=str(log),
    )
