"""Tenant isolation: nothing one business uploaded or created is visible to, usable by or
counted against another.

The mock runs on a world file with one token per business and one for both, and the
same customer e-mail and vendor name seeded in both businesses, so that every lookup
by e-mail or name has a wrong answer available to it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from bench.stress.concurrency import NUMBER, number_series_problems
from bench.stress.csvgen import HEADERS, bill_row, count_by_marker, invoice_row, new_marker, to_csv
from bench.stress.harness import BUSINESS_A, BUSINESS_B, Api, MockProcess

TOKEN_A, TOKEN_B, TOKEN_AB = "dz_tenant_a", "dz_tenant_b", "dz_tenant_ab"
SHARED_EMAIL = "shared@example.com"
SHARED_VENDOR = "Shared Vendor"


def world(path: Path) -> Path:
    document = {
        "tokens": {TOKEN_A: [BUSINESS_A], TOKEN_B: [BUSINESS_B],
                   TOKEN_AB: [BUSINESS_A, BUSINESS_B]},
        "businesses": [
            {"id": business, "name": f"Business {tag}",
             "customers": [{"name": f"Customer of {tag}", "email": SHARED_EMAIL}],
             "vendors": [{"name": SHARED_VENDOR, "email": f"{tag.lower()}@vendor.example.com"}]}
            for business, tag in ((BUSINESS_A, "A"), (BUSINESS_B, "B"))
        ],
    }
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockProcess]:
    world_file = world(tmp_path_factory.mktemp("tenants") / "world.yaml")
    with MockProcess(extra_args=["--world", str(world_file)]) as process:
        yield process
        assert process.alive()


@pytest.fixture(scope="module")
def alice(mock: MockProcess) -> Iterator[Api]:
    with Api(mock.base_url, token=TOKEN_A, business=BUSINESS_A) as api:
        yield api


@pytest.fixture(scope="module")
def bob(mock: MockProcess) -> Iterator[Api]:
    with Api(mock.base_url, token=TOKEN_B, business=BUSINESS_B) as api:
        yield api


@pytest.fixture(scope="module")
def both(mock: MockProcess) -> Iterator[Api]:
    with Api(mock.base_url, token=TOKEN_AB, business=BUSINESS_B) as api:
        yield api


def invoices_file(marker: str, rows: int, **row: str) -> bytes:
    header = list(HEADERS["invoices"]) + list(row)
    body = [invoice_row(i, marker) + list(row.values()) for i in range(rows)]
    return to_csv(header, body).encode()


def import_file(api: Api, kind: str, content: bytes, flag: bool = False) -> list[dict[str, Any]]:
    response = api.bulk(kind, api.upload_key(content), flag)  # type: ignore[arg-type]
    assert response.status_code == 201, response.text[:300]
    return response.json()["items"]


@pytest.fixture(scope="module")
def alices_data(alice: Api) -> dict[str, Any]:
    """What business A owns: invoices (finalized), bills, one new customer and vendor."""
    marker = new_marker("alice")
    invoices = import_file(alice, "invoices", invoices_file(marker, 3), flag=True)
    own = import_file(alice, "invoices", to_csv(
        HEADERS["invoices"],
        [["only-a@example.com", "Alpha Only", "2027-01-01", "USD", marker, "x", "1", "5"],
         [SHARED_EMAIL, "", "2027-01-01", "USD", marker, "x", "1", "5"]]).encode())
    bills = import_file(alice, "bills", to_csv(
        HEADERS["bills"], [bill_row(0, marker, vendor="Alpha Vendor Only"),
                           bill_row(1, marker, vendor=SHARED_VENDOR)]).encode())
    return {"marker": marker, "invoices": invoices + own, "bills": bills,
            "key": alice.upload_key(invoices_file(marker, 1))}


def test_a_token_acts_only_for_its_businesses(mock: MockProcess, alice: Api) -> None:
    wrong = alice.headers(business=BUSINESS_B)
    calls = [
        ("POST", "/api/v1/upload/direct", {"files": {"file": ("a.csv", b"x")}}),
        ("POST", "/api/v1/upload", {"json": {"filename": "a.csv"}}),
        ("POST", "/api/v1/invoices/bulk", {"json": {"s3_key": "samples/invoices.csv"}}),
        ("POST", "/api/v1/bills/bulk", {"json": {"s3_key": "samples/bills.csv"}}),
        ("GET", "/api/v1/invoices", {}),
        ("GET", "/api/v1/bills", {}),
        ("GET", f"/api/v1/invoices/{uuid.uuid4()}", {}),
        ("GET", f"/api/v1/bills/{uuid.uuid4()}", {}),
    ]
    for method, path, kwargs in calls:
        response = alice.client.request(method, path, headers=wrong, **kwargs)
        assert response.status_code == 403, (method, path, response.status_code, response.text)
        assert response.json()["detail"]
        own = alice.client.request(method, path, headers=alice.headers(), **kwargs)
        assert own.status_code != 403, (method, path, own.text)


def test_uploads_are_usable_only_by_their_business(alice: Api, bob: Api, both: Api,
                                                  alices_data: dict[str, Any]) -> None:
    key = alices_data["key"]
    for api in (bob, both):
        response = api.bulk("invoices", key)
        assert response.status_code == 400, response.text
        assert response.json()["detail"]
    assert count_by_marker(both.walk("invoices"))[alices_data["marker"]] == 0
    assert alice.bulk("invoices", key).status_code == 201


def test_entities_are_invisible_to_the_other_business(
    mock: MockProcess, bob: Api, both: Api, alices_data: dict[str, Any]
) -> None:
    for kind in ("invoices", "bills"):
        listed = both.walk(kind)  # type: ignore[arg-type]
        ids = {item["id"] for item in listed}
        assert not ids & {item["id"] for item in alices_data[kind]}
        assert all(item["business_id"] == BUSINESS_B for item in listed)
        for item in alices_data[kind]:
            for api in (bob, both):
                response = api.client.get(f"/api/v1/{kind}/{item['id']}", headers=api.headers())
                assert response.status_code == 404, response.text
    invoice = alices_data["invoices"][0]
    pdf = httpx.get(f"{mock.base_url}/__mock/invoices/{BUSINESS_B}/{invoice['id']}.pdf")
    assert pdf.status_code == 404


def test_a_cursor_does_not_cross_businesses(alice: Api, both: Api,
                                            alices_data: dict[str, Any]) -> None:
    page = alice.client.get("/api/v1/invoices", headers=alice.headers(), params={"limit": 1})
    cursor = page.json()["next_cursor"]
    assert cursor, "business A has more than one invoice, so a next page exists"
    response = both.client.get("/api/v1/invoices", headers=both.headers(),
                               params={"limit": 1000, "cursor": cursor})
    assert response.status_code in (200, 400), response.text
    if response.status_code == 200:
        assert all(item["business_id"] == BUSINESS_B for item in response.json()["items"])


def test_customers_and_vendors_resolve_within_the_business(
    both: Api, alices_data: dict[str, Any]
) -> None:
    alice_customers = {i["customer_email"]: (i["customer_id"], i["customer_name"])
                       for i in alices_data["invoices"]}
    alice_vendors = {b["vendor_name"]: (b["vendor_id"], b["vendor_email"])
                     for b in alices_data["bills"]}
    assert alice_customers[SHARED_EMAIL][1] == "Customer of A"
    assert alice_vendors[SHARED_VENDOR][1] == "a@vendor.example.com"

    marker = new_marker("bob")
    invoices = import_file(both, "invoices", to_csv(HEADERS["invoices"], [
        ["only-a@example.com", "", "2027-01-01", "USD", marker, "x", "1", "5"],
        [SHARED_EMAIL, "", "2027-01-01", "USD", marker, "x", "1", "5"]]).encode())
    bills = import_file(both, "bills", to_csv(HEADERS["bills"], [
        ["Alpha Vendor Only", "bob@vendor.example.com", "10", "USD", "", marker, "", "", ""],
        [SHARED_VENDOR, "", "10", "USD", "", marker, "", "", ""]]).encode())
    by_email = {i["customer_email"]: i for i in invoices}
    assert by_email["only-a@example.com"]["customer_id"] != alice_customers["only-a@example.com"][0]
    assert by_email["only-a@example.com"]["customer_name"] != "Alpha Only"
    assert by_email[SHARED_EMAIL]["customer_id"] != alice_customers[SHARED_EMAIL][0]
    assert by_email[SHARED_EMAIL]["customer_name"] == "Customer of B"
    by_name = {b["vendor_name"]: b for b in bills}
    assert by_name["Alpha Vendor Only"]["vendor_id"] != alice_vendors["Alpha Vendor Only"][0]
    assert by_name["Alpha Vendor Only"]["vendor_email"] == "bob@vendor.example.com"
    assert by_name[SHARED_VENDOR]["vendor_id"] != alice_vendors[SHARED_VENDOR][0]
    assert by_name[SHARED_VENDOR]["vendor_email"] == "b@vendor.example.com"


def test_the_other_business_ids_are_not_usable(both: Api, alices_data: dict[str, Any]) -> None:
    customer_id = alices_data["invoices"][0]["customer_id"]
    vendor_id = alices_data["bills"][0]["vendor_id"]
    marker = new_marker("steal")
    invoices = to_csv([*HEADERS["invoices"], "customer_id"],
                      [[*invoice_row(0, marker), customer_id]]).encode()
    bills = to_csv([*HEADERS["bills"], "vendor_id"], [[*bill_row(0, marker), vendor_id]]).encode()
    for kind, content, column in (("invoices", invoices, "customer_id"),
                                  ("bills", bills, "vendor_id")):
        response = both.bulk(kind, both.upload_key(content))  # type: ignore[arg-type]
        assert response.status_code == 400, response.text[:300]
        assert column in {e["column"] for e in response.json()["errors"]}, response.text
        assert count_by_marker(both.walk(kind))[marker] == 0  # type: ignore[arg-type]


def test_invoice_numbers_are_counted_per_business(alice: Api, both: Api,
                                                  alices_data: dict[str, Any]) -> None:
    for _ in range(2):  # interleaved: a shared counter would leave gaps in both series
        import_file(alice, "invoices", invoices_file(new_marker("na"), 3), flag=True)
        import_file(both, "invoices", invoices_file(new_marker("nb"), 2), flag=True)
    series = {}
    for name, api in (("A", alice), ("B", both)):
        numbers = [i["number"] for i in api.walk("invoices") if i.get("number")]
        assert not number_series_problems(numbers), (name, number_series_problems(numbers))
        series[name] = min(int(NUMBER.fullmatch(n)["serial"]) for n in numbers)  # type: ignore[index]
    assert series["A"] == series["B"], f"B's numbers start after A's: {series}"


def test_the_journal_filter_shows_one_business(mock: MockProcess, bob: Api,
                                               alices_data: dict[str, Any]) -> None:
    bob.walk("invoices")
    # What only one side ever sent: A's file marker, B's own token.
    for business, foreign in ((BUSINESS_B, alices_data["marker"]), (BUSINESS_A, TOKEN_B)):
        response = httpx.get(f"{mock.base_url}/__mock/journal",
                             params={"business_id": business, "limit": 500})
        assert response.status_code == 200, response.text
        entries = response.json()["items"]
        assert entries, f"no journal entry for {business}"
        assert all(entry["business_id"] == business for entry in entries)
        leaks = [entry for entry in entries if foreign in str(entry)]
        assert not leaks, f"{business}'s journal shows {foreign}: {str(leaks[0])[:1500]}"
