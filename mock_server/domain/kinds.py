"""What differs between invoices and bills, said once: the two kinds of bulk import.

Everything else (uploading, importing all-or-nothing, paging, reading back, the CSV
templates, the admin world view) is one piece of code that reads a :class:`Kind`. A
third kind of document would be one more entry here plus its file's layout
(:class:`csv_import.RowLayout`), planner and builder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from dayzero_twin.mock_server.domain import csv_import, documents
from dayzero_twin.mock_server.domain.errors import RowError
from dayzero_twin.mock_server.domain.world import Party

Entity = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ImportBatch:
    """What one bulk call adds to the parsed file: whose, when, published, numbered from."""

    business_id: str
    now: str
    publish: bool
    first_number: int
    s3_key: str


@dataclass(frozen=True)
class Kind:
    """One kind of document the bulk API imports (CONTRACT §3.1 invoices, §3.2 bills)."""

    name: str  # the plural, as in paths, cursors, store keys and sample names
    singular: str
    path: str  # the collection: ``{path}/bulk``, ``{path}/{id_param}``, ...
    id_param: str
    publish_flag: str  # the bulk body's flag that skips the draft status
    party_kind: str  # who a document is with: customers or vendors
    party_key: str  # the Party field that names a party in a file, besides its id
    layout: csv_import.RowLayout[Any]  # its file: columns, cells, party columns, rows
    numbered: bool  # published documents get a gap-free number per business
    links_pdf: bool  # responses carry a ``pdf_url`` the mock serves
    parse: Callable[[bytes, int], tuple[list[Any], list[RowError]]]  # the layout's parser
    plan: Callable[[list[Any], documents.PartyIndex], Any]
    build: Callable[[Any, documents.TakeIds, ImportBatch], tuple[list[Entity], list[Party]]]

    @property
    def columns(self) -> tuple[str, ...]:
        """The contract's column order: templates, and the order errors are listed in."""
        return self.layout.columns

    @property
    def party_id_column(self) -> str:
        return self.layout.party_id_column

    @property
    def sample_columns(self) -> tuple[str, ...]:
        """The columns the ready-made sample files use: every one but the party's id."""
        return tuple(column for column in self.columns if column != self.party_id_column)

    @property
    def template_filename(self) -> str:
        return f"{self.name}-template.csv"


def _build_invoices(plan: documents.InvoicePlan, take_ids: documents.TakeIds,
                    batch: ImportBatch) -> tuple[list[Entity], list[Party]]:
    return documents.build_invoices(plan, take_ids, batch.business_id, batch.now,
                                    batch.publish, batch.first_number)


def _build_bills(plan: documents.BillPlan, take_ids: documents.TakeIds,
                 batch: ImportBatch) -> tuple[list[Entity], list[Party]]:
    return documents.build_bills(plan, take_ids, batch.business_id, batch.now, batch.publish,
                                 batch.s3_key)


INVOICES = Kind(
    name="invoices",
    singular="invoice",
    path="/api/v1/invoices",
    id_param="invoice_id",
    publish_flag="finalize",
    party_kind="customers",
    party_key="email",
    layout=csv_import.INVOICE_LAYOUT,
    numbered=True,
    links_pdf=True,
    parse=csv_import.parse_invoices,
    plan=documents.plan_invoices,
    build=_build_invoices,
)

BILLS = Kind(
    name="bills",
    singular="bill",
    path="/api/v1/bills",
    id_param="bill_id",
    publish_flag="approve",
    party_kind="vendors",
    party_key="name",
    layout=csv_import.BILL_LAYOUT,
    numbered=False,
    links_pdf=False,
    parse=csv_import.parse_bills,
    plan=documents.plan_bills,
    build=_build_bills,
)

KINDS = (INVOICES, BILLS)
BY_NAME = MappingProxyType({kind.name: kind for kind in KINDS})


def kind_named(name: str) -> Kind | None:
    """The kind whose plural is ``name`` (``"invoices"``), if there is one."""
    return BY_NAME.get(name)


def kind_tagged(tags: Iterable[str]) -> Kind | None:
    """The kind an operation's OpenAPI tags name, if any (the contract tags by kind)."""
    return next((BY_NAME[tag] for tag in tags if tag in BY_NAME), None)
