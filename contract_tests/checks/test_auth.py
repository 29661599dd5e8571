"""CONTRACT §1: who may call, and which refusal wins when several apply.

Every request here is otherwise well formed, so the status can only come from the rule
under test; the bulk bodies name a key that was never uploaded, so a server that got
past every check would answer 400, never 201, and nothing is created.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable

import httpx
import pytest

from dayzero_twin.contract_tests.support.assertions import (
    expect_error_body,
    expect_status,
    expect_unauthorized,
    expect_validation_error,
)
from dayzero_twin.contract_tests.support.client import Api
from dayzero_twin.contract_tests.support.kinds import KIND_NAMES
from dayzero_twin.contract_tests.support.rules import rule

HEADER_LOC = ("header", "x-business-id")


def unknown_key() -> str:
    return f"contract-tests/never-uploaded-{uuid.uuid4().hex}.csv"


def bulk_call(kind: str) -> Callable[[Api, dict[str, str]], httpx.Response]:
    return lambda api, headers: api.bulk(kind, {"s3_key": unknown_key()}, headers=headers)


# Every /api/v1 operation of the contract, each called with a well-formed request.
OPERATIONS: dict[str, Callable[[Api, dict[str, str]], httpx.Response]] = {
    "POST /invoices/bulk": bulk_call("invoices"),
    "POST /bills/bulk": bulk_call("bills"),
    "POST /upload/direct": lambda api, h: api.upload_direct(b"a,b\n1,2\n", headers=h),
    "POST /upload": lambda api, h: api.presign({"filename": "import.csv"}, headers=h),
    "GET /invoices": lambda api, h: api.list("invoices", headers=h),
    "GET /bills": lambda api, h: api.list("bills", headers=h),
    "GET /invoices/{id}": lambda api, h: api.get("invoices", str(uuid.uuid4()), headers=h),
    "GET /bills/{id}": lambda api, h: api.get("bills", str(uuid.uuid4()), headers=h),
}


def bad_authorizations(token: str) -> dict[str, str | None]:
    basic = base64.b64encode(f"{token}:".encode()).decode()
    return {
        "no header": None,
        "empty bearer": "Bearer",
        "unknown token": f"Bearer dz_contract_unknown_{uuid.uuid4().hex}",
        "basic scheme": f"Basic {basic}",
        "token scheme": f"Token {token}",
        "bare token": token,
    }


BAD_AUTH_NAMES = tuple(bad_authorizations("x"))


@rule("CONTRACT §1 401: no/non-Bearer/empty/unknown token")
@pytest.mark.parametrize("operation", OPERATIONS)
def test_missing_token_is_401(api: Api, operation: str) -> None:
    response = OPERATIONS[operation](api, api.headers(authorization=None))
    expect_unauthorized(response, f"{operation} without Authorization")


@rule("CONTRACT §1 401: no/non-Bearer/empty/unknown token")
@pytest.mark.parametrize("variant", BAD_AUTH_NAMES)
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_bad_token_is_401(api: Api, kind: str, variant: str) -> None:
    authorization = bad_authorizations(api.settings.token)[variant]
    response = bulk_call(kind)(api, api.headers(authorization=authorization))
    expect_unauthorized(response, f"POST /{kind}/bulk with Authorization: {variant}")


@rule("CONTRACT §1 422: x-business-id missing or not a UUID, loc [header, x-business-id]")
@pytest.mark.parametrize("value", [None, "not-a-uuid", "1234", "b5a1c6de-0000-4000-8000"])
@pytest.mark.parametrize("operation", OPERATIONS)
def test_bad_business_header_is_422(api: Api, operation: str, value: str | None) -> None:
    response = OPERATIONS[operation](api, api.headers(business=value))
    what = f"{operation} with x-business-id {'missing' if value is None else repr(value)}"
    expect_validation_error(
        response,
        HEADER_LOC,
        "CONTRACT §1 422: x-business-id missing or not a UUID, loc [header, x-business-id]",
        what,
    )


@rule("CONTRACT §1 403: the token may not act for that business")
@pytest.mark.parametrize("operation", OPERATIONS)
def test_other_business_is_403(api: Api, operation: str) -> None:
    response = OPERATIONS[operation](api, api.headers(business=api.settings.other_business_id))
    rule_ = "CONTRACT §1 403: the token may not act for that business"
    expect_status(response, 403, rule_, f"{operation} for a business the token cannot use")
    expect_error_body(response, "CONTRACT §1 403 body is {detail: <message>}")


# -- precedence (CONTRACT §1: the first failing check decides) -------------------------


@rule("CONTRACT §1 precedence: 401 before 422")
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_no_token_beats_bad_business_header(api: Api, kind: str) -> None:
    response = bulk_call(kind)(api, api.headers(authorization=None, business="not-a-uuid"))
    expect_status(
        response,
        401,
        "CONTRACT §1 precedence: 401 before 422",
        "no token and a malformed x-business-id",
    )


@rule("CONTRACT §1 precedence: 401 before 422")
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_no_token_beats_bad_body(api: Api, kind: str) -> None:
    response = api.bulk(kind, {"s3_key": ""}, headers=api.headers(authorization=None))
    expect_status(
        response, 401, "CONTRACT §1 precedence: 401 before 422", "no token and an empty s3_key"
    )


@rule("CONTRACT §1 precedence: 401 before 403")
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_unknown_token_beats_other_business(api: Api, kind: str) -> None:
    headers = api.headers(
        authorization=f"Bearer dz_contract_unknown_{uuid.uuid4().hex}",
        business=api.settings.other_business_id,
    )
    response = bulk_call(kind)(api, headers)
    expect_status(
        response,
        401,
        "CONTRACT §1 precedence: 401 before 403",
        "an unknown token for a business it cannot use",
    )


@rule("CONTRACT §1 precedence: 422 before 403")
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_bad_body_beats_other_business(api: Api, kind: str) -> None:
    headers = api.headers(business=api.settings.other_business_id)
    response = api.bulk(kind, {"s3_key": ""}, headers=headers)
    expect_validation_error(
        response,
        ("body", "s3_key"),
        "CONTRACT §1 precedence: 422 before 403",
        "an empty s3_key for a business the token cannot use",
    )


@rule("CONTRACT §1 precedence: 422 before 403")
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_bad_header_and_bad_body_point_at_the_header(api: Api, kind: str) -> None:
    response = api.bulk(kind, {"s3_key": ""}, headers=api.headers(business="not-a-uuid"))
    expect_validation_error(
        response,
        HEADER_LOC,
        "CONTRACT §1 422: x-business-id missing or not a UUID, loc [header, x-business-id]",
        "a malformed x-business-id and an empty s3_key",
    )


@rule("CONTRACT §1 precedence: 403 before 400")
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_other_business_beats_unknown_key(api: Api, kind: str) -> None:
    headers = api.headers(business=api.settings.other_business_id)
    response = bulk_call(kind)(api, headers)
    expect_status(
        response,
        403,
        "CONTRACT §1 precedence: 403 before 400",
        "an unknown s3_key for a business the token cannot use",
    )
