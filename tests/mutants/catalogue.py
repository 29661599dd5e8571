"""The mutants: the faithful mock with exactly one contract rule broken, each.

Every mutant names the suite tests to run against it (``select``, a pytest ``-k``
expression, so a mutant costs seconds) and what must catch it (``catches``: pairs of a
test-id fragment and a text the failure must contain, normally the rule label). Families
follow the contract suite's checks: 1 schemas/status codes, 2 auth and precedence,
3 request validation, 4 CSV semantics, 5 unimportable files, 6 stateful chain,
7 companion operations.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from urllib.parse import urlsplit

from tests.mutants.rewrite import Req, Resp, Rewriter, json_response

TOKEN = "dz_mock_token"
BUSINESS = "b5a1c6de-0000-4000-8000-000000000001"
SECOND_BUSINESS = "b5a1c6de-0000-4000-8000-000000000002"
KNOWN_BUSINESSES = {BUSINESS, SECOND_BUSINESS}

BULK = re.compile(r"^/api/v1/(invoices|bills)/bulk$")
LIST = re.compile(r"^/api/v1/(invoices|bills)$")
GET = re.compile(r"^/api/v1/(invoices|bills)/(?!bulk$)([^/]+)$")
UPLOAD_DIRECT = "/api/v1/upload/direct"
PRESIGN = "/api/v1/upload"
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
BOM = b"\xef\xbb\xbf"
ZERO_WIDTH_SPACE = "\u200b".encode()  # three bytes, like the BOM: lengths stay right


@dataclass(frozen=True)
class Mutant:
    name: str
    family: int
    breaks: str
    rewriter: type[Rewriter]
    select: str
    catches: tuple[tuple[str, str], ...]
    config: dict[str, Any] = field(default_factory=dict)


# -- helpers ----------------------------------------------------------------------------


def is_bulk(req: Req) -> bool:
    return req.method == "POST" and bool(BULK.match(req.path))


def is_list(req: Req) -> bool:
    return req.method == "GET" and bool(LIST.match(req.path))


def is_get(req: Req) -> bool:
    return req.method == "GET" and bool(GET.match(req.path))


def entities(body: Any) -> Iterator[dict[str, Any]]:
    """The invoices/bills of a list envelope or a single entity body."""
    if isinstance(body, dict) and isinstance(body.get("items"), list):
        yield from (item for item in body["items"] if isinstance(item, dict))
    elif isinstance(body, dict) and "id" in body and "business_id" in body:
        yield body


def edit_entities(resp: Resp, edit: Callable[[dict[str, Any]], None]) -> Resp:
    body = resp.json()
    if not isinstance(body, dict):
        return resp
    for entity in entities(body):
        edit(entity)
    return resp.with_json(body)


def recompute_invoice(entity: dict[str, Any], amount: Callable[[dict[str, Any]], int]) -> None:
    lines = entity.get("line_items")
    if not isinstance(lines, list) or "total" not in entity:
        return
    for line in lines:
        line["amount"] = amount(line)
    entity["total"] = sum(line["amount"] for line in lines)
    entity["balance_due"] = entity["total"] - (entity.get("total_paid") or 0)


def lax_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, int | float):
        return value in (0, 1)
    return isinstance(value, str) and value.lower() in {
        "0",
        "off",
        "f",
        "false",
        "n",
        "no",
        "1",
        "on",
        "t",
        "true",
        "y",
        "yes",
    }


def valid_token(req: Req) -> bool:
    return req.header("authorization") == f"Bearer {TOKEN}"


# -- family 1: schemas and status codes -------------------------------------------------


class DropCustomerId(Rewriter):
    async def on_response(self, req: Req, resp: Resp) -> Resp:
        return edit_entities(resp, lambda e: e.pop("customer_id", None))


class Created200(Rewriter):
    async def on_response(self, req: Req, resp: Resp) -> Resp:
        return replace(resp, status=200) if is_bulk(req) and resp.status == 201 else resp


class ServerErrorOnBigLimit(Rewriter):
    async def on_request(self, req: Req) -> Req | Resp:
        limit = req.params().get("limit", "")
        if is_list(req) and limit.isdigit() and int(limit) >= 500:
            return json_response(500, {"detail": "Internal Server Error"})
        return req


class LimitNotValidated(Rewriter):
    """Out-of-range or non-numeric page sizes fall back to the default."""

    async def on_request(self, req: Req) -> Req | Resp:
        params = req.params()
        limit = params.get("limit", "50").strip()
        if is_list(req) and not (limit.isdigit() and 1 <= int(limit) <= 1000):
            params["limit"] = "50"
            return req.with_params(params)
        return req


class PresignCsvOnly(Rewriter):
    """Refuses presigned uploads of any declared content type but text/csv."""

    async def on_request(self, req: Req) -> Req | Resp:
        body = req.json()
        if req.method == "POST" and req.path == PRESIGN and isinstance(body, dict):
            content_type = body.get("content_type", "text/csv")
            if isinstance(content_type, str) and content_type != "text/csv":
                return json_response(
                    422,
                    {
                        "detail": [
                            {
                                "loc": ["body", "content_type"],
                                "msg": "only text/csv",
                                "type": "value_error",
                            }
                        ]
                    },
                )
        return req


class ListAsPlainText(Rewriter):
    async def on_response(self, req: Req, resp: Resp) -> Resp:
        return resp.with_header("content-type", "text/plain") if is_list(req) else resp


class DueDateNotIso(Rewriter):
    async def on_response(self, req: Req, resp: Resp) -> Resp:
        def edit(entity: dict[str, Any]) -> None:
            if isinstance(entity.get("due_date"), str):
                year, month, day = entity["due_date"].split("-")
                entity["due_date"] = f"{day}.{month}.{year}"

        return edit_entities(resp, edit)


# -- family 2: authentication and precedence ---------------------------------------------


class AcceptMissingToken(Rewriter):
    async def on_request(self, req: Req) -> Req | Resp:
        if req.path.startswith("/api/") and req.header("authorization") is None:
            return req.with_header("authorization", f"Bearer {TOKEN}")
        return req


class BareTokenAccepted(Rewriter):
    async def on_request(self, req: Req) -> Req | Resp:
        if req.header("authorization") == TOKEN:
            return req.with_header("authorization", f"Bearer {TOKEN}")
        return req


class NoWwwAuthenticate(Rewriter):
    async def on_response(self, req: Req, resp: Resp) -> Resp:
        return resp.without_header("www-authenticate") if resp.status == 401 else resp


class HeaderCheckedBeforeToken(Rewriter):
    async def on_request(self, req: Req) -> Req | Resp:
        business = req.header("x-business-id")
        if (
            req.path.startswith("/api/")
            and not valid_token(req)
            and (business is None or not UUID_RE.match(business))
        ):
            return json_response(
                422,
                {
                    "detail": [
                        {
                            "loc": ["header", "x-business-id"],
                            "msg": "invalid",
                            "type": "uuid_parsing",
                        }
                    ]
                },
            )
        return req


class NoForbidden(Rewriter):
    async def on_request(self, req: Req) -> Req | Resp:
        business = req.header("x-business-id") or ""
        if UUID_RE.match(business) and business.lower() not in KNOWN_BUSINESSES:
            return req.with_header("x-business-id", BUSINESS)
        return req


class HeaderLocWrong(Rewriter):
    async def on_response(self, req: Req, resp: Resp) -> Resp:
        body = resp.json()
        if resp.status != 422 or not isinstance(body, dict):
            return resp
        for error in body.get("detail") or []:
            if error.get("loc", [])[:1] == ["header"]:
                error["loc"] = ["header", "business"]
        return resp.with_json(body)


# -- family 3: request validation --------------------------------------------------------


class FlagNotValidated(Rewriter):
    async def on_request(self, req: Req) -> Req | Resp:
        body = req.json()
        if is_bulk(req) and isinstance(body, dict):
            for flag in ("finalize", "approve"):
                if flag in body and not lax_bool(body[flag]):
                    body[flag] = False
            return req.with_json(body)
        return req


class EmptyKeyAccepted(Rewriter):
    async def on_request(self, req: Req) -> Req | Resp:
        body = req.json()
        if is_bulk(req) and isinstance(body, dict) and body.get("s3_key") == "":
            return req.with_json({**body, "s3_key": "uploads/empty"})
        return req


class BodyLocDropped(Rewriter):
    async def on_response(self, req: Req, resp: Resp) -> Resp:
        body = resp.json()
        if resp.status != 422 or not isinstance(body, dict):
            return resp
        for error in body.get("detail") or []:
            if error.get("loc", [])[:1] == ["body"]:
                error["loc"] = ["body"]
        return resp.with_json(body)


class NotJsonIs400(Rewriter):
    async def on_request(self, req: Req) -> Req | Resp:
        if is_bulk(req) and valid_token(req):
            try:
                json.loads(req.body)
            except ValueError:
                return json_response(400, {"detail": "could not parse the body"})
        return req


# -- family 4: CSV semantics --------------------------------------------------------------


class HalfEvenRounding(Rewriter):
    async def on_response(self, req: Req, resp: Resp) -> Resp:
        def amount(line: dict[str, Any]) -> int:
            exact = Decimal(str(line["quantity"])) * line["unit_price"]
            return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))

        return edit_entities(resp, lambda e: recompute_invoice(e, amount))


class QuantityIgnored(Rewriter):
    async def on_response(self, req: Req, resp: Resp) -> Resp:
        def edit(entity: dict[str, Any]) -> None:
            for line in entity.get("line_items") or []:
                line["quantity"] = 1
            recompute_invoice(entity, lambda line: line["unit_price"])

        return edit_entities(resp, edit)


class BalanceDueZero(Rewriter):
    async def on_response(self, req: Req, resp: Resp) -> Resp:
        return edit_entities(
            resp, lambda e: e.update(balance_due=0) if "balance_due" in e else None
        )


class UploadRewriter(Rewriter):
    """Rewrites the bytes of uploaded files (direct and presigned), lengths unchanged."""

    def rewrite(self, body: bytes) -> bytes:
        return body

    async def on_request(self, req: Req) -> Req | Resp:
        if (req.method == "POST" and req.path == UPLOAD_DIRECT) or req.method == "PUT":
            return replace(req, body=self.rewrite(req.body))
        return req


class BomNotStripped(UploadRewriter):
    def rewrite(self, body: bytes) -> bytes:
        return body.replace(BOM, ZERO_WIDTH_SPACE)


class GroupingIgnored(UploadRewriter):
    def rewrite(self, body: bytes) -> bytes:
        return re.sub(rb"(?i)invoice_ref", b"invoice_rex", body)


class FlagDropped(Rewriter):
    flag = ""

    async def on_request(self, req: Req) -> Req | Resp:
        body = req.json()
        if is_bulk(req) and isinstance(body, dict) and self.flag in body:
            body.pop(self.flag)
            return req.with_json(body)
        return req


class FinalizeIgnored(FlagDropped):
    flag = "finalize"


class ApproveIgnored(FlagDropped):
    flag = "approve"


class NumbersRestartPerFile(Rewriter):
    async def on_response(self, req: Req, resp: Resp) -> Resp:
        if not is_bulk(req):
            return resp
        counter = iter(range(1, 1_000_000))
        return edit_entities(
            resp, lambda e: e.update(number=f"INV-{next(counter):04d}") if e.get("number") else None
        )


class FileOrderReversed(Rewriter):
    async def on_response(self, req: Req, resp: Resp) -> Resp:
        body = resp.json()
        if is_bulk(req) and resp.status == 201 and isinstance(body, dict):
            body["items"] = list(reversed(body["items"]))
            return resp.with_json(body)
        return resp


class CreatedIn1970(Rewriter):
    async def on_response(self, req: Req, resp: Resp) -> Resp:
        return edit_entities(
            resp,
            lambda e: e.update(
                created_at="1970-01-01T00:00:00Z", updated_at="1970-01-01T00:00:00Z"
            ),
        )


class HasNextInBulk(Rewriter):
    async def on_response(self, req: Req, resp: Resp) -> Resp:
        body = resp.json()
        if is_bulk(req) and resp.status == 201 and isinstance(body, dict):
            return resp.with_json({**body, "has_next": True})
        return resp


# -- family 5: unimportable files ---------------------------------------------------------


class RemembersUploads(Rewriter):
    """Keeps every directly uploaded file: key -> (business, bytes)."""

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self.files: dict[str, tuple[str, bytes]] = {}

    async def on_response(self, req: Req, resp: Resp) -> Resp:
        if req.method == "POST" and req.path == UPLOAD_DIRECT and resp.status == 200:
            data = await req.form_file()
            key = (resp.json() or {}).get("s3_key")
            if data is not None and key:
                self.files[key] = ((req.header("x-business-id") or "").lower(), data)
        return resp

    async def upload(self, req: Req, data: bytes) -> str:
        boundary = "mutantboundary"
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="again.csv"\r\nContent-Type: text/csv\r\n\r\n'
            ).encode()
            + data
            + (f"\r\n--{boundary}--\r\n").encode()
        )
        upload = replace(req, method="POST", path=UPLOAD_DIRECT, query="", body=body)
        upload = upload.with_header("content-type", f"multipart/form-data; boundary={boundary}")
        resp = await self.call(upload)
        return (resp.json() or {}).get("s3_key", "")


class PartialImport(RemembersUploads):
    """On a refused file, still imports its good rows (then answers the 400)."""

    async def on_response(self, req: Req, resp: Resp) -> Resp:
        resp = await super().on_response(req, resp)
        body, sent = resp.json(), req.json()
        if not (
            is_bulk(req)
            and resp.status == 400
            and isinstance(body, dict)
            and isinstance(sent, dict)
            and sent.get("s3_key") in self.files
        ):
            return resp
        bad = {error["row"] for error in body.get("errors") or []}
        _, data = self.files[sent["s3_key"]]
        rows = [row for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) if row]
        good = [rows[0]] + [
            row for number, row in enumerate(rows[1:], start=1) if number not in bad
        ]
        if bad and len(good) > 1:
            out = io.StringIO()
            csv.writer(out).writerows(good)
            key = await self.upload(req, out.getvalue().encode())
            await self.call(req.with_json({**sent, "s3_key": key}))
        return resp


class ErrorRowsCountHeader(Rewriter):
    async def on_response(self, req: Req, resp: Resp) -> Resp:
        body = resp.json()
        if resp.status == 400 and isinstance(body, dict) and body.get("errors"):
            for error in body["errors"]:
                error["row"] += 1
            return resp.with_json(body)
        return resp


class ForeignKeyAccepted(RemembersUploads):
    async def on_response(self, req: Req, resp: Resp) -> Resp:
        resp = await super().on_response(req, resp)
        sent = req.json()
        if not (is_bulk(req) and resp.status == 400 and isinstance(sent, dict)):
            return resp
        owner = self.files.get(sent.get("s3_key", ""))
        if owner and owner[0] != (req.header("x-business-id") or "").lower():
            key = await self.upload(req, owner[1])
            return await self.call(req.with_json({**sent, "s3_key": key}))
        return resp


# -- family 6: the stateful chain -----------------------------------------------------------


class CreatedNotReadable(Rewriter):
    async def on_request(self, req: Req) -> Req | Resp:
        if is_get(req):
            return json_response(404, {"detail": "not found"})
        return req


# -- family 7: companion operations -----------------------------------------------------------


class UnknownIdFound(Rewriter):
    """Answers 200 with a made-up (schema-valid) entity instead of 404."""

    async def on_response(self, req: Req, resp: Resp) -> Resp:
        match = GET.match(req.path)
        if not (is_get(req) and resp.status == 404 and match):
            return resp
        now = "2026-01-15T09:00:00Z"
        entity = {
            "id": match.group(2),
            "business_id": BUSINESS,
            "created_at": now,
            "updated_at": now,
            "status": "draft",
        }
        if match.group(1) == "invoices":
            entity["customer_id"] = "00000000-0000-4000-8000-000000000000"
        else:
            entity.update(vendor_id="00000000-0000-4000-8000-000000000000", type="one_time")
        return resp.with_json(entity, status=200)


class MalformedIdCrashes(Rewriter):
    async def on_request(self, req: Req) -> Req | Resp:
        if is_get(req) and not UUID_RE.match(GET.match(req.path).group(2)):  # type: ignore[union-attr]
            return json_response(500, {"detail": "Internal Server Error"})
        return req


class ListOldestFirst(Rewriter):
    async def on_response(self, req: Req, resp: Resp) -> Resp:
        body = resp.json()
        if is_list(req) and resp.status == 200 and isinstance(body, dict):
            body["items"] = list(reversed(body["items"]))
            return resp.with_json(body)
        return resp


class CursorRepeatsItem(Rewriter):
    """Each next page starts with the last item of the page before it."""

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self.last: dict[str, dict[str, Any]] = {}

    async def on_response(self, req: Req, resp: Resp) -> Resp:
        body = resp.json()
        if not (is_list(req) and resp.status == 200 and isinstance(body, dict)):
            return resp
        cursor = req.params().get("cursor")
        items = body["items"]
        if cursor in self.last and items:
            items = [self.last[cursor], *items[:-1]]
        if body.get("next_cursor") and items:
            self.last[body["next_cursor"]] = items[-1]
        return resp.with_json({**body, "items": items})


class MalformedCursorIgnored(Rewriter):
    async def on_response(self, req: Req, resp: Resp) -> Resp:
        params = req.params()
        if is_list(req) and resp.status == 400 and "cursor" in params:
            params.pop("cursor")
            return await self.call(req.with_params(params))
        return resp


class RemembersPresigned(Rewriter):
    """Keeps presigned URLs (path -> query) and which keys were PUT."""

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self.queries: dict[str, str] = {}
        self.keys: dict[str, str] = {}  # upload path -> key
        self.put: set[str] = set()

    async def on_response(self, req: Req, resp: Resp) -> Resp:
        body = resp.json()
        if req.method == "POST" and req.path == PRESIGN and resp.status == 200:
            url = urlsplit(body["upload_url"])
            # Paths as this middleware sees them: below the server's root_path.
            path = url.path.removeprefix(req.scope.get("root_path", ""))
            self.queries[path] = url.query
            self.keys[path] = body["s3_key"]
        if req.method == "PUT" and 200 <= resp.status < 300 and req.path in self.keys:
            self.put.add(self.keys[req.path])
        return resp


class TamperedUrlAccepted(RemembersPresigned):
    async def on_request(self, req: Req) -> Req | Resp:
        if req.method == "PUT" and req.path in self.queries:
            return replace(req, query=self.queries[req.path])
        return req


class UnputKeyUsable(RemembersPresigned):
    async def on_request(self, req: Req) -> Req | Resp:
        sent = req.json()
        if is_bulk(req) and isinstance(sent, dict):
            key = sent.get("s3_key")
            if key in self.keys.values() and key not in self.put:
                return json_response(
                    201,
                    {"items": [], "total": 0, "limit": None, "has_next": False, "has_prev": False},
                )
        return req


class PutNeedsAuthorization(Rewriter):
    async def on_request(self, req: Req) -> Req | Resp:
        if req.method == "PUT" and req.header("authorization") is None:
            return Resp(401, [("www-authenticate", "Bearer")], b"").with_json(
                {"detail": "Not authenticated"}
            )
        return req


class OversizeAccepted(Rewriter):
    async def on_response(self, req: Req, resp: Resp) -> Resp:
        if req.path == UPLOAD_DIRECT and resp.status == 413:
            return resp.with_json(
                {
                    "s3_key": "uploads/too-big.csv",
                    "filename": "large.csv",
                    "size": 10 * 1024 * 1024 + 1,
                },
                status=200,
            )
        return resp


# -- the catalogue ------------------------------------------------------------------------------

CSV_INVOICES = "test_hard_invoice_file"
CSV_BILLS = "test_hard_bill_file"
MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "drop-required-field",
        1,
        "invoices lose the required customer_id",
        DropCustomerId,
        "test_operation and invoices and not bulk",
        (("test_operation", "required property"),),
    ),
    Mutant(
        "created-200",
        1,
        "bulk create answers 200 instead of 201",
        Created200,
        "test_operation and bulk",
        (("test_operation[POST /api/v1/", "Undocumented status"),),
    ),
    Mutant(
        "server-error",
        1,
        "a 500 for list pages of 500 or more",
        ServerErrorOnBigLimit,
        "test_operation and GET and invoices",
        (("test_operation[GET /api/v1/invoices]", "Server error"),),
    ),
    Mutant(
        "limit-not-validated",
        1,
        "an invalid page size is served instead of refused",
        LimitNotValidated,
        "test_operation and GET and invoices",
        (("test_operation[GET /api/v1/invoices]", "Schema-violating request accepted"),),
    ),
    Mutant(
        "presign-csv-only",
        1,
        "presigned uploads refuse a valid content_type",
        PresignCsvOnly,
        "test_operation and upload or test_presign_takes_any_content_type",
        # The explicit check catches it whatever schemathesis generates.
        (("test_presign_takes_any_content_type[text/plain]", "content_type optional"),),
    ),
    Mutant(
        "wrong-content-type",
        1,
        "list pages served as text/plain",
        ListAsPlainText,
        "test_operation and GET and bills",
        (("test_operation[GET /api/v1/bills]", "Content-Type"),),
    ),
    Mutant(
        "date-format",
        1,
        "due_date is not an ISO date",
        DueDateNotIso,
        "test_operation and invoices and not bulk",
        (("test_operation", "format"),),
    ),
    Mutant(
        "accept-missing-token",
        2,
        "no Authorization is let through",
        AcceptMissingToken,
        "test_missing_token_is_401",
        (("test_missing_token_is_401", "CONTRACT §1 401"),),
    ),
    Mutant(
        "bare-token",
        2,
        "a token without the Bearer scheme is accepted",
        BareTokenAccepted,
        "test_bad_token_is_401",
        (("bare token", "CONTRACT §1 401"),),
    ),
    Mutant(
        "no-www-authenticate",
        2,
        "401 without WWW-Authenticate",
        NoWwwAuthenticate,
        "test_missing_token_is_401",
        (("test_missing_token_is_401", "WWW-Authenticate"),),
    ),
    Mutant(
        "422-before-401",
        2,
        "x-business-id validated before the token",
        HeaderCheckedBeforeToken,
        "test_no_token_beats_bad_business_header",
        (("test_no_token_beats_bad_business_header", "401 before 422"),),
    ),
    Mutant(
        "no-403",
        2,
        "any business is served",
        NoForbidden,
        "test_other_business_is_403",
        (("test_other_business_is_403", "CONTRACT §1 403"),),
    ),
    Mutant(
        "header-loc",
        2,
        "the 422 for x-business-id points elsewhere",
        HeaderLocWrong,
        "test_bad_business_header_is_422",
        (("test_bad_business_header_is_422", "loc [header, x-business-id]"),),
    ),
    Mutant(
        "flag-not-validated",
        3,
        "non-boolean finalize/approve accepted",
        FlagNotValidated,
        "test_bad_flag_is_422",
        (("test_bad_flag_is_422", "finalize/approve not a boolean"),),
    ),
    Mutant(
        "empty-key",
        3,
        "an empty s3_key is looked up instead of refused",
        EmptyKeyAccepted,
        "test_bad_s3_key_is_422",
        (("test_bad_s3_key_is_422", "s3_key missing, not a string or empty"),),
    ),
    Mutant(
        "body-loc",
        3,
        "422 body errors lose the field name",
        BodyLocDropped,
        "test_missing_s3_key_is_422",
        (("test_missing_s3_key_is_422", "loc [body, s3_key]"),),
    ),
    Mutant(
        "not-json-400",
        3,
        "a body that is not JSON is 400",
        NotJsonIs400,
        "test_body_not_json_is_422",
        (("test_body_not_json_is_422", "body not JSON"),),
    ),
    Mutant(
        "half-even",
        4,
        "line amounts rounded half-even",
        HalfEvenRounding,
        CSV_INVOICES,
        ((CSV_INVOICES, "round-half-up"),),
    ),
    Mutant(
        "bom-kept",
        4,
        "a leading BOM is not stripped",
        BomNotStripped,
        CSV_INVOICES,
        ((CSV_INVOICES, "invoice_ref group"),),
    ),
    Mutant(
        "quantity-ignored",
        4,
        "quantity treated as 1",
        QuantityIgnored,
        CSV_INVOICES,
        ((CSV_INVOICES, "quantity from the file"),),
    ),
    Mutant(
        "balance-due",
        4,
        "balance_due is 0",
        BalanceDueZero,
        CSV_INVOICES,
        ((CSV_INVOICES, "balance_due = total - total_paid"),),
    ),
    Mutant(
        "finalize-ignored",
        4,
        "finalize=true leaves drafts",
        FinalizeIgnored,
        CSV_INVOICES,
        ((f"{CSV_INVOICES}[flag true]", "finalize=true gives status open"),),
    ),
    Mutant(
        "approve-ignored",
        4,
        "approve=true leaves drafts",
        ApproveIgnored,
        CSV_BILLS,
        ((f"{CSV_BILLS}[flag true]", "approve=true gives status forecasted"),),
    ),
    Mutant(
        "numbers-repeat",
        4,
        "invoice numbering restarts with every file",
        NumbersRestartPerFile,
        "test_invoice_numbers_unique_across_files",
        (("test_invoice_numbers_unique_across_files", "unique within the business"),),
    ),
    Mutant(
        "order-reversed",
        4,
        "bulk items in reverse file order",
        FileOrderReversed,
        f"{CSV_INVOICES} or {CSV_BILLS}",
        ((CSV_INVOICES, "order of first appearance"), (CSV_BILLS, "bills in file order")),
    ),
    Mutant(
        "grouping-ignored",
        4,
        "invoice_ref does not group rows",
        GroupingIgnored,
        CSV_INVOICES,
        ((CSV_INVOICES, "invoice_ref group"),),
    ),
    Mutant(
        "created-1970",
        4,
        "created_at in 1970",
        CreatedIn1970,
        CSV_BILLS,
        ((CSV_BILLS, "recent timestamps"),),
    ),
    Mutant(
        "has-next-in-bulk",
        4,
        "the bulk envelope says has_next",
        HasNextInBulk,
        CSV_BILLS,
        ((CSV_BILLS, "has_next is false"),),
    ),
    Mutant(
        "partial-import",
        5,
        "a refused file's good rows are created",
        PartialImport,
        "test_bad_invoice_cells_are_listed",
        (("test_bad_invoice_cells_are_listed", "all-or-nothing"),),
    ),
    Mutant(
        "error-rows",
        5,
        "error rows count the header",
        ErrorRowsCountHeader,
        "test_bad_bill_cells_are_listed",
        (("test_bad_bill_cells_are_listed", "every bad cell"),),
    ),
    Mutant(
        "foreign-key",
        5,
        "a key of another business is imported",
        ForeignKeyAccepted,
        "test_key_of_another_business_is_400",
        (("test_key_of_another_business_is_400", "keys belong to the business"),),
    ),
    Mutant(
        "created-unreadable",
        6,
        "created entities cannot be read back",
        CreatedNotReadable,
        "test_every_created_entity_reads_back or test_links_chain",
        (
            ("test_every_created_entity_reads_back", "GET of a created id"),
            ("test_links_chain", "GET of a created id"),
        ),
    ),
    Mutant(
        "unknown-id-200",
        7,
        "GET of an unknown id answers 200",
        UnknownIdFound,
        "test_get_unknown_id_is_404",
        (("test_get_unknown_id_is_404", "is 404"),),
    ),
    Mutant(
        "malformed-id-500",
        7,
        "GET of a malformed id crashes",
        MalformedIdCrashes,
        "test_get_unknown_id_is_404",
        (("not-a-uuid", "is 404"),),
    ),
    Mutant(
        "oldest-first",
        7,
        "lists oldest first",
        ListOldestFirst,
        "test_pages_newest_first_and_cursor_walk",
        (("test_pages_newest_first_and_cursor_walk", "newest first"),),
    ),
    Mutant(
        "cursor-repeats",
        7,
        "each page repeats the previous page's last item",
        CursorRepeatsItem,
        "test_pages_newest_first_and_cursor_walk",
        (("test_pages_newest_first_and_cursor_walk", "already seen"),),
    ),
    Mutant(
        "malformed-cursor",
        7,
        "a malformed cursor restarts the list",
        MalformedCursorIgnored,
        "test_malformed_cursor_is_400",
        (("test_malformed_cursor_is_400", "malformed cursor"),),
    ),
    Mutant(
        "tampered-url",
        7,
        "a tampered upload URL is accepted",
        TamperedUrlAccepted,
        "test_tampered_upload_url_is_403",
        (("test_tampered_upload_url_is_403", "tampered"),),
    ),
    Mutant(
        "unput-key",
        7,
        "a presigned key is usable before its PUT",
        UnputKeyUsable,
        "test_presigned_key_before_put_is_400",
        (("test_presigned_key_before_put_is_400", "PUT has not happened"),),
    ),
    Mutant(
        "put-needs-auth",
        7,
        "the presigned PUT demands Authorization",
        PutNeedsAuthorization,
        "test_presigned_upload_then_import",
        (("test_presigned_upload_then_import", "PUT without Authorization"),),
    ),
    Mutant(
        "oversize",
        7,
        "files over 10 MiB are accepted",
        OversizeAccepted,
        "test_upload_over_10_mib_is_413",
        (("test_upload_over_10_mib_is_413", "413"),),
    ),
)
from tests.mutants.catalogue_verdict import MUTANTS_VERDICT  # noqa: E402 - issue 11

MUTANTS += MUTANTS_VERDICT
BY_NAME = {mutant.name: mutant for mutant in MUTANTS}
