"""Profile the mock where it missed a target, from the outside, under the same workload.

Load and bulk-import profiles attach py-spy to a mock started exactly as benchmarked,
for the duration of the workload only: py-spy samples every thread (the mock imports
CSV files in a worker thread) and, with ``--gil``, only samples that hold the GIL, i.e.
Python CPU time, the resource a single-process server runs out of. Start-up is
profiled with pyinstrument from the first instruction, stopped by SIGINT once the
first 201 arrived. Where py-spy is missing or may not attach (no ptrace), load and
bulk fall back to pyinstrument too, which sees the main thread only; the report says
which profiler produced each table.
"""

from __future__ import annotations

import json
import shutil
import signal
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.bulk_load import bulk_load
from bench.config import MOCK, OPERATIONS, BenchConfig, Operation
from bench.csvgen import generate
from bench.hotspots import Node, analyse, from_folded, from_pyinstrument, render_tree
from bench.load import run_load
from bench.processes import ManagedProcess, ServerStartError, free_port
from bench.scaling import REQUEST_TIMEOUT_S, upload
from bench.servers import RunningServer, mock_command, start_server

SHUTDOWN_GRACE_S = 60.0
BULK_REPEATS = 3
PY_SPY_RATE_HZ = 250
PY_SPY_ATTACH_TIMEOUT_S = 15.0

Workload = Callable[[RunningServer, BenchConfig, Path], None]


@dataclass(frozen=True)
class ProfileJob:
    """What to replay under the profiler; ``attach`` jobs skip start-up."""

    name: str
    title: str
    workload: Workload
    attach: bool = True


def _load_workload(operation: Operation, tool: str) -> Workload:
    def replay(server: RunningServer, config: BenchConfig, work_dir: Path) -> None:
        run_load(bulk_load(config, MOCK, server.base_url, operation, config.profile_s), tool,
                 work_dir)

    return replay


def _bulk_workload(operation: Operation, rows: int) -> Workload:
    def replay(server: RunningServer, config: BenchConfig, work_dir: Path) -> None:
        with httpx.Client(base_url=server.base_url, timeout=REQUEST_TIMEOUT_S) as client:
            content = generate(operation.name, rows)
            key = upload(client, config, f"profile-{operation.name}-{rows}.csv", content)
            body = json.dumps({"s3_key": key}).encode()
            for _ in range(BULK_REPEATS):
                client.post(operation.path, content=body, headers=config.headers())

    return replay


def _startup_workload(server: RunningServer, config: BenchConfig, work_dir: Path) -> None:
    """Nothing beyond start-up: the probe's first 201 already happened."""


def jobs_for(missed: Iterable[str], tool: str, rows: int) -> list[ProfileJob]:
    """The profiles that explain the missed target keys (see :mod:`bench.targets`)."""
    missed = set(missed)
    jobs: list[ProfileJob] = []
    for operation in OPERATIONS:
        name = operation.name
        if missed & {f"{name}.vs_static", f"{name}.vs_dynamic", f"{name}.p99"}:
            title = f"{name}: mock under the throughput phase's load"
            jobs.append(ProfileJob(f"load-{name}", title, _load_workload(operation, tool)))
        if missed & {f"{name}.bulk_{rows}", "bulk_peak_rss"}:
            title = f"{name}: {rows:,}-row imports ×{BULK_REPEATS}"
            jobs.append(ProfileJob(f"bulk-{name}-{rows}", title, _bulk_workload(operation, rows)))
    if "startup" in missed:
        title = "mock start-up to first 201"
        jobs.append(ProfileJob("startup", title, _startup_workload, attach=False))
    return jobs


def all_jobs(tool: str, rows: int) -> list[ProfileJob]:
    keys = [f"{op.name}.{kind}" for op in OPERATIONS for kind in ("p99", f"bulk_{rows}")]
    return jobs_for([*keys, "startup"], tool, rows)


def find_py_spy(python: str) -> str | None:
    """py-spy beside the venv's Python, else on PATH."""
    beside = Path(python).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def _with_py_spy(
    py_spy: str, job: ProfileJob, config: BenchConfig, out_dir: Path, spec: Path
) -> Node:
    folded = out_dir / f"profile-{job.name}.folded"
    with start_server(MOCK, config, out_dir / "logs", spec) as server:
        argv = [py_spy, "record", "--pid", str(server.process.pid), "--gil", "--format", "raw"]
        argv += ["--rate", str(PY_SPY_RATE_HZ), "-o", str(folded)]
        spy = ManagedProcess("py-spy", argv, out_dir / "logs" / f"py-spy-{job.name}.log")
        with spy:
            spy.wait_until(lambda: "Sampling process" in spy.log_tail(), PY_SPY_ATTACH_TIMEOUT_S)
            job.workload(server, config, out_dir)
            spy.stop(signal.SIGINT, grace_s=SHUTDOWN_GRACE_S)
    if not folded.exists():
        raise RuntimeError(f"py-spy wrote nothing: {spy.log_tail()}")
    return from_folded(folded.read_text(encoding="utf-8"), 1.0 / PY_SPY_RATE_HZ)


def _with_pyinstrument(job: ProfileJob, config: BenchConfig, out_dir: Path, spec: Path) -> Node:
    session = out_dir / f"profile-{job.name}.pyisession"
    port = free_port()
    prefix = ("-m", "pyinstrument", "-r", "pyisession", "-o", str(session))
    command = mock_command(config, port, prefix=prefix)
    with start_server(MOCK, config, out_dir / "logs", spec, command=command, port=port) as server:
        job.workload(server, config, out_dir)
        server.process.stop(signal.SIGINT, grace_s=SHUTDOWN_GRACE_S)
    if not session.exists():
        raise RuntimeError(f"pyinstrument wrote no session for {job.name}")
    return from_pyinstrument(session)


def run_profile(job: ProfileJob, config: BenchConfig, out_dir: Path, spec: Path) -> dict[str, Any]:
    """Run one job under a profiler; its hot-spot summary and the text tree's path."""
    py_spy = find_py_spy(config.python) if job.attach else None
    profiler = "pyinstrument (main thread, from launch)"
    tree: Node | None = None
    if py_spy is not None:
        try:
            tree = _with_py_spy(py_spy, job, config, out_dir, spec)
            profiler = f"py-spy --gil at {PY_SPY_RATE_HZ} Hz (all threads, workload only)"
        except (ServerStartError, RuntimeError):
            tree = None  # e.g. no ptrace permission here: pyinstrument still works
    if tree is None:
        tree = _with_pyinstrument(job, config, out_dir, spec)
    text = out_dir / f"profile-{job.name}.txt"
    text.write_text(f"{job.title} — {profiler}\n\n{render_tree(tree)}", encoding="utf-8")
    return {"name": job.name, "title": job.title, "profiler": profiler, "path": str(text)} | (
        analyse(tree)
    )
