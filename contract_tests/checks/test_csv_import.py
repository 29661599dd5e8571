"""CONTRACT §3–4: what a valid file turns into, compared field by field with the oracle.

Files come from Hypothesis (over Faker data) and from fixed hard cases; each is uploaded
through the companion upload operation and imported with every flag value (absent,
false, true). The suite only ever compares entities it created itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dayzero_twin.contract_tests.settings import Settings
from dayzero_twin.contract_tests.support.assertions import (
    Registry,
    parse_timestamp,
)
from dayzero_twin.contract_tests.support.client import Api
from dayzero_twin.contract_tests.support.csvfile import CsvFile
from dayzero_twin.contract_tests.support.datagen import (
    RunMarks,
    bill_files,
    hard_bill_file,
    hard_invoice_file,
    invoice_files,
    simple_invoice_file,
)
from dayzero_twin.contract_tests.support.flows import (
    expect_imported,
    import_file,
    property_settings,
)
from dayzero_twin.contract_tests.support.kinds import BILLS, INVOICES, Kind
from dayzero_twin.contract_tests.support.oracle import Party
from dayzero_twin.contract_tests.support.rules import fail, require, rule

FLAGS = {"flag absent": None, "flag false": False, "flag true": True}
INVOICE_RULES = ("CONTRACT §3.1", "CONTRACT §4")
BILL_RULES = ("CONTRACT §3.2", "CONTRACT §4")


def check_import(
    api: Api,
    registry: Registry,
    kind: Kind,
    file: CsvFile,
    flag: bool | None,
    existing: dict[str, Party] | None = None,
) -> list[dict[str, Any]]:
    """Import ``file`` as ``kind`` and compare the 201 body with the oracle's reading."""
    imported = import_file(api, kind.name, file, flag)
    return expect_imported(api, registry, kind.name, file, imported, flag, existing)


def created_at(item: dict[str, Any]) -> datetime:
    stamp = parse_timestamp(item["created_at"])
    if stamp is None:  # expect_imported has checked it already; this tells the type checker
        fail("CONTRACT §1 timestamps are RFC 3339 date-times with an offset", repr(item))
    return stamp


@rule(*INVOICE_RULES)
def test_generated_invoice_files(
    api: Api, settings: Settings, marks: RunMarks, registry: Registry
) -> None:
    @property_settings(settings)
    @given(
        file=invoice_files(marks, settings.max_rows), finalize=st.sampled_from(list(FLAGS.values()))
    )
    def check(file: CsvFile, finalize: bool | None) -> None:
        check_import(api, registry, INVOICES, file, finalize)

    check()


@rule(*BILL_RULES)
def test_generated_bill_files(
    api: Api, settings: Settings, marks: RunMarks, registry: Registry
) -> None:
    @property_settings(settings)
    @given(file=bill_files(marks, settings.max_rows), approve=st.sampled_from(list(FLAGS.values())))
    def check(file: CsvFile, approve: bool | None) -> None:
        check_import(api, registry, BILLS, file, approve)

    check()


@rule(*INVOICE_RULES, "CONTRACT §3 file format")
@pytest.mark.parametrize("finalize", FLAGS.values(), ids=FLAGS.keys())
def test_hard_invoice_file(
    api: Api, marks: RunMarks, registry: Registry, finalize: bool | None
) -> None:
    check_import(api, registry, INVOICES, hard_invoice_file(marks), finalize)


@rule(*BILL_RULES, "CONTRACT §3 file format")
@pytest.mark.parametrize("approve", FLAGS.values(), ids=FLAGS.keys())
def test_hard_bill_file(
    api: Api, marks: RunMarks, registry: Registry, approve: bool | None
) -> None:
    check_import(api, registry, BILLS, hard_bill_file(marks), approve)


@rule("CONTRACT §3.1 finalized invoice numbers are unique within the business")
def test_invoice_numbers_unique_across_files(api: Api, marks: RunMarks, registry: Registry) -> None:
    """Two finalized files: numbering must not restart or repeat between imports."""
    first = check_import(api, registry, INVOICES, simple_invoice_file(marks, 3, "numbers-a"), True)
    second = check_import(api, registry, INVOICES, simple_invoice_file(marks, 3, "numbers-b"), True)
    numbers = [item["number"] for item in first + second]
    require(
        len(set(numbers)) == len(numbers),
        "CONTRACT §3.1 finalized invoice numbers are unique within the business",
        f"numbers of two finalized files: {numbers}",
    )


@rule("reference: created_at is the Creation timestamp (later imports, later stamps)")
def test_later_imports_are_stamped_later(api: Api, marks: RunMarks, registry: Registry) -> None:
    first = check_import(api, registry, INVOICES, simple_invoice_file(marks, 2, "clock-a"), None)
    second = check_import(api, registry, INVOICES, simple_invoice_file(marks, 2, "clock-b"), None)
    latest_first = max(created_at(item) for item in first)
    earliest_second = min(created_at(item) for item in second)
    require(
        earliest_second >= latest_first - timedelta(seconds=1),
        "reference: created_at is the Creation timestamp (later imports, later stamps)",
        f"the second import's created_at {earliest_second.isoformat()} precedes the first "
        f"import's {latest_first.isoformat()}",
    )


@rule("CONTRACT §3.1 an existing customer keeps its own name and email; customer_id wins")
def test_existing_customer_is_reused(api: Api, marks: RunMarks, registry: Registry) -> None:
    email = marks.email("existing")
    first = CsvFile(
        columns=INVOICES.columns,
        rows=(
            {
                "customer_email": email,
                "customer_name": "Original Name",
                "due_date": "2026-11-22",
                "item_description": "first",
                "unit_price": "10",
            },
        ),
    )
    [created] = check_import(api, registry, INVOICES, first, None)
    party = Party(created["customer_id"], "Original Name", email)
    second = CsvFile(
        columns=(*INVOICES.columns, "customer_id"),
        rows=(
            {
                "customer_email": email.upper(),
                "customer_name": "Renamed?",
                "due_date": "2026-12-01",
                "item_description": "by email",
                "unit_price": "20",
            },
            {
                "customer_id": party.id,
                "customer_email": marks.email("ignored"),
                "customer_name": "Ignored",
                "due_date": "2026-12-02",
                "item_description": "by id",
                "unit_price": "30",
            },
        ),
    )
    check_import(
        api, registry, INVOICES, second, None, existing={email.lower(): party, party.id: party}
    )


@rule("CONTRACT §3.2 an existing vendor keeps its own name and email")
def test_existing_vendor_is_reused(api: Api, marks: RunMarks, registry: Registry) -> None:
    name = marks.vendor_name("Existing Vendor")
    email = marks.email("vendor")
    first = CsvFile(
        columns=BILLS.columns, rows=({"vendor_name": name, "vendor_email": email, "amount": "10"},)
    )
    [created] = check_import(api, registry, BILLS, first, None)
    party = Party(created["vendor_id"], name, email)
    second = CsvFile(
        columns=(*BILLS.columns, "vendor_id"),
        rows=(
            {"vendor_name": name.lower(), "vendor_email": marks.email("other"), "amount": "20"},
            {"vendor_id": party.id, "amount": "30"},
        ),
    )
    check_import(
        api, registry, BILLS, second, None, existing={name.lower(): party, party.id: party}
    )
