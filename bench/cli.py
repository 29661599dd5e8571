"""``python -m bench`` (``make bench``): options, signal handling, the closing summary.

Defaults take about 20–25 minutes on the project's 2-core machine, 15 of them the
contract suite's rounds (``--suite-runs``). Exit status: 0 when
every phase ran (targets may still be missed: they are benchmark figures, not tests,
unless ``--strict``), 1 when a phase could not run, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType

from bench.config import (
    DEFAULT_BUSINESS_ID,
    DEFAULT_TOKEN,
    PHASES,
    RESULTS_DIR,
    BenchConfig,
)
from bench.processes import stop_all
from bench.report import targets_table
from bench.runner import Run, log, rerender


def _sizes(text: str) -> tuple[int, ...]:
    sizes = tuple(int(part) for part in text.split(",") if part.strip())
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("sizes are positive row counts, e.g. 10,100,1000")
    return sizes


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    defaults = BenchConfig()
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark the mock against Stoplight Prism (static and dynamic) on "
        "loopback: throughput and latency, bulk-size scaling, start-up, idle memory and "
        "the contract suite's run time.",
    )
    add = parser.add_argument
    add(
        "--runs",
        type=_positive_int,
        default=defaults.runs,
        help="runs per measurement (%(default)s)",
    )
    add(
        "--duration",
        type=_positive_float,
        default=defaults.duration_s,
        help="seconds of load per run and operation (%(default)s; wrk rounds to whole seconds)",
    )
    add(
        "--warmup",
        type=float,
        default=defaults.warmup_s,
        help="seconds of unmeasured load before each measured one (%(default)s)",
    )
    add(
        "--connections",
        type=_positive_int,
        default=defaults.connections,
        help="concurrent keep-alive connections (%(default)s)",
    )
    add(
        "--threads",
        type=_positive_int,
        default=defaults.threads,
        help="wrk threads (%(default)s: the load generator shares the CPU with the server)",
    )
    add(
        "--sizes",
        type=_sizes,
        default=defaults.sizes,
        help="bulk file sizes in rows (10,100,1000,10000)",
    )
    add(
        "--distinct-files",
        type=int,
        default=defaults.distinct_files,
        metavar="N",
        help="import N different files of the sample's size in turn instead of the one "
        "sample (%(default)s: the sample; over 64 defeats the mock's memo of parsed files)",
    )
    add(
        "--suite-runs",
        type=int,
        default=defaults.suite_runs,
        help="contract suite rounds, each timing the default and --workers 1 against the "
        "local mock and a late one (%(default)s)",
    )
    add(
        "--suite-latency",
        type=int,
        default=defaults.suite_latency_ms,
        metavar="MS",
        help="how late the staging-like implementation answers every request (%(default)s)",
    )
    add(
        "--suite-timeout",
        type=_positive_float,
        default=defaults.suite_timeout_s,
        help="seconds before a suite run is abandoned (%(default)s)",
    )
    add(
        "--load-tool",
        choices=("auto", "wrk", "python"),
        default=defaults.load_tool,
        help="wrk, the built-in asyncio client, or wrk when installed (auto)",
    )
    add("--only", choices=PHASES, action="append", help="run only this phase (repeatable)")
    add("--skip", choices=PHASES, action="append", default=[], help="skip this phase (repeatable)")
    add("--no-prism", action="store_true", help="measure the mock alone")
    add(
        "--profile",
        choices=("auto", "always", "never"),
        default=defaults.profile,
        help="profile the mock with pyinstrument where a target is missed (auto)",
    )
    add(
        "--profile-seconds",
        type=_positive_float,
        default=defaults.profile_s,
        help="seconds of load while profiling (%(default)s)",
    )
    add(
        "--startup-timeout",
        type=_positive_float,
        default=defaults.startup_timeout_s,
        help="seconds a server may take to answer its first 201 (%(default)s)",
    )
    add(
        "--prism-package",
        default=defaults.prism_package,
        help="npm spec installed into bench/.prism/ when Prism is missing (%(default)s)",
    )
    add("--node", default=defaults.node, help="Node.js executable for Prism (%(default)s)")
    add("--python", default=defaults.python, help="Python that runs the mock and the suite")
    add(
        "--mock-arg",
        action="append",
        default=[],
        help="extra argument for the mock, e.g. --mock-arg=--seed=1 (repeatable)",
    )
    add("--token", default=DEFAULT_TOKEN, help="bearer token (%(default)s)")
    add("--business-id", default=DEFAULT_BUSINESS_ID, help="x-business-id (%(default)s)")
    add("--results-dir", type=Path, default=RESULTS_DIR, help="where results go (bench/results)")
    add("--strict", action="store_true", help="exit 2 when a target is missed")
    add(
        "--render",
        type=Path,
        metavar="RESULTS_JSON",
        help="measure nothing: rebuild the report and charts from a results.json",
    )
    return parser


def config_from(args: argparse.Namespace) -> BenchConfig:
    phases = tuple(phase for phase in (args.only or PHASES) if phase not in args.skip)
    return BenchConfig(
        runs=args.runs,
        duration_s=args.duration,
        warmup_s=max(0.0, args.warmup),
        connections=args.connections,
        threads=min(args.threads, args.connections),
        sizes=args.sizes,
        distinct_files=max(0, args.distinct_files),
        suite_runs=max(0, args.suite_runs),
        suite_latency_ms=max(0, args.suite_latency),
        suite_timeout_s=args.suite_timeout,
        load_tool=args.load_tool,
        phases=phases,
        with_prism=not args.no_prism,
        profile=args.profile,
        profile_s=args.profile_seconds,
        startup_timeout_s=args.startup_timeout,
        python=args.python,
        node=args.node,
        prism_package=args.prism_package,
        token=args.token,
        business_id=args.business_id,
        mock_args=tuple(args.mock_arg),
        results_dir=args.results_dir.resolve(),
        strict=args.strict,
    )


def _terminate(signum: int, frame: FrameType | None) -> None:
    # Every stop request takes the Ctrl-C path, so servers are stopped and results written.
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["soak"]:  # `python -m bench soak`: the bounded-memory soak run
        from bench import soak

        return soak.main(argv[1:])
    if argv[:1] == ["registry"]:  # `python -m bench registry`: the suite's registry, per call
        from bench import registry_cost

        return registry_cost.main(argv[1:])
    args = build_parser().parse_args(argv)
    if args.render is not None:
        results, report = rerender(args.render)
        print(targets_table(results["targets"]))
        print(f"\nreport: {report}")
        return 0
    config = config_from(args)
    # Explicitly for SIGINT too: a parent that ignores it (a background job of a
    # script) would otherwise leave servers running after the user's Ctrl-C.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _terminate)
    try:
        results, report = Run(config).execute()
    finally:
        stop_all()
    print(targets_table(results["targets"]))
    print(f"\nreport: {report}\nresults: {report.with_name('results.json')}")
    for error in results["errors"]:
        log(f"did not complete: {error}")
    if results["interrupted"]:
        return 130
    if results["errors"]:
        return 1
    if config.strict and any(t["passed"] is False for t in results["targets"]):
        return 2
    return 0
