"""Deterministic bulk CSV files of any size, shaped like real imports.

Real files repeat customers and vendors, group several lines into one invoice and mix
currencies; a file of unique one-line invoices would flatter a per-customer lookup and
hide the cost of grouping. The same seed always gives the same bytes, so the scaling
figures of two runs describe the same work.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta

INVOICE_COLUMNS = (
    "customer_email",
    "customer_name",
    "due_date",
    "currency",
    "description",
    "item_description",
    "quantity",
    "unit_price",
    "invoice_ref",
)
BILL_COLUMNS = (
    "vendor_name",
    "vendor_email",
    "amount",
    "currency",
    "bill_number",
    "description",
    "due_on",
    "received_on",
    "type",
)
CURRENCIES = ("USD", "USD", "USD", "CAD", "EUR", "GBP", "AUD")
ITEMS = ("Consulting", "Design work", "Hosting", "Support plan", "Training", "Licence")
BASE_DATE = date(2026, 12, 1)


def _money(rng: random.Random, low: int, high: int) -> str:
    """A decimal amount in major units with two decimals, e.g. ``1250.50``."""
    cents = rng.randint(low * 100, high * 100)
    return f"{cents // 100}.{cents % 100:02d}"


def _to_csv(columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def invoices_csv(rows: int, seed: int = 0) -> bytes:
    """``rows`` line items: invoices of 1–3 lines over a pool of repeat customers."""
    rng = random.Random(seed)
    customers = max(1, min(500, rows // 10))
    out: list[tuple[str, ...]] = []
    invoice = 0
    while len(out) < rows:
        invoice += 1
        customer = rng.randrange(customers)
        due = (BASE_DATE + timedelta(days=rng.randrange(90))).isoformat()
        currency = rng.choice(CURRENCIES)
        lines = min(rng.randint(1, 3), rows - len(out))
        ref = f"INV-{invoice:06d}" if lines > 1 else ""
        for line in range(lines):
            out.append(
                (
                    f"customer{customer}@example.com",
                    f"Customer {customer}",
                    due,
                    currency,
                    f"Order {invoice}",
                    f"{rng.choice(ITEMS)} #{line + 1}",
                    str(rng.randint(1, 10)),
                    _money(rng, 5, 2_000),
                    ref,
                )
            )
    return _to_csv(INVOICE_COLUMNS, out)


def bills_csv(rows: int, seed: int = 0) -> bytes:
    """``rows`` bills over a pool of repeat vendors, some recurring."""
    rng = random.Random(seed)
    vendors = max(1, min(200, rows // 20))
    out: list[tuple[str, ...]] = []
    for number in range(1, rows + 1):
        vendor = rng.randrange(vendors)
        received = BASE_DATE + timedelta(days=rng.randrange(60))
        out.append(
            (
                f"Vendor {vendor}",
                f"ap{vendor}@vendor.example.com",
                _money(rng, 10, 20_000),
                rng.choice(CURRENCIES),
                f"B-{number:06d}",
                f"{rng.choice(ITEMS)} for period {number % 12 + 1}",
                (received + timedelta(days=30)).isoformat(),
                received.isoformat(),
                "recurring" if rng.random() < 0.2 else "one_time",
            )
        )
    return _to_csv(BILL_COLUMNS, out)


def generate(operation: str, rows: int, seed: int = 0) -> bytes:
    """The CSV for ``operation`` (``invoices`` or ``bills``) with ``rows`` data rows."""
    if operation == "invoices":
        return invoices_csv(rows, seed)
    if operation == "bills":
        return bills_csv(rows, seed)
    raise ValueError(f"unknown operation {operation!r}")


def expected_items(operation: str, csv_bytes: bytes) -> int:
    """How many entities a correct import of ``csv_bytes`` creates."""
    reader = csv.DictReader(io.StringIO(csv_bytes.decode("utf-8")))
    rows = list(reader)
    if operation == "bills":
        return len(rows)
    refs = {row["invoice_ref"] for row in rows if row["invoice_ref"]}
    return len(refs) + sum(1 for row in rows if not row["invoice_ref"])
