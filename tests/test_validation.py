"""422 bodies are exactly FastAPI's: the mock against a FastAPI app declared the FastAPI way.

The reference app below declares the same operations as a DayZero-style FastAPI service
would (``HTTPBearer``, ``x_business_id: BusinessId``, pydantic body models,
``UploadFile = File()``). For every bad request both answer, and the bodies must be equal
byte for byte once parsed. Requests carry a valid token, because FastAPI decides 401 after
parsing the body, where the contract (and the mock) put 401 first.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any
from uuid import UUID

import pytest
from fastapi import Depends, FastAPI, File, Header, Query, UploadFile
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from dayzero_twin.mock_server.app import create_app
from tests.conftest import mock_config


class InvoiceBulkRequest(BaseModel):
    s3_key: str = Field(min_length=1)
    finalize: bool = False


class BillBulkRequest(BaseModel):
    s3_key: str = Field(min_length=1)
    approve: bool = False


class PresignedUploadRequest(BaseModel):
    filename: str = Field(min_length=1)
    content_type: str | None = "text/csv"


BEARER = HTTPBearer()
Auth = Annotated[HTTPAuthorizationCredentials, Depends(BEARER)]
BusinessId = Annotated[UUID, Header()]


def reference_app() -> FastAPI:
    app = FastAPI()

    @app.post("/api/v1/invoices/bulk", status_code=201)
    def bulk_invoices(
        body: InvoiceBulkRequest, x_business_id: BusinessId, c: Auth
    ) -> dict[str, Any]:
        return {}

    @app.post("/api/v1/bills/bulk", status_code=201)
    def bulk_bills(body: BillBulkRequest, x_business_id: BusinessId, c: Auth) -> dict[str, Any]:
        return {}

    @app.get("/api/v1/invoices")
    def list_invoices(
        x_business_id: BusinessId,
        c: Auth,
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        return {}

    @app.get("/api/v1/bills/{bill_id}")
    def get_bill(bill_id: str, x_business_id: BusinessId, c: Auth) -> dict[str, Any]:
        return {}

    @app.post("/api/v1/upload")
    def presign(
        body: PresignedUploadRequest,
        x_business_id: BusinessId,
        c: Auth,
    ) -> dict[str, Any]:
        return {}

    @app.post("/api/v1/upload/direct")
    def direct(
        file: Annotated[UploadFile, File()], x_business_id: BusinessId, c: Auth
    ) -> dict[str, Any]:
        return {}

    return app


JSON = {"Content-Type": "application/json"}
BAD_UUIDS = [
    "not-a-uuid",
    "",
    "b5a1c6de-0000-4000-8000-00000000000",
    "b5a1c6de00004000800000000000000g",
]

# (method, path, extra headers (None value: drop the header), request kwargs)
Case = tuple[str, str, dict[str, str | None], dict[str, Any]]


def _bulk_cases(path: str, flag: str) -> list[Case]:
    cases: list[Case] = [
        ("POST", path, {"x-business-id": None}, {"json": {"s3_key": "k"}}),
        *[("POST", path, {"x-business-id": bad}, {"json": {"s3_key": "k"}}) for bad in BAD_UUIDS],
        ("POST", path, JSON, {"content": b'{"s3_key": '}),
        ("POST", path, JSON, {"content": b"{'s3_key': 'k'}"}),
        ("POST", path, {**JSON, "x-business-id": "nope"}, {"content": b"{oops"}),
        ("POST", path, JSON, {"content": b"[]"}),
        ("POST", path, JSON, {"content": b'"samples/invoices.csv"'}),
        ("POST", path, JSON, {"content": b"12"}),
        ("POST", path, JSON, {"content": b"null"}),
        ("POST", path, JSON, {"content": b""}),
        ("POST", path, {}, {}),
        ("POST", path, {"Content-Type": "text/plain"}, {"content": b'{"s3_key": "k"}'}),
        ("POST", path, {}, {"content": b'{"s3_key": "k"}'}),
        ("POST", path, {"Content-Type": "application/x-www-form-urlencoded"}, {"content": b"a=b"}),
        ("POST", path, {"Content-Type": "application/vnd.api+json"}, {"content": b"{}"}),
        ("POST", path, {"Content-Type": "application/json; charset=utf-8"}, {"content": b"{}"}),
        ("POST", path, {}, {"json": {}}),
        ("POST", path, {}, {"json": {"s3_key": 5}}),
        ("POST", path, {}, {"json": {"s3_key": ""}}),
        ("POST", path, {}, {"json": {"s3_key": None}}),
        ("POST", path, {}, {"json": {"s3_key": ["k"]}}),
        ("POST", path, {}, {"json": {"s3_key": {"k": 1}}}),
        ("POST", path, {}, {"json": {"s3_key": True}}),
        ("POST", path, {"x-business-id": "x"}, {"json": {flag: "maybe"}}),
    ]
    for value in ["maybe", 2, -1, 0.5, [], {}, None, "", "TRUE ", "yes please"]:
        cases.append(("POST", path, {}, {"json": {"s3_key": "k", flag: value}}))
    return cases


CASES: list[Case] = [
    *_bulk_cases("/api/v1/invoices/bulk", "finalize"),
    *_bulk_cases("/api/v1/bills/bulk", "approve"),
    ("GET", "/api/v1/invoices", {"x-business-id": None}, {}),
    *[
        ("GET", "/api/v1/invoices", {}, {"params": {"limit": v}})
        for v in ["0", "1001", "-1", "abc", "1.5", "", "1e3"]
    ],
    ("GET", "/api/v1/invoices", {"x-business-id": "x"}, {"params": {"limit": "0"}}),
    ("GET", "/api/v1/invoices", {}, {"params": [("limit", "5"), ("limit", "0")]}),
    ("GET", "/api/v1/bills/123", {"x-business-id": None}, {}),
    ("GET", "/api/v1/bills/123", {"x-business-id": "123"}, {}),
    ("POST", "/api/v1/upload", {}, {"json": {}}),
    ("POST", "/api/v1/upload", {}, {"json": {"filename": ""}}),
    ("POST", "/api/v1/upload", {}, {"json": {"filename": 3, "content_type": 4}}),
    ("POST", "/api/v1/upload", {"x-business-id": None}, {"json": []}),
    ("POST", "/api/v1/upload/direct", {}, {}),
    ("POST", "/api/v1/upload/direct", {}, {"data": {"file": "not a file"}}),
    ("POST", "/api/v1/upload/direct", {}, {"data": {"file": ""}}),
    ("POST", "/api/v1/upload/direct", {}, {"files": {"other": ("a.csv", b"x", "text/csv")}}),
    ("POST", "/api/v1/upload/direct", {}, {"files": {"file": ("", b"", "text/csv")}}),
    ("POST", "/api/v1/upload/direct", {}, {"json": {"file": "x"}}),
    ("POST", "/api/v1/upload/direct", {"x-business-id": "z"}, {"files": {"file": ("a.csv", b"x")}}),
]


@pytest.fixture(scope="module")
def reference() -> Iterator[TestClient]:
    with TestClient(reference_app(), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def mock() -> Iterator[TestClient]:
    # Validation keeps no state, so one app serves the whole module.
    with TestClient(create_app(mock_config()), raise_server_exceptions=False) as client:
        yield client


def _headers(auth: dict[str, str], extra: dict[str, str | None]) -> dict[str, str]:
    merged: dict[str, str | None] = {**auth, **extra}
    return {k: v for k, v in merged.items() if v is not None}


@pytest.mark.parametrize(("method", "path", "extra", "kwargs"), CASES)
def test_422_bodies_equal_fastapis(
    reference: TestClient,
    mock: TestClient,
    auth_headers: dict[str, str],
    check_response: Any,
    method: str,
    path: str,
    extra: dict[str, str | None],
    kwargs: dict[str, Any],
) -> None:
    headers = _headers(auth_headers, extra)
    expected = reference.request(method, path, headers=headers, **kwargs)
    actual = mock.request(method, path, headers=headers, **kwargs)
    assert expected.status_code == 422, expected.text  # the case list holds bad requests only
    assert actual.status_code == 422, actual.text
    assert actual.json() == expected.json()
    check_response(actual)


@pytest.mark.parametrize(
    "body",
    [
        {"s3_key": "k", "finalize": "true"},
        {"s3_key": "k", "finalize": 1},
        {"s3_key": "k", "finalize": "off"},
        {"s3_key": "k", "finalize": 0.0},
        {"s3_key": "k", "unknown": [1, 2]},
    ],
)
def test_lax_booleans_and_extra_fields_pass_validation_like_fastapi(
    reference: TestClient, mock: TestClient, auth_headers: dict[str, str], body: dict[str, Any]
) -> None:
    path = "/api/v1/invoices/bulk"
    assert reference.post(path, headers=auth_headers, json=body).status_code == 201
    # Valid for FastAPI, so the mock gets as far as the import: an unknown key is a 400.
    response = mock.post(path, headers=auth_headers, json=body)
    assert response.status_code == 400, response.text
    assert "was not found" in response.json()["detail"]


def test_body_that_is_not_utf8_json_is_a_422_where_fastapi_says_400(
    reference: TestClient, mock: TestClient, auth_headers: dict[str, str]
) -> None:
    headers = {**auth_headers, **JSON}
    body = b'{"s3_key": "\xff\xfe"}'
    # FastAPI gives up with 400 "There was an error parsing the body"; CONTRACT §1 makes
    # every body that is not JSON a 422, and the contract wins.
    assert reference.post("/api/v1/invoices/bulk", headers=headers, content=body).status_code == 400
    actual = mock.post("/api/v1/invoices/bulk", headers=headers, content=body)
    assert actual.status_code == 422
    [error] = actual.json()["detail"]
    assert (error["type"], error["loc"]) == ("json_invalid", ["body", 0])


@pytest.mark.parametrize(
    "content", [b'{"s3_key": NaN}', b'{"s3_key": Infinity, "finalize": -Infinity}']
)
def test_non_standard_json_numbers_are_422_not_500(
    mock: TestClient, auth_headers: dict[str, str], check_response: Any, content: bytes
) -> None:
    # FastAPI itself crashes here (it cannot encode NaN back); the mock answers cleanly.
    response = mock.post("/api/v1/invoices/bulk", headers={**auth_headers, **JSON}, content=content)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "s3_key"]
    check_response(response)


@pytest.mark.parametrize("depth", [300, 1000, 100_000])
def test_deeply_nested_json_is_a_clean_4xx(
    mock: TestClient, auth_headers: dict[str, str], check_response: Any, depth: int
) -> None:
    content = b'{"s3_key": ' + b"[" * depth + b"]" * depth + b"}"
    response = mock.post("/api/v1/bills/bulk", headers={**auth_headers, **JSON}, content=content)
    assert response.status_code in (400, 422), response.text[:200]
    if response.status_code == 422:
        check_response(response)
