"""What differs between invoices and bills, as the suite reads the contract: one description.

Assertions, the oracle, data generation, flows and checks take these facts from here
instead of each keeping its own pair of functions or ``if kind == "invoices"``. It is
the suite's own reading of CONTRACT §3 and the slices, written without looking at the
mock's (the suite never imports ``mock_server``), so that a shared mistake is unlikely.
Only data lives here; what genuinely differs in logic (grouping rows into invoices, one
bill per row) stays in the modules that compute it, keyed by :attr:`Kind.name`.
"""

from __future__ import annotations

from dataclasses import dataclass

# Read back exactly as the bulk 201 said, for both kinds (CONTRACT §5).
COMMON_FIELDS = ("id", "business_id", "status", "currency", "description", "total_paid")


@dataclass(frozen=True)
class Kind:
    """One of the two things a file can be imported as."""

    name: str  # the path segment: /api/v1/{name}/bulk, /api/v1/{name}/{id}
    entity: str  # one of them, in messages; its path parameter is {entity}_id
    section: str  # where CONTRACT.md says how a file becomes these
    flag: str  # the bulk body's boolean
    flagged_status: str  # the status the flag set to true gives (else "draft")
    party: str  # who the other side is; the entity carries {party}_id, _name, _email
    party_key: str  # the column a party is found by (case-insensitively)
    columns: tuple[str, ...]  # every column of the contract's file, in template order
    required: tuple[str, ...]  # the columns a file cannot do without
    amount: str  # the column of money in decimal text (CONTRACT §3: cents, half-up)
    list_schema: str  # the slices' schema of the bulk 201 body
    fields: tuple[str, ...]  # what must read back equal (CONTRACT §5)
    moments: tuple[str, ...]  # date-times that must read back the same instant

    def __str__(self) -> str:
        return self.name

    @property
    def id_parameter(self) -> str:
        return f"{self.entity}_id"

    @property
    def party_id(self) -> str:
        return f"{self.party}_id"

    def status(self, flag: bool) -> str:
        """The status a bulk call gives its entities (CONTRACT §3.1, §3.2)."""
        return self.flagged_status if flag else "draft"


INVOICES = Kind(
    name="invoices",
    entity="invoice",
    section="§3.1",
    flag="finalize",
    flagged_status="open",
    party="customer",
    party_key="customer_email",
    columns=(
        "invoice_ref",
        "customer_email",
        "customer_name",
        "due_date",
        "currency",
        "description",
        "item_description",
        "quantity",
        "unit_price",
    ),
    required=("customer_email", "due_date", "item_description", "unit_price"),
    amount="unit_price",
    list_schema="InvoiceListResponse",
    fields=(
        *COMMON_FIELDS,
        "customer_id",
        "customer_name",
        "customer_email",
        "due_date",
        "number",
        "total",
        "balance_due",
    ),
    moments=("created_at",),
)
BILLS = Kind(
    name="bills",
    entity="bill",
    section="§3.2",
    flag="approve",
    flagged_status="forecasted",
    party="vendor",
    party_key="vendor_name",
    columns=(
        "vendor_name",
        "vendor_email",
        "amount",
        "currency",
        "bill_number",
        "description",
        "due_on",
        "received_on",
        "type",
    ),
    required=("vendor_name", "amount"),
    amount="amount",
    list_schema="BillsListResponse",
    fields=(
        *COMMON_FIELDS,
        "vendor_id",
        "vendor_name",
        "vendor_email",
        "type",
        "bill_number",
        "amount",
        "expected_amount",
    ),
    moments=("created_at", "due_on", "received_on"),
)
KINDS = (INVOICES, BILLS)
# What checks parametrize over: test ids stay "invoices" and "bills".
KIND_NAMES = tuple(kind.name for kind in KINDS)
_BY_NAME = {kind.name: kind for kind in KINDS}


def kind_named(name: str) -> Kind:
    return _BY_NAME[name]


def kind_of_operation(operation_id: str) -> Kind | None:
    """The kind an operation of the slices works on, by its id (``get_bill_api_v1_bills_…``)."""
    return next((kind for kind in KINDS if f"_api_v1_{kind.name}" in operation_id), None)
