"""The samples/... catalogue: deterministic files whose outcomes the catalogue states."""

from __future__ import annotations

import csv
import io

from dayzero_twin.mock_server.domain.csv_import import parse_bills, parse_invoices
from dayzero_twin.mock_server.domain.errors import ImportFailed
from dayzero_twin.mock_server.domain.samples import Samples


def test_catalogue_lists_every_fixture_kind() -> None:
    keys = {entry["key"] for entry in Samples(0, 10_000).catalogue()}
    for kind in ("invoices", "bills"):
        for suffix in ("", "-invalid", "-empty", "-header-only", "-missing-column",
                       "-not-utf8", "-too-many-rows", "-10000", "-10001"):
            assert f"samples/{kind}{suffix}.csv" in keys
    assert {"samples/invoices-inconsistent-group.csv", "samples/invoices-unknown-customer.csv",
            "samples/bills-unknown-vendor.csv"} <= keys


def test_files_are_deterministic_per_seed_and_cached() -> None:
    first, again, other = Samples(1, 10_000), Samples(1, 10_000), Samples(2, 10_000)
    assert first.get("samples/invoices-50.csv") == again.get("samples/invoices-50.csv")
    assert first.get("samples/invoices-50.csv") != other.get("samples/invoices-50.csv")
    assert first.get("samples/bills-7.csv") is first.get("samples/bills-7.csv")


def test_unknown_and_out_of_range_keys() -> None:
    samples = Samples(0, 10_000)
    for key in ("samples/nope.csv", "samples/invoices-0.csv", "samples/invoices-10002.csv",
                "samples/invoices-01.csv", "samples/bills-5.CSV", "uploads/x", "samples/"):
        assert samples.get(key) is None, key


def test_generated_files_have_exactly_n_valid_rows() -> None:
    samples = Samples(4, 10_000)
    for count in (1, 2, 3, 37):
        rows, errors = parse_invoices(samples.get(f"samples/invoices-{count}.csv") or b"", 10_000)
        assert errors == [] and len(rows) == count
        bills, errors = parse_bills(samples.get(f"samples/bills-{count}.csv") or b"", 10_000)
        assert errors == [] and len(bills) == count


def test_hand_written_samples_have_the_promised_features() -> None:
    text = (Samples(0, 10_000).get("samples/invoices.csv") or b"").decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 6 and "\r\n" in text
    refs = [row["invoice_ref"] for row in rows if row["invoice_ref"]]
    assert len(refs) == 3 and len(set(refs)) == 1
    assert {row["currency"].upper() or "USD" for row in rows} >= {"USD", "EUR", "GBP"}
    assert any("." in row["quantity"] for row in rows)
    assert any("," in row["item_description"] for row in rows)
    bills = list(csv.DictReader(io.StringIO((Samples(0, 10_000).get("samples/bills.csv")
                                             or b"").decode())))
    assert {row["type"] or "one_time" for row in bills} == {"one_time", "recurring"}


def test_catalogue_row_counts_and_expectations_follow_max_rows() -> None:
    samples = Samples(0, 20)
    entries = {entry["key"]: entry for entry in samples.catalogue()}
    assert entries["samples/invoices-20.csv"]["expect"] == 201
    assert entries["samples/invoices-21.csv"]["expect"] == 400
    assert entries["samples/bills-too-many-rows.csv"]["rows"] == 21
    try:
        parse_bills(samples.get("samples/bills-too-many-rows.csv") or b"", 20)
    except ImportFailed as failure:
        assert "more than 20 data rows" in failure.detail
    else:
        raise AssertionError("21 rows must not parse under a 20-row limit")
