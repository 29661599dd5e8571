"""The admin API is its owner's: cross-site refusal, the Host check, the admin token, the
admin body cap, and secrets kept out of the journal and the log (issue 12)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest
from fastapi.testclient import TestClient

from dayzero_twin.mock_server.app import MockApp
from dayzero_twin.mock_server.asgi import redact

JSON = {"Content-Type": "application/json"}
SCENARIO = {"operation_id": "list_bills_api_v1_bills_get", "code": 503}
ADMIN_TOKEN = "admin-key-for-tests-0123456789"
BULK_INVOICES = "/api/v1/invoices/bulk"
UPLOAD = {"filename": "a.csv", "content_type": "text/csv"}


def armed(client: TestClient) -> list[Any]:
    items: list[Any] = client.get("/__mock/scenarios").json()["items"]
    return items


# --------------------------------------------------------------------------- cross-site


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Content-Type": "text/plain"},
        {"Content-Type": "application/x-www-form-urlencoded"},
        {"Content-Type": "multipart/form-data; boundary=x"},
    ],
    ids=["no content type", "text/plain", "form", "multipart"],
)
def test_a_simple_request_cannot_change_anything(
    client: TestClient, headers: dict[str, str]
) -> None:
    body = orjson.dumps(SCENARIO)
    for method, path, content in [
        ("POST", "/__mock/reset", b""),
        ("POST", "/__mock/scenarios", body),
        ("DELETE", "/__mock/scenarios", b""),
    ]:
        response = client.request(method, path, headers=headers, content=content)
        assert response.status_code == 403, (method, path)
        assert "Content-Type: application/json" in response.json()["detail"]
    assert armed(client) == []


def test_json_calls_work_and_reset_needs_no_body(client: TestClient) -> None:
    assert client.post("/__mock/scenarios", json=SCENARIO).status_code == 201
    assert len(armed(client)) == 1
    reset = client.post("/__mock/reset", headers=JSON)  # no body at all
    assert reset.status_code == 200 and reset.json() == {"reset": "all"}
    assert armed(client) == []
    charset = {"Content-Type": "Application/JSON; charset=utf-8"}
    assert client.post("/__mock/reset", headers=charset).status_code == 200
    assert client.delete("/__mock/scenarios", headers=JSON).status_code == 204


def test_only_allowed_origins_may_change_state(client: TestClient) -> None:
    foreign = client.post("/__mock/reset", headers={**JSON, "Origin": "https://evil.example"})
    assert foreign.status_code == 403
    assert "https://evil.example" in foreign.json()["detail"]
    assert client.post(
        "/__mock/scenarios", json=SCENARIO, headers={"Origin": "null"}
    ).status_code == 403
    assert armed(client) == []
    # A test runner or app on a localhost origin (the CORS default) resets between tests.
    for origin in ("http://localhost:5173", "http://127.0.0.1:3000"):
        ok = client.post("/__mock/reset", headers={**JSON, "Origin": origin})
        assert ok.status_code == 200, origin
        assert ok.headers["access-control-allow-origin"] == origin  # readable by that app
    # The mock's own origin (its inspector page), whatever --cors-origin says.
    assert client.post("/__mock/reset", headers={**JSON, "Origin": "http://testserver"}).is_success
    # Reads are not affected: CORS already keeps their answers from foreign pages.
    assert client.get("/__mock/health", headers={"Origin": "https://evil.example"}).is_success


def test_without_cors_only_the_same_origin_may_change_state(
    mock_app: Callable[..., MockApp],
) -> None:
    with TestClient(mock_app(cors_origin_regex=None)) as client:
        local = client.post("/__mock/reset", headers={**JSON, "Origin": "http://localhost:5173"})
        assert local.status_code == 403
        same = client.post("/__mock/reset", headers={**JSON, "Origin": "http://testserver"})
        assert same.status_code == 200
        assert client.post("/__mock/reset", headers=JSON).status_code == 200  # no Origin: curl


def test_the_presigned_put_is_not_an_admin_call(
    client: TestClient, auth_headers: dict[str, str]
) -> None:
    slot = client.post("/api/v1/upload", headers=auth_headers, json=UPLOAD).json()
    target = slot["upload_url"].removeprefix("http://testserver")
    put = client.put(target, content=b"a,b\n", headers={"Content-Type": "text/csv"})
    assert put.status_code == 200, put.text


# --------------------------------------------------------------------------- Host


@pytest.mark.parametrize(
    "path", ["/__mock/world", "/__mock/reset", "/api/v1/invoices", "/docs", "/nowhere"]
)
def test_a_foreign_host_name_is_refused_everywhere(client: TestClient, path: str) -> None:
    response = client.request(
        "POST" if path.endswith("reset") else "GET",
        path,
        headers={**JSON, "Host": "rebind.evil.example:4010"},
    )
    assert response.status_code == 421
    detail = response.json()["detail"]
    assert "rebind.evil.example" in detail and "--allowed-host" in detail


@pytest.mark.parametrize(
    "host",
    ["localhost:4010", "127.0.0.1:4010", "[::1]:4010", "localhost", "app.localhost:5173",
     "192.168.1.20:4010", "[fe80::1]:80", "LOCALHOST:1"],
)
def test_loopback_names_and_ip_addresses_pass(client: TestClient, host: str) -> None:
    assert client.get("/__mock/health", headers={"Host": host}).status_code == 200


def test_allowed_hosts_bound_host_and_public_base_url_pass(
    mock_app: Callable[..., MockApp],
) -> None:
    app = mock_app(
        host="devbox.lan",
        public_base_url="https://mock.example.test",
        allowed_hosts=("twin.internal", ".corp.test"),
    )
    with TestClient(app) as client:
        for host in ("devbox.lan:4010", "mock.example.test", "twin.internal:8080",
                     "corp.test", "a.b.corp.test:1"):
            assert client.get("/__mock/health", headers={"Host": host}).status_code == 200, host
        for host in ("testserver", "devbox.lan.evil.example", "xcorp.test", "internal"):
            assert client.get("/__mock/health", headers={"Host": host}).status_code == 421, host
    with TestClient(mock_app(allowed_hosts=("*",))) as client:
        assert client.get("/__mock/health", headers={"Host": "any.name"}).status_code == 200


# --------------------------------------------------------------------------- admin token


@pytest.fixture
def guarded(mock_app: Callable[..., MockApp]) -> Iterator[TestClient]:
    with TestClient(mock_app(admin_token=ADMIN_TOKEN)) as client:
        yield client


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/__mock/health"), ("GET", "/__mock/world"), ("GET", "/__mock/journal"),
     ("GET", "/__mock/samples"), ("GET", "/__mock/scenarios"), ("POST", "/__mock/reset"),
     ("POST", "/__mock/scenarios"), ("DELETE", "/__mock/scenarios"), ("GET", "/__mock/other")],
)
def test_with_an_admin_token_every_admin_call_needs_it(
    guarded: TestClient, method: str, path: str
) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"X-Mock-Admin-Token": "wrong"},
                    {"Authorization": "Bearer dz_mock_token"}):
        refused = guarded.request(method, path, headers={**JSON, **headers})
        assert refused.status_code == 401, headers
        assert "admin token" in refused.json()["detail"]
        assert refused.headers["www-authenticate"].startswith("Bearer")


def test_the_admin_token_opens_the_admin_api(guarded: TestClient) -> None:
    bearer = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    header = {"X-Mock-Admin-Token": ADMIN_TOKEN}
    assert guarded.get("/__mock/world", headers=bearer).status_code == 200
    assert guarded.get("/__mock/journal", headers=header).status_code == 200
    assert guarded.post("/__mock/scenarios", json=SCENARIO, headers=header).status_code == 201
    assert guarded.post("/__mock/reset", headers={**JSON, **bearer}).status_code == 200
    # A browser opening the inspector page passes it in the query, for reads only.
    query = {"admin_token": ADMIN_TOKEN}
    assert guarded.get("/__mock/world", params=query).status_code == 200
    assert guarded.post("/__mock/reset", params=query, headers=JSON).status_code == 401
    # The token does not replace the cross-site checks.
    cross = guarded.post("/__mock/reset", headers={**bearer, "Content-Type": "text/plain"})
    assert cross.status_code == 403


def test_the_api_the_docs_pdfs_and_uploads_need_no_admin_token(
    guarded: TestClient, auth_headers: dict[str, str]
) -> None:
    payload = {"s3_key": "samples/invoices.csv"}
    assert guarded.post(BULK_INVOICES, headers=auth_headers, json=payload).status_code == 201
    invoice = guarded.get("/api/v1/invoices", headers=auth_headers).json()["items"][0]
    pdf = guarded.get(invoice["pdf_url"].removeprefix("http://testserver"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    slot = guarded.post("/api/v1/upload", headers=auth_headers, json=UPLOAD).json()
    put = guarded.put(
        slot["upload_url"].removeprefix("http://testserver"),
        content=b"a,b\n",
        headers={"Content-Type": "text/csv"},
    )
    assert put.status_code == 200
    assert guarded.get("/docs").status_code == 200
    assert guarded.get("/__mock/assets/swagger-ui.css").status_code == 200
    # The inspector page's shell (another module's route) is not behind the token.
    assert guarded.get("/__mock/").status_code != 401


# --------------------------------------------------------------------------- body cap


def test_admin_bodies_are_capped(mock_app: Callable[..., MockApp]) -> None:
    with TestClient(mock_app(max_admin_body_bytes=1024)) as client:
        padded = {**SCENARIO, "padding": "x" * 2000}
        declared = client.post("/__mock/scenarios", json=padded)
        assert declared.status_code == 413 and "1024" in declared.json()["detail"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: read until the cap
            yield b'{"operation_id": "list_bills_api_v1_bills_get", "padding": "'
            for _ in range(100):
                yield b"x" * 100
            yield b'"}'

        streamed = client.post("/__mock/scenarios", content=chunks(), headers=JSON)
        assert streamed.status_code == 413
        assert armed(client) == []
        assert client.post("/__mock/scenarios", json=SCENARIO).status_code == 201


def test_the_default_cap_is_64_kib(client: TestClient) -> None:
    over = b'{"operation_id": "' + b"x" * (64 * 1024) + b'"}'
    response = client.post("/__mock/scenarios", content=over, headers=JSON)
    assert response.status_code == 413 and "65536" in response.json()["detail"]


# --------------------------------------------------------------------------- redaction


def test_the_journal_hides_credentials(
    mock_app: Callable[..., MockApp], auth_headers: dict[str, str]
) -> None:
    with TestClient(mock_app(admin_token=ADMIN_TOKEN)) as client:
        admin = {"X-Mock-Admin-Token": ADMIN_TOKEN}
        token = auth_headers["Authorization"].split()[1]
        client.get("/api/v1/invoices", headers={**auth_headers, "Cookie": "session=abc123"})
        slot = client.post(
            "/api/v1/upload", headers=auth_headers,
            json={"filename": "a.csv", "content_type": "text/csv"},
        ).json()
        target = slot["upload_url"].removeprefix("http://testserver")
        signature = dict(p.split("=", 1) for p in urlsplit(target).query.split("&"))["signature"]
        client.put(target, content=b"a,b\n", headers={"Content-Type": "text/csv"})
        client.get("/__mock/world", headers=admin)
        client.get("/__mock/samples", params={"admin_token": ADMIN_TOKEN})
        journal = client.get("/__mock/journal", headers=admin)

    text = journal.text
    for secret in (token, "abc123", signature, ADMIN_TOKEN):
        assert secret not in text, secret
    items = {(e["method"], e["path"].split("/")[-1]): e for e in journal.json()["items"]}
    listed = items[("GET", "invoices")]["request"]["headers"]
    assert listed["authorization"] == f"Bearer {token[:4]}…[redacted]"
    assert listed["cookie"] == "[redacted]"
    assert items[("POST", "upload")]["response"]["body"]["upload_url"].endswith(
        "signature=[redacted]"
    )
    put = next(e for e in journal.json()["items"] if e["method"] == "PUT")
    assert "signature=[redacted]" in put["query"]
    world = items[("GET", "world")]
    assert world["request"]["headers"]["x-mock-admin-token"] == "[redacted]"
    assert f"{token[:4]}…[redacted]" in world["response"]["body"]["tokens"]
    assert "admin_token=[redacted]" in items[("GET", "samples")]["query"]


def test_the_world_shows_its_tokens_to_its_owner(
    mock_app: Callable[..., MockApp], auth_headers: dict[str, str]
) -> None:
    token = auth_headers["Authorization"].split()[1]
    with TestClient(mock_app(admin_token=ADMIN_TOKEN)) as client:
        world = client.get("/__mock/world", headers={"X-Mock-Admin-Token": ADMIN_TOKEN}).json()
    assert token in world["tokens"]


def test_log_lines_carry_no_credentials(
    mock_app: Callable[..., MockApp],
    auth_headers: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with TestClient(mock_app(log_requests=True)) as client, caplog.at_level(logging.INFO):
        slot = client.post(
            "/api/v1/upload", headers=auth_headers,
            json={"filename": "a.csv", "content_type": "text/csv"},
        ).json()
        target = slot["upload_url"].removeprefix("http://testserver")
        client.put(target, content=b"a,b\n", headers={"Content-Type": "text/csv"})
    lines = "\n".join(r.getMessage() for r in caplog.records if r.name == "dayzero.mock")
    signature = target.rsplit("signature=", 1)[1]
    assert "PUT /__mock/uploads/" in lines
    assert signature not in lines and auth_headers["Authorization"].split()[1] not in lines


def test_redaction_helpers() -> None:
    assert redact.header_value("authorization", "Basic dXNlcjpwYXNz") == "Basic [redacted]"
    assert redact.header_value("authorization", "Bearer short") == "Bearer [redacted]"
    assert redact.header_value("x-business-id", "b5a1") == "b5a1"
    url = "http://h/x?X-Amz-Signature=abc&a=1&signature=def"
    assert redact.query(url) == "http://h/x?X-Amz-Signature=[redacted]&a=1&signature=[redacted]"
    assert redact.query("designature=1") == "designature=1"
    escaped = b'{"u": "http://h/?signature=a\\u0026b"}'
    assert redact.body(escaped) == b'{"u": "http://h/?signature=[redacted]\\u0026b"}'
    assert redact.scrub({"dz_mock_token": ["x dz_mock_token"]}, ["dz_mock_token"]) == {
        "dz_m…[redacted]": ["x dz_m…[redacted]"]
    }


# --------------------------------------------------------------------------- client gone


@pytest.mark.parametrize(
    ("path", "content_type", "first_chunk"),
    [
        (BULK_INVOICES, b"application/json", b'{"s3'),
        ("/__mock/scenarios", b"application/json", b'{"op'),
        (
            "/api/v1/upload/direct",
            b"multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\na,b',
        ),
    ],
)
def test_a_client_gone_mid_request_is_a_499_not_a_500(
    mock_app: Callable[..., MockApp],
    auth_headers: dict[str, str],
    caplog: pytest.LogCaptureFixture,
    path: str,
    content_type: bytes,
    first_chunk: bytes,
) -> None:
    app = mock_app(log_requests=True)
    raw_auth = [(k.lower().encode(), v.encode()) for k, v in auth_headers.items()]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "server": ("127.0.0.1", 4010), "client": ("127.0.0.1", 5000),
        "headers": [(b"host", b"127.0.0.1:4010"), (b"content-length", b"100"),
                    (b"content-type", content_type), *raw_auth],
    }
    messages = iter([{"type": "http.request", "body": first_chunk, "more_body": True}])

    async def receive() -> dict[str, Any]:
        return next(messages, {"type": "http.disconnect"})

    async def send(message: dict[str, Any]) -> None:
        pass

    with caplog.at_level(logging.INFO):
        asyncio.run(app(scope, receive, send))
    entry = app.state.runtime.journal.query(limit=1)[0]
    assert (entry["status"], entry["note"]) == (499, "client_disconnected")
    assert entry["response"]["body"] is None
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert any("499" in r.getMessage() and "client_disconnected" in r.getMessage()
               for r in caplog.records)
