"""CONTRACT §3 cell formats, exactly: neither more lenient nor stricter than written.

"Decimal amounts are written in major units with at most two decimals and no currency
sign or thousands separator (`1250`, `1250.5`, `1250.50`) … Dates are `YYYY-MM-DD`."
and §3.3 "a cell does not parse (date, amount, quantity, …)" → 400. So cells that a
lenient parser (``float``, ``Decimal``, ``dateutil``) would read are refused: thousands
separators, exponents, underscores, ``NaN``/``Infinity``, currency signs, other date
orders and separators. And because "cells are trimmed", padded or quoted numbers and
dates are legal: a strict parser that refuses them breaks the contract too.
"""

from __future__ import annotations

import pytest

from dayzero_twin.contract_tests.support.assertions import (
    Cell,
    Registry,
    expect_import_failed,
    expect_status,
)
from dayzero_twin.contract_tests.support.client import Api
from dayzero_twin.contract_tests.support.csvfile import CsvFile
from dayzero_twin.contract_tests.support.datagen import RunMarks
from dayzero_twin.contract_tests.support.flows import expect_imported, import_file
from dayzero_twin.contract_tests.support.kinds import BILLS, INVOICES, KIND_NAMES
from dayzero_twin.contract_tests.support.rules import require, rule

RULE_STRICT = (
    "CONTRACT §3 amounts: at most two decimals, no currency sign or thousands separator; "
    "dates YYYY-MM-DD (other spellings do not parse: 400)"
)
RULE_TRIMMED = "CONTRACT §3 cells are trimmed: padded or quoted numbers and dates are legal"

# Numbers some parser reads, that the contract's spelling excludes.
BAD_AMOUNTS = ("1,000.00", "1e3", "1_000", "NaN", "Infinity", "$12", "12 USD", "0x10")
BAD_QUANTITIES = ("1,5", "1e1", "2_0")
BAD_DATES = ("2026/01/15", "15-01-2026", "01/15/2026", "20260115", "2026-1-5", "15.01.2026")


def _invoice_rows(marks: RunMarks, tag: str) -> tuple[list[dict[str, str]], list[Cell]]:
    base = {
        "due_date": "2026-11-22",
        "item_description": f"{tag} item",
        "quantity": "1",
        "unit_price": "10",
    }
    cells = (
        [("unit_price", value) for value in BAD_AMOUNTS]
        + [("quantity", value) for value in BAD_QUANTITIES]
        + [("due_date", value) for value in BAD_DATES]
    )
    rows = [{**base, "customer_email": marks.email("fmt0")}]
    bad = []
    for index, (column, value) in enumerate(cells, start=2):
        rows.append({**base, "customer_email": marks.email(f"fmt{index}"), column: value})
        bad.append(Cell(index, column))
    return rows, bad


def _bill_rows(marks: RunMarks, tag: str) -> tuple[list[dict[str, str]], list[Cell]]:
    base = {"amount": "10", "description": f"{tag} bill"}
    cells = (
        [("amount", value) for value in BAD_AMOUNTS]
        + [("due_on", value) for value in BAD_DATES]
        + [("received_on", value) for value in BAD_DATES[:2]]
    )
    rows = [{**base, "vendor_name": marks.vendor_name("Format 0")}]
    bad = []
    for index, (column, value) in enumerate(cells, start=2):
        rows.append({**base, "vendor_name": marks.vendor_name(f"Format {index}"), column: value})
        bad.append(Cell(index, column))
    return rows, bad


@rule(RULE_STRICT)
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_lenient_spellings_are_refused(api: Api, marks: RunMarks, kind: str) -> None:
    tag = marks.tag()
    if kind == "invoices":
        rows, bad = _invoice_rows(marks, tag)
        file = CsvFile(columns=INVOICES.columns, rows=tuple(rows))
    else:
        rows, bad = _bill_rows(marks, tag)
        file = CsvFile(columns=BILLS.columns, rows=tuple(rows))
    done = import_file(api, kind, file)
    body = expect_import_failed(
        done.response, f"a {kind} file of lenient number and date spellings", rule=RULE_STRICT
    )
    listed = {
        Cell(error["row"], str(error.get("column")).strip().lower())
        for error in body.get("errors") or []
        if isinstance(error, dict) and isinstance(error.get("row"), int)
    }
    accepted = [
        f"row {cell.row} {cell.column}={rows[cell.row - 1][cell.column]!r}"
        for cell in bad
        if cell not in listed
    ]
    require(
        not accepted,
        RULE_STRICT,
        f"cells read although the contract's spelling excludes them: {accepted}",
        done.response,
    )


def _padded_invoices(marks: RunMarks, tag: str) -> CsvFile:
    rows = (
        {
            "customer_email": marks.email("padded1"),
            "due_date": " 2026-11-22 ",
            "item_description": f"{tag} padded",
            "quantity": " 2 ",
            "unit_price": " 12.50 ",
        },
        {
            "customer_email": marks.email("padded2"),
            "due_date": "  2026-12-01",
            "item_description": f"{tag} left",
            "quantity": "0.5 ",
            "unit_price": "  7",
        },
    )
    return CsvFile(columns=INVOICES.columns, rows=rows, quote_all=True)


def _padded_bills(marks: RunMarks, tag: str) -> CsvFile:
    rows = (
        {
            "vendor_name": marks.vendor_name("Padded"),
            "amount": " 12.50 ",
            "due_on": " 2026-11-22 ",
            "received_on": "2026-11-01 ",
            "type": " recurring ",
            "description": f"{tag} padded",
        },
        {
            "vendor_name": marks.vendor_name("Left Padded"),
            "amount": "  99",
            "due_on": "2027-01-31  ",
            "description": f"{tag} left",
        },
    )
    return CsvFile(columns=BILLS.columns, rows=rows, quote_all=True)


@rule(RULE_TRIMMED)
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_padded_and_quoted_cells_are_accepted(
    api: Api, marks: RunMarks, registry: Registry, kind: str
) -> None:
    tag = marks.tag()
    file = _padded_invoices(marks, tag) if kind == "invoices" else _padded_bills(marks, tag)
    done = import_file(api, kind, file)
    expect_status(done.response, 201, RULE_TRIMMED, f"a {kind} file of padded, quoted cells")
    expect_imported(api, registry, kind, file, done, None)
