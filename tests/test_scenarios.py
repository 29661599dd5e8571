"""What a frontend developer can force: codes, delays, and broken connections."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from dayzero_twin.mock_server.app import MockApp
from dayzero_twin.mock_server.pipeline.scenarios import parse_latency, parse_prefer
from dayzero_twin.openapi.bundle import iter_operations, load_bundle

OPERATIONS = [
    (method.upper(), path, status)
    for method, path, operation in iter_operations(load_bundle())
    for status in operation["responses"]
]


def _concrete(path: str) -> str:
    return path.replace("{invoice_id}", "abc").replace("{bill_id}", "abc")


@pytest.mark.parametrize(("method", "path", "status"), OPERATIONS)
def test_every_documented_code_can_be_forced_with_a_valid_body(
    client: TestClient,
    check_response: Any,
    method: str,
    path: str,
    status: str,
) -> None:
    # No token and no body: Prefer wins once the route matched (Prism's behaviour).
    response = client.request(method, _concrete(path), headers={"Prefer": f"code={status}"})
    assert response.status_code == int(status)
    assert response.headers["preference-applied"] == f"code={status}"
    body = check_response(response)
    if status == "422":
        assert body["detail"][0]["type"] == "missing"
        assert body["detail"][0]["msg"] == "Field required"
    if status == "400" and path.endswith("/bulk"):
        kind = "invoices" if "invoices" in path else "bills"
        columns = client.get(f"/api/v1/{kind}/bulk/template").text.strip().split(",")
        assert body["errors"] and all(e["column"] in columns for e in body["errors"])


@pytest.mark.parametrize("code", [500, 502, 503, 429])
def test_undocumented_codes_answer_a_detail(
    client: TestClient, check_response: Any, code: int
) -> None:
    response = client.get("/api/v1/invoices", headers={"Prefer": f"code={code}"})
    assert response.status_code == code
    assert check_response(response, documented=False)["detail"]


def test_prefer_needs_a_matched_route_and_ignores_what_it_cannot_honour(
    client: TestClient, auth_headers: dict[str, str]
) -> None:
    assert client.get("/api/v1/nope", headers={"Prefer": "code=200"}).status_code == 404
    odd = {**auth_headers, "Prefer": "code=abc, delay=-4, fault=meteor, example=x"}
    response = client.get("/api/v1/invoices", headers=odd)
    assert response.status_code == 200
    assert "preference-applied" not in response.headers


def test_parse_prefer_reads_rfc7240_lists() -> None:
    assert parse_prefer(["code=404, delay=10"]).applied == "code=404, delay=10"
    assert parse_prefer(["respond-async", 'code="503"; delay=999999']).code == 503
    assert parse_prefer(["delay=999999"]).delay_ms == 60_000
    assert parse_prefer(["code=99", "code=600"]).code is None


def test_delay_per_request_and_latency_globally(
    mock_app: Callable[..., MockApp], auth_headers: dict[str, str]
) -> None:
    with TestClient(mock_app()) as client:
        started = time.perf_counter()
        response = client.get("/api/v1/invoices", headers={**auth_headers, "Prefer": "delay=250"})
        assert response.status_code == 200
        assert time.perf_counter() - started >= 0.25
    with TestClient(mock_app(latency_ms=(150, 200))) as client:
        started = time.perf_counter()
        client.get("/api/v1/invoices", headers=auth_headers)
        assert time.perf_counter() - started >= 0.15
        started = time.perf_counter()
        client.get("/__mock/health")  # the admin API is never slowed down
        assert time.perf_counter() - started < 0.15


def test_parse_latency() -> None:
    assert parse_latency("250") == (250, 250)
    assert parse_latency("100-400") == (100, 400)
    assert parse_latency("") == (0, 0)
    for bad in ("fast", "400-100", "-5", "1-999999"):
        with pytest.raises(ValueError):
            parse_latency(bad)


# --------------------------------------------------------------------------- faults


def _raw_exchange(base_url: str, request: bytes) -> tuple[bytes, BaseException | None]:
    """Send raw bytes, read until the server closes; return what came and how it ended."""
    parts = urlsplit(base_url)
    received = b""
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(request)
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except OSError as error:  # ConnectionResetError for a reset
            return received, error
    return received, None


def _get(path: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_faults_break_the_connection_for_real(live_mock: str, auth_headers: dict[str, str]) -> None:
    def fault(name: str) -> tuple[bytes, BaseException | None]:
        return _raw_exchange(live_mock, _get("/api/v1/invoices", {"Prefer": f"fault={name}"}))

    data, error = fault("connection_reset")
    assert data == b"" and isinstance(error, ConnectionResetError)

    data, error = fault("empty_response")
    assert (data, error) == (b"", None)

    data, error = fault("malformed_chunk")
    head, _, rest = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b"transfer-encoding: chunked" in head
    size, _, chunk = rest.partition(b"\r\n")
    assert len(chunk) < int(size, 16)  # cut short, then closed
    assert error is None

    data, error = fault("random_data_then_close")
    assert data and not data.startswith(b"HTTP/") and error is None

    # The server is still fine afterwards.
    data, _ = _raw_exchange(
        live_mock, _get("/api/v1/invoices", {**auth_headers, "Connection": "close"})
    )
    assert data.startswith(b"HTTP/1.1 200")


def test_faults_without_a_socket_are_a_clear_502(client: TestClient) -> None:
    response = client.get("/api/v1/invoices", headers={"Prefer": "fault=empty_response"})
    assert response.status_code == 502
    assert "TCP" in response.json()["detail"]


# --------------------------------------------------------------------------- armed


def test_scenarios_armed_through_the_admin_api(
    live_mock: str, auth_headers: dict[str, str], check_response: Any
) -> None:
    import httpx

    with httpx.Client(base_url=live_mock, timeout=5) as http:
        armed = http.post(
            "/__mock/scenarios",
            json={"operation_id": "list_bills_api_v1_bills_get", "code": 503, "count": 2},
        )
        assert armed.status_code == 201, armed.text
        by_path = http.post(
            "/__mock/scenarios",
            json={"method": "post", "path": "/api/v1/invoices/bulk", "fault": "empty_response"},
        )
        assert by_path.status_code == 201
        assert len(http.get("/__mock/scenarios").json()["items"]) == 2

        statuses = [http.get("/api/v1/bills", headers=auth_headers).status_code for _ in range(3)]
        assert statuses == [503, 503, 200]
        # The header still wins over an armed scenario.
        preferred = http.get("/api/v1/invoices", headers={**auth_headers, "Prefer": "code=403"})
        assert preferred.status_code == 403
        check_response(preferred)

        with pytest.raises(httpx.RemoteProtocolError):
            http.post("/api/v1/invoices/bulk", headers=auth_headers, json={"s3_key": "x"})
        again = http.post("/api/v1/invoices/bulk", headers=auth_headers, json={"s3_key": "x"})
        assert again.status_code == 400  # the fault was armed for one request

        http.post("/__mock/scenarios", json={"operation_id": "list_bills_api_v1_bills_get",
                                             "delay_ms": 10, "count": 5})  # fmt: skip
        cleared = http.delete("/__mock/scenarios", headers={"Content-Type": "application/json"})
        assert cleared.status_code == 204
        assert http.get("/__mock/scenarios").json()["items"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"operation_id": "nope", "code": 500},
        {"operation_id": "list_bills_api_v1_bills_get"},
        {"operation_id": "list_bills_api_v1_bills_get", "code": 99},
        {"operation_id": "list_bills_api_v1_bills_get", "fault": "meteor"},
        {"operation_id": "list_bills_api_v1_bills_get", "code": 500, "count": 0},
        {"operation_id": "list_bills_api_v1_bills_get", "code": "500"},
        {"operation_id": "list_bills_api_v1_bills_get", "delay_ms": 10**9},
        ["list"],
    ],
)
def test_impossible_scenarios_are_refused(client: TestClient, body: Any) -> None:
    response = client.post("/__mock/scenarios", json=body)
    assert response.status_code == 400
    assert response.json()["detail"]


def test_armed_scenarios_are_bounded_and_a_full_book_says_so(
    mock_app: Callable[..., MockApp], auth_headers: dict[str, str]
) -> None:
    """Every request scans what is armed: the book holds at most ``max_armed_scenarios``."""
    bills = "list_bills_api_v1_bills_get"
    with TestClient(mock_app(max_armed_scenarios=3), raise_server_exceptions=False) as client:
        for code in (500, 502, 503):
            armed = client.post("/__mock/scenarios", json={"operation_id": bills, "code": code})
            assert armed.status_code == 201, armed.text
        full = client.post("/__mock/scenarios", json={"operation_id": bills, "code": 504})
        assert full.status_code == 409
        assert "3 scenarios" in full.json()["detail"]
        assert "DELETE /__mock/scenarios" in full.json()["detail"]
        assert [item["code"] for item in client.get("/__mock/scenarios").json()["items"]] == [
            500,
            502,
            503,
        ]
        # A used-up scenario frees its place.
        assert client.get("/api/v1/bills", headers=auth_headers).status_code == 500
        again = client.post("/__mock/scenarios", json={"operation_id": bills, "code": 504})
        assert again.status_code == 201, again.text
        # An impossible scenario is still a 400 when the book is full.
        impossible = client.post("/__mock/scenarios", json={"operation_id": bills, "code": 99})
        assert impossible.status_code == 400
