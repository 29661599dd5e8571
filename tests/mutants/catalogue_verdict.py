"""Mutants of issue 11: one for each new check of the suite, each breaking only its rule.

Appended to :data:`tests.mutants.catalogue.MUTANTS`. Like the others, each is the faithful
mock behind a :class:`~tests.mutants.rewrite.Rewriter`; where a broken rule would also
show elsewhere (a party left behind would be listed), the mutant hides that trace, so
that only the check under proof can see it.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from tests.mutants.catalogue import (
    BUSINESS,
    GET,
    SECOND_BUSINESS,
    Mutant,
    RemembersPresigned,
    RemembersUploads,
    UploadRewriter,
    edit_entities,
    is_bulk,
    is_get,
    is_list,
)
from tests.mutants.rewrite import Req, Resp, Rewriter, json_response

MAX_ROWS = 10_000
LIMIT_BYTES = 10 * 1024 * 1024
KEY_BUSINESS = re.compile(r"^(uploads/)([0-9a-fA-F-]{36})(/.*)$")


def _kind(req: Req) -> str:
    return "invoices" if "/invoices" in req.path else "bills"


def _rows(data: bytes) -> list[dict[str, str]]:
    """The data rows of a CSV file by trimmed, lower-case header name."""
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig", "replace")))
    lines = [row for row in reader if any(cell.strip() for cell in row)]
    if not lines:
        return []
    header = [name.strip().lower() for name in lines[0]]
    return [dict(zip(header, (cell.strip() for cell in row), strict=False)) for row in lines[1:]]


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode()


# -- parties: all-or-nothing (CONTRACT §1) ----------------------------------------------


class PartiesLeak(RemembersUploads):
    """A refused file still creates its customers/vendors. (To create them the mutant
    imports a ghost file naming them, then hides the ghost invoices/bills from every read,
    so only the parties remain as a trace.)"""

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self.hidden: set[str] = set()

    async def on_response(self, req: Req, resp: Resp) -> Resp:
        resp = await super().on_response(req, resp)
        sent = req.json()
        if is_bulk(req) and resp.status == 400 and isinstance(sent, dict):
            owner = self.files.get(str(sent.get("s3_key")))
            if owner is not None:
                await self._create_parties(req, sent, _rows(owner[1]))
            return resp
        if is_get(req) and resp.status == 200:
            match = GET.match(req.path)
            if match and match.group(2) in self.hidden:
                return json_response(404, {"detail": "not found"})
        if is_list(req) and resp.status == 200:
            body = resp.json()
            if isinstance(body, dict) and isinstance(body.get("items"), list):
                body["items"] = [i for i in body["items"] if i.get("id") not in self.hidden]
                return resp.with_json(body)
        return resp

    async def _create_parties(self, req: Req, sent: dict[str, Any], rows: list[dict]) -> None:
        seen: dict[str, list[str]] = {}
        if _kind(req) == "invoices":
            header = [
                "customer_email",
                "customer_name",
                "due_date",
                "item_description",
                "unit_price",
            ]
            for row in rows:
                email = row.get("customer_email", "")
                if "@" in email and email.lower() not in seen:
                    seen[email.lower()] = [
                        email,
                        row.get("customer_name", ""),
                        "2026-01-01",
                        "ghost",
                        "1",
                    ]
        else:
            header = ["vendor_name", "vendor_email", "amount"]
            for row in rows:
                name = row.get("vendor_name", "")
                if name and name.lower() not in seen:
                    seen[name.lower()] = [name, row.get("vendor_email", ""), "1"]
        if not seen:
            return
        key = await self.upload(req, _csv(header, list(seen.values())))
        ghost = await self.call(req.with_json({"s3_key": key}))
        for item in (ghost.json() or {}).get("items") or []:
            self.hidden.add(item.get("id"))


# -- tenancy without a second business (CONTRACT §2, §3, §5) -----------------------------


class KeyBusinessIgnored(Rewriter):
    """Finds an upload by the rest of its key: the business id spelled in it is not checked."""

    async def on_request(self, req: Req) -> Req | Resp:
        sent = req.json()
        business = (req.header("x-business-id") or "").lower()
        if is_bulk(req) and isinstance(sent, dict) and isinstance(sent.get("s3_key"), str):
            match = KEY_BUSINESS.match(sent["s3_key"])
            if match and match.group(2).lower() != business:
                key = match.group(1) + business + match.group(3)
                return req.with_json({**sent, "s3_key": key})
        return req


class ListLeaksTenant(Rewriter):
    """The newest entity of the first page comes from the other business."""

    async def _foreign(self, req: Req) -> dict[str, Any] | None:
        kind = _kind(req)
        other = replace(req, query="limit=1").with_header("x-business-id", SECOND_BUSINESS)
        items = (((await self.call(other)).json()) or {}).get("items") or []
        if not items:
            bulk = replace(req, method="POST", path=f"/api/v1/{kind}/bulk", query="")
            bulk = bulk.with_header("x-business-id", SECOND_BUSINESS)
            bulk = bulk.with_header("content-type", "application/json")
            await self.call(bulk.with_json({"s3_key": f"samples/{kind}.csv"}))
            items = (((await self.call(other)).json()) or {}).get("items") or []
        return items[0] if items else None

    async def on_response(self, req: Req, resp: Resp) -> Resp:
        body = resp.json()
        if not (
            is_list(req)
            and resp.status == 200
            and (req.header("x-business-id") or "").lower() == BUSINESS
            and "cursor" not in req.params()
            and isinstance(body, dict)
            and body.get("items")
        ):
            return resp
        foreign = await self._foreign(req)
        if foreign is not None:
            body["items"][0] = foreign
        return resp.with_json(body)


class KindsShareIds(Rewriter):
    """GET of an invoice id that is not an invoice answers the bill of that id (and back)."""

    async def on_response(self, req: Req, resp: Resp) -> Resp:
        match = GET.match(req.path)
        if is_get(req) and resp.status == 404 and match:
            other = "bills" if match.group(1) == "invoices" else "invoices"
            found = await self.call(replace(req, path=f"/api/v1/{other}/{match.group(2)}"))
            if found.status == 200:
                return found
        return resp


# -- pagination at its ends (CONTRACT §4, §5) ------------------------------------------


class BulkPaged(Rewriter):
    """A bulk 201 holds only the first 50 created items (a consistent envelope otherwise)."""

    async def on_response(self, req: Req, resp: Resp) -> Resp:
        body = resp.json()
        if is_bulk(req) and resp.status == 201 and isinstance(body, dict):
            items = body.get("items") or []
            if len(items) > 50:
                return resp.with_json({**body, "items": items[:50], "total": 50, "limit": 50})
        return resp


class DefaultPage20(Rewriter):
    async def on_request(self, req: Req) -> Req | Resp:
        params = req.params()
        if is_list(req) and "limit" not in params:
            return req.with_params({**params, "limit": "20"})
        return req


END_CURSOR = "zzend"


class HasNextWhenFull(Rewriter):
    """``has_next = (len(items) == limit)``: a full last page points at an empty one."""

    async def on_request(self, req: Req) -> Req | Resp:
        params = req.params()
        if is_list(req) and params.get("cursor") == END_CURSOR:
            return json_response(
                200,
                {
                    "items": [],
                    "total": 0,
                    "limit": int(params.get("limit", "50")),
                    "has_next": False,
                    "has_prev": True,
                    "next_cursor": None,
                    "prev_cursor": None,
                },
            )
        return req

    async def on_response(self, req: Req, resp: Resp) -> Resp:
        body = resp.json()
        limit = req.params().get("limit", "50")
        if (
            is_list(req)
            and resp.status == 200
            and isinstance(body, dict)
            and not body.get("has_next")
            and body.get("items")
            and limit.isdigit()
            and len(body["items"]) == int(limit)
        ):
            return resp.with_json({**body, "has_next": True, "next_cursor": END_CURSOR})
        return resp


# -- limits on both sides (CONTRACT §2, §3) ----------------------------------------------


class RowLimitOffByOne(RemembersUploads):
    """Refuses a file of 10,000 data rows: ``>=`` where the contract says "at most"."""

    async def on_request(self, req: Req) -> Req | Resp:
        sent = req.json()
        if is_bulk(req) and isinstance(sent, dict):
            owner = self.files.get(str(sent.get("s3_key")))
            if owner is not None:
                lines = [line for line in owner[1].splitlines() if line.strip()]
                if len(lines) - 1 >= MAX_ROWS:
                    return json_response(400, {"detail": "too many rows", "errors": []})
        return req


class PutLimitOffByOne(Rewriter):
    """A presigned PUT of exactly 10 MiB is refused with 413."""

    async def on_request(self, req: Req) -> Req | Resp:
        if req.method == "PUT" and len(req.body) >= LIMIT_BYTES:
            return json_response(413, {"detail": "too large"})
        return req


# -- cell formats (CONTRACT §3) ----------------------------------------------------------

THOUSANDS = re.compile(rb'"(\d{1,3}(?:,\d{3})+(?:\.\d+)?)"')
EXPONENT = re.compile(rb"(?<=,)(\d+)e(\d+)(?=[,\r\n])")
UNDERSCORE = re.compile(rb"(?<=,)(\d+)_(\d+)(?=[,\r\n])")
SLASHED = re.compile(rb"(?<=,)(\d{4})/(\d{2})/(\d{2})(?=[,\r\n])")
DAY_FIRST = re.compile(rb"(?<=,)(\d{2})-(\d{2})-(\d{4})(?=[,\r\n])")
PADDED_NUMBER = re.compile(rb'(?<=[,"])( +)(?=\d)')


class LenientAmounts(UploadRewriter):
    """Reads ``1,000.00``, ``1e3`` and ``1_000`` as numbers (like ``float`` would)."""

    def rewrite(self, body: bytes) -> bytes:
        body = THOUSANDS.sub(lambda m: m.group(1).replace(b",", b""), body)
        body = EXPONENT.sub(lambda m: str(int(m.group(1)) * 10 ** int(m.group(2))).encode(), body)
        return UNDERSCORE.sub(rb"\1\2", body)


class LenientDates(UploadRewriter):
    """Reads ``2026/01/15`` and ``15-01-2026`` as dates (like dateutil would)."""

    def rewrite(self, body: bytes) -> bytes:
        body = SLASHED.sub(rb"\1-\2-\3", body)
        return DAY_FIRST.sub(rb"\3-\2-\1", body)


class NumbersNotTrimmed(UploadRewriter):
    """Parses number and date cells before trimming them: `` 12.50`` is refused."""

    def rewrite(self, body: bytes) -> bytes:
        return PADDED_NUMBER.sub(lambda m: b"_" * len(m.group(1)), body)


# -- upload URLs tampered part by part (CONTRACT §2) ----------------------------------


class PartUnsigned(RemembersPresigned):
    """One query parameter of the upload URL is not verified: a URL whose ``part`` alone was
    changed or dropped is served as the genuine one."""

    part = ""

    async def on_request(self, req: Req) -> Req | Resp:
        original = self.queries.get(req.path) if req.method == "PUT" else None
        if original is None:
            return req
        sent, signed = dict(parse_qsl(req.query)), dict(parse_qsl(original))
        others_intact = {k: v for k, v in sent.items() if k != self.part} == {
            k: v for k, v in signed.items() if k != self.part
        }
        if others_intact and sent.get(self.part) != signed.get(self.part):
            return replace(req, query=original)
        return req


class ExpiryUnsigned(PartUnsigned):
    part = "expires"


class BusinessUnsigned(PartUnsigned):
    part = "business"


class KeyUnsigned(PartUnsigned):
    part = "key"


class ContentTypeUnsigned(PartUnsigned):
    part = "content_type"


class SignatureUnchecked(PartUnsigned):
    part = "signature"


class UploadPathUnchecked(RemembersPresigned):
    """The upload id in the URL's path is not checked against the signed key: a genuine
    query under another path is served as the genuine URL."""

    async def on_request(self, req: Req) -> Req | Resp:
        if req.method != "PUT" or req.path in self.queries:
            return req
        paths = {query: path for path, query in self.queries.items()}
        genuine = paths.get(req.query)
        return req if genuine is None else replace(req, path=genuine)


# -- timestamps by the server's own clock (reference: created_at, RFC 9110 Date) ---------

STAMP_SHIFT = timedelta(minutes=20)


class StampsOffOwnClock(Rewriter):
    """created_at/updated_at 20 minutes after the server's own ``Date``: unlike a skewed
    clock (a faithful variant), the stamps disagree with the server that wrote them."""

    async def on_response(self, req: Req, resp: Resp) -> Resp:
        def shift(entity: dict[str, Any]) -> None:
            for name in ("created_at", "updated_at"):
                if isinstance(entity.get(name), str):
                    moment = datetime.fromisoformat(entity[name].replace("Z", "+00:00"))
                    entity[name] = (moment + STAMP_SHIFT).isoformat()

        return edit_entities(resp, shift)


# -- concurrency (CONTRACT §3.1) ----------------------------------------------------------


class NumbersRace(Rewriter):
    """Numbers finalized invoices by read, wait, write: parallel imports share numbers.

    One at a time it numbers uniquely (and reads back what it numbered), so only imports
    that overlap can see the race."""

    WINDOW_SECONDS = 1.0

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self.next: dict[str, int] = {}
        self.numbers: dict[str, str] = {}

    async def on_response(self, req: Req, resp: Resp) -> Resp:
        sent = req.json()
        if (
            is_bulk(req)
            and resp.status == 201
            and isinstance(sent, dict)
            and sent.get("finalize") is True
        ):
            business = (req.header("x-business-id") or "").lower()
            first = self.next.get(business, 1)  # read ...
            await asyncio.sleep(self.WINDOW_SECONDS)  # ... another import runs here ...
            body = resp.json() or {}
            for offset, item in enumerate(body.get("items") or []):
                self.numbers[item["id"]] = f"R-{first + offset:06d}"
            self.next[business] = first + len(body.get("items") or [])  # ... write
        return edit_entities(
            resp,
            lambda e: (
                e.update(number=self.numbers[e["id"]]) if e.get("id") in self.numbers else None
            ),
        )


# -- the catalogue ------------------------------------------------------------------------

MUTANTS_VERDICT: tuple[Mutant, ...] = (
    Mutant(
        "parties-leak",
        5,
        "a refused file still creates its customers and vendors",
        PartiesLeak,
        "test_refused_file_leaves_no_party",
        (
            ("test_refused_file_leaves_no_party[invoices]", "no customer/vendor of a refused"),
            ("test_refused_file_leaves_no_party[bills]", "no customer/vendor of a refused"),
        ),
    ),
    Mutant(
        "key-business-ignored",
        7,
        "the business id spelled in an s3_key is not checked",
        KeyBusinessIgnored,
        "test_key_edited_to_another_business_is_not_found",
        (("test_key_edited_to_another_business_is_not_found", "belongs to the business"),),
    ),
    Mutant(
        "list-leaks-tenant",
        7,
        "the first list page shows an entity of another business",
        ListLeaksTenant,
        "test_listed_and_fetched_entities_are_the_callers",
        (("test_listed_and_fetched_entities_are_the_callers", "business_id = the x-business-id"),),
    ),
    Mutant(
        "kinds-share-ids",
        7,
        "GET of a bill's id as an invoice answers the bill",
        KindsShareIds,
        "test_id_of_the_other_kind_is_404",
        (("test_id_of_the_other_kind_is_404", "a bill's id is no invoice"),),
    ),
    Mutant(
        "bulk-paged",
        4,
        "a bulk 201 holds only the first 50 items",
        BulkPaged,
        "test_bulk_response_holds_every_item",
        (("test_bulk_response_holds_every_item", "items holds every created entity"),),
    ),
    Mutant(
        "default-page-20",
        7,
        "a page without limit holds 20",
        DefaultPage20,
        "test_default_page_is_the_limit_50_page",
        (("test_default_page_is_the_limit_50_page", "limit defaults to 50"),),
    ),
    Mutant(
        "has-next-when-full",
        7,
        "a full last page says has_next and points at an empty page",
        HasNextWhenFull,
        "test_last_page_has_no_next",
        (("test_last_page_has_no_next", "while more remain"),),
    ),
    Mutant(
        "row-limit-off-by-one",
        5,
        "a file of exactly 10,000 data rows is refused",
        RowLimitOffByOne,
        "test_exactly_max_rows_is_imported",
        (("test_exactly_max_rows_is_imported", "at most 10,000 data rows"),),
    ),
    Mutant(
        "put-limit-off-by-one",
        7,
        "a presigned PUT of exactly 10 MiB is refused",
        PutLimitOffByOne,
        "test_presigned_put_of_exactly_10_mib_is_stored",
        (("test_presigned_put_of_exactly_10_mib_is_stored", "presigned PUT too"),),
    ),
    Mutant(
        "lenient-amounts",
        5,
        "1,000.00, 1e3 and 1_000 read as amounts",
        LenientAmounts,
        "test_lenient_spellings_are_refused",
        (("test_lenient_spellings_are_refused", "do not parse"),),
    ),
    Mutant(
        "lenient-dates",
        5,
        "2026/01/15 and 15-01-2026 read as dates",
        LenientDates,
        "test_lenient_spellings_are_refused",
        (("test_lenient_spellings_are_refused", "do not parse"),),
    ),
    Mutant(
        "numbers-not-trimmed",
        4,
        "padded number and date cells refused",
        NumbersNotTrimmed,
        "test_padded_and_quoted_cells_are_accepted",
        (("test_padded_and_quoted_cells_are_accepted", "cells are trimmed"),),
    ),
    Mutant(
        "expiry-unsigned",
        7,
        "an upload URL with a changed expiry is accepted",
        ExpiryUnsigned,
        "test_every_part_of_an_upload_url_is_signed",
        (("test_every_part_of_an_upload_url_is_signed", "query expires changed"),),
    ),
    Mutant(
        "business-unsigned",
        7,
        "an upload URL with the business changed or dropped is accepted",
        BusinessUnsigned,
        "test_every_part_of_an_upload_url_is_signed",
        (("test_every_part_of_an_upload_url_is_signed", "query business"),),
    ),
    Mutant(
        "key-unsigned",
        7,
        "an upload URL with the key changed or dropped is accepted",
        KeyUnsigned,
        "test_every_part_of_an_upload_url_is_signed",
        (("test_every_part_of_an_upload_url_is_signed", "query key"),),
    ),
    Mutant(
        "content-type-unsigned",
        7,
        "an upload URL with the content type changed or dropped is accepted",
        ContentTypeUnsigned,
        "test_every_part_of_an_upload_url_is_signed",
        (("test_every_part_of_an_upload_url_is_signed", "query content_type"),),
    ),
    Mutant(
        "signature-unchecked",
        7,
        "an upload URL with the signature changed or dropped is accepted",
        SignatureUnchecked,
        "test_every_part_of_an_upload_url_is_signed",
        (("test_every_part_of_an_upload_url_is_signed", "query signature"),),
    ),
    Mutant(
        "upload-path-unchecked",
        7,
        "an upload URL with the path (upload id) changed or dropped is accepted",
        UploadPathUnchecked,
        "test_every_part_of_an_upload_url_is_signed",
        (("test_every_part_of_an_upload_url_is_signed", "last path segment"),),
    ),
    Mutant(
        "stamps-off-own-clock",
        4,
        "created_at/updated_at 20 minutes off the server's own Date header",
        StampsOffOwnClock,
        "test_hard_bill_file",
        (("test_hard_bill_file", "recent timestamps"),),
    ),
    Mutant(
        "numbers-race",
        4,
        "parallel finalizing imports share invoice numbers",
        NumbersRace,
        "test_parallel_finalized_imports_number_uniquely",
        (("test_parallel_finalized_imports_number_uniquely", "parallel imports"),),
    ),
)
