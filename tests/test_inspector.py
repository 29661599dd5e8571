"""The inspector page at ``/__mock/`` and the holdings it shows (``GET /__mock/businesses``).

What a browser does with the page is in ``test_inspector_browser.py``; these run
in-process and need no browser.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dayzero_twin.mock_server.app import MockApp
from dayzero_twin.mock_server.endpoints.inspector import INSPECTOR_DIR

BULK = "/api/v1/{kind}/bulk"
JSON = {"content-type": "application/json"}


def test_page_is_served_with_a_policy_that_keeps_it_on_its_origin(client: TestClient) -> None:
    response = client.get("/__mock/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    for directive in ("script-src 'self'", "style-src 'self'", "connect-src 'self'"):
        assert directive in policy
    redirect = client.get("/__mock", follow_redirects=False)
    assert redirect.status_code == 308 and redirect.headers["location"] == "/__mock/"


def test_every_asset_the_page_names_is_served(client: TestClient) -> None:
    page = client.get("/__mock/").text
    named = re.findall(r'(?:src|href)="(inspector/[^"]+)"', page)
    modules = {p.name for p in INSPECTOR_DIR.glob("*.js")}
    for path in INSPECTOR_DIR.glob("*.js"):
        named += [f"inspector/{m}" for m in re.findall(r'from "\./([^"]+)"', path.read_text())]
    assert {"inspector/inspector.js", "inspector/inspector.css"} <= set(named)
    assert {name.removeprefix("inspector/") for name in named if name.endswith(".js")} == modules
    for name in set(named):
        response = client.get(f"/__mock/{name}")
        assert response.status_code == 200, name


@pytest.mark.parametrize("path", sorted(INSPECTOR_DIR.iterdir()), ids=lambda p: p.name)
def test_assets_name_no_other_origin(path: Path) -> None:
    text = path.read_text()
    assert not re.search(r"https?://", text), f"{path.name} names an absolute URL"
    assert "innerHTML" not in text and "insertAdjacentHTML" not in text


def test_inspector_calls_stay_out_of_the_journal(client: TestClient) -> None:
    for path in ("/__mock/inspector/inspector.js", "/__mock/businesses", "/__mock/metrics"):
        assert client.get(path).status_code == 200
    assert client.get("/__mock/journal").json()["items"] == []


def _import(client: TestClient, headers: dict[str, str], kind: str, key: str) -> None:
    response = client.post(BULK.format(kind=kind), headers=headers, json={"s3_key": key})
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_businesses_lists_counts_and_newest_items_first(
    mock_app: Callable[..., MockApp],
    tmp_path: Path,
    store: str,
    auth_headers: dict[str, str],
    default_world: dict[str, Any],
) -> None:
    app = mock_app(data_dir=tmp_path if store == "sqlite" else None)
    business = auth_headers["x-business-id"]
    with TestClient(app) as client:
        _import(client, auth_headers, "invoices", "samples/invoices.csv")
        _import(client, auth_headers, "invoices", "samples/invoices-1.csv")
        _import(client, auth_headers, "bills", "samples/bills.csv")
        for name in ("first.csv", "second.csv"):
            client.post(
                "/api/v1/upload/direct",
                headers=auth_headers,
                files={"file": (name, b"x,y\n1,2\n", "text/csv")},
            )
        items = client.get("/__mock/businesses", params={"limit": 3}).json()["items"]
    assert [b["id"] for b in items] == [b["id"] for b in default_world["businesses"]]
    mine = next(b for b in items if b["id"] == business)
    seeded = next(b for b in default_world["businesses"] if b["id"] == business)
    assert mine["counts"]["invoices"] == 5 and mine["counts"]["bills"] == 5
    assert mine["counts"]["customers"] >= len(seeded["customers"])
    assert mine["counts"]["vendors"] >= len(seeded["vendors"])
    assert mine["counts"]["uploads"] == 2 and mine["upload_bytes"] == 16
    assert len(mine["invoices"]) == 3 and len(mine["bills"]) == 3
    created = [invoice["created_at"] for invoice in mine["invoices"]]
    assert created == sorted(created, reverse=True)
    assert mine["invoices"][0]["description"] != mine["invoices"][1]["description"]
    assert [u["filename"] for u in mine["uploads"]] == ["second.csv", "first.csv"]
    assert mine["uploads"][0]["s3_key"].startswith(f"uploads/{business}/")
    other = next(b for b in items if b["id"] != business)
    assert other["counts"]["invoices"] == 0 and other["invoices"] == []


def test_businesses_newest_customer_first_and_limit(
    client: TestClient, auth_headers: dict[str, str], default_world: dict[str, Any]
) -> None:
    business = auth_headers["x-business-id"]
    seeded = next(b for b in default_world["businesses"] if b["id"] == business)["customers"]
    _import(client, auth_headers, "invoices", "samples/invoices.csv")  # names new customers
    mine = client.get("/__mock/businesses").json()["items"][0]
    assert mine["id"] == business
    created = mine["counts"]["customers"] - len(seeded)
    assert created > 0
    seeded_ids = {c["id"] for c in seeded}
    newest = [c["id"] in seeded_ids for c in mine["customers"][: created + 1]]
    assert newest == [False] * created + [True]
    assert "invoices" not in client.get("/__mock/businesses?limit=0").json()["items"][0]
    assert client.get("/__mock/businesses?limit=x").status_code == 400


def test_reset_one_business_empties_its_holdings(
    client: TestClient, auth_headers: dict[str, str]
) -> None:
    business = auth_headers["x-business-id"]
    _import(client, auth_headers, "invoices", "samples/invoices.csv")
    client.post("/__mock/reset", params={"business_id": business}, headers=JSON)
    mine = client.get("/__mock/businesses").json()["items"][0]
    assert mine["counts"]["invoices"] == 0 and mine["invoices"] == []
