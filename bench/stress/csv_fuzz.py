"""Hostile CSV files through upload and both bulk operations: a clear 400 or a whole 201.

Every file is uploaded with ``POST /api/v1/upload/direct`` and imported; the answer is
judged against what the contract implies for that file (see ``csv_cases``). At the end
the stored invoices and bills are walked with cursors and counted per file marker: a
refused file left nothing behind, a created one is stored exactly once, whole.

Run as ``python -m bench.stress.csv_fuzz [--examples N]``; exits 1 on any problem.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from bench.stress.csv_cases import CsvCase, csv_cases, judge, named_cases
from bench.stress.csvgen import count_by_marker
from bench.stress.harness import KINDS, Api, Kind, MockProcess


@dataclass
class FuzzReport:
    """Files sent, what came back, and every deviation from the contract."""

    files: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)  # "201", "400", ...
    labels: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    # (kind, marker) -> entities the store must hold for that file: 0 or all of its rows
    expected_counts: dict[tuple[Kind, str], int] = field(default_factory=dict)

    def merge(self, other: FuzzReport) -> None:
        self.files += other.files
        self.outcomes.update(other.outcomes)
        self.labels.update(other.labels)
        self.problems.extend(other.problems)
        self.expected_counts.update(other.expected_counts)


def send_case(api: Api, case: CsvCase, flag: bool, report: FuzzReport) -> None:
    """Upload and import one file; record the outcome and what the store must now hold."""
    report.files += 1
    report.labels[case.label] += 1
    upload = api.upload(case.content, f"{case.marker}.csv")
    if upload.status_code == 400 and case.expect != "created":
        # Refusing a hopeless file at upload is as good as refusing it at import.
        body = upload.json()
        if not str(body.get("detail", "")).strip():
            report.problems.append(f"{case.label}: upload 400 without a detail: {body!r:.200}")
        report.outcomes["upload 400"] += 1
        report.expected_counts[(case.kind, case.marker)] = 0
        return
    if upload.status_code != 200:
        report.problems.append(f"{case!r}: upload answered {upload.status_code} "
                               f"{upload.text[:300]}")
        report.outcomes[f"upload {upload.status_code}"] += 1
        return
    response = api.bulk(case.kind, upload.json()["s3_key"], flag)
    report.outcomes[str(response.status_code)] += 1
    try:
        body = response.json()
    except ValueError:
        body = response.text[:300]
    problems = judge(case, response.status_code, body)
    report.problems.extend(f"{problem}\n    case: {case!r}" for problem in problems)
    if response.status_code in (201, 400):
        report.expected_counts[(case.kind, case.marker)] = (
            case.rows if response.status_code == 201 else 0
        )


def check_store(api: Api, report: FuzzReport) -> int:
    """Count every stored entity per file; returns how many entities were checked."""
    checked = 0
    for kind in KINDS:
        items = api.walk(kind)
        checked += len(items)
        ids = Counter(item["id"] for item in items)
        report.problems.extend(f"{kind} {i} listed {n} times" for i, n in ids.items() if n > 1)
        counts = count_by_marker(items)
        for (case_kind, marker), expected in report.expected_counts.items():
            if case_kind == kind and counts.get(marker, 0) != expected:
                report.problems.append(
                    f"{kind} file {marker}: {counts.get(marker, 0)} stored, expected {expected}"
                )
    return checked


def run_named(api: Api) -> FuzzReport:
    """The big, wide and odd files of ``named_cases``, once each, for both operations."""
    report = FuzzReport()
    for kind in KINDS:
        for case in named_cases(kind):
            send_case(api, case, False, report)
    return report


def run_generated(api: Api, kind: Kind, examples: int, seed: int = 0) -> FuzzReport:
    """``examples`` Hypothesis-drawn files for one operation."""
    report = FuzzReport()

    @hypothesis_seed(seed)
    @settings(max_examples=examples, deadline=None, database=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=csv_cases(kind), flag=st.booleans())
    def run(case: CsvCase, flag: bool) -> None:
        send_case(api, case, flag, report)

    run()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stress.csv_fuzz", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=500,
                        help="Hypothesis-drawn files per bulk operation (default 500)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    started = time.monotonic()
    with MockProcess() as mock, Api(mock.base_url) as api:
        report = run_named(api)
        for kind in KINDS:
            report.merge(run_generated(api, kind, args.examples, args.seed))
        checked = check_store(api, report)
        alive = mock.alive()
    for label, count in sorted(report.labels.items()):
        print(f"  {count:>5}  {label}")
    print("outcomes:", dict(sorted(report.outcomes.items())))
    for problem in report.problems[:30]:
        print("PROBLEM", problem)
    print(f"csv fuzzing: {report.files} files, {checked} stored entities checked, "
          f"{len(report.problems)} problems, mock alive at the end: {alive}, "
          f"{time.monotonic() - started:.1f}s")
    return 1 if report.problems or not alive else 0


if __name__ == "__main__":
    sys.exit(main())
