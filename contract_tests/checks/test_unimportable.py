"""CONTRACT §3.3 and §1 order 4: files that cannot be imported, and all-or-nothing.

Each file mixes good rows with bad cells at known (row, column) places, marks every row
with a unique text, and after the 400 the read-back lists are searched for that text:
nothing of a refused file may exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import pytest

from dayzero_twin.contract_tests.checks.test_auth import unknown_key
from dayzero_twin.contract_tests.support.assertions import Cell, expect_import_failed
from dayzero_twin.contract_tests.support.client import Api
from dayzero_twin.contract_tests.support.csvfile import CsvFile, raw_csv
from dayzero_twin.contract_tests.support.datagen import RunMarks
from dayzero_twin.contract_tests.support.flows import bulk_body, import_file, mentions, scan
from dayzero_twin.contract_tests.support.kinds import BILLS, INVOICES, KIND_NAMES, KINDS, kind_named
from dayzero_twin.contract_tests.support.rules import require, rule

RULE_400 = "CONTRACT §3.3 an unimportable file is refused with 400"
RULE_CELLS = "CONTRACT §1 400 errors list every bad cell"
RULE_NOTHING = "CONTRACT §1 a 400 is all-or-nothing: nothing of the file is created"
RULE_FOREIGN = "CONTRACT §2 keys belong to the business that uploaded them (elsewhere: 400)"
MAX_ROWS = 10_000


def invoice_row(marks: RunMarks, marker: str, index: int, **cells: str) -> dict[str, str]:
    return {
        "customer_email": marks.email(f"bad{index}"),
        "due_date": "2026-11-22",
        "description": f"{marker} invoice {index}",
        "item_description": f"{marker} item {index}",
        "quantity": "1",
        "unit_price": "10.00",
        **cells,
    }


def bill_row(marks: RunMarks, marker: str, index: int, **cells: str) -> dict[str, str]:
    return {
        "vendor_name": marks.vendor_name(f"{marker} vendor {index}"),
        "amount": "10.00",
        "description": f"{marker} bill {index}",
        **cells,
    }


# A valid row of each kind, marked; keyword cells replace or add to it.
ROWS = {INVOICES.name: invoice_row, BILLS.name: bill_row}


def refused(
    api: Api,
    kind: str,
    data: bytes,
    marker: str,
    what: str,
    cells: Sequence[Cell] = (),
    rows: Sequence[int] = (),
) -> None:
    """Import ``data``: it must be refused (400, listing ``cells``) and leave no trace."""
    done = import_file(api, kind, data)
    expect_import_failed(done.response, what, cells, rows=rows)
    leaked = scan(api, kind, mentions(marker))
    require(
        not leaked,
        RULE_NOTHING,
        f"{what}: {len(leaked)} {kind} of the refused file exist, e.g. id {leaked[0]['id']}"
        if leaked
        else "",
    )


@rule(RULE_400, "CONTRACT §2 a key never uploaded is not found (400)")
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_unknown_key_is_400(api: Api, kind: str) -> None:
    response = api.bulk(kind, {"s3_key": unknown_key()})
    expect_import_failed(
        response,
        f"POST /{kind}/bulk with a key that was never uploaded",
        rule="CONTRACT §2 a key never uploaded is not found (400)",
    )


@rule(RULE_400, RULE_CELLS, RULE_NOTHING)
def test_bad_invoice_cells_are_listed(api: Api, marks: RunMarks) -> None:
    marker = marks.tag()
    columns = (*INVOICES.columns, "customer_id")
    rows = [
        invoice_row(marks, marker, 1),
        invoice_row(marks, marker, 2, due_date="2026-13-45"),
        invoice_row(marks, marker, 3, unit_price="abc"),
        invoice_row(marks, marker, 4, currency="XYZ", quantity="0"),
        invoice_row(marks, marker, 5, item_description=""),
        invoice_row(marks, marker, 6, customer_id="not-a-uuid"),
        invoice_row(marks, marker, 7, quantity="1.234"),
        invoice_row(marks, marker, 8, unit_price="-5"),
        invoice_row(marks, marker, 9, due_date="22/11/2026"),
        invoice_row(marks, marker, 10, unit_price="12.345"),
        invoice_row(marks, marker, 11),
    ]
    file = CsvFile(columns=columns, rows=tuple(rows), blank_lines_before=frozenset({2, 6}))
    bad = [
        Cell(2, "due_date"),
        Cell(3, "unit_price"),
        Cell(4, "currency"),
        Cell(4, "quantity"),
        Cell(5, "item_description"),
        Cell(6, "customer_id"),
        Cell(7, "quantity"),
        Cell(8, "unit_price"),
        Cell(9, "due_date"),
        Cell(10, "unit_price"),
    ]
    refused(api, "invoices", file.to_bytes(), marker, "an invoices file with bad cells", bad)


@rule(RULE_400, RULE_CELLS, RULE_NOTHING)
def test_bad_bill_cells_are_listed(api: Api, marks: RunMarks) -> None:
    marker = marks.tag()
    columns = (*BILLS.columns, "vendor_id")
    rows = [
        bill_row(marks, marker, 1),
        bill_row(marks, marker, 2, amount="0"),
        bill_row(marks, marker, 3, amount="abc"),
        bill_row(marks, marker, 4, due_on="2026-02-30"),
        bill_row(marks, marker, 5, received_on="tomorrow"),
        bill_row(marks, marker, 6, type="Recurring"),
        bill_row(marks, marker, 7, currency="BTC"),
        bill_row(marks, marker, 8, vendor_name=""),
        bill_row(marks, marker, 9, vendor_id="not-a-uuid"),
        bill_row(marks, marker, 10, amount="1.001"),
        bill_row(marks, marker, 11),
    ]
    file = CsvFile(columns=columns, rows=tuple(rows), blank_lines_before=frozenset({3}), crlf=True)
    bad = [
        Cell(2, "amount"),
        Cell(3, "amount"),
        Cell(4, "due_on"),
        Cell(5, "received_on"),
        Cell(6, "type"),
        Cell(7, "currency"),
        Cell(8, "vendor_name"),
        Cell(9, "vendor_id"),
        Cell(10, "amount"),
    ]
    refused(api, "bills", file.to_bytes(), marker, "a bills file with bad cells", bad)


@rule(RULE_400, RULE_NOTHING)
@pytest.mark.parametrize(
    ("kind", "column"), [(kind.name, column) for kind in KINDS for column in kind.required]
)
def test_missing_required_column(api: Api, marks: RunMarks, kind: str, column: str) -> None:
    marker = marks.tag()
    columns = tuple(name for name in kind_named(kind).columns if name != column)
    rows = tuple(ROWS[kind](marks, marker, index) for index in range(1, 4))
    refused(
        api,
        kind,
        CsvFile(columns=columns, rows=rows).to_bytes(),
        marker,
        f"a file of {kind} without the {column} column",
    )


@rule(RULE_400, RULE_NOTHING, "CONTRACT §3.1 an invoice_ref group must agree with itself")
@pytest.mark.parametrize("field", ["due_date", "currency", "description", "customer_email"])
def test_disagreeing_invoice_group(api: Api, marks: RunMarks, field: str) -> None:
    marker = marks.tag()
    ref = f"REF-{marker}"
    first = invoice_row(marks, marker, 1, invoice_ref=ref, currency="EUR")
    other = {
        "due_date": "2027-01-01",
        "currency": "GBP",
        "description": f"{marker} other",
        "customer_email": marks.email("other"),
    }
    rows = (
        first,
        invoice_row(marks, marker, 2),
        {**first, "item_description": f"{marker} item 3", field: other[field]},
    )
    refused(
        api,
        "invoices",
        CsvFile(columns=INVOICES.columns, rows=rows).to_bytes(),
        marker,
        f"an invoice_ref group whose rows disagree on {field}",
        rows=(1, 3),
    )


@rule(RULE_400, RULE_CELLS, RULE_NOTHING)
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_party_of_no_one_is_refused(api: Api, marks: RunMarks, kind: str) -> None:
    """A customer_id/vendor_id that is not a party of this business (a random UUID)."""
    marker = marks.tag()
    stranger = str(uuid.uuid4())
    description, row = kind_named(kind), ROWS[kind]
    column = description.party_id
    rows = (row(marks, marker, 1), row(marks, marker, 2, **{column: stranger}))
    file = CsvFile(columns=(*description.columns, column), rows=rows)
    refused(
        api,
        kind,
        file.to_bytes(),
        marker,
        f"a {column} that is no party of the business",
        [Cell(2, column)],
    )


@rule(RULE_400, RULE_NOTHING)
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_file_not_utf8_is_refused(api: Api, marks: RunMarks, kind: str) -> None:
    marker = marks.tag()
    if kind == "invoices":
        file = CsvFile(
            columns=INVOICES.columns,
            rows=(invoice_row(marks, marker, 1, customer_name="Müller Gärtner"),),
        )
    else:
        file = CsvFile(
            columns=BILLS.columns, rows=(bill_row(marks, marker, 1, description="Müller Gärtner"),)
        )
    latin1 = file.to_bytes().decode("utf-8").encode("latin-1")
    refused(api, kind, latin1, marker, "a Latin-1 file")


@rule(RULE_400)
@pytest.mark.parametrize("content", ["empty", "header only", "blank lines only"])
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_file_without_data_rows_is_refused(api: Api, kind: str, content: str) -> None:
    columns = kind_named(kind).columns
    data = {
        "empty": b"",
        "header only": raw_csv([columns]),
        "blank lines only": raw_csv([columns]) + b"\n\n",
    }[content]
    done = import_file(api, kind, data)
    expect_import_failed(done.response, f"a {kind} file: {content}")


@rule(RULE_400, RULE_NOTHING, "CONTRACT §3 at most 10,000 data rows")
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_too_many_rows_is_refused(api: Api, marks: RunMarks, kind: str) -> None:
    marker = marks.tag()
    if kind == "invoices":
        header = ["customer_email", "due_date", "item_description", "unit_price", "description"]
        lines = [
            [f"{marker}.{index}@example.com", "2026-11-22", "x", "1", marker]
            for index in range(MAX_ROWS + 1)
        ]
    else:
        header = ["vendor_name", "amount", "description"]
        lines = [[f"{marker} {index}", "1", marker] for index in range(MAX_ROWS + 1)]
    refused(api, kind, raw_csv([header, *lines]), marker, f"{MAX_ROWS + 1} data rows")


@rule(RULE_FOREIGN)
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_key_of_another_business_is_400(api: Api, marks: RunMarks, kind: str) -> None:
    second = api.settings.second_business_id
    if not second:
        pytest.skip("needs a second business the token may use (--second-business-id)")
    marker = marks.tag()
    file = CsvFile(columns=kind_named(kind).columns, rows=(ROWS[kind](marks, marker, 1),))
    key = api.upload_key(file.to_bytes(), headers=api.headers(business=second))
    response = api.bulk(kind, bulk_body(kind, key, None))
    expect_import_failed(
        response, f"POST /{kind}/bulk with a key uploaded by another business", rule=RULE_FOREIGN
    )
    leaked = scan(api, kind, mentions(marker)) + scan(
        api, kind, mentions(marker), headers=api.headers(business=second)
    )
    require(not leaked, RULE_NOTHING, f"{len(leaked)} {kind} were created from a foreign key")
