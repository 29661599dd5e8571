"""CONTRACT §1 "A 400 is all-or-nothing": a refused file leaves no customer or vendor either.

Customers and vendors have no read-back operation, so a party left behind by a refused
file is observed the only way the contract allows: a later valid file names the same
new party, and CONTRACT §3.1/§3.2 say what a party *created by that file* looks like
("`customer_name` only names a customer created by this file", "`vendor_email` only
applies to a vendor created by this file", "An existing … keeps its own name and
email"). If the refused file had created it, the later file would find it instead, and
the refused file's name or email would come back. Nothing about counts or numbering is
asserted: the contract promises neither.
"""

from __future__ import annotations

from typing import Any

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
from dayzero_twin.contract_tests.support.flows import expect_imported, import_file, json_items
from dayzero_twin.contract_tests.support.kinds import BILLS, INVOICES, KIND_NAMES, kind_named
from dayzero_twin.contract_tests.support.rules import require, rule

RULE_PARTIES = (
    "CONTRACT §1 a 400 is all-or-nothing: no customer/vendor of a refused file is created"
)


def _refused_then_fresh(kind: str, marks: RunMarks) -> tuple[CsvFile, CsvFile, dict[str, str]]:
    """A refused file naming a new party (one good row, one bad cell), and a valid file
    naming the same party differently; ``want`` is what a party created fresh shows."""
    tag = marks.tag()
    if kind == "invoices":
        email = marks.email("ghost")
        good = {
            "customer_email": email,
            "customer_name": f"Refused Name {tag}",
            "due_date": "2026-11-22",
            "item_description": f"refused {tag}",
            "unit_price": "10",
        }
        refused = CsvFile(
            columns=INVOICES.columns,
            rows=(good, {**good, "item_description": f"bad {tag}", "unit_price": "abc"}),
        )
        fresh_name = f"Fresh Name {tag}"
        later = CsvFile(
            columns=INVOICES.columns,
            rows=({**good, "customer_name": fresh_name, "item_description": f"later {tag}"},),
        )
        return refused, later, {"customer_name": fresh_name}
    name = marks.vendor_name("Ghost Vendor")
    good = {
        "vendor_name": name.upper(),
        "vendor_email": marks.email("refused"),
        "amount": "10",
        "description": f"refused {tag}",
    }
    refused = CsvFile(
        columns=BILLS.columns,
        rows=(good, {**good, "amount": "abc", "description": f"bad {tag}"}),
    )
    fresh_email = marks.email("fresh")
    later = CsvFile(
        columns=BILLS.columns,
        rows=(
            {
                "vendor_name": name,
                "vendor_email": fresh_email,
                "amount": "12",
                "description": f"later {tag}",
            },
        ),
    )
    return refused, later, {"vendor_name": name, "vendor_email": fresh_email}


def _same(field: str, actual: Any, wanted: str) -> bool:
    if field.endswith("email"):  # emails compare case-insensitively (CONTRACT §3.1)
        return isinstance(actual, str) and actual.lower() == wanted.lower()
    return bool(actual == wanted)


@rule(RULE_PARTIES)
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_refused_file_leaves_no_party(
    api: Api, marks: RunMarks, registry: Registry, kind: str
) -> None:
    refused, later, want = _refused_then_fresh(kind, marks)
    column = kind_named(kind).amount
    done = import_file(api, kind, refused)
    expect_import_failed(done.response, f"a {kind} file with one bad cell", [Cell(2, column)])
    again = import_file(api, kind, later)
    expect_status(
        again.response, 201, "schema: bulk create answers 201", f"the later valid {kind} file"
    )
    [item] = json_items(again.response) or [{}]
    noun = kind_named(kind).party
    for field, wanted in want.items():
        require(
            _same(field, item.get(field), wanted),
            RULE_PARTIES,
            f"the {noun} named by the refused file was found by a later file: {field} is "
            f"{item.get(field)!r}, a {noun} created by the later file has {wanted!r}",
            again.response,
        )
    expect_imported(api, registry, kind, later, again, None)
