"""Ready-made CSV files under ``samples/...`` that every business can import unuploaded.

They let a first-time user (and the docs) call the bulk operations in one step, and
they cover each 400 of CONTRACT §3.3 with a named fixture. Files are built lazily and
deterministically from the seed and the key, and cached; the generated
``samples/invoices-<N>.csv`` / ``samples/bills-<N>.csv`` (N rows of Faker data) sit in a
small LRU cache because a 10,000-row file weighs about a megabyte.

The hand-written files name some customers and vendors of the default world's first
business (Northwind Studio), so importing them there shows existing parties being
reused while the others are created.
"""

from __future__ import annotations

import csv
import functools
import io
import random
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any

from dayzero_twin.mock_server.domain import kinds

PREFIX = "samples/"
MAX_GENERATED_ROWS = 10_001
UNKNOWN_PARTY_ID = "0badc0de-0000-4000-8000-00000000dead"
_GENERATED = re.compile(rf"samples/({'|'.join(kinds.BY_NAME)})-([1-9][0-9]{{0,4}})\.csv", re.ASCII)
_CACHE_SIZE = 8
_BASE_DAY = date(2026, 11, 1)

INVOICE_HEADER = kinds.INVOICES.sample_columns
BILL_HEADER = kinds.BILLS.sample_columns

Rows = tuple[tuple[str, ...], ...]

_ACME = ("ap@acmerobotics.com", "Acme Robotics", "2026-12-15", "USD", "November retainer")
INVOICES: Rows = (
    (*_ACME, "Design sprint, week 1", "1", "4500.00", "NW-1001"),
    (*_ACME, "Prototype review (hours)", "3.5", "180.00", "NW-1001"),
    (*_ACME, "Travel expenses", "1", "312.48", "NW-1001"),
    ("jane@brightpixelmedia.co.uk", "Bright Pixel Media", "2026-12-20", "gbp", "Brand refresh",
     "Logo, business cards and letterhead", "1", "1850", ""),
    ("billing@globexdesign.com", "", "2027-01-05", "EUR", "", "Illustration licences", "12",
     "45.5", ""),
    ("hello@kestrel-analytics.com", "Kestrel Analytics", "2026-12-31", "", "Dashboard build",
     "Data pipeline setup (hours)", "7.25", "150", ""),
)

BILLS: Rows = (
    ("Summit Office Supply", "", "245.80", "USD", "SOS-44817", "Printer paper and toner",
     "2026-12-01", "2026-11-15", "one_time"),
    ("CloudNest Hosting", "", "129.00", "USD", "CN-2026-11", "Managed hosting (monthly)",
     "2026-12-05", "2026-11-05", "recurring"),
    ("Lakeside Legal LLP", "billing@lakesidelegal.com", "1800", "USD", "LL-3092",
     "Contract review, NDA templates", "2026-12-20", "2026-11-20", "one_time"),
    ("Metro Power & Light", "", "312.47", "usd", "MPL-88123", "Electricity (November)",
     "2026-12-10", "2026-11-25", "recurring"),
    ("Atelier Berlin GmbH", "rechnung@atelier-berlin.de", "950.5", "EUR", "AB-2026-077",
     "Product photo shoot", "", "2026-11-18", ""),
)

# Bad cells (9 in 4 rows): due_date and unit_price on row 1; customer_email on row 2;
# currency and quantity on row 3; due_date, item_description, quantity and unit_price on
# row 5. Row 4 is fine and must not be created either.
INVOICES_INVALID: Rows = (
    ("ap@acmerobotics.com", "Acme Robotics", "2026-13-01", "USD", "Retainer", "Design sprint",
     "1", "1,250.00", ""),
    ("", "", "2026-12-15", "USD", "Retainer", "Consulting (hours)", "2", "180", ""),
    ("billing@globexdesign.com", "", "2026-12-15", "JPY", "", "Illustrations", "0", "45.50", ""),
    ("finance@lumenarchitects.com", "", "2026-12-15", "USD", "", "Site plans", "1", "900.00", ""),
    ("office@pinecrestdental.com", "", "2026-02-30", "CAD", "", "", "1.255", "-20", ""),
)

# Bad cells (9 in 3 rows): amount on row 1; amount, currency, due_on and type on row 2;
# vendor_name, amount, received_on and type on row 4.
BILLS_INVALID: Rows = (
    ("Summit Office Supply", "", "0", "USD", "SOS-1", "Paper", "2026-12-01", "2026-11-15",
     "one_time"),
    ("CloudNest Hosting", "", "129.999", "BTC", "CN-1", "Hosting", "31/12/2026", "2026-11-05",
     "monthly"),
    ("Redline Couriers", "", "45.00", "USD", "RC-1", "Courier", "2026-12-01", "2026-11-15",
     "one_time"),
    ("", "", "", "USD", "X-1", "Nothing", "2026-12-01", "2026-11-31", "One-Time"),
)

# Row 2 disagrees on due_date; row 3 on the customer and the currency.
INVOICES_INCONSISTENT: Rows = (
    (*_ACME, "Design sprint", "1", "4500", "G-1"),
    ("ap@acmerobotics.com", "Acme Robotics", "2026-12-31", "USD", "November retainer",
     "Prototype review", "2", "180", "G-1"),
    ("billing@globexdesign.com", "", "2026-12-15", "EUR", "November retainer", "Travel", "1",
     "300", "G-1"),
)

NOT_UTF8_INVOICES: Rows = (
    ("cafe@muller.de", "Café Müller", "2026-12-15", "EUR", "Catering", "Kaffee & Kuchen", "1",
     "80", ""),
)
NOT_UTF8_BILLS: Rows = (
    ("Bäckerei Schön", "", "120", "EUR", "BS-1", "Brötchen", "2026-12-01", "", "one_time"),
)

_ITEMS = (
    "Consulting (hours)", "Website maintenance", "Logo design", "Copywriting, 1,000 words",
    "Photography session", "Cloud hosting (monthly)", "SEO audit", "Training workshop",
    "Custom illustration", "Video editing (hours)", "Catering for 20", "Office cleaning",
    "Sourdough loaves", "Wedding cake, 3 tiers", "Espresso beans 1 kg", "Delivery fee",
    "Software licence (annual)", "Bookkeeping (monthly)", "Print run, 500 flyers",
)
_DESCRIPTIONS = ("", "Monthly retainer", "Project milestone 1", "Project milestone 2",
                 "Q4 services", "Event catering", "Wholesale order", "Rush order")
_BILL_DESCRIPTIONS = ("Office supplies", "Monthly hosting", "Electricity", "Legal services",
                      "Courier", "Insurance premium", "Raw materials", "Equipment repair",
                      "Software subscription", "Cleaning service")
_CURRENCIES = ("USD",) * 8 + ("EUR", "GBP", "CAD", "AUD", "usd", "")
_QUANTITIES = ("1",) * 6 + ("", "2", "3", "5", "10", "1.5", "0.25", "2.75", "12")


@dataclass(frozen=True)
class Fixture:
    kind: str
    rows: int
    expect: int
    description: str
    build: Callable[[], bytes]


def _company_email(name: str, rng: random.Random) -> str:
    slug = re.sub(r"[^a-z0-9]+", "", name.lower()) or "customer"
    mailbox = rng.choice(("ap", "billing", "accounts", "finance", "invoices"))
    return f"{mailbox}@{slug[:30]}.com"


def _money(rng: random.Random, low: int, high: int) -> str:
    cents = rng.randint(low, high)
    if rng.random() < 0.2:
        return str(max(1, cents // 100))
    return f"{cents // 100}.{cents % 100:02d}"


def _csv(header: tuple[str, ...], rows: Iterable[tuple[str, ...]],
         encoding: str = "utf-8") -> bytes:
    """RFC 4180 as spreadsheets write it: CRLF line ends, quotes only where needed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def _faker(rng: random.Random) -> Any:
    # Imported here: Faker takes a fifth of a second to import and most runs never
    # generate a file.
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(rng.getrandbits(64))
    return fake


def generate_invoices(seed: int, count: int) -> bytes:
    """``count`` realistic invoice lines, some grouped by ``invoice_ref``."""
    rng = random.Random(f"invoices:{seed}:{count}")
    fake = _faker(rng)
    customers = []
    for _ in range(max(3, min(60, count // 4))):
        name = fake.company()
        customers.append((_company_email(name, rng), name))
    rows: list[tuple[str, ...]] = []
    invoice = 0
    while len(rows) < count:
        invoice += 1
        lines = min(count - len(rows), rng.choice((1, 1, 1, 2, 3)))
        ref = f"REF-{invoice:05d}" if lines > 1 else ""
        email, name = rng.choice(customers)
        due = (_BASE_DAY + timedelta(days=rng.randint(7, 120))).isoformat()
        currency = rng.choice(_CURRENCIES)
        description = rng.choice(_DESCRIPTIONS)
        for _ in range(lines):
            rows.append((email, name, due, currency, description, rng.choice(_ITEMS),
                         rng.choice(_QUANTITIES), _money(rng, 500, 500_000), ref))
    return _csv(INVOICE_HEADER, rows)


def generate_bills(seed: int, count: int) -> bytes:
    """``count`` realistic bills, one-time and recurring."""
    rng = random.Random(f"bills:{seed}:{count}")
    fake = _faker(rng)
    vendors = []
    for _ in range(max(3, min(60, count // 4))):
        name = fake.company()
        vendors.append((name, _company_email(name, rng) if rng.random() < 0.7 else ""))
    rows: list[tuple[str, ...]] = []
    for _ in range(count):
        name, email = rng.choice(vendors)
        received = _BASE_DAY + timedelta(days=rng.randint(-60, 0))
        due = received + timedelta(days=rng.choice((0, 15, 30, 45, 60)))
        rows.append((name, email, _money(rng, 100, 2_000_000), rng.choice(_CURRENCIES),
                     f"{name[:3].upper()}-{rng.randint(1000, 99999)}",
                     rng.choice(_BILL_DESCRIPTIONS), due.isoformat(),
                     received.isoformat() if rng.random() < 0.8 else "",
                     "recurring" if rng.random() < 0.25 else "one_time"))
    return _csv(BILL_HEADER, rows)


GENERATORS: MappingProxyType[str, Callable[[int, int], bytes]] = MappingProxyType(
    {kinds.INVOICES.name: generate_invoices, kinds.BILLS.name: generate_bills})


def _file(header: tuple[str, ...], rows: Rows, drop: str | None = None,
          encoding: str = "utf-8") -> Callable[[], bytes]:
    """A builder for a fixed file; ``drop`` leaves one column out of header and rows."""
    keep = [index for index, name in enumerate(header) if name != drop]

    def build() -> bytes:
        return _csv(tuple(header[i] for i in keep),
                    (tuple(row[i] for i in keep) for row in rows), encoding)
    return build


class Samples:
    """The ``samples/...`` files of one mock: fixed by its seed and row limit."""

    def __init__(self, seed: int, max_rows: int) -> None:
        self._seed = seed
        self._max_rows = max_rows
        self._fixtures = self._define()
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def _define(self) -> dict[str, Fixture]:
        seed, over = self._seed, self._max_rows + 1
        unknown_customer = ((UNKNOWN_PARTY_ID, "2026-12-15", "Consulting (hours)", "150"),)
        unknown_vendor = ((UNKNOWN_PARTY_ID, "99.00", "Office supplies"),)
        fixtures = {
            "invoices.csv": Fixture(
                "invoices", len(INVOICES), 201,
                "6 lines → 4 invoices: a 3-line invoice via invoice_ref, mixed currencies, "
                "decimal quantities, a quoted comma", _file(INVOICE_HEADER, INVOICES)),
            "bills.csv": Fixture(
                "bills", len(BILLS), 201,
                "5 bills, one-time and recurring, USD and EUR, a quoted comma",
                _file(BILL_HEADER, BILLS)),
            "invoices-invalid.csv": Fixture(
                "invoices", len(INVOICES_INVALID), 400,
                "bad dates, thousands separator, blank customer and item, unknown currency, "
                "zero and 3-decimal quantities, negative price: 9 cells listed",
                _file(INVOICE_HEADER, INVOICES_INVALID)),
            "bills-invalid.csv": Fixture(
                "bills", len(BILLS_INVALID), 400,
                "zero, blank and 3-decimal amounts, unknown currency, bad dates and types, "
                "blank vendor: 9 cells listed", _file(BILL_HEADER, BILLS_INVALID)),
            "invoices-inconsistent-group.csv": Fixture(
                "invoices", len(INVOICES_INCONSISTENT), 400,
                "rows sharing invoice_ref G-1 disagree on due_date, customer and currency",
                _file(INVOICE_HEADER, INVOICES_INCONSISTENT)),
            "invoices-unknown-customer.csv": Fixture(
                "invoices", 1, 400, "a customer_id that is no customer of the business",
                _file(("customer_id", "due_date", "item_description", "unit_price"),
                      unknown_customer)),
            "bills-unknown-vendor.csv": Fixture(
                "bills", 1, 400, "a vendor_id that is no vendor of the business",
                _file(("vendor_id", "amount", "description"), unknown_vendor)),
        }
        for kind, rows, not_utf8, required in (
            (kinds.INVOICES, INVOICES, NOT_UTF8_INVOICES, "unit_price"),
            (kinds.BILLS, BILLS, NOT_UTF8_BILLS, "amount"),
        ):
            name, header, generate = kind.name, kind.sample_columns, GENERATORS[kind.name]
            fixtures[f"{name}-empty.csv"] = Fixture(
                name, 0, 400, "an empty file: no header row", bytes)
            fixtures[f"{name}-header-only.csv"] = Fixture(
                name, 0, 400, "a header row and no data rows", _file(header, ()))
            fixtures[f"{name}-missing-column.csv"] = Fixture(
                name, len(rows), 400, f"the required column {required} is missing",
                _file(header, rows, drop=required))
            fixtures[f"{name}-not-utf8.csv"] = Fixture(
                name, len(not_utf8), 400, "encoded as Windows-1252, not UTF-8",
                _file(header, not_utf8, encoding="cp1252"))
            fixtures[f"{name}-too-many-rows.csv"] = Fixture(
                name, over, 400, f"{over:,} rows: one more than the limit",
                functools.partial(generate, seed, over))
        return fixtures

    def _generated(self, key: str) -> Fixture | None:
        match = _GENERATED.fullmatch(key)
        if match is None:
            return None
        kind, count = match.group(1), int(match.group(2))
        if count > max(MAX_GENERATED_ROWS, self._max_rows + 1):
            return None
        generate = GENERATORS[kind]
        return Fixture(kind, count, 201 if count <= self._max_rows else 400,
                       f"{count:,} generated rows (any N from 1 to {self._max_rows:,} imports; "
                       f"{self._max_rows + 1:,} is one too many)",
                       functools.partial(generate, self._seed, count))

    def get(self, key: str) -> bytes | None:
        """The bytes of a sample key, or None when there is no such sample."""
        if not key.startswith(PREFIX):
            return None
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        fixture = self._fixtures.get(key[len(PREFIX):]) or self._generated(key)
        if fixture is None:
            return None
        data = fixture.build()
        with self._lock:
            self._cache[key] = data
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return data

    def catalogue(self) -> list[dict[str, Any]]:
        """Every fixed sample, and generated ones at a few sizes, as the docs list them."""
        entries = {f"{PREFIX}{name}": fixture for name, fixture in self._fixtures.items()}
        for kind in kinds.BY_NAME:
            for count in sorted({1, 100, 1000, self._max_rows, self._max_rows + 1}):
                key = f"{PREFIX}{kind}-{count}.csv"
                fixture = self._generated(key)
                if fixture is not None:
                    entries[key] = fixture
        return [{"key": key, "kind": fixture.kind, "rows": fixture.rows,
                 "expect": fixture.expect, "description": fixture.description}
                for key, fixture in entries.items()]

