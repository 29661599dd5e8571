"""Valid bulk CSV files whose entities can be counted back per file.

Every row of a file carries the file's *marker* in its ``description`` cell (unique per
file), so after any amount of concurrency, crashing or fuzzing the stored state can be
grouped by file: a file's entities are all there or none are (CONTRACT §1, a 400 is
all-or-nothing; §4 a 201 lists what was created).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from bench.stress.harness import Kind

INVOICE_HEADER = (
    "customer_email", "customer_name", "due_date", "currency", "description",
    "item_description", "quantity", "unit_price",
)
BILL_HEADER = (
    "vendor_name", "vendor_email", "amount", "currency", "bill_number", "description",
    "due_on", "received_on", "type",
)
HEADERS: dict[Kind, tuple[str, ...]] = {"invoices": INVOICE_HEADER, "bills": BILL_HEADER}
CURRENCIES = ("USD", "CAD", "AUD", "EUR", "GBP")


def new_marker(prefix: str = "m") -> str:
    """A description no other file has: ``prefix-<32 hex>``, no spaces, survives trimming."""
    return f"{prefix}-{uuid.uuid4().hex}"


def invoice_row(i: int, marker: str, *, email: str | None = None) -> list[str]:
    """One valid line item: its own invoice (no ``invoice_ref``)."""
    return [
        email or f"cust{i % 97}@example.com",
        f"Customer {i % 97}",
        f"2027-{1 + i % 12:02d}-{1 + i % 28:02d}",
        CURRENCIES[i % len(CURRENCIES)],
        marker,
        f"Item {i}, \"quoted\"",
        str(1 + i % 3),
        f"{10 + i % 500}.{i % 100:02d}",
    ]


def bill_row(i: int, marker: str, *, vendor: str | None = None) -> list[str]:
    """One valid bill."""
    return [
        vendor or f"Vendor {i % 89}",
        f"ap{i % 89}@vendor.example.com",
        f"{5 + i % 900}.{i % 100:02d}",
        CURRENCIES[i % len(CURRENCIES)],
        f"B-{i}",
        marker,
        f"2027-{1 + i % 12:02d}-{1 + i % 28:02d}",
        f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}",
        ("one_time", "recurring")[i % 2],
    ]


def _cell(value: str) -> str:
    # csv.writer leaves a lone CR unquoted when the line end is "\n"; a reader then splits
    # the row there. Quoting every cell with a delimiter, quote, CR or LF is RFC 4180.
    if any(char in value for char in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def to_csv(header: Sequence[str], rows: Iterable[Sequence[str]], line_end: str = "\r\n") -> str:
    """RFC 4180 text: quotes only where a cell needs them, any line end."""
    lines = [",".join(map(_cell, row)) for row in (header, *rows)]
    return line_end.join(lines) + line_end


def valid_csv(kind: Kind, rows: int, marker: str, *, first: int = 0) -> bytes:
    """A file the contract says must import, creating exactly ``rows`` entities."""
    make = invoice_row if kind == "invoices" else bill_row
    body = (make(first + i, marker) for i in range(rows))
    return to_csv(HEADERS[kind], body).encode("utf-8")


def count_by_marker(items: Iterable[dict[str, Any]]) -> Counter[str]:
    """How many stored entities carry each description: one key per file."""
    return Counter(item.get("description") or "" for item in items)
