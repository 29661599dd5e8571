"""``/__mock/…``: health, reset, world, journal, samples; the log line and the last-resort 500."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dayzero_twin.mock_server.app import MockApp

BULK_INVOICES = "/api/v1/invoices/bulk"


def test_health(client: TestClient) -> None:
    body = client.get("/__mock/health").json()
    assert body["status"] == "ok"
    assert body["now"].startswith("2026-01-15T09:")
    assert body["operations"] == 10


def test_world_lists_tokens_businesses_and_parties(
    client: TestClient, auth_headers: dict[str, str]
) -> None:
    world = client.get("/__mock/world").json()
    token = auth_headers["Authorization"].split()[1]
    assert auth_headers["x-business-id"] in world["tokens"][token]
    assert "dz_your_token" in world["tokens"]
    business = next(b for b in world["businesses"] if b["id"] == auth_headers["x-business-id"])
    assert business["customers"] and business["vendors"]


def test_samples_catalogue(client: TestClient) -> None:
    items = client.get("/__mock/samples").json()["items"]
    keys = {item["key"] for item in items}
    assert {"samples/invoices.csv", "samples/bills.csv"} <= keys
    assert all(
        item["kind"] in ("invoices", "bills") and item["expect"] in (201, 400) for item in items
    )


def test_reset_all_or_one_business(
    client: TestClient, auth_headers: dict[str, str], default_world: dict[str, Any]
) -> None:
    token = auth_headers["Authorization"].split()[1]
    first, second = default_world["tokens"][token][:2]
    headers = {first: auth_headers, second: {**auth_headers, "x-business-id": second}}

    def count(business: str) -> int:
        return client.get("/api/v1/invoices", headers=headers[business]).json()["total"]

    for business in (first, second):
        payload = {"s3_key": "samples/invoices.csv"}
        assert (
            client.post(BULK_INVOICES, headers=headers[business], json=payload).status_code == 201
        )
    assert count(first) > 0 and count(second) > 0
    json_type = {"Content-Type": "application/json"}  # admin calls that change state need it
    one = client.post("/__mock/reset", params={"business_id": first}, headers=json_type)
    assert one.json() == {"reset": first}
    assert count(first) == 0 and count(second) > 0
    assert client.post("/__mock/reset", headers=json_type).status_code == 200
    assert count(second) == 0
    nope = client.post("/__mock/reset", params={"business_id": "nope"}, headers=json_type)
    assert nope.status_code == 400


def test_journal_records_requests_and_responses(
    mock_app: Callable[..., MockApp], auth_headers: dict[str, str], default_world: dict[str, Any]
) -> None:
    with TestClient(mock_app(journal_size=5)) as client:
        client.post(BULK_INVOICES, headers=auth_headers, json={"s3_key": "samples/bills.csv"})
        other = default_world["businesses"][1]["id"]
        client.get("/api/v1/bills", headers={**auth_headers, "x-business-id": other})
        client.get("/api/v1/absent")

        entries = client.get("/__mock/journal").json()["items"]
        assert [e["path"] for e in entries] == ["/api/v1/absent", "/api/v1/bills", BULK_INVOICES]
        bulk = entries[2]
        assert bulk["status"] == 400 and bulk["method"] == "POST"
        assert bulk["operation_id"] == "create_bulk_invoices_api_v1_invoices_bulk_post"
        assert bulk["request"]["body"] == {"s3_key": "samples/bills.csv"}
        assert bulk["response"]["body"]["detail"]  # decoded JSON
        assert bulk["duration_ms"] > 0

        mine = client.get("/__mock/journal", params={"business_id": other}).json()["items"]
        assert [e["path"] for e in mine] == ["/api/v1/bills"]
        assert len(client.get("/__mock/journal", params={"limit": 1}).json()["items"]) == 1

        for _ in range(10):
            client.get("/__mock/world")
        assert len(client.get("/__mock/journal", params={"limit": 100}).json()["items"]) == 5
        assert client.get("/__mock/journal", params={"limit": "x"}).status_code == 400


def test_responses_carry_the_journal_id(client: TestClient) -> None:
    response = client.get("/api/v1/invoices")
    entry = client.get("/__mock/journal", params={"limit": 1}).json()["items"][0]
    assert response.headers["x-request-id"] == str(entry["id"])


def test_one_log_line_per_request(
    mock_app: Callable[..., MockApp], caplog: pytest.LogCaptureFixture
) -> None:
    with TestClient(mock_app(log_requests=True)) as client, caplog.at_level(logging.INFO):
        client.get("/api/v1/invoices")
        client.get("/api/v1/invoices/bulk/template")
    lines = [r.getMessage() for r in caplog.records if r.name == "dayzero.mock"]
    assert len(lines) == 2
    method, path, status, millis = lines[0].split()
    assert (method, path, status) == ("GET", "/api/v1/invoices", "401")
    assert millis.endswith("ms") and float(millis[:-2]) >= 0


def test_a_bug_becomes_a_clean_logged_500(
    mock_app: Callable[..., MockApp],
    auth_headers: dict[str, str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = mock_app()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(app.state.service, "list_page", broken)
    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.ERROR):
        response = client.get("/api/v1/bills", headers=auth_headers)
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal Server Error"}
    assert any("a bug" in r.getMessage() or r.exc_info for r in caplog.records)
    assert "access-control-allow-origin" not in response.headers  # no Origin was sent


# --------------------------------------------------------------------------- CORS


def test_cors_for_local_browser_apps(client: TestClient) -> None:
    origin = "http://localhost:5173"
    preflight = client.options(
        BULK_INVOICES,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, x-business-id, content-type, prefer",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == origin
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert "x-business-id" in preflight.headers["access-control-allow-headers"].lower()

    answer = client.post(BULK_INVOICES, headers={"Origin": "http://127.0.0.1:3000"}, json={})
    assert answer.status_code == 401
    assert answer.headers["access-control-allow-origin"] == "http://127.0.0.1:3000"
    exposed = answer.headers["access-control-expose-headers"].lower()
    assert "www-authenticate" in exposed and "x-request-id" in exposed

    foreign = client.get("/api/v1/invoices", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in foreign.headers
    missing = client.get("/api/v1/nowhere", headers={"Origin": origin})
    assert missing.headers["access-control-allow-origin"] == origin


def test_cors_origin_can_be_changed_or_switched_off(mock_app: Callable[..., MockApp]) -> None:
    with TestClient(mock_app(cors_origin_regex=r"https://app\.example\.test")) as client:
        ok = client.get("/api/v1/invoices", headers={"Origin": "https://app.example.test"})
        assert ok.headers["access-control-allow-origin"] == "https://app.example.test"
        local = client.get("/api/v1/invoices", headers={"Origin": "http://localhost:3000"})
        assert "access-control-allow-origin" not in local.headers
    with TestClient(mock_app(cors_origin_regex=None)) as client:
        off = client.get("/api/v1/invoices", headers={"Origin": "http://localhost:3000"})
        assert "access-control-allow-origin" not in off.headers


# --------------------------------------------------------------------------- docs


# What makes a browser fetch: an image or script source, a CSS url() or @import, fetch().
_REMOTE_LOAD = re.compile(
    r"""(?:\bsrc|srcset)\s*[:=]\s*["'`](?:https?:)?//[^"'`]*"""
    r"""|url\(\s*["']?(?:https?:)?//[^)]*"""
    r"""|@import\s+(?:url\()?["']?(?:https?:)?//[^;]*"""
    r"""|\bfetch\(\s*["'`]https?://[^"'`]*"""
)


def test_docs_are_offline_and_show_the_bundle(client: TestClient) -> None:
    from dayzero_twin.openapi.bundle import load_bundle

    assert client.get("/openapi.json").json() == load_bundle()
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        references = re.findall(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""", html)
        assert references, page
        assert not [r for r in references if re.match(r"(https?:)?//", r)], references
        for reference in references:
            asset = client.get(reference)
            assert asset.status_code == 200, reference
            if reference.endswith((".js", ".css")):
                remote = _REMOTE_LOAD.findall(asset.text)
                assert not remote, (reference, remote)
    docs_spec = client.get("/__mock/docs/openapi.json").json()
    assert docs_spec["servers"][0]["url"] == "http://testserver"
    assert docs_spec["paths"] == load_bundle()["paths"]
    assert '"validatorUrl": null' in client.get("/docs").text
