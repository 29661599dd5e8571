"""Faithful variants: the mock making a *different legal choice* where the contract leaves room.

Each variant is the faithful mock behind a :class:`~tests.mutants.rewrite.Rewriter`, like
a mutant, except that nothing it changes breaks the contract: the suite must pass every
one of them. A check that fails a variant asserts more than the contract says, and is
wrong. ``choice`` names the latitude used and the sentence that grants it; ``select``
(a pytest ``-k`` expression) runs the checks the choice can reach, to keep the proof
bounded.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import hmac
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tests.mutants.catalogue import (
    PRESIGN,
    TOKEN,
    UPLOAD_DIRECT,
    UUID_RE,
    edit_entities,
    is_bulk,
    is_list,
)
from tests.mutants.rewrite import Req, Resp, Rewriter, json_response


@dataclass(frozen=True)
class Variant:
    name: str
    choice: str
    rewriter: type[Rewriter]
    select: str


def _is_json(resp: Resp) -> bool:
    headers = {k.lower(): v for k, v in resp.headers}
    return headers.get("content-type", "").startswith("application/json")


def _walk(value: Any, edit: Callable[[Any], Any]) -> Any:
    """``value`` rebuilt bottom-up, each node passed through ``edit``."""
    if isinstance(value, dict):
        value = {k: _walk(v, edit) for k, v in value.items()}
    elif isinstance(value, list):
        value = [_walk(v, edit) for v in value]
    return edit(value)


class JsonRewriter(Rewriter):
    """Rewrites every JSON response body with :meth:`edit`."""

    def edit(self, req: Req, body: Any) -> Any:
        return body

    async def on_response(self, req: Req, resp: Resp) -> Resp:
        if not _is_json(resp) or not resp.body:
            return resp
        body = resp.json()
        return resp if body is None else resp.with_json(self.edit(req, body))


# -- the variants ---------------------------------------------------------------------------


class OptionalAbsent(JsonRewriter):
    """CONTRACT §1: "a documented field that is not `required` may be absent **or** `null`"."""

    def edit(self, req: Req, body: Any) -> Any:
        return _walk(
            body,
            lambda v: {k: x for k, x in v.items() if x is not None} if isinstance(v, dict) else v,
        )


class ExtraFields(JsonRewriter):
    """Objects carry fields the contract does not name (a newer API version would)."""

    def edit(self, req: Req, body: Any) -> Any:
        return _walk(
            body, lambda v: {**v, "x_variant": {"note": "extra"}} if isinstance(v, dict) else v
        )


class OtherMessages(JsonRewriter):
    """Messages are free text: every ``detail`` string, ``msg`` and ``message`` reworded."""

    def edit(self, req: Req, body: Any) -> Any:
        def reword(value: Any) -> Any:
            if not isinstance(value, dict):
                return value
            out = dict(value)
            for name in ("detail", "msg", "message"):
                if isinstance(out.get(name), str):
                    out[name] = f"Variant wording ({name})"
            return out

        return _walk(body, reword)


DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
PLUS_TWO = timezone(timedelta(hours=2))


class OtherOffset(JsonRewriter):
    """CONTRACT §1: "Timestamps are RFC 3339 date-times with an offset" — any offset:
    every date-time is written at +02:00, the same instant."""

    def edit(self, req: Req, body: Any) -> Any:
        def shift(value: Any) -> Any:
            if isinstance(value, str) and DATE_TIME.match(value):
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
                return moment.astimezone(PLUS_TWO).isoformat()
            return value

        return _walk(body, shift)


class OtherNumbers(Rewriter):
    """CONTRACT §3.1: `number` is "a non-empty string unique within the business" — any
    spelling: here the mock's number, reversed, behind another prefix."""

    async def on_response(self, req: Req, resp: Resp) -> Resp:
        def renumber(entity: dict[str, Any]) -> None:
            if isinstance(entity.get("number"), str):
                entity["number"] = "DZ/" + entity["number"][::-1]

        return edit_entities(resp, renumber)


CURSOR_PREFIX = "v2."


class OpaqueCursor(Rewriter):
    """CONTRACT §5: a cursor is whatever `next_cursor` said: here the mock's cursor,
    reversed and re-encoded, read back on the way in."""

    @staticmethod
    def encode(cursor: str) -> str:
        return CURSOR_PREFIX + base64.urlsafe_b64encode(cursor[::-1].encode()).decode()

    @staticmethod
    def decode(cursor: str) -> str | None:
        try:
            return base64.urlsafe_b64decode(cursor[len(CURSOR_PREFIX) :]).decode()[::-1]
        except (ValueError, UnicodeDecodeError):
            return None

    async def on_request(self, req: Req) -> Req | Resp:
        params = req.params()
        cursor = params.get("cursor")
        if is_list(req) and cursor:
            decoded = self.decode(cursor) if cursor.startswith(CURSOR_PREFIX) else None
            params["cursor"] = decoded or "!malformed!"
            return req.with_params(params)
        return req

    async def on_response(self, req: Req, resp: Resp) -> Resp:
        body = resp.json()
        if is_list(req) and resp.status == 200 and isinstance(body, dict):
            for name in ("next_cursor", "prev_cursor"):
                if isinstance(body.get(name), str):
                    body[name] = self.encode(body[name])
            return resp.with_json(body)
        return resp


HEX_WIDTH = 64


class HexCursor(Rewriter):
    """CONTRACT §5: "A malformed cursor is 400" — what is malformed is the scheme's
    business. Here cursors are hex, zero-padded to 64 digits, and the all-zero cursor is
    well formed: it names the first page."""

    async def on_request(self, req: Req) -> Req | Resp:
        params = req.params()
        cursor = params.get("cursor")
        if not (is_list(req) and cursor):
            return req
        digits = cursor.lstrip("0")
        try:
            decoded = bytes.fromhex(digits).decode("ascii") if digits else ""
        except ValueError:
            decoded = "!malformed!"
        if decoded:
            params["cursor"] = decoded
        else:
            params.pop("cursor")
        return req.with_params(params)

    async def on_response(self, req: Req, resp: Resp) -> Resp:
        body = resp.json()
        if is_list(req) and resp.status == 200 and isinstance(body, dict):
            for name in ("next_cursor", "prev_cursor"):
                if isinstance(body.get(name), str):
                    body[name] = body[name].encode("ascii").hex().rjust(HEX_WIDTH, "0")
            return resp.with_json(body)
        return resp


class EnvelopeNumbers(Rewriter):
    """The reference page: `total` is "null when not calculated for performance", `limit`
    is "Pagination limit"; CONTRACT §4: a bulk `limit` is "null or ≥ the number of items".
    Lists leave `total` and `limit` null; bulk responses give a `limit` above the count."""

    async def on_response(self, req: Req, resp: Resp) -> Resp:
        body = resp.json()
        if resp.status not in (200, 201) or not isinstance(body, dict) or "items" not in body:
            return resp
        if is_list(req):
            return resp.with_json({**body, "total": None, "limit": None})
        if is_bulk(req):
            return resp.with_json({**body, "limit": len(body["items"]) + 5})
        return resp


class Slow(Rewriter):
    """No latency is promised: every answer takes 40 ms longer."""

    async def on_request(self, req: Req) -> Req | Resp:
        await asyncio.sleep(0.04)
        return req


class Gzip(Rewriter):
    """HTTP content coding: bodies gzip-compressed for clients that accept it."""

    async def on_response(self, req: Req, resp: Resp) -> Resp:
        if "gzip" not in (req.header("accept-encoding") or "") or not resp.body:
            return resp
        body = gzip.compress(resp.body, mtime=0)
        return replace(resp.with_header("content-encoding", "gzip"), body=body).with_header(
            "vary", "Accept-Encoding"
        )


class PlainUndocumented(Rewriter):
    """Where the contract names a status and no body, the body is free: a 413 and a
    malformed-cursor 400 in plain text, a refused PUT as S3's XML, a stored PUT empty."""

    async def on_response(self, req: Req, resp: Resp) -> Resp:
        if req.path == UPLOAD_DIRECT and resp.status == 413:
            return Resp(413, [("content-type", "text/plain")], b"Request Entity Too Large")
        if is_list(req) and resp.status == 400:
            return Resp(400, [("content-type", "text/plain")], b"bad cursor")
        if req.method == "PUT" and resp.status == 403:
            xml = b"<Error><Code>SignatureDoesNotMatch</Code></Error>"
            return Resp(403, [("content-type", "application/xml")], xml)
        if req.method == "PUT" and 200 <= resp.status < 300:
            return Resp(200, [("etag", '"variant"')], b"")
        return resp


class StrictBooleans(Rewriter):
    """CONTRACT §1 order 2: values "that FastAPI's lax parsing reads as booleans, such as
    `"true"` or `1`, may be accepted or refused" — refused here, with a 422 at the flag."""

    async def on_request(self, req: Req) -> Req | Resp:
        body = req.json()
        business = req.header("x-business-id") or ""
        if not (
            is_bulk(req)
            and isinstance(body, dict)
            and req.header("authorization") == f"Bearer {TOKEN}"
            and UUID_RE.match(business)
        ):
            return req
        for flag in ("finalize", "approve"):
            if flag in body and not isinstance(body[flag], bool):
                error = {
                    "loc": ["body", flag],
                    "msg": "Input should be a valid boolean",
                    "type": "bool_type",
                    "input": body[flag],
                }
                return json_response(422, {"detail": [error]})
        return req


PUT_ROUTE = "/__variant/put/"


class OtherKeysAndUrls(Rewriter):
    """Keys and upload URLs are opaque (CONTRACT §2 names only their use): keys without
    any business id in them, presigned URLs of one opaque token and no query."""

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self.keys: dict[tuple[str, str], str] = {}  # (business, opaque key) -> the mock's
        self.urls: dict[str, tuple[str, str]] = {}  # token -> (path, query) of the mock's
        self.count = itertools.count(1)

    def opaque(self, business: str, key: str) -> str:
        digest = hashlib.sha256(f"{business}/{key}".encode()).hexdigest()[:20]
        name = key.rsplit("/", 1)[-1]
        self.keys[(business, f"files/{digest}/{name}")] = key
        return f"files/{digest}/{name}"

    async def on_request(self, req: Req) -> Req | Resp:
        business = (req.header("x-business-id") or "").lower()
        if req.method == "PUT" and req.path.startswith(PUT_ROUTE):
            target = self.urls.get(req.path.removeprefix(PUT_ROUTE))
            if target is None:
                return Resp(403, [("content-type", "text/plain")], b"unknown upload URL")
            return replace(req, path=target[0], query=target[1])
        body = req.json()
        if is_bulk(req) and isinstance(body, dict) and isinstance(body.get("s3_key"), str):
            key = self.keys.get((business, body["s3_key"]))
            if key is not None:
                return req.with_json({**body, "s3_key": key})
        return req

    async def on_response(self, req: Req, resp: Resp) -> Resp:
        body = resp.json()
        business = (req.header("x-business-id") or "").lower()
        if resp.status != 200 or not isinstance(body, dict) or req.method != "POST":
            return resp
        if req.path == UPLOAD_DIRECT and isinstance(body.get("s3_key"), str):
            return resp.with_json({**body, "s3_key": self.opaque(business, body["s3_key"])})
        if req.path == PRESIGN and isinstance(body.get("upload_url"), str):
            url = urlsplit(body["upload_url"])
            root = req.scope.get("root_path", "")
            token = hashlib.sha256(f"{next(self.count)}{url.query}".encode()).hexdigest()
            self.urls[token] = (url.path.removeprefix(root), url.query)
            new_url = urlunsplit(url._replace(path=f"{root}{PUT_ROUTE}{token}", query=""))
            key = self.opaque(business, body["s3_key"])
            return resp.with_json({**body, "upload_url": new_url, "s3_key": key})
        return resp


S3_ROUTE = "/__variant/s3/"
S3_SECRET = b"variant-s3-secret"
S3_LIFETIME = 900


class S3StyleUrls(Rewriter):
    """Presigned URLs laid out like S3's SigV4 ones (CONTRACT §2 fixes only that the URL
    "carries its own signature" and is refused with 403 when tampered or expired): the
    key in the path under a bucket, ``X-Amz-*`` parameters — algorithm, a credential with
    slashes, a date-time, a relative expiry, signed headers — and an HMAC over all of
    them. Keys are the mock's."""

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self.targets: dict[str, tuple[str, str]] = {}  # signature -> the mock's path, query

    @staticmethod
    def sign(path: str, query: list[tuple[str, str]]) -> str:
        message = "\n".join([path, *(f"{k}={v}" for k, v in sorted(query))]).encode()
        return hmac.new(S3_SECRET, message, hashlib.sha256).hexdigest()

    async def on_request(self, req: Req) -> Req | Resp:
        if not (req.method == "PUT" and req.path.startswith(S3_ROUTE)):
            return req
        refused = Resp(403, [("content-type", "application/xml")], b"<Error>AccessDenied</Error>")
        query = parse_qsl(req.query, keep_blank_values=True)
        signed = [(k, v) for k, v in query if k != "X-Amz-Signature"]
        names = {k for k, _ in signed}
        if names != {
            "X-Amz-Algorithm",
            "X-Amz-Credential",
            "X-Amz-Date",
            "X-Amz-Expires",
            "X-Amz-SignedHeaders",
        } or len(signed) != len(names):
            return refused
        signature = dict(query).get("X-Amz-Signature", "")
        target = self.targets.get(signature)
        if target is None or not hmac.compare_digest(signature, self.sign(req.path, signed)):
            return refused
        fields = dict(signed)
        issued = datetime.strptime(fields["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        if datetime.now(UTC) > issued + timedelta(seconds=int(fields["X-Amz-Expires"])):
            return refused
        return replace(req, path=target[0], query=target[1])

    async def on_response(self, req: Req, resp: Resp) -> Resp:
        body = resp.json()
        if not (req.method == "POST" and req.path == PRESIGN and resp.status == 200):
            return resp
        url = urlsplit(body["upload_url"])
        root = req.scope.get("root_path", "")
        path = f"{root}{S3_ROUTE}variant-bucket/{body['s3_key']}"
        # The mock's own URL lives 5 s in the proof; so does this one.
        lifetime = min(S3_LIFETIME, int(body.get("expires_in") or S3_LIFETIME))
        now = datetime.now(UTC)
        query = [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Credential", f"AKIAVARIANT/{now:%Y%m%d}/us-east-1/s3/aws4_request"),
            ("X-Amz-Date", f"{now:%Y%m%dT%H%M%SZ}"),
            ("X-Amz-Expires", str(lifetime)),
            ("X-Amz-SignedHeaders", "host"),
        ]
        signature = self.sign(path.removeprefix(root), query)
        self.targets[signature] = (url.path.removeprefix(root), url.query)
        query.append(("X-Amz-Signature", signature))
        new_url = urlunsplit(url._replace(path=path, query=urlencode(query)))
        return resp.with_json({**body, "upload_url": new_url})


SKEW = timedelta(minutes=20)
CLOCK_STAMPS = ("created_at", "updated_at")  # the server's clock; due_on etc. are the file's


class SkewedClock(JsonRewriter):
    """The server's clock runs 20 minutes ahead of the CI machine's, consistently: every
    timestamp it writes and its ``Date`` header. Nothing in the contract ties an
    implementation's clock to its client's (the reference pages: `created_at` is the
    "Creation timestamp"; RFC 9110 §6.6.1: ``Date`` is when the server originated the
    message). The variants' server sends no ``Date`` of its own, so this is the only one."""

    def edit(self, req: Req, body: Any) -> Any:
        def shift(value: Any) -> Any:
            if not isinstance(value, dict):
                return value
            out = dict(value)
            for name in CLOCK_STAMPS:
                if isinstance(out.get(name), str) and DATE_TIME.match(out[name]):
                    moment = datetime.fromisoformat(out[name].replace("Z", "+00:00"))
                    out[name] = (moment + SKEW).isoformat()
            return out

        return _walk(body, shift)

    async def on_response(self, req: Req, resp: Resp) -> Resp:
        resp = await super().on_response(req, resp)
        return resp.with_header("date", format_datetime(datetime.now(UTC) + SKEW, usegmt=True))


VARIANTS: tuple[Variant, ...] = (
    Variant(
        "optional-absent",
        "optional fields absent instead of null (CONTRACT §1)",
        OptionalAbsent,
        "test_operation or test_hard or test_every_created or test_pages or test_bulk_response "
        "or test_refused_file or test_direct_upload or test_presigned_upload",
    ),
    Variant(
        "extra-fields",
        "fields the contract does not name, in every object",
        ExtraFields,
        "test_operation or test_hard or test_every_created or test_direct_upload or "
        "test_presigned_upload or test_bad_flag or test_missing_token or test_unknown_key",
    ),
    Variant(
        "other-messages",
        "other error messages (free text)",
        OtherMessages,
        "test_auth or test_request_validation or test_unimportable or test_get_unknown or "
        "test_cell_formats or test_tenancy",
    ),
    Variant(
        "plus-two-offset",
        "date-times at +02:00 instead of Z (CONTRACT §1: with an offset)",
        OtherOffset,
        "test_operation or test_hard or test_generated or test_every_created or "
        "test_later_imports or test_refused_file",
    ),
    Variant(
        "other-numbers",
        "invoice numbers spelled differently (CONTRACT §3.1: non-empty, unique)",
        OtherNumbers,
        "test_hard_invoice or test_invoice_numbers or test_parallel or test_every_created",
    ),
    Variant(
        "opaque-cursor",
        "another cursor scheme (CONTRACT §5: cursor from next_cursor)",
        OpaqueCursor,
        "test_read_back or test_pagination_ends or test_listed_and_fetched or "
        "test_unimportable or test_operation and GET",
    ),
    Variant(
        "hex-cursor",
        "hex cursors where the all-zero cursor is well formed (CONTRACT §5)",
        HexCursor,
        "test_read_back or test_pagination_ends or test_listed_and_fetched or "
        "test_operation and GET",
    ),
    Variant(
        "envelope-numbers",
        "list total/limit null, bulk limit above the count (reference page; CONTRACT §4)",
        EnvelopeNumbers,
        "test_read_back or test_pagination_ends or test_hard or test_operation and GET",
    ),
    Variant(
        "slow",
        "40 ms slower answers",
        Slow,
        "test_auth and bulk or test_uploads or test_hard or test_parallel or test_read_back",
    ),
    Variant(
        "gzip",
        "gzip-compressed bodies",
        Gzip,
        "test_auth or test_uploads or test_hard or test_read_back or test_every_created or "
        "test_operation or tamper",
    ),
    Variant(
        "plain-undocumented",
        "plain-text/XML/empty bodies where the contract documents none (413, cursor 400, PUT)",
        PlainUndocumented,
        "10_mib or test_malformed_cursor or test_uploads or tamper or "
        "test_operation and (GET or upload) or test_limits and put",
    ),
    Variant(
        "strict-booleans",
        '"true" and 1 refused as finalize/approve (CONTRACT §1 order 2: may be refused)',
        StrictBooleans,
        "test_request_validation or test_operation and bulk or test_hard",
    ),
    Variant(
        "other-keys-and-urls",
        "opaque keys without the business id, presigned URLs without a query",
        OtherKeysAndUrls,
        "test_uploads or tamper or test_key_edited or test_unknown_key or test_hard "
        "or test_links_chain or test_operation and upload",
    ),
    Variant(
        "s3-style-urls",
        "presigned URLs laid out like S3 SigV4: key in the path, X-Amz-* parameters",
        S3StyleUrls,
        "test_uploads or tamper or test_operation and upload",
    ),
    Variant(
        "clock-20-min-ahead",
        "a server clock 20 minutes ahead of the client's, in its timestamps and Date header",
        SkewedClock,
        "test_hard or test_every_created or test_later_imports or test_presigned_upload "
        "or test_refused_file or test_links_chain or test_bulk_response",
    ),
)
