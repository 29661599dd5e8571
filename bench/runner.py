"""One benchmark run: phases in order, samples collected, results written.

Servers are started fresh for every run of every phase, and the three servers take
turns within a run (mock, Prism static, Prism dynamic, then the next run), so slow
drift on a shared machine spreads over all of them instead of landing on one. A phase
that cannot run is recorded and the others still run; an interruption stops every
process and still writes what was measured.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.aggregate import summarize
from bench.bulk_load import bulk_load
from bench.charts import write_charts
from bench.config import MOCK, OPERATIONS, PRISM_STATIC, REPO_ROOT, SERVERS, BenchConfig
from bench.load import choose_tool, run_load
from bench.machine import describe, loadavg
from bench.prism import ensure_installed
from bench.processes import ServerStartError, free_port
from bench.profiling import all_jobs, jobs_for, run_profile
from bench.report import render
from bench.scaling import run_scaling
from bench.servers import start_server
from bench.suite import late_command, time_suite
from bench.suite import variants as suite_variants
from bench.targets import evaluate

BUNDLE_TIMEOUT_S = 120
# What a failing phase raises: a server that will not start, a tool that fails, a
# server that answers garbage. Anything else is a bug in the benchmark and should show.
STEP_ERRORS = (
    ServerStartError,
    RuntimeError,
    OSError,
    subprocess.SubprocessError,
    httpx.HTTPError,
    ValueError,
)


def log(message: str) -> None:
    """Progress on stderr, so stdout stays the report."""
    print(f"[bench {datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Run:
    """The state of one benchmark run: where it writes, what it has measured so far."""

    def __init__(self, config: BenchConfig) -> None:
        self.config = config
        self.started = datetime.now(UTC)
        self.dir = config.results_dir / self.started.strftime("%Y%m%dT%H%M%SZ")
        self.logs = self.dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.spec = self.dir / "openapi" / "openapi.yaml"
        self.samples: dict[str, list[dict[str, Any]]] = {
            "throughput": [],
            "servers": [],
            "scaling": [],
            "suite": [],
        }
        self.errors: list[str] = []
        self.profiles: list[dict[str, Any]] = []
        self.tool = choose_tool(config.load_tool)
        self.servers = list(SERVERS if config.with_prism else (MOCK,))
        self.machine: dict[str, Any] = {}

    def guarded(self, what: str, step: Callable[[], None]) -> bool:
        """Run ``step``; record a failure instead of letting it end the whole run."""
        try:
            step()
        except STEP_ERRORS as exc:
            self.errors.append(f"{what}: {exc}".strip())
            log(f"{what} failed: {exc}")
            return False
        return True

    # Preparation -----------------------------------------------------------------------

    def bundle(self) -> None:
        """The bundled contract Prism serves, written inside this run's folder."""
        completed = subprocess.run(
            [
                self.config.python, "-m", "dayzero_twin.openapi.bundle",
                "--out", str(self.spec.parent),
            ],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=BUNDLE_TIMEOUT_S,
            check=False,
        )
        if completed.returncode != 0 or not self.spec.exists():
            raise RuntimeError(f"openapi.bundle failed: {completed.stderr.strip()}")

    def install_prism(self) -> None:
        log(f"installing {self.config.prism_package} into bench/.prism/ if missing")
        version = ensure_installed(self.config.prism_package, self.logs / "npm-install.log")
        log(f"Prism {version}")

    # Phases ------------------------------------------------------------------------------

    def throughput_run(self, run: int) -> None:
        for name in list(self.servers):
            ok = self.guarded(f"throughput run {run + 1}, {name}", lambda n=name: self._one(n, run))
            if not ok:
                # A server that failed to start once would only fail again; skip its later runs.
                self.servers.remove(name)

    def _one(self, name: str, run: int) -> None:
        config = self.config
        with start_server(name, config, self.logs, self.spec) as server:
            time.sleep(config.settle_s)
            idle = server.process.rss_bytes()
            log(f"run {run + 1}: {name} ready in {server.startup_s:.2f}s, idle {idle / 1e6:.0f} MB")
            for operation in OPERATIONS:
                request = bulk_load(config, name, server.base_url, operation,
                                    config.duration_s)
                if config.warmup_s > 0:
                    warm = replace(request, duration_s=config.warmup_s)
                    run_load(warm, self.tool, self.logs)
                cpu_before = server.process.cpu_seconds()
                result = run_load(request, self.tool, self.logs)
                # Cores the server kept busy: ~1.0 means one saturated core, far less
                # means it was starved (by the load generator or by other work on the box).
                server_cores = (server.process.cpu_seconds() - cpu_before) / result.duration_s
                log(
                    f"run {run + 1}: {name} {operation.name}: {result.rps:,.0f} req/s, "
                    f"p50 {result.latency_ms.get('p50', 0):.1f} ms, "
                    f"p99 {result.latency_ms.get('p99', 0):.1f} ms, "
                    f"not 201: {result.unexpected()}, server CPU {server_cores:.2f} cores"
                )
                self.samples["throughput"].append(
                    {
                        "run": run,
                        "server": name,
                        "operation": operation.name,
                        "result": result.as_dict(),
                        "unexpected": result.unexpected(),
                        "server_cores": server_cores,
                    }
                )
            self.samples["servers"].append(
                {
                    "run": run,
                    "server": name,
                    "startup_s": server.startup_s,
                    "idle_rss_bytes": idle,
                    "loaded_rss_bytes": server.process.rss_bytes(),
                }
            )

    def scaling(self) -> None:
        samples = []
        for operation in OPERATIONS:
            with start_server(MOCK, self.config, self.logs, self.spec) as server:
                log(
                    f"scaling {operation.name}: {list(self.config.sizes)} rows × {self.config.runs}"
                )
                samples += run_scaling(server, self.config, [operation])
        for sample in samples:
            self.samples["scaling"].append(sample.as_dict())
            log(
                f"scaling: {sample.operation} {sample.rows} rows: {sample.seconds:.3f}s, "
                f"peak {sample.peak_rss_bytes / 1e6:.0f} MB, status {sample.status}"
            )

    def suite(self, run: int) -> None:
        """One round: every variant of bench/suite.py, each against a fresh server."""
        for variant in suite_variants(self.config):
            port = free_port()
            command = late_command(self.config, port) if variant.latency_ms else None
            name = f"{MOCK}-late" if variant.latency_ms else MOCK
            with start_server(
                name, self.config, self.logs, self.spec, command=command, port=port
            ) as server:
                sample = time_suite(
                    server.base_url,
                    self.config,
                    variant,
                    run,
                    self.logs / f"suite-{run + 1}-{variant.slug}.log",
                )
            self.samples["suite"].append(sample.as_dict())
            log(
                f"suite round {run + 1}, {variant.label}: {sample.seconds:.1f}s, "
                f"exit {sample.exit_code}"
            )

    def profile(self, targets: list[dict[str, Any]]) -> None:
        rows = max(self.config.sizes)
        if self.config.profile == "always":
            jobs = all_jobs(self.tool, rows)
        else:
            missed = [target["key"] for target in targets if target["passed"] is False]
            jobs = jobs_for(missed, self.tool, rows)
        for job in jobs:
            log(f"profiling: {job.title}")
            self.guarded(
                f"profile {job.name}",
                lambda j=job: self.profiles.append(
                    run_profile(j, self.config, self.dir, self.spec)
                ),
            )

    # Results -----------------------------------------------------------------------------

    def results(self, interrupted: bool) -> dict[str, Any]:
        summary = summarize(self.samples)
        targets = [
            target.as_dict() for target in evaluate(summary, largest_rows=max(self.config.sizes))
        ]
        config = {**asdict(self.config), "results_dir": str(self.config.results_dir)}
        return {
            "started_at": self.started.isoformat(timespec="seconds"),
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "interrupted": interrupted,
            "load_tool": self.tool,
            "config": config,
            "machine": {**self.machine, "loadavg_end": loadavg()},
            "samples": self.samples,
            "summary": summary,
            "targets": targets,
            "profiles": self.profiles,
            "errors": self.errors,
            "charts": [],
        }

    def write(self, results: dict[str, Any]) -> Path:
        results["charts"] = write_charts(results["summary"], self.dir)
        (self.dir / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
        report = self.dir / "results.md"
        report.write_text(render(results), encoding="utf-8")
        latest = self.config.results_dir / "latest"
        if latest.is_symlink() or latest.exists():
            latest.unlink()
        latest.symlink_to(self.dir.name)
        return report

    def execute(self) -> tuple[dict[str, Any], Path]:
        config = self.config
        interrupted = False
        try:
            if PRISM_STATIC in self.servers and "throughput" in config.phases:
                prepared = self.guarded("bundling the contract for Prism", self.bundle)
                if not (prepared and self.guarded("installing Prism", self.install_prism)):
                    self.servers = [MOCK]
            self.machine = describe(config.python, config.node)
            log(f"results in {self.dir}; load tool {self.tool}")
            if "throughput" in config.phases:
                for run in range(config.runs):
                    self.throughput_run(run)
            if "scaling" in config.phases:
                self.guarded("scaling", self.scaling)
            if "suite" in config.phases:
                for run in range(config.suite_runs):
                    if not self.guarded(f"suite run {run + 1}", lambda r=run: self.suite(r)):
                        break
            if config.profile != "never":
                self.profile(self.results(interrupted)["targets"])
        except KeyboardInterrupt:
            interrupted = True
            self.errors.append("interrupted: the figures above are partial")
        results = self.results(interrupted)
        return results, self.write(results)


def rerender(results_json: Path) -> tuple[dict[str, Any], Path]:
    """Summary, targets, report and charts again from a ``results.json``'s samples.

    Lets a run's figures be re-read after the harness's summarising changes, without
    measuring again; the samples and profiles are kept as they are.
    """
    results = json.loads(results_json.read_text(encoding="utf-8"))
    sizes = results.get("config", {}).get("sizes") or [10_000]
    results["summary"] = summarize(results["samples"])
    results["targets"] = [
        target.as_dict() for target in evaluate(results["summary"], largest_rows=max(sizes))
    ]
    out_dir = results_json.parent
    results["charts"] = write_charts(results["summary"], out_dir)
    results_json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    report = out_dir / "results.md"
    report.write_text(render(results), encoding="utf-8")
    return results, report
