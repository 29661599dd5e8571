"""The contract suite's own pure parts, checked against values worked out by hand.

The mutant proof shows the suite catches broken servers; these show the yardsticks it
measures with are right: the oracle's money and grouping, the CSV writer's layouts, the
lax-coercion model that keeps negative testing fair, and URL tampering.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from dayzero_twin.contract_tests.support.assertions import Window
from dayzero_twin.contract_tests.support.csvfile import CsvFile
from dayzero_twin.contract_tests.support.datagen import (
    RunMarks,
    hard_bill_file,
    hard_invoice_file,
    money_cell,
)
from dayzero_twin.contract_tests.support.flows import tampered
from dayzero_twin.contract_tests.support.kinds import INVOICES
from dayzero_twin.contract_tests.support.lax import coerce
from dayzero_twin.contract_tests.support.oracle import (
    cents,
    expected_bills,
    expected_invoices,
    line_amount,
)

BUSINESS = "b5a1c6de-0000-4000-8000-000000000001"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1250", 125000), ("1250.5", 125050), ("1250.50", 125050), ("0.01", 1), (" 7 ", 700)],
)
def test_cents_are_exact(text: str, expected: int) -> None:
    assert cents(text) == expected


def test_cents_refuse_a_third_decimal() -> None:
    with pytest.raises(ValueError, match="two decimals"):
        cents("1.005")


@pytest.mark.parametrize(
    ("quantity", "unit_price", "expected"),
    [("2.5", 1, 3), ("0.5", 5, 3), ("1.5", 3, 5), ("0.33", 150, 50), ("3", 125050, 375150)],
)
def test_line_amount_rounds_half_up(quantity: str, unit_price: int, expected: int) -> None:
    assert line_amount(Decimal(quantity), unit_price) == expected


@pytest.mark.parametrize(
    ("cents_", "style", "text"),
    [(125000, 0, "1250"), (125050, 1, "1250.5"), (125050, 2, "1250.50"), (1, 0, "0.01")],
)
def test_money_cells_read_back_exactly(cents_: int, style: int, text: str) -> None:
    assert money_cell(cents_, style) == text
    assert cents(text) == cents_


def test_hard_invoice_file_groups_by_ref_in_order_of_first_appearance() -> None:
    invoices = expected_invoices(hard_invoice_file(RunMarks(nonce="t")))
    assert [[line.row for line in invoice.lines] for invoice in invoices] == [
        [1, 3],
        [2],
        [4],
        [5],
        [6],
        [7],
    ]
    first, second, third = invoices[:3]
    assert (first.currency, first.total) == ("EUR", 3 + 375150)
    assert second.currency == "USD"  # blank cell
    assert third.party_key == first.party_key  # same email, other case, padded
    assert third.customer_name == "Ada Lovelace-Byron"  # named by the row that created it
    assert invoices[4].customer_name == invoices[4].customer_email.split("@")[0]


def test_hard_bill_file_defaults_and_vendor_matching() -> None:
    bills = expected_bills(hard_bill_file(RunMarks(nonce="t")))
    assert [bill.amount for bill in bills] == [125050, 1, 9900, 750, 10010]
    assert bills[0].party_key == bills[1].party_key
    assert bills[1].vendor_name == bills[0].vendor_name
    assert (bills[1].type, bills[3].currency, bills[3].bill_number) == ("one_time", "CAD", "B-7")


def test_csv_layout_changes_bytes_not_rows() -> None:
    file = hard_invoice_file(RunMarks(nonce="t"))
    data = file.to_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n\r\n" in data
    rows = [r for r in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")) if r]
    header = [name.strip().lower() for name in rows[0]]
    assert header == list(file.columns)
    assert [dict(zip(header, row, strict=True))["item_description"] for row in rows[1:]] == [
        row["item_description"] for row in file.rows
    ]


def test_data_rows_are_counted_without_blank_lines() -> None:
    file = CsvFile(columns=INVOICES.columns, rows=({}, {}, {}), blank_lines_before=frozenset({1}))
    assert [file.data_row_number(index) for index in range(3)] == [1, 2, 3]


@pytest.mark.parametrize(
    ("schema", "value", "accepted"),
    [
        ({"type": "boolean"}, "yes", True),
        ({"type": "boolean"}, 1, True),
        ({"type": "boolean"}, 2, False),
        ({"type": "boolean"}, "maybe", False),
        ({"type": "integer", "minimum": 1, "maximum": 1000}, "01", True),
        ({"type": "integer", "minimum": 1, "maximum": 1000}, "2.0", True),
        ({"type": "integer", "minimum": 1, "maximum": 1000}, "0", False),
        ({"type": "integer", "minimum": 1, "maximum": 1000}, "1.5", False),
        ({"type": "string", "minLength": 1}, "", False),
        ({"type": "string"}, 5, False),
        ({"anyOf": [{"type": "string"}, {"type": "null"}]}, None, True),
        ({"type": "object", "required": ["s3_key"]}, {}, False),
    ],
)
def test_lax_model_matches_pydantic_lax_mode(schema: dict, value: object, accepted: bool) -> None:
    assert coerce(schema, value) is accepted


def test_tampering_changes_exactly_one_character_of_the_signature() -> None:
    url = "https://files.example.com/up/abc?key=k&expires=1&signature=deadbeef0"
    changed = tampered(url, BUSINESS)
    before, after = dict(parse_qsl(urlsplit(url).query)), dict(parse_qsl(urlsplit(changed).query))
    assert after["signature"] != before["signature"]
    assert {k: v for k, v in after.items() if k != "signature"} == {
        k: v for k, v in before.items() if k != "signature"
    }
    assert tampered("https://files.example.com/up/abc0", BUSINESS) == (
        "https://files.example.com/up/abc1"
    )


def test_tampering_never_edits_a_business_id() -> None:
    """A longer value naming the business is passed over: edited, it would name a business
    the suite was not given, which a broken implementation might store into."""
    url = f"https://files.example.com/up/abc?business={BUSINESS.upper()}&signature=beef"
    after = dict(parse_qsl(urlsplit(tampered(url, BUSINESS)).query))
    assert after == {"business": BUSINESS.upper(), "signature": "bee0"}


def test_tampering_a_path_ending_in_the_business_id_gives_up() -> None:
    """No query value to change, and the path's last segment names the business: it is
    left alone, and there is nothing else to change."""
    assert tampered(f"https://files.example.com/up/{BUSINESS}", BUSINESS) is None
    assert tampered(f"https://files.example.com/up/{BUSINESS}?b={BUSINESS}", BUSINESS) is None
    assert tampered("https://files.example.com/up/", BUSINESS) is None


def test_the_window_follows_the_servers_date_header() -> None:
    """A server 20 minutes ahead, consistently, is on time by its own clock; without a
    single valid Date the local clock is all there is."""
    started = datetime(2026, 11, 30, 8, 0, 0, 250_000, tzinfo=UTC)
    finished = started + timedelta(seconds=1)
    ahead = started + timedelta(minutes=20)
    dated = httpx.Response(201, headers={"date": format_datetime(finished + timedelta(minutes=20))})
    window = Window.around(started, finished, dated)
    assert window.contains(ahead)
    assert not window.contains(started - timedelta(minutes=6))
    for headers in ({}, {"date": "yesterday"}):
        local = Window.around(started, finished, httpx.Response(201, headers=headers))
        assert local.offset is None and local.contains(started) and not local.contains(ahead)
    twice = httpx.Response(201, headers=[("date", format_datetime(ahead))] * 2)
    assert Window.around(started, finished, twice).offset is None
