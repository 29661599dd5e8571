"""What CONTRACT §3 says a valid file must turn into, computed from the file alone.

The oracle is deliberately independent of any implementation: it reads the cells the
suite wrote and applies the contract's words (grouping by ``invoice_ref`` in order of
first appearance, amounts in cents, round-half-up, defaults for blank cells, how a
customer or vendor is resolved). Tests compare the 201 body against it field by field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from dayzero_twin.contract_tests.support.csvfile import CsvFile
from dayzero_twin.contract_tests.support.kinds import BILLS, INVOICES, Kind

DEFAULT_CURRENCY = "USD"
# A party as the file itself names it: (name, email).
Named = tuple[str, str | None]
CURRENCIES = ("USD", "CAD", "AUD", "EUR", "GBP")


@dataclass(frozen=True)
class Party:
    """A customer or vendor the business already has, as the suite knows it."""

    id: str
    name: str
    email: str | None


def cents(text: str) -> int:
    """A contract decimal amount (major units, at most two decimals) in cents, exactly."""
    value = Decimal(text.strip()) * 100
    if value != value.to_integral_value():
        raise ValueError(f"{text!r} has more than two decimals")
    return int(value)


def line_amount(quantity: Decimal, unit_price_cents: int) -> int:
    """round-half-up(quantity × unit_price) in cents (CONTRACT §3.1)."""
    return int((quantity * unit_price_cents).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _cell(row: Mapping[str, str], column: str) -> str:
    return (row.get(column) or "").strip()


def _optional(text: str) -> str | None:
    return text or None


def _currency(text: str) -> str:
    return text.upper() if text else DEFAULT_CURRENCY


@dataclass
class ExpectedLine:
    description: str
    quantity: Decimal
    unit_price: int
    amount: int
    row: int


@dataclass
class ExpectedInvoice:
    """One invoice of the 201 body, with the data rows it came from."""

    party_key: str  # rows with the same key must resolve to the same customer_id
    customer_name: str | None
    customer_email: str | None
    currency: str
    due_date: str
    description: str | None
    lines: list[ExpectedLine] = field(default_factory=list)
    existing_party_id: str | None = None

    @property
    def source(self) -> str:
        return f"data rows {[line.row for line in self.lines]}"

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)


def expected_invoices(
    file: CsvFile, existing: Mapping[str, Party] | None = None
) -> list[ExpectedInvoice]:
    """The invoices of ``file``, in order of first appearance, lines in file order.

    ``existing`` maps lower-case emails and customer ids to customers the business had
    before this file; they keep their own name and email (CONTRACT §3.1).
    """
    existing = existing or {}
    created: dict[str, Named] = {}  # email (lower) -> (name, email) named by this file
    invoices: list[ExpectedInvoice] = []
    by_ref: dict[str, ExpectedInvoice] = {}
    for index, row in enumerate(file.rows):
        number = file.data_row_number(index)
        line = ExpectedLine(
            description=_cell(row, "item_description"),
            quantity=Decimal(_cell(row, "quantity") or "1"),
            unit_price=cents(_cell(row, "unit_price")),
            amount=0,
            row=number,
        )
        line.amount = line_amount(line.quantity, line.unit_price)
        ref = _cell(row, "invoice_ref")
        if ref and ref in by_ref:
            by_ref[ref].lines.append(line)
            continue
        invoice = _new_invoice(row, existing, created)
        invoice.lines.append(line)
        invoices.append(invoice)
        if ref:
            by_ref[ref] = invoice
    return invoices


def _new_invoice(
    row: Mapping[str, str], existing: Mapping[str, Party], created: dict[str, Named]
) -> ExpectedInvoice:
    party = _resolve_party(INVOICES, row, existing, created, _new_customer)
    return ExpectedInvoice(
        party_key=party.key,
        customer_name=party.name,
        customer_email=party.email,
        currency=_currency(_cell(row, "currency")),
        due_date=_cell(row, "due_date"),
        description=_optional(_cell(row, "description")),
        existing_party_id=party.known_id,
    )


def _new_customer(row: Mapping[str, str]) -> Named:
    """CONTRACT §3.1: a new customer's name defaults to its email's local part."""
    email = _cell(row, "customer_email")
    return _cell(row, "customer_name") or email.split("@")[0], email


def _new_vendor(row: Mapping[str, str]) -> Named:
    return _cell(row, "vendor_name"), _optional(_cell(row, "vendor_email"))


@dataclass(frozen=True)
class ResolvedParty:
    key: str  # rows with the same key must resolve to the same party id
    name: str | None
    email: str | None
    known_id: str | None  # the existing party's id; None for one the file creates


def _resolve_party(
    kind: Kind,
    row: Mapping[str, str],
    existing: Mapping[str, Party],
    created: dict[str, Named],
    new: Callable[[Mapping[str, str]], Named],
) -> ResolvedParty:
    """CONTRACT §3: a ``<party>_id`` cell names an existing party; else the party is found
    by its key cell, case-insensitively; else the file creates it, named by the first row
    that mentions it."""
    party_id = _cell(row, kind.party_id).lower()
    found = _cell(row, kind.party_key).lower()
    known = existing[party_id] if party_id else existing.get(found)
    if known is not None:
        return ResolvedParty(known.id, known.name, known.email, known.id)
    if found not in created:
        created[found] = new(row)
    name, email = created[found]
    return ResolvedParty(f"{kind.party_key}:{found}", name, email, None)


@dataclass
class ExpectedBill:
    """One bill of the 201 body, from data row ``row``."""

    row: int
    party_key: str
    vendor_name: str | None
    vendor_email: str | None
    amount: int
    currency: str
    bill_number: str | None
    description: str | None
    due_on: str | None
    received_on: str | None
    type: str
    existing_party_id: str | None = None

    @property
    def source(self) -> str:
        return f"data row {self.row}"


def expected_bills(
    file: CsvFile, existing: Mapping[str, Party] | None = None
) -> list[ExpectedBill]:
    """The bills of ``file``, one per row in file order (CONTRACT §3.2).

    ``existing`` maps lower-case vendor names and vendor ids to vendors the business had
    before this file; they keep their own name and email.
    """
    existing = existing or {}
    created: dict[str, Named] = {}
    bills = []
    for index, row in enumerate(file.rows):
        party = _resolve_party(BILLS, row, existing, created, _new_vendor)
        bills.append(
            ExpectedBill(
                row=file.data_row_number(index),
                party_key=party.key,
                vendor_name=party.name,
                vendor_email=party.email,
                amount=cents(_cell(row, "amount")),
                currency=_currency(_cell(row, "currency")),
                bill_number=_optional(_cell(row, "bill_number")),
                description=_optional(_cell(row, "description")),
                due_on=_optional(_cell(row, "due_on")),
                received_on=_optional(_cell(row, "received_on")),
                type=_cell(row, "type") or "one_time",
                existing_party_id=party.known_id,
            )
        )
    return bills


ExpectedEntity = ExpectedInvoice | ExpectedBill


EXPECTED: dict[str, Callable[[CsvFile, Mapping[str, Party] | None], Sequence[ExpectedEntity]]] = {
    INVOICES.name: expected_invoices,
    BILLS.name: expected_bills,
}


def expected(
    kind: Kind, file: CsvFile, existing: Mapping[str, Party] | None = None
) -> Sequence[ExpectedEntity]:
    """What importing ``file`` as ``kind`` must create, in the 201 body's order."""
    return EXPECTED[kind.name](file, existing)
