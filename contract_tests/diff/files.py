"""The CSV bytes ``diff`` uploads, built once from the seed so both sides get the same.

Each file is there for a rule a differential run can only see with that input: the
suite's hard files (BOM, CRLF, quoting, half-up rounding, ``invoice_ref`` groups), cells
that do not parse, spellings a lenient parser would read, padded cells, a file larger
than one page of 50, a refused file naming a new party followed by a valid one naming
it differently, and a file of exactly 10,000 data rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from dayzero_twin.contract_tests.support.csvfile import CsvFile, raw_csv
from dayzero_twin.contract_tests.support.datagen import RunMarks, hard_file, simple_file
from dayzero_twin.contract_tests.support.kinds import BILLS, INVOICES, KINDS, Kind
from dayzero_twin.contract_tests.support.limits import full_file

# More than the 50 a list page holds by default, more than a bulk 201 could be "paged" by.
MORE_THAN_A_PAGE = 60
# Spellings that ``float``/``Decimal``/``dateutil`` read and CONTRACT §3 excludes.
LENIENT_AMOUNTS = ("1,000.00", "1e3", "1_000", "$12")
LENIENT_DATES = ("2026/01/15", "15-01-2026", "20260115")


@dataclass(frozen=True)
class KindFiles:
    """The files of one kind."""

    simple: bytes
    hard: bytes
    invalid: bytes
    empty: bytes
    lenient: bytes
    padded: bytes
    many: bytes
    refused_party: bytes
    later_party: bytes


@dataclass(frozen=True)
class Files:
    """Every file of the scenario, by kind name."""

    by_kind: dict[str, KindFiles]
    full_invoices: bytes  # exactly 10,000 data rows

    @classmethod
    def build(cls, seed: int) -> Files:
        marks = RunMarks(nonce=f"df{seed:x}")
        by_kind = {kind.name: _kind_files(kind, marks) for kind in KINDS}
        return cls(by_kind, full_file(INVOICES.name, marks)[0])

    def __getitem__(self, kind: str) -> KindFiles:
        return self.by_kind[kind]


def _kind_files(kind: Kind, marks: RunMarks) -> KindFiles:
    refused, later = _party_pair(kind, marks)
    return KindFiles(
        simple=simple_file(kind.name, marks, 3, "diff").to_bytes(),
        hard=hard_file(kind.name, marks).to_bytes(),
        invalid=_invalid(kind, marks),
        empty=raw_csv([list(kind.columns)]),
        lenient=_lenient(kind, marks),
        padded=_padded(kind, marks),
        many=simple_file(kind.name, marks, MORE_THAN_A_PAGE, "many").to_bytes(),
        refused_party=refused,
        later_party=later,
    )


def _invalid(kind: Kind, marks: RunMarks) -> bytes:
    """Two good rows around cells that do not parse (CONTRACT §3.3)."""
    rows = list(simple_file(kind.name, marks, 3, "bad").rows)
    bad = dict(rows[1])
    for column in ("unit_price", "amount", "due_date"):
        if column in bad:
            bad[column] = "twelve"
    rows[1] = bad
    return CsvFile(columns=kind.columns, rows=tuple(rows)).to_bytes()


def _lenient(kind: Kind, marks: RunMarks) -> bytes:
    """One good row, then one row per lenient spelling: all of them must be listed."""
    good = dict(simple_file(kind.name, marks, 1, "lenient").rows[0])
    date = "due_date" if kind is INVOICES else "due_on"
    cells = [(kind.amount, value) for value in LENIENT_AMOUNTS]
    cells += [(date, value) for value in LENIENT_DATES]
    rows = [good]
    for index, (column, value) in enumerate(cells):
        row = dict(simple_file(kind.name, marks, 1, f"lenient{index}").rows[0])
        rows.append({**row, column: value})
    return CsvFile(columns=kind.columns, rows=tuple(rows)).to_bytes()


def _padded(kind: Kind, marks: RunMarks) -> bytes:
    """Numbers and dates padded with spaces inside quotes: legal, since cells are trimmed."""
    rows = []
    for index, row in enumerate(simple_file(kind.name, marks, 2, "padded").rows):
        padded = dict(row)
        for column in ("unit_price", "quantity", "amount", "due_date", "due_on"):
            if padded.get(column):
                padded[column] = (" " * (index + 1)) + padded[column] + " "
        rows.append(padded)
    return CsvFile(columns=kind.columns, rows=tuple(rows), quote_all=True).to_bytes()


def _party_pair(kind: Kind, marks: RunMarks) -> tuple[bytes, bytes]:
    """A refused file naming a new party (one good row, one bad cell), then a valid file
    naming the same party with another name/email: a party the refused file left behind
    would be found, and its first name or email would come back (CONTRACT §1, §3.1/§3.2)."""
    if kind is INVOICES:
        email = marks.email("ghost")
        good = {
            "customer_email": email,
            "customer_name": "Refused Name",
            "due_date": "2026-11-22",
            "item_description": "refused",
            "unit_price": "10",
        }
        refused = (good, {**good, "unit_price": "abc"})
        later = ({**good, "customer_name": "Fresh Name", "item_description": "later"},)
    else:
        name = marks.vendor_name("Ghost Vendor")
        good = {"vendor_name": name, "vendor_email": marks.email("refused"), "amount": "10"}
        refused = (good, {**good, "amount": "abc"})
        later = ({**good, "vendor_email": marks.email("fresh"), "amount": "12"},)
    columns = INVOICES.columns if kind is INVOICES else BILLS.columns
    return (
        CsvFile(columns=columns, rows=refused).to_bytes(),
        CsvFile(columns=columns, rows=later).to_bytes(),
    )
