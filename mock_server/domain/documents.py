"""Parsed CSV rows + the business's customers/vendors → invoices and bills, purely.

Split in two steps for the sake of all-or-nothing imports and reproducible ids:
``plan_*`` resolves customers/vendors, groups invoice lines and finds the remaining bad
cells (unknown ids, disagreeing ``invoice_ref`` groups, totals too large) without
drawing a single id; only when nothing is wrong does the service call ``build_*``,
which draws ids and shapes the response dicts (CONTRACT §3.1, §3.2). A failed import
therefore leaves no trace, not even a skipped id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from dayzero_twin.mock_server.domain.csv_import import BillRow, InvoiceRow, show
from dayzero_twin.mock_server.domain.errors import RowError
from dayzero_twin.mock_server.domain.money import (
    MAX_SAFE_INTEGER,
    hundredths_to_number,
    line_amount,
)
from dayzero_twin.mock_server.domain.world import Party

TakeIds = Callable[[int], list[str]]


class PartyIndex:
    """Customers (by email) or vendors (by name) of one business, looked up any case."""

    def __init__(self, parties: Iterable[Party], by: str) -> None:
        self._by = by
        self.by_id: dict[str, Party] = {}
        self.by_key: dict[str, Party] = {}
        for party in parties:
            self.add(party)

    def key_of(self, party: Party) -> str:
        return (getattr(party, self._by) or "").casefold()

    def add(self, party: Party) -> None:
        self.by_id[party.id] = party
        # The first party with a key keeps it, as lookups inside one file do.
        self.by_key.setdefault(self.key_of(party), party)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.by_id.values())

    def __len__(self) -> int:
        return len(self.by_id)


@dataclass(eq=False, slots=True)
class NewParty:
    """A customer or vendor this file creates; compared by identity, named by first row."""

    name: str
    email: str | None


@dataclass(slots=True)
class PlannedInvoice:
    first_row: int
    customer: Party | NewParty | None
    due_date: str | None
    currency: str | None
    description: str
    lines: list[InvoiceRow] = field(default_factory=list)
    total: int = 0  # of the lines that parsed, to bound amounts without re-summing
    # The row that fixed each compared field, for the disagreement message.
    sources: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class InvoicePlan:
    invoices: list[PlannedInvoice]
    new_customers: list[NewParty]
    errors: list[RowError]

    @property
    def ids_needed(self) -> int:
        return (len(self.new_customers) + len(self.invoices)
                + sum(len(invoice.lines) for invoice in self.invoices))


@dataclass(slots=True)
class BillPlan:
    bills: list[tuple[BillRow, Party | NewParty]]
    new_vendors: list[NewParty]
    errors: list[RowError]

    @property
    def ids_needed(self) -> int:
        return len(self.new_vendors) + len(self.bills)


def _describe_customer(customer: Party | NewParty) -> str:
    return show(customer.email or customer.name)


def _resolve(row_id: str | None, key: str, name: str, email: str | None, index: PartyIndex,
             created: dict[str, NewParty], new: list[NewParty]) -> Party | NewParty | None:
    """The id wins; else the key among existing parties, then those this file created,
    else a new party named by this (its first) row."""
    if row_id:
        return index.by_id.get(row_id)
    if not key:
        return None
    folded = key.casefold()
    found = index.by_key.get(folded) or created.get(folded)
    if found is None:
        found = created[folded] = NewParty(name, email)
        new.append(found)
    return found


def plan_invoices(rows: list[InvoiceRow], customers: PartyIndex) -> InvoicePlan:
    """Group lines into invoices, resolve customers, find the cross-row bad cells."""
    errors: list[RowError] = []
    invoices: list[PlannedInvoice] = []
    groups: dict[str, PlannedInvoice] = {}
    created: dict[str, NewParty] = {}
    new: list[NewParty] = []
    for row in rows:
        customer_column = "customer_id" if row.customer_id else "customer_email"
        customer: Party | NewParty | None = None
        if row.customer_id is not None:
            email = row.customer_email
            name = row.customer_name or email.split("@", 1)[0]
            customer = _resolve(row.customer_id, email, name, email, customers, created, new)
            if customer is None and row.customer_id:
                errors.append(RowError(row.row, "customer_id",
                                       f"customer_id {show(row.customer_id)} is not a customer "
                                       "of this business"))
        plan = groups.get(row.invoice_ref) if row.invoice_ref else None
        if plan is None:
            plan = PlannedInvoice(row.row, customer, row.due_date, row.currency, row.description,
                                  sources=dict.fromkeys(("customer", "due_date", "currency"),
                                                        row.row))
            invoices.append(plan)
            if row.invoice_ref:
                groups[row.invoice_ref] = plan
        else:
            _agree(plan, row, customer, customer_column, errors)
        _check_amount(plan, row, errors)
        plan.lines.append(row)
    return InvoicePlan(invoices, new, errors)


def _agree(plan: PlannedInvoice, row: InvoiceRow, customer: Party | NewParty | None,
           customer_column: str, errors: list[RowError]) -> None:
    """A later row of an ``invoice_ref`` group against the first valid value of each field.

    Cells that did not parse are already reported; they neither disagree nor set the
    reference value, so one typo is reported once, not once per line of its group.
    """
    ref = show(row.invoice_ref)

    def disagree(column: str, what: str, first: str, this: str) -> None:
        errors.append(RowError(row.row, column,
                               f"rows sharing invoice_ref {ref} must agree on {what}: row "
                               f"{plan.sources.get(what, plan.first_row)} has {first}, this "
                               f"row has {this}"))

    if customer is not None:
        if plan.customer is None:
            plan.customer, plan.sources["customer"] = customer, row.row
        elif customer is not plan.customer and customer != plan.customer:
            disagree(customer_column, "customer", _describe_customer(plan.customer),
                     _describe_customer(customer))
    for name in ("due_date", "currency"):
        value = getattr(row, name)
        current = getattr(plan, name)
        if value is None:
            continue
        if current is None:
            setattr(plan, name, value)
            plan.sources[name] = row.row
        elif value != current:
            disagree(name, name, show(current), show(value))
    if row.description != plan.description:
        disagree("description", "description", show(plan.description), show(row.description))


def _check_amount(plan: PlannedInvoice, row: InvoiceRow, errors: list[RowError]) -> None:
    """Keep every amount a JSON-safe integer, so no client reads a rounded total."""
    if row.quantity is None or row.unit_price is None:
        return
    plan.total += line_amount(row.quantity, row.unit_price)
    if plan.total > MAX_SAFE_INTEGER:
        errors.append(RowError(row.row, "unit_price",
                               "quantity × unit_price makes the invoice total larger than "
                               "90071992547409.91"))


def plan_bills(rows: list[BillRow], vendors: PartyIndex) -> BillPlan:
    """Resolve vendors (id wins, else name any case, else created); unknown ids are errors."""
    errors: list[RowError] = []
    bills: list[tuple[BillRow, Party | NewParty]] = []
    created: dict[str, NewParty] = {}
    new: list[NewParty] = []
    for row in rows:
        if row.vendor_id is None:
            continue
        vendor = _resolve(row.vendor_id, row.vendor_name, row.vendor_name,
                          row.vendor_email or None, vendors, created, new)
        if vendor is None:
            if row.vendor_id:
                errors.append(RowError(row.row, "vendor_id",
                                       f"vendor_id {show(row.vendor_id)} is not a vendor of "
                                       "this business"))
            continue
        bills.append((row, vendor))
    return BillPlan(bills, new, errors)


def _materialize(new: list[NewParty], ids: Iterable[str]) -> dict[int, Party]:
    """Give each new party its id; keyed by ``id()`` because NewParty compares by identity."""
    return {id(party): Party(party_id, party.name, party.email)
            for party, party_id in zip(new, ids, strict=True)}


def build_invoices(plan: InvoicePlan, take_ids: TakeIds, business_id: str, now: str,
                   finalize: bool, first_number: int) -> tuple[list[dict[str, Any]], list[Party]]:
    """Invoice dicts in file order (``pdf_url`` left ``None`` for the service to fill in)
    and the customers they create. ``first_number`` numbers finalized invoices gap-free."""
    ids = iter(take_ids(plan.ids_needed))
    parties = _materialize(plan.new_customers, [next(ids) for _ in plan.new_customers])
    status = "open" if finalize else "draft"
    invoices: list[dict[str, Any]] = []
    for offset, planned in enumerate(plan.invoices):
        customer = planned.customer
        if isinstance(customer, NewParty):
            customer = parties[id(customer)]
        assert customer is not None  # a plan with errors is never built
        invoice_id = next(ids)
        lines = []
        total = 0
        for row in planned.lines:
            quantity, unit_price = row.quantity or 0, row.unit_price or 0
            amount = line_amount(quantity, unit_price)
            total += amount
            lines.append({
                "id": next(ids),
                "description": row.item_description,
                "quantity": hundredths_to_number(quantity),
                "unit_price": unit_price,
                "amount": amount,
            })
        invoices.append({
            "id": invoice_id,
            "business_id": business_id,
            "created_at": now,
            "updated_at": now,
            "status": status,
            "currency": planned.currency,
            "stripe_invoice_id": None,
            "total": total,
            "total_paid": 0,
            "balance_due": total,
            "description": planned.description or None,
            "customer_id": customer.id,
            "customer_name": customer.name,
            "customer_email": customer.email,
            "due_date": planned.due_date,
            "line_items": lines,
            "pdf_url": None,
            "number": format_number(first_number + offset) if finalize else None,
            "delivered": False,
            "delivered_on": None,
            "hosted_invoice_url": None,
            "paid_on": None,
            "journal_entries": [],
            "payments": [],
            "recurring_template_id": None,
        })
    return invoices, list(parties.values())


def build_bills(plan: BillPlan, take_ids: TakeIds, business_id: str, now: str, approve: bool,
                s3_key: str) -> tuple[list[dict[str, Any]], list[Party]]:
    """Bill dicts in file order and the vendors they create."""
    ids = iter(take_ids(plan.ids_needed))
    parties = _materialize(plan.new_vendors, [next(ids) for _ in plan.new_vendors])
    status = "forecasted" if approve else "draft"
    bills: list[dict[str, Any]] = []
    for row, found in plan.bills:
        vendor = parties[id(found)] if isinstance(found, NewParty) else found
        due_on = _midnight(row.due_on)
        bills.append({
            "id": next(ids),
            "business_id": business_id,
            "currency": row.currency,
            "status": status,
            "description": row.description or None,
            "bill_number": row.bill_number or None,
            "vendor_id": vendor.id,
            "vendor_name": vendor.name,
            "vendor_email": vendor.email,
            "type": row.type,
            "expected_amount": row.amount,
            "expected_paid_on_date": due_on,
            "total_paid": 0,
            "amount": row.amount,
            "s3_key": s3_key,
            "received_on": _midnight(row.received_on),
            "due_on": due_on,
            "paid_on": None,
            "created_at": now,
            "updated_at": now,
            "signed_url": None,
            "payments": [],
            "journal_entries": [],
            "recurring_template_id": None,
            "source_inventory_order_id": None,
        })
    return bills, list(parties.values())


def format_number(sequence: int) -> str:
    """``INV-000001``: sequential per business; wider once past a million."""
    return f"INV-{sequence:06d}"


def _midnight(day: str | None) -> str | None:
    return f"{day}T00:00:00Z" if day else None
