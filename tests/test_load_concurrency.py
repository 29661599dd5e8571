"""16 bulk requests at once on one business: every entity stored exactly once, invoice
numbers unique and gap-free, one e-mail one customer, one name one vendor.

The short version of ``python -m bench.stress.concurrency``; run in memory and on SQLite
(``--data-dir``), whose write path is a different one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.stress.concurrency import number_series_problems, party_problems, run_concurrency
from bench.stress.harness import MockProcess

FILES = 16
ROWS = 10
ROUNDS = 1


@pytest.mark.parametrize("store", ["memory", "data-dir"])
def test_concurrent_bulk_imports(tmp_path: Path, store: str) -> None:
    with MockProcess(data_dir=tmp_path / "data" if store == "data-dir" else None) as mock:
        report = run_concurrency(mock.base_url, files=FILES, rows=ROWS, rounds=ROUNDS)
        assert mock.alive()
    assert not report.problems, "\n".join(report.problems[:10])
    assert report.requests == FILES * ROUNDS * 2
    assert report.created == report.requests * ROWS
    assert report.numbers == FILES * ROUNDS * ROWS  # every invoice row was finalized


def test_the_number_check_finds_duplicates_gaps_and_mixed_series() -> None:
    assert number_series_problems(["INV-0001", "INV-0002", "INV-0003"]) == []
    assert number_series_problems(["7", "8", "9"]) == []
    assert number_series_problems(["INV-0001", "INV-0001"])  # duplicate
    assert number_series_problems(["INV-0001", "INV-0003"])  # gap
    assert number_series_problems(["INV-0001", "BILL-0002"])  # two series
    assert number_series_problems(["INV-"])  # no serial


def test_the_party_check_finds_a_split_customer() -> None:
    one = [{"customer_email": "a@x.com", "customer_id": "1"},
           {"customer_email": "A@X.com", "customer_id": "1"}]
    assert party_problems("invoices", one) == []
    assert party_problems("invoices", [*one, {"customer_email": "a@x.com", "customer_id": "2"}])
