"""Checks on response bodies, each failing with the CONTRACT rule it enforces.

Only what the contract fixes is checked: optional fields may be absent or null, extra
fields are ignored, error messages are never read, and lists are compared as sets where
the contract promises no order.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Callable, Iterable, Mapping, MutableMapping, MutableSet, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol, TypeGuard, runtime_checkable

import httpx

from dayzero_twin.contract_tests.support.client import body_of
from dayzero_twin.contract_tests.support.kinds import BILLS, INVOICES, Kind
from dayzero_twin.contract_tests.support.oracle import ExpectedBill, ExpectedEntity, ExpectedInvoice
from dayzero_twin.contract_tests.support.rules import excerpt, fail, require

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
CLOCK_SKEW = timedelta(minutes=5)
DATE_RESOLUTION = timedelta(seconds=1)  # a Date header drops the fraction of a second


def is_uuid(value: Any) -> TypeGuard[str]:
    """A canonical lower-case UUID string (CONTRACT §1)."""
    return isinstance(value, str) and bool(UUID_RE.match(value))


def parse_timestamp(value: Any) -> datetime | None:
    """An RFC 3339 date-time with an offset, or ``None`` when ``value`` is not one."""
    if not isinstance(value, str) or "T" not in value.upper():
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def json_body(response: httpx.Response, rule: str) -> Any:
    body = body_of(response)
    require(body is not None, rule, "the response body is not JSON", response)
    return body


# -- statuses and error bodies ----------------------------------------------------------


def expect_status(response: httpx.Response, status: int, rule: str, what: str) -> Any:
    """Require ``status``; return the JSON body (or ``None``)."""
    __tracebackhide__ = True
    require(
        response.status_code == status,
        rule,
        f"{what}: expected {status}, got {response.status_code}",
        response,
    )
    return body_of(response)


def expect_error_body(response: httpx.Response, rule: str) -> dict[str, Any]:
    """The ``{"detail": "<message>"}`` body of 400/401/403/404/413 (ErrorResponse)."""
    body = body_of(response)
    if not (isinstance(body, dict) and isinstance(body.get("detail"), str)):
        fail(rule, f'the body is not {{"detail": "<message>"}}: {excerpt(body)}', response)
    return body


def expect_unauthorized(response: httpx.Response, what: str) -> None:
    """401 with an ErrorResponse and ``WWW-Authenticate: Bearer`` (CONTRACT §1, order 1)."""
    __tracebackhide__ = True
    rule = "CONTRACT §1 401: no/non-Bearer/empty/unknown token"
    expect_status(response, 401, rule, what)
    challenge = response.headers.get("www-authenticate", "")
    require(
        challenge.strip().lower().startswith("bearer"),
        "CONTRACT §1 401 carries WWW-Authenticate: Bearer",
        f"{what}: WWW-Authenticate is {challenge!r}",
        response,
    )
    expect_error_body(response, "CONTRACT §1 401 body is {detail: <message>}")


def expect_validation_error(
    response: httpx.Response,
    loc: Sequence[str | int],
    rule: str,
    what: str,
    *,
    prefix: bool = False,
) -> None:
    """422 in the documented HTTPValidationError shape, with an error located at ``loc``.

    Header names compare case-insensitively (HTTP headers are); with ``prefix`` a
    longer ``loc`` that starts with ``loc`` also counts (e.g. ``["body", 0]``).
    """
    __tracebackhide__ = True
    expect_status(response, 422, rule, what)
    body = body_of(response)
    shape = "CONTRACT §1 422 body is HTTPValidationError: detail[] of {loc, msg, type}"
    require(
        isinstance(body, dict) and isinstance(body.get("detail"), list),
        shape,
        f"{what}: body is {excerpt(body)}",
        response,
    )
    for entry in body["detail"]:
        require(
            isinstance(entry, dict)
            and isinstance(entry.get("loc"), list)
            and isinstance(entry.get("msg"), str)
            and isinstance(entry.get("type"), str),
            shape,
            f"{what}: detail entry {excerpt(entry)}",
            response,
        )
    wanted = _normalize_loc(loc)
    locs = [_normalize_loc(entry["loc"]) for entry in body["detail"]]
    found = any(actual[: len(wanted)] == wanted if prefix else actual == wanted for actual in locs)
    require(found, rule, f"{what}: no error at loc {list(loc)}; locs were {locs}", response)


def _normalize_loc(loc: Sequence[Any]) -> list[Any]:
    out = list(loc)
    if len(out) >= 2 and out[0] == "header" and isinstance(out[1], str):
        out[1] = out[1].lower()
    return out


@dataclass(frozen=True)
class Cell:
    row: int
    column: str


def expect_import_failed(
    response: httpx.Response,
    what: str,
    cells: Iterable[Cell] = (),
    *,
    rows: Iterable[int] = (),
    rule: str = "CONTRACT §3.3 an unimportable file is refused with 400",
) -> dict[str, Any]:
    """400 with ``errors`` naming every cell in ``cells`` (CONTRACT §1 order 4, §3.3).

    ``rows``: when errors are listed at all, at least one must be on one of these rows
    (for problems the contract does not pin to one cell, like a disagreeing group).
    ``rule``: the rule a status other than 400 breaks.
    """
    __tracebackhide__ = True
    expect_status(response, 400, rule, what)
    body = expect_error_body(response, "CONTRACT §1 400 body is {detail, errors[]}")
    errors = body.get("errors") or []
    shape = "CONTRACT §1 400 errors[] of {row, column, message}"
    require(isinstance(errors, list), shape, f"{what}: errors is {excerpt(errors)}", response)
    found = set()
    for error in errors:
        require(
            isinstance(error, dict)
            and isinstance(error.get("row"), int)
            and error["row"] >= 1
            and isinstance(error.get("column"), str)
            and isinstance(error.get("message"), str),
            shape,
            f"{what}: error entry {excerpt(error)}",
            response,
        )
        found.add(Cell(error["row"], error["column"].strip().lower()))
    missing = [cell for cell in cells if cell not in found]
    require(
        not missing,
        "CONTRACT §1 400 errors list every bad cell by data row (from 1, blank lines "
        "not counted) and column",
        f"{what}: bad cells not listed: {missing}; listed: {sorted(found, key=str)}",
        response,
    )
    wanted_rows = set(rows)
    if wanted_rows and found:
        require(
            any(cell.row in wanted_rows for cell in found),
            "CONTRACT §1 400 errors point at the offending rows",
            f"{what}: expected an error on rows {sorted(wanted_rows)}; "
            f"listed: {sorted(found, key=str)}",
            response,
        )
    return body


# -- the 201 envelope (CONTRACT §4) and list envelopes (§5) ------------------------------


def expect_bulk_envelope(response: httpx.Response, body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Pagination fields of a bulk 201: everything on one page."""
    __tracebackhide__ = True
    items = body.get("items")
    if not isinstance(items, list):
        fail("schema: ListResponse.items is required", "no items list", response)
    count = len(items)
    require(
        body.get("total") == count,
        "CONTRACT §4 total = number of items",
        f"total is {body.get('total')!r}, items hold {count}",
        response,
    )
    limit = body.get("limit")
    require(
        limit is None or (isinstance(limit, int) and limit >= count),
        "CONTRACT §4 limit is null or >= the number of items",
        f"limit is {limit!r} for {count} items",
        response,
    )
    for flag in ("has_next", "has_prev"):
        require(
            body.get(flag) is False,
            f"CONTRACT §4 {flag} is false",
            f"{flag} is {body.get(flag)!r}",
            response,
        )
    for cursor in ("next_cursor", "prev_cursor"):
        require(
            body.get(cursor) is None,
            f"CONTRACT §4 {cursor} is null",
            f"{cursor} is {body.get(cursor)!r}",
            response,
        )
    return items


def expect_list_page(
    response: httpx.Response, body: Mapping[str, Any], requested_limit: int
) -> list[dict[str, Any]]:
    """One page of a read-back list (CONTRACT §5)."""
    __tracebackhide__ = True
    items = body.get("items")
    if not isinstance(items, list):
        fail("schema: ListResponse.items is required", "no items list", response)
    require(
        len(items) <= requested_limit,
        "CONTRACT §5 a page holds at most `limit` items",
        f"{len(items)} items for limit={requested_limit}",
        response,
    )
    has_next, cursor = body.get("has_next"), body.get("next_cursor")
    require(
        isinstance(has_next, bool),
        "schema: ListResponse.has_next is a boolean",
        f"has_next is {has_next!r}",
        response,
    )
    require(
        bool(has_next) == (cursor is not None),
        "CONTRACT §5 has_next/next_cursor are set while more remain",
        f"has_next={has_next!r} but next_cursor={cursor!r}",
        response,
    )
    return items


# -- entities ---------------------------------------------------------------------------


@runtime_checkable
class Claiming(Protocol):
    """A set whose check-and-add is one step, also across processes (the run's set
    shared by workers: :class:`~contract_tests.support.shared_registry.SharedSet`)."""

    def claim(self, member: str) -> bool:
        """Add ``member``; whether it was not there yet."""
        ...


@dataclass
class Registry:
    """What this run has created: ids must never repeat, invoice numbers neither.

    Any set and mapping will do: the checking proxy passes bounded ones (it runs all day),
    workers of one run pass the ones they share (``support/shared_registry.py``). Each
    check records as it checks (a set's claim, a mapping's ``setdefault``), so with
    shared ones of two workers recording the same id or number at once only one wins."""

    ids: MutableSet[str] = field(default_factory=set)
    numbers: MutableMapping[str, str] = field(default_factory=dict)

    def new_id(self, entity_id: str, response: httpx.Response, where: str) -> None:
        require(
            self._claim(entity_id),
            "CONTRACT §1 ids: every created entity has a new id",
            f"{where}: id {entity_id} was already returned for another entity",
            response,
        )

    def new_number(self, number: str, entity_id: str, response: httpx.Response, where: str) -> None:
        owner = self.numbers.setdefault(number, entity_id)
        require(
            owner == entity_id,
            "CONTRACT §3.1 finalized invoice numbers are unique within the business",
            f"{where}: number {number!r} is also the number of invoice {owner}",
            response,
        )

    def _claim(self, entity_id: str) -> bool:
        if isinstance(self.ids, Claiming):
            return self.ids.claim(entity_id)
        new = entity_id not in self.ids
        self.ids.add(entity_id)
        return new


@dataclass(frozen=True)
class Window:
    """When the request was made: created entities must be stamped inside it (± skew).

    By the *server's* clock where it tells its time: the reference pages call `created_at`
    the "Creation timestamp", the moment the server created the entity, and say nothing of
    the client's clock; a staging API whose clock is minutes off from the CI machine's is
    still faithful. RFC 9110 §6.6.1: the ``Date`` header is "the date and time at which
    the message was originated", and an origin server with a clock must send it. So
    ``offset`` (server clock − local clock, from that header) shifts the window; without a
    ``Date`` the local clock is all there is. The ± 5 minutes remain for a ``Date`` set by
    a proxy in front of the application, or a stamp taken at the start of a long import.
    """

    started: datetime
    finished: datetime
    offset: timedelta | None = None  # None: the server did not tell its time

    @classmethod
    def around(cls, started: datetime, finished: datetime, response: httpx.Response) -> Window:
        """The window of a request timed locally from ``started`` to ``finished``, moved to
        the server's clock by ``response``'s ``Date`` header when it has a valid one."""
        server_now = server_date(response)
        # Date is whole seconds and set while the response was made: finished is its bound.
        return cls(started, finished, None if server_now is None else server_now - finished)

    def contains(self, moment: datetime) -> bool:
        shift = self.offset or timedelta(0)
        low = self.started + shift - CLOCK_SKEW - DATE_RESOLUTION
        return low <= moment <= self.finished + shift + CLOCK_SKEW

    def describe(self) -> str:
        shift = self.offset or timedelta(0)
        clock = "local clock" if self.offset is None else f"server clock: Date {shift} off ours"
        return (
            f"{(self.started + shift).isoformat()} .. "
            f"{(self.finished + shift).isoformat()}, ± {CLOCK_SKEW}, {clock}"
        )


def server_date(response: httpx.Response) -> datetime | None:
    """The one valid ``Date`` header of ``response`` (RFC 9110 §6.6.1), else ``None``."""
    values = response.headers.get_list("date")
    if len(values) != 1:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(values[0])
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo is not None else None


def expect_timestamps(
    item: Mapping[str, Any], window: Window, response: httpx.Response, where: str
) -> None:
    rule = "CONTRACT §1 timestamps are RFC 3339 date-times with an offset"
    stamps: dict[str, datetime] = {}
    for name in ("created_at", "updated_at"):
        stamp = parse_timestamp(item.get(name))
        if stamp is None:
            fail(rule, f"{where}: {name} is {item.get(name)!r}", response)
        stamps[name] = stamp
        require(
            window.contains(stamp),
            "reference: created_at is the Creation timestamp (recent timestamps, ± 5 min, "
            "by the server's clock: its Date header, RFC 9110 §6.6.1)",
            f"{where}: {name} {item.get(name)} is outside the request's time ({window.describe()})",
            response,
        )
    require(
        stamps["created_at"] <= stamps["updated_at"],
        "reference: updated_at (Last update timestamp) is not before created_at (Creation)",
        f"{where}: created_at {item['created_at']} > updated_at {item['updated_at']}",
        response,
    )


def _common(
    item: Mapping[str, Any],
    business_id: str,
    registry: Registry,
    window: Window,
    response: httpx.Response,
    where: str,
) -> None:
    require(
        is_uuid(item.get("id")),
        "CONTRACT §1 ids are canonical lower-case UUIDs",
        f"{where}: id is {item.get('id')!r}",
        response,
    )
    registry.new_id(item["id"], response, where)
    require(
        item.get("business_id") == business_id.lower(),
        "CONTRACT §3 business_id = the x-business-id header",
        f"{where}: business_id is {item.get('business_id')!r}, header was {business_id}",
        response,
    )
    expect_timestamps(item, window, response, where)


def _same_text(actual: Any, expected: str | None) -> bool:
    """Optional text: a blank cell may come back absent, null or empty."""
    if expected is None:
        return actual in (None, "")
    return bool(actual == expected)


def _same_email(actual: Any, expected: str | None) -> bool:
    if expected is None:
        return actual in (None, "")
    return isinstance(actual, str) and actual.lower() == expected.lower()


def _expect_parties(
    items: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
    known: Sequence[str | None],
    id_field: str,
    response: httpx.Response,
    noun: str,
) -> None:
    """Same customer/vendor ⇒ same id; different ones ⇒ different ids; known ones keep theirs."""
    rule = f"CONTRACT §3 {noun} found (case-insensitively) or created once"
    seen: dict[str, str] = {}
    owner: dict[str, str] = {}
    for index, (item, key, known_id) in enumerate(zip(items, keys, known, strict=True)):
        party = item.get(id_field)
        if not is_uuid(party):
            fail(
                f"CONTRACT §1 {id_field} is a canonical lower-case UUID",
                f"item {index + 1}: {id_field} is {party!r}",
                response,
            )
        if known_id is not None:
            require(
                party == known_id,
                f"CONTRACT §3 an existing {noun} is used, not re-created",
                f"item {index + 1}: {id_field} {party}, expected existing {known_id}",
                response,
            )
        if key in seen:
            require(
                party == seen[key],
                rule,
                f"item {index + 1}: {id_field} {party}, but an earlier item of the same "
                f"{noun} has {seen[key]}",
                response,
            )
        else:
            require(
                party not in owner,
                rule,
                f"item {index + 1}: {id_field} {party} is shared with a different {noun}",
                response,
            )
            seen[key] = party
            owner[party] = key


def expect_bulk(
    kind: Kind,
    response: httpx.Response,
    expected: Sequence[ExpectedEntity],
    *,
    flag: bool,
    business_id: str,
    registry: Registry,
    window: Window,
) -> list[dict[str, Any]]:
    """The whole 201 body of a bulk call of ``kind``, against the oracle."""
    __tracebackhide__ = True
    body = expect_status(response, 201, "schema: bulk create answers 201", f"bulk {kind.name}")
    require(
        isinstance(body, dict), f"schema: {kind.list_schema}", "body is not an object", response
    )
    items = expect_bulk_envelope(response, body)
    _ORDER[kind.name](items, expected, response)
    for index, (item, exp) in enumerate(zip(items, expected, strict=True)):
        where = f"{kind.entity} {index + 1} ({exp.source})"
        _common(item, business_id, registry, window, response, where)
        want_status = kind.status(flag)
        require(
            item.get("status") == want_status,
            f"CONTRACT {kind.section} {kind.flag}={str(flag).lower()} gives status {want_status}",
            f"{where}: status is {item.get('status')!r}",
            response,
        )
        _FIELDS[kind.name](item, exp, where, flag, registry, response)
    _expect_parties(
        items,
        [e.party_key for e in expected],
        [e.existing_party_id for e in expected],
        kind.party_id,
        response,
        kind.party,
    )
    return items


def _expect_invoice_order(
    items: Sequence[Mapping[str, Any]],
    expected: Sequence[ExpectedInvoice],
    response: httpx.Response,
) -> None:
    require(
        len(items) == len(expected),
        "CONTRACT §3.1 one invoice per invoice_ref group, one per ungrouped row",
        f"{len(items)} invoices for {len(expected)} expected "
        f"(line counts {[len(e.lines) for e in expected]})",
        response,
    )
    got_order = [_line_texts(item) for item in items]
    want_order = [[line.description for line in e.lines] for e in expected]
    require(
        got_order == want_order,
        "CONTRACT §3.1 invoices in order of first appearance, lines in file order",
        f"line descriptions per invoice: got {excerpt(got_order)}, expected {excerpt(want_order)}",
        response,
    )


def _line_texts(item: Mapping[str, Any]) -> list[Any]:
    lines = item.get("line_items")
    if not isinstance(lines, list):
        return []
    return [line.get("description") if isinstance(line, dict) else line for line in lines]


def _expect_invoice(
    item: Mapping[str, Any],
    exp: ExpectedInvoice,
    where: str,
    finalize: bool,
    registry: Registry,
    response: httpx.Response,
) -> None:
    number = item.get("number")
    if finalize:
        if not (isinstance(number, str) and number.strip()):
            fail(
                "CONTRACT §3.1 finalize=true gives a non-empty invoice number",
                f"{where}: number is {number!r}",
                response,
            )
        registry.new_number(number, item["id"], response, where)
    else:
        require(
            number is None,
            "CONTRACT §3.1 finalize=false leaves number null",
            f"{where}: number is {number!r}",
            response,
        )
    for name, want in (("currency", exp.currency), ("due_date", exp.due_date)):
        require(
            item.get(name) == want,
            f"CONTRACT §3.1 {name} from the file",
            f"{where}: {name} is {item.get(name)!r}, expected {want!r}",
            response,
        )
    require(
        _same_text(item.get("description"), exp.description),
        "CONTRACT §3.1 description from the file",
        f"{where}: description is {excerpt(item.get('description'))}, "
        f"expected {excerpt(exp.description)}",
        response,
    )
    require(
        item.get("customer_name") == exp.customer_name,
        "CONTRACT §3.1 customer_name as resolved (default: the email's local part)",
        f"{where}: customer_name is {item.get('customer_name')!r}, expected {exp.customer_name!r}",
        response,
    )
    require(
        _same_email(item.get("customer_email"), exp.customer_email),
        "CONTRACT §3.1 customer_email as resolved",
        f"{where}: customer_email is {item.get('customer_email')!r}, "
        f"expected {exp.customer_email!r}",
        response,
    )
    lines = item.get("line_items")
    if not (isinstance(lines, list) and len(lines) == len(exp.lines)):
        fail(
            "CONTRACT §3.1 one line item per row of the invoice",
            f"{where}: line_items is {excerpt(lines)}",
            response,
        )
    for number_, (line, want_line) in enumerate(zip(lines, exp.lines, strict=True), start=1):
        at = f"{where}, line {number_} (data row {want_line.row})"
        quantity = line.get("quantity")
        require(
            isinstance(quantity, int | float)
            and not isinstance(quantity, bool)
            and Decimal(str(quantity)) == want_line.quantity,
            "CONTRACT §3.1 quantity from the file (blank: 1)",
            f"{at}: quantity is {quantity!r}, expected {want_line.quantity}",
            response,
        )
        require(
            line.get("unit_price") == want_line.unit_price,
            "CONTRACT §3.1 unit_price in cents",
            f"{at}: unit_price is {line.get('unit_price')!r}, expected {want_line.unit_price}",
            response,
        )
        require(
            line.get("amount") == want_line.amount,
            "CONTRACT §3.1 amount = round-half-up(quantity × unit_price) in cents",
            f"{at}: amount is {line.get('amount')!r}, expected {want_line.amount} "
            f"({want_line.quantity} × {want_line.unit_price})",
            response,
        )
    require(
        item.get("total") == exp.total,
        "CONTRACT §3.1 total = sum of line amounts",
        f"{where}: total is {item.get('total')!r}, expected {exp.total}",
        response,
    )
    require(
        item.get("total_paid") == 0,
        "CONTRACT §3.1 total_paid = 0",
        f"{where}: total_paid is {item.get('total_paid')!r}",
        response,
    )
    require(
        item.get("balance_due") == exp.total,
        "CONTRACT §3.1 balance_due = total - total_paid",
        f"{where}: balance_due is {item.get('balance_due')!r}, expected {exp.total}",
        response,
    )


def _expect_bill_order(
    items: Sequence[Mapping[str, Any]],
    expected: Sequence[ExpectedBill],
    response: httpx.Response,
) -> None:
    require(
        len(items) == len(expected),
        "CONTRACT §3.2 one bill per data row",
        f"{len(items)} bills for {len(expected)} rows",
        response,
    )
    got = [_bill_signature(item) for item in items]
    want = [
        ((e.vendor_name or "").lower(), e.description or "", e.bill_number or "") for e in expected
    ]
    require(
        got == want,
        "CONTRACT §3.2 bills in file order",
        f"(vendor, description, bill_number) per bill: got {excerpt(got)}, "
        f"expected {excerpt(want)}",
        response,
    )


def _bill_signature(item: Mapping[str, Any]) -> tuple[str, str, str]:
    return (
        str(item.get("vendor_name") or "").lower(),
        str(item.get("description") or ""),
        str(item.get("bill_number") or ""),
    )


def _midnight(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), tzinfo=UTC)


def _expect_bill(
    item: Mapping[str, Any],
    exp: ExpectedBill,
    where: str,
    approve: bool,
    registry: Registry,
    response: httpx.Response,
) -> None:
    """A bill's own fields (``approve`` and ``registry`` only matter to invoices, whose
    numbers they decide and remember; the signature is the one of :data:`_FIELDS`)."""
    for name in ("amount", "expected_amount"):
        require(
            item.get(name) == exp.amount,
            f"CONTRACT §3.2 {name} in cents",
            f"{where}: {name} is {item.get(name)!r}, expected {exp.amount}",
            response,
        )
    require(
        item.get("total_paid") == 0,
        "CONTRACT §3.2 total_paid = 0",
        f"{where}: total_paid is {item.get('total_paid')!r}",
        response,
    )
    require(
        item.get("paid_on") is None,
        "CONTRACT §3.2 paid_on is null",
        f"{where}: paid_on is {item.get('paid_on')!r}",
        response,
    )
    require(
        item.get("currency") == exp.currency,
        "CONTRACT §3.2 currency from the file (blank: USD)",
        f"{where}: currency is {item.get('currency')!r}, expected {exp.currency!r}",
        response,
    )
    require(
        item.get("type") == exp.type,
        "CONTRACT §3.2 type as given (default one_time)",
        f"{where}: type is {item.get('type')!r}, expected {exp.type!r}",
        response,
    )
    require(
        item.get("vendor_name") == exp.vendor_name,
        "CONTRACT §3.2 vendor_name as resolved",
        f"{where}: vendor_name is {item.get('vendor_name')!r}, expected {exp.vendor_name!r}",
        response,
    )
    require(
        _same_email(item.get("vendor_email"), exp.vendor_email),
        "CONTRACT §3.2 vendor_email as resolved",
        f"{where}: vendor_email is {item.get('vendor_email')!r}, expected {exp.vendor_email!r}",
        response,
    )
    for name, want in (("bill_number", exp.bill_number), ("description", exp.description)):
        require(
            _same_text(item.get(name), want),
            f"CONTRACT §3.2 {name} from the file",
            f"{where}: {name} is {excerpt(item.get(name))}, expected {excerpt(want)}",
            response,
        )
    for name, day in (
        ("due_on", exp.due_on),
        ("received_on", exp.received_on),
        ("expected_paid_on_date", exp.due_on),
    ):
        rule = (
            f"CONTRACT §3.2 {name} = due_on"
            if name == "expected_paid_on_date"
            else f"CONTRACT §3.2 {name} as a date-time at midnight UTC"
        )
        value = item.get(name)
        if day is None:
            require(value is None, rule, f"{where}: {name} is {value!r}, expected null", response)
            continue
        moment = parse_timestamp(value)
        require(
            moment is not None and moment == _midnight(day),
            rule,
            f"{where}: {name} is {value!r}, expected {day}T00:00:00Z",
            response,
        )


# What the two kinds' 201 bodies check beyond the common ones, by Kind.name: the number
# and order of entities, then each entity's own fields.
_ORDER: dict[str, Callable[..., None]] = {
    INVOICES.name: _expect_invoice_order,
    BILLS.name: _expect_bill_order,
}
_FIELDS: dict[str, Callable[..., None]] = {INVOICES.name: _expect_invoice, BILLS.name: _expect_bill}
