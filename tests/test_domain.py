"""CONTRACT §3.1/§3.2 shaping rules of mock_server.domain and mock_server.money."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from dayzero_twin.mock_server.domain.csv_import import parse_bills, parse_invoices
from dayzero_twin.mock_server.domain.documents import (
    PartyIndex,
    build_bills,
    build_invoices,
    format_number,
    plan_bills,
    plan_invoices,
)
from dayzero_twin.mock_server.domain.money import (
    MAX_SAFE_INTEGER,
    MoneyError,
    hundredths_to_number,
    line_amount,
    parse_hundredths,
)
from dayzero_twin.mock_server.domain.world import Party

BUSINESS = "b5a1c6de-0000-4000-8000-000000000001"
NOW = "2026-11-22T10:00:00Z"
ACME = Party("11111111-1111-4111-8111-111111111111", "Acme Robotics", "AP@AcmeRobotics.com")
SUMMIT = Party("22222222-2222-4222-8222-222222222222", "Summit Office Supply", "o@summit.com")
HEADER = ("customer_email,customer_name,customer_id,due_date,currency,description,"
          "item_description,quantity,unit_price,invoice_ref")
BILLS_HEADER = "vendor_name,vendor_email,vendor_id,amount,currency,due_on,received_on,type"


def counter_ids() -> Any:
    counter = itertools.count(1)
    return lambda n: [f"00000000-0000-4000-8000-{next(counter):012d}" for _ in range(n)]


def invoice_plan(*lines: str, customers: tuple[Party, ...] = (ACME,)):
    rows, errors = parse_invoices(("\n".join((HEADER, *lines)) + "\n").encode(), 10_000)
    assert errors == []
    return plan_invoices(rows, PartyIndex(customers, "email"))


def build(*lines: str, finalize: bool = False, first: int = 1,
          customers: tuple[Party, ...] = (ACME,)):
    plan = invoice_plan(*lines, customers=customers)
    assert plan.errors == []
    return build_invoices(plan, counter_ids(), BUSINESS, NOW, finalize, first)


# --- money ------------------------------------------------------------------------------


@pytest.mark.parametrize(("quantity", "price", "amount"), [
    (50, 1, 1),        # 0.5 × 1 ¢ = 0.5 ¢ → 1 ¢ (half up)
    (150, 1, 2),       # 1.5 ¢ → 2 ¢
    (250, 1, 3),       # 2.5 ¢ → 3 ¢ (not banker's 2)
    (49, 1, 0),        # 0.49 ¢ → 0
    (333, 333, 1109),  # 3.33 × 333 ¢ = 1108.89 ¢ → 1109 ¢
    (1, 50, 1),        # 0.01 × 50 ¢ = 0.5 ¢ → 1 ¢
    (100, 125050, 125050),
])
def test_line_amount_rounds_half_up(quantity: int, price: int, amount: int) -> None:
    assert line_amount(quantity, price) == amount


def test_parse_hundredths_reasons() -> None:
    assert parse_hundredths("1250.5") == 125050
    for text, reason in [("1.234", "decimals"), ("-1", "format"), ("1e9", "format"),
                         ("9" * 30, "range"), ("90071992547409.92", "range")]:
        with pytest.raises(MoneyError) as caught:
            parse_hundredths(text)
        assert caught.value.reason == reason
    assert parse_hundredths("90071992547409.91") == MAX_SAFE_INTEGER


def test_quantities_render_as_plain_numbers() -> None:
    assert hundredths_to_number(200) == 2 and isinstance(hundredths_to_number(200), int)
    assert repr(hundredths_to_number(115)) == "1.15"


# --- invoices ---------------------------------------------------------------------------


def test_grouping_by_invoice_ref_in_order_of_first_appearance() -> None:
    invoices, _ = build(
        "ap@acmerobotics.com,,,2026-12-15,USD,Retainer,Line A1,1,100,A",
        "new@x.com,,,2026-12-20,EUR,,Single,1,5,",
        "ap@acmerobotics.com,,,2026-12-15,USD,Retainer,Line A2,2,100,A",
        "ap@acmerobotics.com,,,2026-12-15,USD,,Line B1,1,7,B",
        "ap@acmerobotics.com,,,2026-12-15,USD,Retainer,Line A3,0.5,0.01,A",
    )
    assert [[line["description"] for line in inv["line_items"]] for inv in invoices] == [
        ["Line A1", "Line A2", "Line A3"], ["Single"], ["Line B1"]]
    assert [inv["total"] for inv in invoices] == [30001, 500, 700]
    assert invoices[0]["balance_due"] == invoices[0]["total"] and invoices[0]["total_paid"] == 0


def test_rows_without_ref_are_separate_invoices_even_if_identical() -> None:
    line = "ap@acmerobotics.com,,,2026-12-15,USD,,Work,1,100,"
    invoices, _ = build(line, line)
    assert len(invoices) == 2 and invoices[0]["id"] != invoices[1]["id"]


def test_group_disagreement_is_a_cell_error_on_the_disagreeing_row() -> None:
    plan = invoice_plan(
        "ap@acmerobotics.com,,,2026-12-15,USD,Retainer,L1,1,1,G",
        "ap@acmerobotics.com,,,2026-12-16,USD,Retainer,L2,1,1,G",
        "other@x.com,,,2026-12-15,eur,Retainer,L3,1,1,G",
        "AP@ACMEROBOTICS.COM,,,2026-12-15,usd,Other,L4,1,1,G",
        f",,{ACME.id},2026-12-15,USD,Retainer,L5,1,1,G",
    )
    found = {(e.row, e.column) for e in plan.errors}
    assert found == {(2, "due_date"), (3, "customer_email"), (3, "currency"), (4, "description")}
    message = next(e.message for e in plan.errors if e.row == 2)
    assert "'G'" in message and "row 1 has '2026-12-15'" in message and "'2026-12-16'" in message


def test_invalid_cell_in_group_is_not_reported_twice() -> None:
    rows, errors = parse_invoices((HEADER + "\n"
                                   "a@x.com,,,bad,USD,,L1,1,1,G\n"
                                   "a@x.com,,,2026-12-15,USD,,L2,1,1,G\n"
                                   "a@x.com,,,2026-12-16,USD,,L3,1,1,G\n").encode(), 100)
    plan = plan_invoices(rows, PartyIndex((), "email"))
    assert [(e.row, e.column) for e in errors] == [(1, "due_date")]
    # Row 2 sets the group's due date; row 3 disagrees with row 2.
    assert [(e.row, e.column) for e in plan.errors] == [(3, "due_date")]
    assert "row 2 has" in plan.errors[0].message


def test_existing_customer_found_by_email_any_case_keeps_its_name_and_email() -> None:
    invoices, created = build("AP@acmerobotics.COM,Someone Else,,2026-12-15,,,Work,1,1,")
    assert created == []
    assert invoices[0]["customer_id"] == ACME.id
    assert (invoices[0]["customer_name"], invoices[0]["customer_email"]) == (ACME.name,
                                                                             ACME.email)


def test_new_customer_named_by_first_row_and_reused_in_the_file() -> None:
    invoices, created = build(
        "jane@bright.io,,,2026-12-15,,,Work,1,1,",
        "JANE@bright.io,Jane Bright,,2026-12-15,,,Work,1,1,",
        "max@x.com,Max Power,,2026-12-15,,,Work,1,1,",
    )
    assert [(c.name, c.email) for c in created] == [("jane", "jane@bright.io"),
                                                   ("Max Power", "max@x.com")]
    assert invoices[0]["customer_id"] == invoices[1]["customer_id"] == created[0].id
    assert invoices[1]["customer_name"] == "jane"


def test_customer_id_wins_over_email_and_must_exist() -> None:
    invoices, created = build(f"someone@else.com,,{ACME.id.upper()},2026-12-15,,,Work,1,1,")
    assert created == [] and invoices[0]["customer_email"] == ACME.email
    plan = invoice_plan(",,33333333-3333-4333-8333-333333333333,2026-12-15,,,Work,1,1,")
    assert [(e.row, e.column) for e in plan.errors] == [(1, "customer_id")]
    assert "not a customer of this business" in plan.errors[0].message


def test_statuses_and_gap_free_numbers_on_finalize() -> None:
    lines = ["a@x.com,,,2026-12-15,,,Work,1,1,"] * 3
    drafts, _ = build(*lines)
    assert {(inv["status"], inv["number"]) for inv in drafts} == {("draft", None)}
    finals, _ = build(*lines, finalize=True, first=41)
    assert [(inv["status"], inv["number"]) for inv in finals] == [
        ("open", "INV-000041"), ("open", "INV-000042"), ("open", "INV-000043")]
    assert format_number(1_234_567) == "INV-1234567"


def test_invoice_fields_and_defaults() -> None:
    invoices, _ = build("a@x.com,,,2026-12-15,,,Work,,19.99,")
    invoice = invoices[0]
    assert invoice["currency"] == "USD" and invoice["description"] is None
    assert invoice["line_items"][0]["quantity"] == 1
    assert invoice["created_at"] == invoice["updated_at"] == NOW
    assert invoice["payments"] == [] and invoice["journal_entries"] == []
    assert invoice["delivered"] is False and invoice["business_id"] == BUSINESS


def test_total_beyond_json_safe_integer_is_a_cell_error() -> None:
    plan = invoice_plan("a@x.com,,,2026-12-15,,,A,1,90071992547409.91,G",
                        "a@x.com,,,2026-12-15,,,B,1,0.01,G")
    assert [(e.row, e.column) for e in plan.errors] == [(2, "unit_price")]


def test_no_ids_drawn_for_a_failed_plan() -> None:
    plan = invoice_plan(",,33333333-3333-4333-8333-333333333333,2026-12-15,,,Work,1,1,")
    assert plan.errors and plan.new_customers == []


def test_ids_needed_matches_what_build_draws() -> None:
    plan = invoice_plan("a@x.com,,,2026-12-15,,,W,1,1,G", "a@x.com,,,2026-12-15,,,W,1,1,G",
                        "b@x.com,,,2026-12-15,,,W,1,1,")
    drawn: list[int] = []

    def take(n: int) -> list[str]:
        drawn.append(n)
        return [f"00000000-0000-4000-8000-{i:012d}" for i in range(n)]

    build_invoices(plan, take, BUSINESS, NOW, False, 1)
    assert drawn == [2 + 2 + 3]


# --- bills ------------------------------------------------------------------------------


def bills(*lines: str, approve: bool = False, vendors: tuple[Party, ...] = (SUMMIT,)):
    rows, errors = parse_bills(("\n".join((BILLS_HEADER, *lines)) + "\n").encode(), 100)
    assert errors == []
    plan = plan_bills(rows, PartyIndex(vendors, "name"))
    if plan.errors:
        return plan
    return build_bills(plan, counter_ids(), BUSINESS, NOW, approve, "uploads/key.csv")


def test_bill_fields() -> None:
    built, created = bills("Summit office SUPPLY,ignored@x.com,,12.34,eur,2026-12-31,"
                           "2026-11-30,recurring")
    bill = built[0]
    assert created == []
    assert (bill["vendor_id"], bill["vendor_name"], bill["vendor_email"]) == (
        SUMMIT.id, SUMMIT.name, SUMMIT.email)
    assert bill["amount"] == bill["expected_amount"] == 1234
    assert bill["due_on"] == bill["expected_paid_on_date"] == "2026-12-31T00:00:00Z"
    assert bill["received_on"] == "2026-11-30T00:00:00Z"
    assert (bill["status"], bill["type"], bill["currency"]) == ("draft", "recurring", "EUR")
    assert bill["paid_on"] is None and bill["total_paid"] == 0
    assert bill["s3_key"] == "uploads/key.csv" and bill["signed_url"] is None


def test_bill_defaults_and_approve() -> None:
    built, _ = bills("New Vendor,,,5,,,,", approve=True)
    bill = built[0]
    assert (bill["status"], bill["type"], bill["currency"]) == ("forecasted", "one_time", "USD")
    assert bill["due_on"] is None and bill["expected_paid_on_date"] is None


def test_new_vendor_created_once_by_name_any_case_with_its_email() -> None:
    built, created = bills("Lakeside Legal,billing@lakeside.com,,5,,,,",
                           "LAKESIDE LEGAL,other@x.com,,6,,,,")
    assert [(v.name, v.email) for v in created] == [("Lakeside Legal", "billing@lakeside.com")]
    assert built[0]["vendor_id"] == built[1]["vendor_id"] == created[0].id
    assert built[1]["vendor_email"] == "billing@lakeside.com"


def test_vendor_id_wins_and_must_exist() -> None:
    built, _ = bills(f"Somebody,,{SUMMIT.id},5,,,,")
    assert built[0]["vendor_name"] == SUMMIT.name
    plan = bills("Summit,,44444444-4444-4444-8444-444444444444,5,,,,")
    assert [(e.row, e.column) for e in plan.errors] == [(1, "vendor_id")]
