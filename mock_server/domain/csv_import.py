"""Bytes of an uploaded CSV → typed rows plus every bad cell (CONTRACT §3), purely.

Two stages, so that file-level problems win over cell problems as the contract orders
them: ``read_table`` decodes and splits the file and raises ``ImportFailed`` (with
``errors=[]``) for anything that makes the file as a whole unusable; ``parse_invoices``
and ``parse_bills`` then check every cell and return *all* bad cells at once instead
of stopping at the first, because a user fixing a spreadsheet wants the full list.

Hostile input is expected (the contract suite fuzzes it): NUL bytes, lone ``\\r``,
huge cells, thousands of columns and duplicate header names all end in rows or in an
``ImportFailed``, never in another exception, and every step is linear in the input.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import operator
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from dayzero_twin.mock_server.domain.errors import ImportFailed, RowError
from dayzero_twin.mock_server.domain.money import MoneyError, parse_hundredths

CURRENCIES = ("USD", "CAD", "AUD", "EUR", "GBP")
BILL_TYPES = ("one_time", "recurring")
DEFAULT_CURRENCY = "USD"
DEFAULT_BILL_TYPE = "one_time"

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", re.ASCII)
_SHOWN_CHARS = 40
_MONEY_PROBLEMS = {
    "format": "must be a decimal amount like 1250.50, without sign, currency symbol or "
              "thousands separator",
    "decimals": "must have at most 2 decimals",
    "range": "is too large (at most 90071992547409.91)",
}


@dataclass(frozen=True, slots=True)
class Table:
    """A decoded file: which known column sits at which index, and the data rows.

    ``rows`` holds ``(row_number, cells)`` with ``cells`` the trimmed values of the known
    columns in the order of ``columns`` (``""`` where the column is absent or short).
    """

    present: frozenset[str]
    rows: list[tuple[int, tuple[str, ...]]]


@dataclass(frozen=True, slots=True)
class InvoiceRow:
    """One valid-or-not invoice line. A field is ``None`` when its cell did not parse."""

    row: int
    customer_email: str
    customer_name: str
    customer_id: str | None  # "" when blank
    due_date: str | None
    currency: str | None
    description: str
    item_description: str
    quantity: int | None  # hundredths
    unit_price: int | None  # cents
    invoice_ref: str


@dataclass(frozen=True, slots=True)
class BillRow:
    """One valid-or-not bill. A field is ``None`` when its cell did not parse."""

    row: int
    vendor_name: str
    vendor_email: str
    vendor_id: str | None  # "" when blank
    amount: int | None  # cents
    currency: str | None
    bill_number: str
    description: str
    due_on: str | None  # "" when blank
    received_on: str | None  # "" when blank
    type: str | None


def show(raw: str, limit: int = _SHOWN_CHARS) -> str:
    """A cell as quoted in messages, shortened so a 1 MB cell cannot bloat the 400 body."""
    if len(raw) > limit:
        raw = raw[: limit - 3] + "..."
    return repr(raw)


def summarize(errors: Sequence[RowError]) -> str:
    """The one-line ``detail`` of a cell-level 400."""
    rows = len({error.row for error in errors})
    cells = len(errors)
    return f"{_plural(cells, 'invalid cell')} in {_plural(rows, 'row')}; nothing was imported"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def sort_errors(errors: list[RowError], columns: Sequence[str]) -> list[RowError]:
    """Row order, then the contract's column order: the order a reader fixes them in."""
    rank = {name: index for index, name in enumerate(columns)}
    return sorted(errors, key=lambda e: (e.row, rank.get(e.column, len(rank)), e.message))


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ImportFailed(
            f"the file is not UTF-8 text (invalid byte at offset {exc.start}); "
            "export it as 'CSV UTF-8'"
        ) from None


def _is_blank(cells: list[str]) -> bool:
    return all(not cell.strip() for cell in cells)


def records(text: str) -> Iterator[list[str]]:
    """The records ``csv.reader`` reads from ``text``, read faster where that is safe.

    A text without a quote character cannot hide a comma or a line end inside a cell,
    and one shorter than csv's field size limit cannot exceed it: csv.reader's records
    are then exactly its lines (``\\r\\n``, ``\\r`` or ``\\n``) split at commas, an empty
    line an empty record. Splitting directly costs a third of csv.reader's set-up and
    per-line work, which is most of the time spent reading a small file.
    """
    if '"' in text or len(text) >= csv.field_size_limit():
        return csv.reader(io.StringIO(text, newline=""))
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines[-1] == "":
        lines.pop()
    return iter([line.split(",") if line else [] for line in lines])


# Remembered headers: a template's, or one of a few dozen short names; a hostile header
# of thousands of columns or of huge names is read every time rather than kept.
MAX_REMEMBERED_COLUMNS = 64
MAX_REMEMBERED_HEADER_CHARS = 4096
MAX_REMEMBERED_HEADERS = 64


@functools.lru_cache(maxsize=MAX_REMEMBERED_HEADERS)
def _read_header(header: tuple[str, ...], columns: tuple[str, ...],
                 required: tuple[tuple[str, ...], ...]
                 ) -> tuple[frozenset[str], tuple[str, ...], Callable[[list[str]], Any], int]:
    """Which columns a header row has and lacks, and how to pick them out of a row.

    Remembered per header, since most files of a kind start with the template's.
    """
    index: dict[str, int] = {}
    for position, name in enumerate(header):
        # The first of duplicate header names wins; later copies are ignored like
        # unknown columns.
        index.setdefault(name.strip().lower(), position)
    present = frozenset(name for name in columns if name in index)
    missing = tuple(" or ".join(group) for group in required
                    if not present.intersection(group))
    # Absent columns read index -1: the "" appended to every row. One C-level itemgetter
    # per row instead of a Python loop over the columns.
    positions = [index.get(name, -1) for name in columns]
    return present, missing, operator.itemgetter(*positions), max(positions) + 1


def read_table(data: bytes, columns: tuple[str, ...], required: tuple[tuple[str, ...], ...],
               max_rows: int) -> Table:
    """Decode and split a CSV file; ``ImportFailed`` for every file-level problem (§3.3).

    Checked in this order: UTF-8, a header row, the required columns, at least one data
    row, at most ``max_rows`` data rows. A row whose cells are all blank counts as a
    blank line: skipped and not numbered.
    """
    reader = records(_decode(data))
    row_number = 0
    try:
        header = next((cells for cells in reader if not _is_blank(cells)), None)
        if header is None:
            raise ImportFailed("the file is empty: it has no header row")
        small = len(header) <= MAX_REMEMBERED_COLUMNS and \
            sum(map(len, header)) <= MAX_REMEMBERED_HEADER_CHARS
        read_header = _read_header if small else _read_header.__wrapped__
        present, missing, pick, width = read_header(tuple(header), columns, required)
        if missing:
            raise ImportFailed(f"missing required column(s): {', '.join(missing)}")
        strip = str.strip
        rows: list[tuple[int, tuple[str, ...]]] = []
        for cells in reader:
            if len(cells) < width:
                cells.extend([""] * (width - len(cells)))
            cells.append("")
            known = tuple(map(strip, pick(cells)))
            if not any(known) and _is_blank(cells):
                continue
            row_number += 1
            if row_number > max_rows:
                raise ImportFailed(
                    f"the file has more than {max_rows:,} data rows; "
                    f"split it into files of at most {max_rows:,} rows"
                )
            rows.append((row_number, known))
    except csv.Error as exc:
        raise ImportFailed(
            f"the file is not valid CSV near data row {row_number + 1}: {exc}"
        ) from None
    if not rows:
        raise ImportFailed("the file has a header row but no data rows")
    return Table(present=present, rows=rows)


# Files repeat a handful of dates thousands of times, and one file's dates are the next
# file's: each text is validated once per process, in a bounded cache, since cells are
# client-chosen. Only texts of a date's length get there, so no huge cell is kept.
MAX_REMEMBERED_DATES = 20_000
DATE_LENGTH = len("YYYY-MM-DD")


@functools.lru_cache(maxsize=MAX_REMEMBERED_DATES)
def _is_date(raw: str) -> bool:
    if not _DATE.fullmatch(raw):
        return False
    try:
        date(int(raw[:4]), int(raw[5:7]), int(raw[8:]))
    except ValueError:
        return False
    return True


class _Cells:
    """Cell parsers that record a ``RowError`` and return ``None`` on a bad cell."""

    def __init__(self) -> None:
        self.errors: list[RowError] = []

    def fail(self, row: int, column: str, message: str) -> None:
        self.errors.append(RowError(row, column, message))

    def required(self, row: int, column: str, raw: str) -> str:
        if not raw:
            self.fail(row, column, f"{column} is required")
        return raw

    def date(self, row: int, column: str, raw: str) -> str | None:
        if len(raw) == DATE_LENGTH and _is_date(raw):
            return raw
        self.fail(row, column, f"{column} must be a date YYYY-MM-DD, got {show(raw)}")
        return None

    def required_date(self, row: int, column: str, raw: str) -> str | None:
        if not raw:
            self.fail(row, column, f"{column} is required")
            return None
        return self.date(row, column, raw)

    def optional_date(self, row: int, column: str, raw: str) -> str | None:
        return self.date(row, column, raw) if raw else ""

    def money(self, row: int, column: str, raw: str, positive: bool) -> int | None:
        try:
            cents = parse_hundredths(raw)
        except MoneyError as exc:
            self.fail(row, column, f"{column} {_MONEY_PROBLEMS[exc.reason]}, got {show(raw)}")
            return None
        if positive and cents == 0:
            self.fail(row, column, f"{column} must be greater than 0, got {show(raw)}")
            return None
        return cents

    def required_money(self, row: int, column: str, raw: str, positive: bool) -> int | None:
        if not raw:
            self.fail(row, column, f"{column} is required")
            return None
        return self.money(row, column, raw, positive)

    def price(self, row: int, column: str, raw: str) -> int | None:
        """A required amount that may be 0 (an invoice line's unit price)."""
        return self.required_money(row, column, raw, positive=False)

    def amount(self, row: int, column: str, raw: str) -> int | None:
        """A required amount greater than 0 (a bill's amount)."""
        return self.required_money(row, column, raw, positive=True)

    def quantity(self, row: int, column: str, raw: str) -> int | None:
        if not raw:
            return 100
        try:
            hundredths = parse_hundredths(raw)
        except MoneyError:
            hundredths = 0
        if hundredths == 0:
            self.fail(row, column,
                      f"{column} must be a number greater than 0 with at most 2 decimals "
                      f"(e.g. 3 or 1.5), got {show(raw)}")
            return None
        return hundredths

    def currency(self, row: int, column: str, raw: str) -> str | None:
        if not raw:
            return DEFAULT_CURRENCY
        # isascii first: "uſd".upper() is "USD" too, and that is not "any case".
        code = raw.upper() if raw.isascii() else raw
        if code in CURRENCIES:
            return code
        self.fail(row, column,
                  f"{column} must be one of {', '.join(CURRENCIES)} (any case), got {show(raw)}")
        return None

    def uuid(self, row: int, column: str, raw: str) -> str | None:
        if not raw:
            return ""
        if _UUID.fullmatch(raw):
            return raw.lower()
        self.fail(row, column,
                  f"{column} must be a UUID like 123e4567-e89b-42d3-a456-426614174000, "
                  f"got {show(raw)}")
        return None

    def bill_type(self, row: int, column: str, raw: str) -> str | None:
        if not raw:
            return DEFAULT_BILL_TYPE
        if raw in BILL_TYPES:
            return raw
        self.fail(row, column,
                  f"{column} must be exactly 'one_time' or 'recurring', got {show(raw)}")
        return None


# The same small file imported again and again (the samples, a test's fixture) is the
# common case under load, and parsing it cost as much as the rest of the request. So a
# file up to MEMO_MAX_BYTES is parsed once per distinct content: rows and errors are
# immutable and each caller gets its own lists. File-level problems raise, and
# exceptions are not cached, so a bad file is judged afresh every time.
MEMO_MAX_BYTES = 64 * 1024
MEMO_FILES = 64

Row = TypeVar("Row")
Parse = Callable[[bytes, int], tuple[list[Row], list[RowError]]]


def parsed_once_per_content(parse: Parse[Row]) -> Parse[Row]:
    """Memoize ``parse`` for small files, keyed by their bytes and the row limit."""
    cached = functools.lru_cache(maxsize=MEMO_FILES)(parse)

    @functools.wraps(parse)
    def parse_small_files_once(data: bytes, max_rows: int) -> tuple[list[Row], list[RowError]]:
        if len(data) > MEMO_MAX_BYTES:
            return parse(data, max_rows)
        rows, errors = cached(bytes(data), max_rows)
        return list(rows), list(errors)

    return parse_small_files_once


CellParser = Callable[[_Cells, int, str, str], Any]
TEXT = None  # a cell taken as it is (trimmed), never wrong


@dataclass(frozen=True)
class RowLayout(Generic[Row]):
    """What one kind's file is, as parsing sees it; all that differs between invoices and
    bills here, so that one loop (:func:`_parse_rows`) reads both.

    ``cells`` pairs each column, in the contract's order (templates, error order), with
    the parser of its cells (``TEXT``: taken as it is); ``row`` takes the row number,
    then the parsed cells in that order. A row names its party by its id or, when the
    id is blank, by its key column.
    """

    cells: tuple[tuple[str, CellParser | None], ...]
    required: tuple[tuple[str, ...], ...]  # each group satisfied by any one column
    party_id_column: str
    party_key_column: str
    row: Callable[..., Row]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(column for column, _ in self.cells)


def _parse_rows(
    layout: RowLayout[Row], data: bytes, max_rows: int
) -> tuple[list[Row], list[RowError]]:
    table = read_table(data, layout.columns, layout.required, max_rows)
    cells = _Cells()
    rows: list[Row] = []
    id_column, key_column = layout.party_id_column, layout.party_key_column
    id_at, key_at = layout.columns.index(id_column), layout.columns.index(key_column)
    # Plain text cells (no parser) are taken as they are: only the others cost a call.
    steps = [(at, column, parse) for at, (column, parse) in enumerate(layout.cells) if parse]
    make = layout.row
    for number, raw in table.rows:
        if not raw[key_at] and not raw[id_at]:  # a given id is checked with the cells
            cells.fail(number, key_column, f"{key_column} is required when {id_column} is blank")
        values = list(raw)
        for at, column, parse in steps:
            values[at] = parse(cells, number, column, values[at])
        rows.append(make(number, *values))
    return rows, cells.errors


def row_parser(layout: RowLayout[Row]) -> Parse[Row]:
    """Every row of one kind's file and every bad cell; file problems raise."""
    return parsed_once_per_content(functools.partial(_parse_rows, layout))


INVOICE_LAYOUT: RowLayout[InvoiceRow] = RowLayout(
    cells=(
        ("customer_email", TEXT),
        ("customer_name", TEXT),
        ("customer_id", _Cells.uuid),
        ("due_date", _Cells.required_date),
        ("currency", _Cells.currency),
        ("description", TEXT),
        ("item_description", _Cells.required),
        ("quantity", _Cells.quantity),
        ("unit_price", _Cells.price),
        ("invoice_ref", TEXT),
    ),
    required=(("customer_email", "customer_id"), ("due_date",), ("item_description",),
              ("unit_price",)),
    party_id_column="customer_id",
    party_key_column="customer_email",
    row=InvoiceRow,
)
BILL_LAYOUT: RowLayout[BillRow] = RowLayout(
    cells=(
        ("vendor_name", TEXT),
        ("vendor_email", TEXT),
        ("vendor_id", _Cells.uuid),
        ("amount", _Cells.amount),
        ("currency", _Cells.currency),
        ("bill_number", TEXT),
        ("description", TEXT),
        ("due_on", _Cells.optional_date),
        ("received_on", _Cells.optional_date),
        ("type", _Cells.bill_type),
    ),
    required=(("vendor_name", "vendor_id"), ("amount",)),
    party_id_column="vendor_id",
    party_key_column="vendor_name",
    row=BillRow,
)
INVOICE_COLUMNS = INVOICE_LAYOUT.columns
BILL_COLUMNS = BILL_LAYOUT.columns
parse_invoices = row_parser(INVOICE_LAYOUT)  # CONTRACT §3.1
parse_bills = row_parser(BILL_LAYOUT)  # CONTRACT §3.2


def template(columns: Sequence[str]) -> str:
    """The header row of a CSV template, CRLF-terminated as RFC 4180 writes it."""
    return ",".join(columns) + "\r\n"

