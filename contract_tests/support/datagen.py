"""The CSV files the suite imports: Hypothesis strategies over Faker data, and hard cases.

Two constraints shape everything here. The suite must be safe in a real sandbox
business that already holds data (possibly from earlier runs of this very suite), so
every customer email and vendor name carries a per-run marker and a counter: the suite
never resolves to a party it did not create unless a test means to. And a faithful
implementation must never fail, so generated values stay inside what CONTRACT §3 pins
down (for instance rows of one ``invoice_ref`` group repeat their invoice fields
verbatim, since the contract does not say how "agree" treats case or blanks).
"""

from __future__ import annotations

import functools
import itertools
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from faker import Faker
from hypothesis import strategies as st

from dayzero_twin.contract_tests.support.csvfile import CsvFile
from dayzero_twin.contract_tests.support.kinds import BILLS, INVOICES

# Both sets of required columns: one file any bulk operation can import (stateful tests).
DUAL_COLUMNS = (*INVOICES.required, *BILLS.required)

CURRENCY_CELLS = ("USD", "CAD", "AUD", "EUR", "GBP", "usd", "Eur", "gbp", "cad", "")
LOCALES = ("en_US", "de_DE", "fr_FR", "ja_JP", "pl_PL", "es_ES")
HARD_TEXTS = (
    "Widget, large",
    'The "premium" plan',
    "Line one\nLine two",
    "Crème brûlée – 5 × 2",
    "東京タワー見学ツアー",
    "Zażółć gęślą jaźń",
    'a,b,"c",d',
    "Rocket fuel 🚀",
    'Ünïcödé, "quoted", and\nmulti-line',
    "O'Brien & Sons",
)
FIRST_DAY = date(2024, 1, 1)
LAST_DAY = date(2031, 12, 31)


@dataclass
class RunMarks:
    """Makes this run's parties unique, so nothing pre-existing is ever matched by accident."""

    nonce: str = field(default_factory=lambda: "ct" + secrets.token_hex(4))
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def tag(self) -> str:
        return f"{self.nonce}x{next(self.counter)}"

    def email(self, local_hint: str) -> str:
        local = re.sub(r"[^a-z0-9]+", ".", local_hint.lower()).strip(".") or "customer"
        return f"{local[:20]}.{self.tag()}@example.com"

    def vendor_name(self, base: str) -> str:
        return f"{base} {self.tag()}"


@functools.cache
def _faker() -> Faker:
    return Faker(list(LOCALES))


def faker_for(seed: int) -> Faker:
    """The (one, costly to build) multi-locale Faker, reseeded: same seed, same data."""
    fake = _faker()
    fake.seed_instance(seed)
    return fake


def money_cell(value_cents: int, style: int) -> str:
    """``value_cents`` as a contract decimal: ``1250``, ``1250.5`` or ``1250.50`` when exact."""
    major, minor = divmod(value_cents, 100)
    if style == 0 and minor == 0:
        return str(major)
    if style == 1 and minor % 10 == 0:
        return f"{major}.{minor // 10}"
    return f"{major}.{minor:02d}"


def quantity_cell(quantity: Decimal | None) -> str:
    return "" if quantity is None else format(quantity.normalize(), "f")


# -- strategies -------------------------------------------------------------------------

dates = st.dates(min_value=FIRST_DAY, max_value=LAST_DAY).map(date.isoformat)
quantities = st.one_of(
    st.none(),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2),
    st.sampled_from([Decimal("0.5"), Decimal("1.5"), Decimal("2.5"), Decimal("0.25"), Decimal(3)]),
)
unit_prices = st.one_of(
    st.integers(min_value=0, max_value=5_000_000),
    st.sampled_from([1, 5, 25, 99, 333, 125050]),
)
money_styles = st.integers(min_value=0, max_value=2)


def texts(fake: Faker) -> st.SearchStrategy[str]:
    """Descriptions: Faker sentences in several scripts, or the hard cases of §3 quoting."""
    return st.one_of(
        st.sampled_from(HARD_TEXTS),
        st.integers(0, 10_000).map(lambda n: fake.sentence(nb_words=4) + f" #{n}"),
    )


@st.composite
def invoice_files(draw: st.DrawFn, marks: RunMarks, max_rows: int) -> CsvFile:
    """A valid invoices file: 1..``max_rows`` line items in standalone or grouped invoices."""
    fake = faker_for(draw(st.integers(0, 2**31)))
    customers = []
    for _ in range(draw(st.integers(1, 3))):
        name = fake.name()
        email = marks.email(fake.user_name())
        customers.append((draw(st.sampled_from([name, name, ""])), email))
    groups: list[dict[str, str]] = []
    rows: list[dict[str, str]] = []
    for _ in range(draw(st.integers(1, max_rows))):
        join = bool(groups) and draw(st.booleans())
        if join:
            invoice = draw(st.sampled_from(groups))
        else:
            name, email = draw(st.sampled_from(customers))
            invoice = {
                "customer_email": draw(st.sampled_from([email, email, email.upper()])),
                "customer_name": name,
                "due_date": draw(dates),
                "currency": draw(st.sampled_from(CURRENCY_CELLS)),
                "description": draw(st.one_of(st.just(""), texts(fake))),
                "invoice_ref": draw(st.sampled_from(["", f"REF-{marks.tag()}"])),
            }
            if invoice["invoice_ref"]:
                groups.append(invoice)
        price = draw(unit_prices)
        rows.append(
            {
                **invoice,
                "item_description": draw(texts(fake)),
                "quantity": quantity_cell(draw(quantities)),
                "unit_price": money_cell(price, draw(money_styles)),
            }
        )
    return _layout(draw, CsvFile(columns=INVOICES.columns, rows=tuple(rows)))


@st.composite
def bill_files(draw: st.DrawFn, marks: RunMarks, max_rows: int) -> CsvFile:
    """A valid bills file: 1..``max_rows`` bills from one to three vendors."""
    fake = faker_for(draw(st.integers(0, 2**31)))
    vendors = []
    for _ in range(draw(st.integers(1, 3))):
        name = marks.vendor_name(fake.company())
        email = draw(st.sampled_from(["", marks.email(fake.user_name())]))
        vendors.append((name, email))
    rows = []
    for _ in range(draw(st.integers(1, max_rows))):
        name, email = draw(st.sampled_from(vendors))
        if name.isascii():
            name = draw(st.sampled_from([name, name, name.upper(), name.lower()]))
        amount = draw(st.integers(min_value=1, max_value=10_000_000))
        rows.append(
            {
                "vendor_name": name,
                "vendor_email": email,
                "amount": money_cell(amount, draw(money_styles)),
                "currency": draw(st.sampled_from(CURRENCY_CELLS)),
                "bill_number": draw(st.sampled_from(["", f"V-{draw(st.integers(1, 99999))}"])),
                "description": draw(st.one_of(st.just(""), texts(fake))),
                "due_on": draw(st.one_of(st.just(""), dates)),
                "received_on": draw(st.one_of(st.just(""), dates)),
                "type": draw(st.sampled_from(["", "one_time", "recurring"])),
            }
        )
    return _layout(draw, CsvFile(columns=BILLS.columns, rows=tuple(rows)))


def _layout(draw: st.DrawFn, file: CsvFile) -> CsvFile:
    """Byte-level variations CONTRACT §3 says must not matter."""
    header = tuple(
        draw(st.sampled_from([name, name.upper(), f" {name.title()} "])) for name in file.columns
    )
    blank = draw(st.frozensets(st.integers(0, len(file.rows) - 1), max_size=2))
    return file.with_layout(
        header=header,
        bom=draw(st.booleans()),
        crlf=draw(st.booleans()),
        quote_all=draw(st.booleans()),
        blank_lines_before=blank,
        trailing_newline=draw(st.booleans()),
    )


# -- fixed hard cases -------------------------------------------------------------------


def hard_invoice_file(marks: RunMarks) -> CsvFile:
    """Every §3 hard case at once: BOM, CRLF, quoting, line breaks, non-ASCII, every
    currency, decimal quantities where half-up and half-even differ, a non-contiguous
    ``invoice_ref`` group, header spelling, an unknown column, blank lines, padded cells."""
    ada = marks.email("ada")
    jose = marks.email("jose")
    group = f"REF-{marks.tag()}"
    base = {"invoice_ref": "", "customer_name": "", "description": "", "quantity": ""}
    rows = [
        {
            **base,
            "invoice_ref": group,
            "customer_email": ada,
            "customer_name": "Ada Lovelace-Byron",
            "due_date": "2026-11-22",
            "currency": "eur",
            "description": 'Consulting, "phase 1"\nNovember',
            "item_description": "Design, review",
            "quantity": "2.5",
            "unit_price": "0.01",
            "notes": "ignored column",
        },
        {
            **base,
            "customer_email": jose,
            "customer_name": "José Ñúñez 東京",
            "due_date": "2027-01-31",
            "currency": "",
            "item_description": 'Widget "XL"',
            "quantity": "0.5",
            "unit_price": "0.05",
        },
        {
            **base,
            "invoice_ref": group,
            "customer_email": ada,
            "customer_name": "Ada Lovelace-Byron",
            "due_date": "2026-11-22",
            "currency": "eur",
            "description": 'Consulting, "phase 1"\nNovember',
            "item_description": "Line one\nLine two",
            "quantity": "3",
            "unit_price": "1250.5",
        },
        {
            **base,
            "customer_email": "  " + ada.upper() + "  ",
            "due_date": "2026-12-01",
            "currency": " CAD ",
            "item_description": "  Padded cell  ",
            "quantity": "1.25",
            "unit_price": "19.99",
        },
        {
            **base,
            "customer_email": jose,
            "customer_name": "José Ñúñez 東京",
            "due_date": "2026-06-30",
            "currency": "AUD",
            "item_description": "Zażółć gęślą jaźń",
            "quantity": "0.33",
            "unit_price": "1.5",
        },
        {
            **base,
            "customer_email": marks.email("gbp"),
            "due_date": "2028-02-29",
            "currency": "GBP",
            "item_description": "🚀 launch",
            "unit_price": "0",
        },
        {
            **base,
            "customer_email": marks.email("usd"),
            "due_date": "2029-12-31",
            "currency": "USD",
            "item_description": "Plain",
            "quantity": "1.5",
            "unit_price": "0.03",
        },
    ]
    columns = (*INVOICES.columns, "notes")
    header = tuple(name.upper() if i % 2 else f" {name.title()} " for i, name in enumerate(columns))
    return CsvFile(
        columns=columns,
        rows=tuple(rows),
        header=header,
        bom=True,
        crlf=True,
        blank_lines_before=frozenset({1, 4}),
    )


def hard_bill_file(marks: RunMarks) -> CsvFile:
    """Every bill-side hard case: BOM, CRLF, quoting, non-ASCII, every currency, vendor
    matched case-insensitively within the file, blank optional cells, both types."""
    acme = marks.vendor_name("Acme Paper, Inc.")
    base = {column: "" for column in BILLS.columns}
    rows = [
        {
            **base,
            "vendor_name": acme,
            "vendor_email": marks.email("acme"),
            "amount": "1250.50",
            "currency": "eur",
            "bill_number": "A-1",
            "description": 'Paper, "recycled"\nA4',
            "due_on": "2026-11-22",
            "received_on": "2026-11-01",
            "type": "recurring",
        },
        {**base, "vendor_name": acme.upper(), "amount": "0.01", "currency": "GBP"},
        {
            **base,
            "vendor_name": marks.vendor_name("Müller & Söhne GmbH"),
            "amount": "99",
            "currency": "AUD",
            "description": "Zażółć gęślą jaźń",
            "due_on": "2028-02-29",
            "type": "one_time",
        },
        {
            **base,
            "vendor_name": marks.vendor_name("東京電力"),
            "amount": "7.5",
            "currency": " CAD ",
            "bill_number": "  B-7  ",
            "received_on": "2027-03-15",
        },
        {
            **base,
            "vendor_name": marks.vendor_name("Plain Vendor"),
            "amount": "100.1",
            "currency": "USD",
            "description": "🚀",
        },
    ]
    return CsvFile(
        columns=BILLS.columns,
        rows=tuple(rows),
        header=tuple(name.upper() for name in BILLS.columns),
        bom=True,
        crlf=True,
        blank_lines_before=frozenset({2}),
    )


def simple_invoice_file(marks: RunMarks, count: int, tag: str = "") -> CsvFile:
    """``count`` one-line invoices, each to its own new customer."""
    rows = tuple(
        {
            "customer_email": marks.email(f"simple{index}"),
            "due_date": (FIRST_DAY + timedelta(days=index)).isoformat(),
            "description": f"{tag} invoice {index}".strip(),
            "item_description": f"Item {index}",
            "quantity": str(index + 1),
            "unit_price": f"{index + 1}.25",
        }
        for index in range(count)
    )
    return CsvFile(columns=INVOICES.columns, rows=rows)


def simple_bill_file(marks: RunMarks, count: int, tag: str = "") -> CsvFile:
    """``count`` bills, each from its own new vendor."""
    rows = tuple(
        {
            "vendor_name": marks.vendor_name(f"Vendor {index}"),
            "amount": f"{index + 10}.75",
            "description": f"{tag} bill {index}".strip(),
            "due_on": (FIRST_DAY + timedelta(days=index)).isoformat(),
        }
        for index in range(count)
    )
    return CsvFile(columns=BILLS.columns, rows=rows)


SIMPLE_FILES: dict[str, Callable[[RunMarks, int, str], CsvFile]] = {
    INVOICES.name: simple_invoice_file,
    BILLS.name: simple_bill_file,
}
HARD_FILES: dict[str, Callable[[RunMarks], CsvFile]] = {
    INVOICES.name: hard_invoice_file,
    BILLS.name: hard_bill_file,
}


def simple_file(kind: str, marks: RunMarks, count: int, tag: str = "") -> CsvFile:
    """``count`` simple entities of ``kind``, each with a party of its own."""
    return SIMPLE_FILES[kind](marks, count, tag)


def hard_file(kind: str, marks: RunMarks) -> CsvFile:
    """Every hard case of ``kind``'s files at once."""
    return HARD_FILES[kind](marks)


def dual_file(marks: RunMarks, count: int = 2) -> CsvFile:
    """A file both bulk operations can import: the union of their required columns."""
    rows = tuple(
        {
            "customer_email": marks.email(f"dual{index}"),
            "due_date": "2026-11-22",
            "item_description": f"Dual item {index}",
            "unit_price": "12.34",
            "vendor_name": marks.vendor_name(f"Dual vendor {index}"),
            "amount": "56.78",
        }
        for index in range(count)
    )
    return CsvFile(columns=DUAL_COLUMNS, rows=rows)
