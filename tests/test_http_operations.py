"""The documented and companion operations end to end, through the HTTP layer.

Every response body is checked against the slices with ``check_response``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from dayzero_twin.mock_server.app import MockApp

BULK = {"invoices": "/api/v1/invoices/bulk", "bills": "/api/v1/bills/bulk"}
FLAG = {"invoices": "finalize", "bills": "approve"}
INVOICES_CSV = (
    "customer_email,customer_name,due_date,currency,item_description,quantity,unit_price\r\n"
    "ops@example.org,Example Org,2026-03-01,eur,Audit,2,100.25\r\n"
    "ops@example.org,Example Org,2026-03-02,USD,Setup,1,50\r\n"
)
BILLS_CSV = "vendor_name,amount,due_on,type\nPaper Co,12.50,2026-02-01,recurring\n"


def _world_file(tmp_path: Path) -> Path:
    """A world in which token ``dz_clerk`` may act for business B only."""
    path = tmp_path / "world.yaml"
    path.write_text(
        "tokens:\n"
        "  dz_admin: [aaaaaaaa-0000-4000-8000-00000000000a, aaaaaaaa-0000-4000-8000-00000000000b]\n"
        "  dz_clerk: [aaaaaaaa-0000-4000-8000-00000000000b]\n"
        "businesses:\n"
        "  - {id: aaaaaaaa-0000-4000-8000-00000000000a, name: A, customers: [], vendors: []}\n"
        "  - {id: aaaaaaaa-0000-4000-8000-00000000000b, name: B, customers: [], vendors: []}\n",
        encoding="utf-8",
    )
    return path


def upload(client: TestClient, headers: dict[str, str], text: str, name: str = "f.csv") -> str:
    response = client.post(
        "/api/v1/upload/direct", headers=headers, files={"file": (name, text.encode(), "text/csv")}
    )
    assert response.status_code == 200, response.text
    return response.json()["s3_key"]


def test_direct_upload_then_bulk_invoices_then_read_back(
    client: TestClient, auth_headers: dict[str, str], check_response: Any
) -> None:
    response = client.post(
        "/api/v1/upload/direct",
        headers=auth_headers,
        files={"file": ("march.csv", INVOICES_CSV.encode(), "text/csv")},
    )
    uploaded = check_response(response)
    assert uploaded["filename"] == "march.csv"
    assert uploaded["size"] == len(INVOICES_CSV.encode())

    payload = {"s3_key": uploaded["s3_key"], "finalize": True}
    created = check_response(client.post(BULK["invoices"], headers=auth_headers, json=payload))
    assert created["total"] == len(created["items"]) == 2
    assert (created["has_next"], created["has_prev"], created["next_cursor"]) == (
        False,
        False,
        None,
    )
    first = created["items"][0]
    assert first["business_id"] == auth_headers["x-business-id"]
    assert first["status"] == "open" and first["number"]
    assert first["currency"] == "EUR"
    assert first["line_items"][0]["amount"] == 20050
    assert first["pdf_url"].startswith("http://testserver/__mock/invoices/")

    page = check_response(client.get("/api/v1/invoices", headers=auth_headers, params={"limit": 1}))
    assert page["items"][0]["id"] == created["items"][1]["id"]  # newest first
    assert page["has_next"] is True
    following = client.get(
        "/api/v1/invoices", headers=auth_headers, params={"cursor": page["next_cursor"]}
    )
    assert check_response(following)["items"][0]["id"] == first["id"]

    fetched = check_response(client.get(f"/api/v1/invoices/{first['id']}", headers=auth_headers))
    assert fetched == first

    pdf = client.get(first["pdf_url"].removeprefix("http://testserver"))
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")


def test_presigned_upload_then_bulk_bills(
    client: TestClient, auth_headers: dict[str, str], check_response: Any
) -> None:
    response = client.post("/api/v1/upload", headers=auth_headers, json={"filename": "bills.csv"})
    slot = check_response(response)
    assert slot["upload_url"].startswith("http://testserver/__mock/uploads/")
    payload = {"s3_key": slot["s3_key"], "approve": "true"}
    # Not PUT yet: the key is not found (CONTRACT §2).
    early = client.post(BULK["bills"], headers=auth_headers, json=payload)
    assert early.status_code == 400
    check_response(early)

    put = client.put(slot["upload_url"], content=BILLS_CSV.encode())  # no Authorization
    assert put.status_code == 200, put.text
    assert put.json()["size"] == len(BILLS_CSV)
    tampered = client.put(slot["upload_url"].replace("/uploads/", "/uploads/x"), content=b"a")
    assert tampered.status_code == 403

    created = check_response(client.post(BULK["bills"], headers=auth_headers, json=payload))
    bill = created["items"][0]
    assert (bill["status"], bill["type"], bill["amount"]) == ("forecasted", "recurring", 1250)
    fetched = client.get(f"/api/v1/bills/{bill['id']}", headers=auth_headers)
    assert check_response(fetched) == bill


@pytest.mark.parametrize("kind", ["invoices", "bills"])
def test_unimportable_file_is_400_with_every_bad_cell(
    client: TestClient, auth_headers: dict[str, str], check_response: Any, kind: str
) -> None:
    key = f"samples/{kind}-invalid.csv"
    response = client.post(BULK[kind], headers=auth_headers, json={"s3_key": key})
    body = check_response(response)
    assert response.status_code == 400
    assert len(body["errors"]) >= 2
    assert all(e["row"] >= 1 and e["column"] and e["message"] for e in body["errors"])
    listed = client.get(f"/api/v1/{kind}", headers=auth_headers)
    assert check_response(listed)["items"] == []  # all or nothing


def test_templates_are_csv_header_rows_without_auth(client: TestClient) -> None:
    for kind, column in (("invoices", "customer_email"), ("bills", "vendor_name")):
        response = client.get(f"/api/v1/{kind}/bulk/template")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert response.text.endswith("\r\n") and response.text.count("\r\n") == 1
        assert column in response.text.split(",")


def test_unknown_entity_and_malformed_cursor(
    client: TestClient, auth_headers: dict[str, str], check_response: Any
) -> None:
    for path in (f"/api/v1/invoices/{uuid.uuid4()}", "/api/v1/bills/not-an-id"):
        response = client.get(path, headers=auth_headers)
        assert response.status_code == 404
        check_response(response)
    response = client.get("/api/v1/bills", headers=auth_headers, params={"cursor": "%%%"})
    assert response.status_code == 400
    check_response(response)


def test_unknown_path_and_wrong_method_answer_like_fastapi(client: TestClient) -> None:
    missing = client.get("/api/v1/nothing-here")
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not Found"})
    wrong = client.delete("/api/v1/invoices/bulk")
    assert (wrong.status_code, wrong.json()) == (405, {"detail": "Method Not Allowed"})
    assert "POST" in wrong.headers["allow"]


# --------------------------------------------------------------------------- precedence


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer dz_nobody", "dz_mock_token"],
)
def test_401_comes_first_even_before_invalid_json(
    client: TestClient, check_response: Any, authorization: str | None
) -> None:
    headers = {"x-business-id": "not-a-uuid", "Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    response = client.post(BULK["invoices"], headers=headers, content=b"{not json")
    assert response.status_code == 401
    check_response(response)  # also asserts WWW-Authenticate: Bearer


def test_bearer_scheme_is_case_insensitive(
    client: TestClient, auth_headers: dict[str, str]
) -> None:
    token = auth_headers["Authorization"].split()[1]
    headers = {**auth_headers, "Authorization": f"bEaReR {token}"}
    assert client.get("/api/v1/invoices", headers=headers).status_code == 200


def test_422_before_403_before_400(
    mock_app: Callable[..., MockApp], tmp_path: Path, check_response: Any
) -> None:
    with TestClient(mock_app(world_file=_world_file(tmp_path))) as client:
        clerk_on_a = {
            "Authorization": "Bearer dz_clerk",
            "x-business-id": "aaaaaaaa-0000-4000-8000-00000000000a",
        }
        invalid = client.post(BULK["bills"], headers=clerk_on_a, json={"approve": "x"})
        assert invalid.status_code == 422
        check_response(invalid)
        forbidden = client.post(BULK["bills"], headers=clerk_on_a, json={"s3_key": "nope"})
        assert forbidden.status_code == 403
        check_response(forbidden)
        on_b = {**clerk_on_a, "x-business-id": "aaaaaaaa-0000-4000-8000-00000000000b"}
        unknown_key = client.post(BULK["bills"], headers=on_b, json={"s3_key": "nope"})
        assert unknown_key.status_code == 400
        check_response(unknown_key)


def test_security_free_operations_ignore_a_bad_token(client: TestClient) -> None:
    response = client.get(
        "/api/v1/bills/bulk/template", headers={"Authorization": "Bearer dz_nobody"}
    )
    assert response.status_code == 200


# --------------------------------------------------------------------------- uploads


def test_upload_limit_is_exact_and_413_comes_after_403(
    mock_app: Callable[..., MockApp],
    tmp_path: Path,
    auth_headers: dict[str, str],
    check_response: Any,
) -> None:
    with TestClient(mock_app(max_upload_bytes=1000)) as client:
        url = "/api/v1/upload/direct"
        at_limit = client.post(url, headers=auth_headers, files={"file": ("a.csv", b"a" * 1000)})
        assert check_response(at_limit)["size"] == 1000
        over = client.post(url, headers=auth_headers, files={"file": ("a.csv", b"a" * 1001)})
        assert over.status_code == 413
        check_response(over)
        huge = {"file": ("a.csv", b"a" * 200_000)}  # past the multipart slack: not read
        assert client.post(url, headers=auth_headers, files=huge).status_code == 413
        stranger = {**auth_headers, "x-business-id": str(uuid.uuid4())}
        assert client.post(url, headers=stranger, files=huge).status_code == 403
        no_token = {"x-business-id": auth_headers["x-business-id"]}
        assert client.post(url, headers=no_token, files=huge).status_code == 401
        bad_header = {**auth_headers, "x-business-id": "x"}
        assert client.post(url, headers=bad_header, files=huge).status_code == 422


def test_presigned_put_limit(
    mock_app: Callable[..., MockApp], auth_headers: dict[str, str]
) -> None:
    with TestClient(mock_app(max_upload_bytes=1000)) as client:
        slot = client.post("/api/v1/upload", headers=auth_headers, json={"filename": "a.csv"})
        url = slot.json()["upload_url"]
        assert client.put(url, content=b"a" * 1001).status_code == 413
        assert client.put(url, content=b"a" * 1000).status_code == 200


def test_malformed_multipart_is_a_clear_400(
    client: TestClient, auth_headers: dict[str, str]
) -> None:
    headers = {**auth_headers, "Content-Type": "multipart/form-data"}  # no boundary
    response = client.post("/api/v1/upload/direct", headers=headers, content=b"--x\r\n")
    assert response.status_code == 400
    assert response.json()["detail"]


def test_streamed_upload_over_the_limit_is_refused_on_a_live_server(
    live_mock_factory: Callable[..., str], auth_headers: dict[str, str]
) -> None:
    base = live_mock_factory(max_upload_bytes=100_000)

    def chunks() -> Any:  # no Content-Length: the mock must count while streaming
        boundary = b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
        yield boundary
        for _ in range(100):
            yield b"a" * 10_000
        yield b"\r\n--b--\r\n"

    headers = {**auth_headers, "Content-Type": "multipart/form-data; boundary=b"}
    with httpx.Client(base_url=base, timeout=10) as http:
        response = http.post("/api/v1/upload/direct", headers=headers, content=chunks())
    assert response.status_code == 413
    assert response.json()["detail"]


# --------------------------------------------------------------------------- base URL


def test_urls_follow_the_host_the_client_used_or_the_public_base_url(
    mock_app: Callable[..., MockApp], auth_headers: dict[str, str]
) -> None:
    payload = {"s3_key": "samples/invoices.csv"}
    with TestClient(mock_app(), base_url="http://localhost:5555") as client:
        item = client.post(BULK["invoices"], headers=auth_headers, json=payload).json()["items"][0]
        assert item["pdf_url"].startswith("http://localhost:5555/__mock/invoices/")
    with TestClient(mock_app(public_base_url="https://mock.example.test")) as client:
        item = client.post(BULK["invoices"], headers=auth_headers, json=payload).json()["items"][0]
        assert item["pdf_url"].startswith("https://mock.example.test/__mock/invoices/")


# --------------------------------------------------------------------------- determinism


def _session(client: TestClient, headers: dict[str, str]) -> list[bytes]:
    bodies = []
    for request in (
        ("POST", BULK["invoices"], {"json": {"s3_key": "samples/invoices.csv", "finalize": True}}),
        ("POST", BULK["bills"], {"json": {"s3_key": "samples/bills.csv"}}),
        ("POST", "/api/v1/upload", {"json": {"filename": "x.csv"}}),
        ("GET", "/api/v1/invoices", {"params": {"limit": 2}}),
        ("GET", "/api/v1/bills", {"headers": {"Prefer": "code=404"}}),
        ("POST", BULK["bills"], {"json": {"s3_key": "samples/bills-invalid.csv"}}),
    ):
        method, path, kwargs = request
        extra = kwargs.pop("headers", {})
        response = client.request(method, path, headers={**headers, **extra}, **kwargs)
        bodies.append(response.content)
    return bodies


def test_same_seed_and_clock_give_byte_identical_bodies(
    mock_app: Callable[..., MockApp], auth_headers: dict[str, str]
) -> None:
    runs = []
    for _ in range(2):
        with TestClient(mock_app(seed=99)) as client:
            runs.append(_session(client, auth_headers))
    assert runs[0] == runs[1]
    with TestClient(mock_app(seed=100)) as client:
        assert _session(client, auth_headers)[0] != runs[0][0]


def test_a_host_header_that_is_no_url_still_gets_an_answer(
    live_mock: str, auth_headers: dict[str, str]
) -> None:
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(live_mock)
    lines = [
        "POST /api/v1/invoices/bulk HTTP/1.1",
        "Host: [::1",
        *(f"{k}: {v}" for k, v in auth_headers.items()),
        "Content-Type: application/json",
        "Content-Length: 34",
        "Connection: close",
    ]
    request = ("\r\n".join(lines) + '\r\n\r\n{"s3_key": "samples/invoices.csv"}').encode()
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 201"), data[:300]
    assert f"http://127.0.0.1:{parts.port}/__mock/invoices/".encode() in data
