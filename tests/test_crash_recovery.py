"""SIGKILL the mock (``--data-dir``) in the middle of a load and restart it: every entity of
every acknowledged 201 is there as it was answered, and no file is half imported.

The short version of ``python -m bench.stress.crash`` (3 rounds instead of 10). The
checker itself is tested too, on a ledger that claims what the mock never stored, so a
green run means the mock kept its promises and not that the check looked away.
"""

from __future__ import annotations

import copy
from pathlib import Path

from bench.stress.crash import CrashReport, Ledger, run_crash, verify
from bench.stress.csvgen import new_marker, valid_csv
from bench.stress.harness import Api, MockProcess

ROUNDS = 3
WRITERS = 4


def test_acknowledged_imports_survive_sigkill(tmp_path: Path) -> None:
    report = run_crash(tmp_path / "data", rounds=ROUNDS, writers=WRITERS, seed=7)
    assert not report.problems, "\n".join(report.problems[:10])
    assert report.rounds == ROUNDS
    assert report.acknowledged_files >= ROUNDS  # the load really ran before each kill
    assert report.entities_checked > 0


def test_the_checker_notices_lost_partial_and_changed_entities(tmp_path: Path) -> None:
    with MockProcess(data_dir=tmp_path / "data") as mock, Api(mock.base_url) as api:
        marker = new_marker("cr")
        items = api.bulk("bills", api.upload_key(valid_csv("bills", 3, marker))).json()["items"]

        honest = Ledger(acknowledged={("bills", marker): items})
        report = CrashReport()
        verify(api, honest, report)
        assert report.problems == []

        lost = [*copy.deepcopy(items), {**items[0], "id": "00000000-0000-4000-8000-000000000000"}]
        changed = copy.deepcopy(items)
        changed[1]["amount"] += 1
        for claim in (lost, changed):
            report = CrashReport()
            verify(api, Ledger(acknowledged={("bills", marker): claim}), report)
            assert report.problems, claim

        half = Ledger(in_doubt={("bills", marker): 5})  # 3 of 5 rows stored
        report = CrashReport()
        verify(api, half, report)
        assert any("HALF-IMPORTED" in problem for problem in report.problems)
