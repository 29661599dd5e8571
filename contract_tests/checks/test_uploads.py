"""CONTRACT §2: the companion upload operations, direct and presigned.

Nothing here depends on how an implementation spells its keys or URLs: keys are opaque
strings, and a presigned URL is tampered with generically (one character of its longest
query value, or of its last path segment, changes).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from dayzero_twin.contract_tests.support.assertions import (
    Registry,
    Window,
    expect_import_failed,
    expect_status,
    expect_validation_error,
    json_body,
)
from dayzero_twin.contract_tests.support.client import Api
from dayzero_twin.contract_tests.support.datagen import RunMarks, simple_file
from dayzero_twin.contract_tests.support.flows import Imported, bulk_body, expect_imported, tampered
from dayzero_twin.contract_tests.support.kinds import KIND_NAMES
from dayzero_twin.contract_tests.support.rules import fail, require, rule

MIB = 1024 * 1024
LIMIT = 10 * MIB
RULE_DIRECT = "CONTRACT §2 direct upload returns {s3_key, filename, size}"
RULE_PRESIGN = "CONTRACT §2 presigned upload: URL, key, expiry; PUT without Authorization"
RULE_TAMPER = "CONTRACT §2 a tampered or expired upload URL is refused with 403"
RULE_413 = "CONTRACT §2 files over 10 MiB are refused with 413"


def presign(
    api: Api, body: dict[str, Any] | None = None, status_rule: str = RULE_PRESIGN
) -> dict[str, Any]:
    """A presigned upload; its status is judged under ``status_rule``, its body under
    :data:`RULE_PRESIGN`."""
    body = body or {"filename": "import.csv", "content_type": "text/csv"}
    response = api.presign(body)
    payload = expect_status(response, 200, status_rule, f"POST /upload with {body}")
    if not isinstance(payload, dict):
        fail(RULE_PRESIGN, "the body is not an object", response)
    url, key, expires = payload.get("upload_url"), payload.get("s3_key"), payload.get("expires_in")
    require(
        isinstance(url, str) and urlsplit(url).scheme in ("http", "https"),
        RULE_PRESIGN,
        f"upload_url is {url!r}",
        response,
    )
    require(isinstance(key, str) and key, RULE_PRESIGN, f"s3_key is {key!r}", response)
    require(
        isinstance(expires, int) and not isinstance(expires, bool) and expires >= 1,
        RULE_PRESIGN,
        f"expires_in is {expires!r}",
        response,
    )
    return payload


@rule(RULE_DIRECT)
def test_direct_upload_describes_the_file(api: Api, marks: RunMarks) -> None:
    data = "customer_email,due_date\nä@example.com,2026-11-22\n".encode()
    filename = f"contract-{marks.tag()}.csv"
    response = api.upload_direct(data, filename)
    body = expect_status(response, 200, RULE_DIRECT, "POST /upload/direct")
    require(
        isinstance(body, dict) and isinstance(body.get("s3_key"), str) and body["s3_key"],
        RULE_DIRECT,
        f"s3_key missing or empty in {body!r}",
        response,
    )
    # CONTRACT §2 names a `filename` string, not how it relates to the uploaded name.
    require(
        isinstance(body.get("filename"), str),
        RULE_DIRECT,
        f"filename is {body.get('filename')!r} (uploaded as {filename!r})",
        response,
    )
    require(
        body.get("size") == len(data),
        RULE_DIRECT,
        f"size is {body.get('size')!r}, the file has {len(data)} bytes",
        response,
    )


@rule(RULE_PRESIGN, "CONTRACT §3")
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_presigned_upload_then_import(
    api: Api, marks: RunMarks, registry: Registry, kind: str
) -> None:
    file = simple_file(kind, marks, 2, "presigned")
    ticket = presign(api, {"filename": "presigned.csv"})
    put = api.put_upload_url(ticket["upload_url"], file.to_bytes())
    require(
        200 <= put.status_code < 300,
        RULE_PRESIGN,
        f"PUT to upload_url without Authorization answered {put.status_code}",
        put,
    )
    started = datetime.now(UTC)
    response = api.bulk(kind, bulk_body(kind, ticket["s3_key"], None))
    window = Window.around(started, datetime.now(UTC), response)
    imported = Imported(response, window, ticket["s3_key"])
    expect_imported(api, registry, kind, file, imported, None)


RULE_PRESIGN_TYPE = (
    "CONTRACT §2 presigned upload body {filename, content_type} (content_type optional; "
    "schema: PresignedUploadRequest.content_type any string or null)"
)
ABSENT = object()


@rule(RULE_PRESIGN_TYPE, RULE_PRESIGN)
@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/vnd.ms-excel", None, ABSENT],
    ids=["text/plain", "vnd.ms-excel", "null", "absent"],
)
def test_presign_takes_any_content_type(api: Api, content_type: object) -> None:
    """An explicit request, not a generated one: schemathesis may or may not draw a
    content type other than ``text/csv``, this check always sends one."""
    body: dict[str, Any] = {"filename": "import.csv"}
    if content_type is not ABSENT:
        body["content_type"] = content_type
    presign(api, body, RULE_PRESIGN_TYPE)


RULE_BEFORE_PUT = "CONTRACT §2 a presigned key whose PUT has not happened is not found (400)"


@rule(RULE_BEFORE_PUT)
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_presigned_key_before_put_is_400(api: Api, kind: str) -> None:
    ticket = presign(api)
    response = api.bulk(kind, bulk_body(kind, ticket["s3_key"], None))
    expect_import_failed(
        response, f"POST /{kind}/bulk with a presigned key before its PUT", rule=RULE_BEFORE_PUT
    )


@rule(RULE_TAMPER)
def test_tampered_upload_url_is_403(api: Api, marks: RunMarks) -> None:
    ticket = presign(api)
    url = tampered(ticket["upload_url"], api.settings.business_id)
    if url is None:
        pytest.skip(
            "the upload URL has no query value and its path ends in the business id: "
            "no part to change without naming another business"
        )
    data = simple_file("invoices", marks, 1, "tampered").to_bytes()
    response = api.put_upload_url(url, data)
    expect_status(response, 403, RULE_TAMPER, f"PUT to a tampered upload URL ({url})")
    after = api.bulk("invoices", bulk_body("invoices", ticket["s3_key"], None))
    expect_import_failed(
        after, "the key of a refused (tampered) PUT must still be unknown", rule=RULE_TAMPER
    )


@rule(RULE_TAMPER)
def test_expired_upload_url_is_403(api: Api, marks: RunMarks) -> None:
    ticket = presign(api)
    wait = ticket["expires_in"]
    if wait > api.settings.max_expiry_wait:
        pytest.skip(
            f"upload URLs live {wait} s, longer than --max-expiry-wait "
            f"{api.settings.max_expiry_wait:g} s"
        )
    time.sleep(wait + 1.5)
    data = simple_file("invoices", marks, 1, "expired").to_bytes()
    response = api.put_upload_url(ticket["upload_url"], data)
    expect_status(
        response, 403, RULE_TAMPER, f"PUT to an upload URL {wait + 1.5:g} s after it expired"
    )


def _large_upload(
    api: Api, size: int, headers: dict[str, str], check: Callable[[httpx.Response], None]
) -> None:
    """Upload ``size`` bytes; a server may hang up before reading them all (then skip)."""
    try:
        response = api.upload_direct(b"x" * size, "large.csv", headers=headers)
    except httpx.TransportError as error:
        pytest.skip(
            f"the server closed the connection before answering ({error!r}); "
            "its status cannot be observed"
        )
    check(response)


@rule(RULE_413)
def test_upload_over_10_mib_is_413(api: Api) -> None:
    def check(response: httpx.Response) -> None:
        # CONTRACT §2 documents the status only: any body (JSON, text, none) is legal.
        expect_status(response, 413, RULE_413, f"a direct upload of {LIMIT + 1} bytes")

    _large_upload(api, LIMIT + 1, api.headers(), check)


@rule(RULE_413)
def test_upload_of_exactly_10_mib_is_accepted(api: Api) -> None:
    def check(response: httpx.Response) -> None:
        body = expect_status(response, 200, RULE_413, f"a direct upload of exactly {LIMIT} bytes")
        require(
            isinstance(body, dict) and body.get("size") == LIMIT,
            RULE_DIRECT,
            f"size is {json_body(response, RULE_DIRECT).get('size')!r}",
            response,
        )

    _large_upload(api, LIMIT, api.headers(), check)


@rule("CONTRACT §2 413 comes after the 401, 422 and 403 checks")
@pytest.mark.parametrize("refusal", ["401", "422", "403"])
def test_oversize_precedence(api: Api, refusal: str) -> None:
    rule_ = "CONTRACT §2 413 comes after the 401, 422 and 403 checks"
    headers = {
        "401": api.headers(authorization=None),
        "422": api.headers(business="not-a-uuid"),
        "403": api.headers(business=api.settings.other_business_id),
    }[refusal]

    def check(response: httpx.Response) -> None:
        if refusal == "422":
            expect_validation_error(
                response,
                ("header", "x-business-id"),
                rule_,
                "an oversized upload with a malformed x-business-id",
            )
        else:
            expect_status(
                response, int(refusal), rule_, f"an oversized upload that deserves {refusal}"
            )

    _large_upload(api, LIMIT + 1, headers, check)
