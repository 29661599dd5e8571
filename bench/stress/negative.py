"""Schemathesis in negative mode over every operation of the contract: no 5xx, no hang.

Negative mode sends requests the contract forbids (wrong types, missing or malformed
parameters and bodies, values outside every constraint). A mock may refuse each of them
however the contract says, but it must answer: a 5xx, a dropped connection or a request
that outlives ``--timeout`` is a failure. Each operation is fuzzed in three passes,
because the checks run in order (CONTRACT §1) and garbage in an early one hides the rest:

- ``no auth``: no token at all;
- ``token``: a valid token, everything else generated;
- ``token+business``: a valid token and a real ``x-business-id``, so the generated
  garbage reaches the body, query and path checks.

Run as ``python -m bench.stress.negative [--max-examples N]``; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from bench.stress.harness import BUSINESS_A, DEFAULT_TOKEN, MockProcess
from dayzero_twin.openapi.bundle import load_bundle

PASSES: tuple[tuple[str, bool, bool], ...] = (
    # label, send a valid token, pin x-business-id to a real business
    ("no auth", False, False),
    ("token", True, False),
    ("token+business", True, True),
)


@dataclass
class OperationTally:
    """What one operation answered to its negative cases."""

    label: str
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    unsatisfiable: list[str] = field(default_factory=list)  # passes with no negative case
    seconds: float = 0.0


@dataclass
class NegativeReport:
    operations: list[OperationTally]

    @property
    def requests(self) -> int:
        return sum(op.requests for op in self.operations)

    @property
    def failures(self) -> list[str]:
        return [failure for op in self.operations for failure in op.failures]

    def statuses(self) -> Counter[int]:
        total: Counter[int] = Counter()
        for op in self.operations:
            total.update(op.statuses)
        return total


def _has_business_header(operation: Any) -> bool:
    return any(
        parameter.name.lower() == "x-business-id" for parameter in operation.headers
    )


def _probe(
    case: Any, tally: OperationTally, base_url: str, headers: dict[str, str], timeout: float
) -> None:
    tally.requests += 1
    try:
        response = case.call(base_url=base_url, headers=headers, timeout=timeout)
    except requests.Timeout:
        tally.failures.append(f"{tally.label}: no answer within {timeout}s\n"
                              f"    {case.as_curl_command(headers=headers, base_url=base_url)}")
        return
    except requests.ConnectionError as error:
        tally.failures.append(f"{tally.label}: connection error {error}\n"
                              f"    {case.as_curl_command(headers=headers, base_url=base_url)}")
        return
    tally.statuses[response.status_code] += 1
    if response.status_code >= 500:
        tally.failures.append(
            f"{tally.label}: {response.status_code} {response.text[:300]}\n"
            f"    {case.as_curl_command(headers=headers, base_url=base_url)}"
        )


def _hypothesis_runner(
    strategy: Any,
    tally: OperationTally,
    base_url: str,
    headers: dict[str, str],
    timeout: float,
    *,
    max_examples: int,
    seed: int,
) -> Any:
    """A Hypothesis test that sends every drawn case and records, rather than raises, failures.

    Recording lets one run report every broken operation instead of stopping at the first;
    shrinking is off for the same reason (the curl line of each failure is printed instead).
    """

    @hypothesis_seed(seed)
    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        _probe(case, tally, base_url, headers, timeout)

    return run


def fuzz_operation(
    operation: Any,
    base_url: str,
    *,
    max_examples: int,
    timeout: float,
    token: str = DEFAULT_TOKEN,
    business: str = BUSINESS_A,
    seed: int = 0,
) -> OperationTally:
    """Send ``max_examples`` negative cases per pass to one operation; record every answer."""
    tally = OperationTally(label=f"{operation.method.upper()} {operation.path}")
    started = time.monotonic()
    for name, with_token, pin_business in PASSES:
        if pin_business and not _has_business_header(operation):
            continue
        fixed = {"x-business-id": business} if pin_business else None
        headers = {"Authorization": f"Bearer {token}"} if with_token else {}
        strategy = operation.as_strategy(GenerationMode.NEGATIVE, headers=fixed)
        pass_tally = OperationTally(label=f"{tally.label} [{name}]")
        run = _hypothesis_runner(strategy, pass_tally, base_url, headers, timeout,
                                 max_examples=max_examples, seed=seed)
        try:
            run()
        except Unsatisfiable:
            # Nothing in the operation can be made invalid (no parameters, no body): there is
            # no negative case to send, which the report shows as 0 requests for the pass.
            tally.unsatisfiable.append(name)
        tally.requests += pass_tally.requests
        tally.statuses.update(pass_tally.statuses)
        tally.failures.extend(pass_tally.failures)
    tally.seconds = time.monotonic() - started
    return tally


def run_negative(
    base_url: str, *, max_examples: int, timeout: float, seed: int = 0
) -> NegativeReport:
    """Every operation of the bundled contract, in negative mode, against ``base_url``."""
    # Unsanitized output: the curl line of a failure must carry the real s3_key to reproduce it.
    config = schemathesis.Config.from_dict({"output": {"sanitization": {"enabled": False}}})
    schema = schemathesis.openapi.from_dict(load_bundle(), config=config)
    operations = []
    for result in schema.get_all_operations():
        operation = result.ok()
        operations.append(
            fuzz_operation(operation, base_url, max_examples=max_examples, timeout=timeout,
                           seed=seed)
        )
    return NegativeReport(operations)


def format_report(report: NegativeReport) -> str:
    lines = [f"{'operation':<40} {'requests':>8} {'5xx/hang':>8}  statuses"]
    for op in report.operations:
        statuses = " ".join(f"{code}x{count}" for code, count in sorted(op.statuses.items()))
        lines.append(f"{op.label:<40} {op.requests:>8} {len(op.failures):>8}  {statuses}")
    lines.append(f"{'total':<40} {report.requests:>8} {len(report.failures):>8}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stress.negative", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-examples", type=int, default=200,
                        help="negative cases per operation and pass (default 200)")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="seconds a single answer may take before it counts as a hang")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--base-url", help="fuzz a running mock instead of starting one")
    args = parser.parse_args(argv)

    started = time.monotonic()
    if args.base_url:
        report = run_negative(args.base_url, max_examples=args.max_examples,
                              timeout=args.timeout, seed=args.seed)
    else:
        with MockProcess() as mock:
            report = run_negative(mock.base_url, max_examples=args.max_examples,
                                  timeout=args.timeout, seed=args.seed)
    print(format_report(report))
    for failure in report.failures[:20]:
        print("FAIL", failure)
    fuzzed = sum(1 for op in report.operations if op.requests)
    print(f"negative fuzzing: {report.requests} requests over {fuzzed} operations "
          f"({len(report.operations) - fuzzed} take no input), {len(report.failures)} 5xx or "
          f"hangs, {time.monotonic() - started:.1f}s")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
