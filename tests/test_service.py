"""MockService end to end, without HTTP: the seam the HTTP layer calls."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from uuid import UUID

import jsonschema
import pytest

from dayzero_twin.mock_server.config import MockConfig
from dayzero_twin.mock_server.domain.kinds import BILLS, BY_NAME, INVOICES
from dayzero_twin.mock_server.service import (
    BadRequest,
    Forbidden,
    ImportFailed,
    MockService,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
)
from dayzero_twin.openapi.bundle import dereference, load_bundle

A = UUID("b5a1c6de-0000-4000-8000-000000000001")
B = UUID("b5a1c6de-0000-4000-8000-000000000002")
BASE = "http://127.0.0.1:8123"
CLOCK = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
INVOICE_CSV = ("customer_email,customer_name,due_date,currency,item_description,quantity,"
               "unit_price,invoice_ref\n")


@pytest.fixture
def service() -> Iterator[MockService]:
    with MockService(MockConfig(seed=3, clock=CLOCK)) as svc:
        yield svc


@pytest.fixture(scope="module")
def schemas() -> dict[str, Any]:
    bundle = load_bundle()
    return {name: dereference(bundle, bundle["components"]["schemas"][name])
            for name in ("InvoiceResponse", "BillResponse", "InvoiceListResponse")}


def upload(service: MockService, text: str, business: UUID = A) -> str:
    return service.upload_direct(business, "file.csv", "text/csv", text.encode())["s3_key"]


def import_invoices(service: MockService, text: str, business: UUID = A,
                    finalize: bool = False) -> list[dict[str, Any]]:
    return service.bulk_create(INVOICES, business, upload(service, text, business), finalize,
                                        BASE)


def failure(call: Any, *args: Any) -> ImportFailed:
    with pytest.raises(ImportFailed) as caught:
        call(*args)
    return caught.value


def check_schema(schema: dict[str, Any], item: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER).validate(item)
    assert set(schema["properties"]) == set(item), "every documented field is present"
    for name, value in item.items():
        if isinstance(value, str) and name.endswith(("_at", "_on", "_date")) and "T" in value:
            assert RFC3339.fullmatch(value), (name, value)
    json.dumps(item, allow_nan=False)


# --- auth -------------------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "", "   ", "dz_mock_token", "Basic dz_mock_token",
                                    "Bearer", "Bearer ", "Bearer dz_nope", "Token dz_mock_token"])
def test_authenticate_refuses(service: MockService, header: str | None) -> None:
    with pytest.raises(Unauthorized):
        service.authenticate(header)


@pytest.mark.parametrize("header", ["Bearer dz_mock_token", "bearer dz_mock_token",
                                    "BEARER   dz_mock_token  ", "Bearer dz_your_token"])
def test_authenticate_accepts(service: MockService, header: str) -> None:
    assert service.authenticate(header) == header.split()[1]


def test_authorize(service: MockService) -> None:
    for token in ("dz_mock_token", "dz_your_token"):
        service.authorize(token, A)
        service.authorize(token, B)
    with pytest.raises(Forbidden):
        service.authorize("dz_mock_token", UUID("00000000-0000-4000-8000-000000000000"))


# --- uploads ----------------------------------------------------------------------------


def test_upload_direct(service: MockService) -> None:
    result = service.upload_direct(A, "../../My Invoices (1).csv", None, b"abc")
    assert result["filename"] == "../../My Invoices (1).csv" and result["size"] == 3
    assert result["content_type"] == "text/csv"
    assert re.fullmatch(rf"uploads/{A}/[0-9a-f-]{{36}}/My_Invoices_1_.csv", result["s3_key"])


def test_upload_size_limit() -> None:
    with MockService(MockConfig(max_upload_bytes=10)) as service:
        assert service.max_upload_bytes == 10
        service.upload_direct(A, "f.csv", None, b"x" * 10)
        with pytest.raises(PayloadTooLarge):
            service.upload_direct(A, "f.csv", None, b"x" * 11)


def test_keys_belong_to_their_business(service: MockService) -> None:
    key = upload(service, INVOICE_CSV + "a@x.com,,2026-12-15,,Work,1,10,\n", A)
    error = failure(service.bulk_create, INVOICES, B, key, False, BASE)
    assert error.errors == [] and key in error.detail
    assert len(service.bulk_create(INVOICES, A, key, False, BASE)) == 1
    error = failure(service.bulk_create, BILLS, A, "uploads/never/uploaded.csv", False, BASE)
    assert error.errors == [] and "not found" in error.detail


def presigned(service: MockService, business: UUID = A) -> tuple[str, dict[str, str], str]:
    result = service.create_upload_url(business, "bills.csv", None, BASE)
    parts = urlsplit(result["upload_url"])
    assert f"{parts.scheme}://{parts.netloc}" == BASE
    assert parts.path.startswith("/__mock/uploads/")
    assert result["expires_in"] == 900
    return parts.path, dict(parse_qsl(parts.query)), result["s3_key"]


def test_presigned_flow(service: MockService) -> None:
    path, query, key = presigned(service)
    assert "not found" in failure(service.bulk_create, BILLS, A, key, False, BASE).detail
    stored = service.put_presigned(path, query, b"vendor_name,amount\nAcme,5\n", None)
    assert stored == {"s3_key": key, "size": 26}
    assert len(service.bulk_create(BILLS, A, key, False, BASE)) == 1
    # The path may also come as just the part after /__mock/uploads/.
    path2, query2, _ = presigned(service)
    service.put_presigned(path2.rsplit("/", 1)[1], query2, b"x", "text/plain")


@pytest.mark.parametrize("change", ["key", "business", "expires", "signature", "content_type",
                                    "path", "drop-signature", "drop-expires"])
def test_presigned_tampering_is_forbidden(service: MockService, change: str) -> None:
    path, query, key = presigned(service)
    _, _, other_key = presigned(service)
    if change == "key":
        query["key"] = other_key
    elif change == "business":
        query["business"] = str(B)
    elif change == "expires":
        query["expires"] = str(int(query["expires"]) + 1)
    elif change == "signature":
        query["signature"] = query["signature"][:-1] + ("0" if query["signature"][-1] != "0"
                                                        else "1")
    elif change == "content_type":
        query["content_type"] = "application/pdf"
    elif change == "path":
        path = "/__mock/uploads/" + other_key.split("/")[2]
    else:
        del query[change.removeprefix("drop-")]
    with pytest.raises(Forbidden):
        service.put_presigned(path, query, b"vendor_name,amount\nAcme,5\n", None)
    assert "not found" in failure(service.bulk_create, BILLS, A, key, False, BASE).detail


def test_presigned_expiry_on_the_mock_clock() -> None:
    with MockService(MockConfig(clock=CLOCK, presign_ttl_seconds=3)) as service:
        path, query, _ = presigned_with(service)
        for _ in range(3):
            service.tick()
        service.put_presigned(path, query, b"ok", None)
        service.tick()
        with pytest.raises(Forbidden, match="expired"):
            service.put_presigned(path, query, b"late", None)


def presigned_with(service: MockService) -> tuple[str, dict[str, str], str]:
    result = service.create_upload_url(A, "f.csv", "text/csv", BASE)
    parts = urlsplit(result["upload_url"])
    return parts.path, dict(parse_qsl(parts.query)), result["s3_key"]


def test_presigned_size_checked_after_signature() -> None:
    with MockService(MockConfig(max_upload_bytes=4)) as service:
        path, query, _ = presigned_with(service)
        with pytest.raises(PayloadTooLarge):
            service.put_presigned(path, query, b"12345", None)
        query["signature"] = "0" * 64
        with pytest.raises(Forbidden):
            service.put_presigned(path, query, b"12345", None)


def test_presigned_urls_repeat_across_restarts_and_secrets_matter() -> None:
    urls = []
    for secret in (None, None, b"other"):
        with MockService(MockConfig(seed=5, clock=CLOCK, presign_secret=secret)) as service:
            urls.append(service.create_upload_url(A, "f.csv", None, BASE)["upload_url"])
    assert urls[0] == urls[1] != urls[2]


# --- bulk -------------------------------------------------------------------------------


def test_sample_invoices_match_the_schema(service: MockService, schemas: dict) -> None:
    items = service.bulk_create(INVOICES, A, "samples/invoices.csv", True, BASE)
    assert len(items) == 4
    for item in items:
        check_schema(schemas["InvoiceResponse"], item)
        assert item["pdf_url"] == f"{BASE}/__mock/invoices/{A}/{item['id']}.pdf"
        assert item["created_at"] == "2026-11-22T10:00:00Z"
    acme = items[0]
    assert acme["customer_name"] == "Acme Robotics" and len(acme["line_items"]) == 3
    assert acme["total"] == 450000 + 63000 + 31248
    assert [item["currency"] for item in items] == ["USD", "GBP", "EUR", "USD"]


def test_sample_bills_match_the_schema(service: MockService, schemas: dict) -> None:
    items = service.bulk_create(BILLS, B, "samples/bills.csv", False, BASE)
    assert len(items) == 5
    for item in items:
        check_schema(schemas["BillResponse"], item)
        assert item["s3_key"] == "samples/bills.csv" and item["status"] == "draft"
    assert {item["type"] for item in items} == {"one_time", "recurring"}


def test_failed_import_creates_nothing(service: MockService) -> None:
    text = INVOICE_CSV + ("new@x.com,New,2026-12-15,,Work,1,10,\n"
                          "a@x.com,,2026-12-15,,Work,1,10,G\n"
                          "a@x.com,,2026-12-16,,Work,1,10,G\n")
    before = service.world()
    error = failure(import_invoices, service, text, A, True)
    assert [(e.row, e.column) for e in error.errors] == [(3, "due_date")]
    assert error.detail == "1 invalid cell in 1 row; nothing was imported"
    assert service.list_page(INVOICES, A, 50, None, BASE)["total"] == 0
    assert service.world() == before
    created = import_invoices(service, INVOICE_CSV + "new@x.com,,2026-12-15,,Work,1,10,\n",
                              A, True)
    assert created[0]["number"] == "INV-000001" and created[0]["customer_name"] == "new"


def test_every_fixture_outcome_matches_the_catalogue(service: MockService) -> None:
    for entry in service.samples():
        if entry["rows"] > 1000:
            continue  # the big ones are timed in test_ten_thousand_rows_import_fast
        call = partial(service.bulk_create, BY_NAME[entry["kind"]])
        if entry["expect"] == 201:
            assert len(call(A, entry["key"], False, BASE)) >= 1, entry["key"]
        else:
            error = failure(call, A, entry["key"], False, BASE)
            assert error.detail, entry["key"]


def test_customers_are_reused_across_files(service: MockService) -> None:
    first = import_invoices(service, INVOICE_CSV + "jane@bright.io,Jane,2026-12-15,,W,1,1,\n")
    second = import_invoices(service, INVOICE_CSV + "JANE@BRIGHT.IO,Other,2026-12-15,,W,1,1,\n")
    assert first[0]["customer_id"] == second[0]["customer_id"]
    assert second[0]["customer_name"] == "Jane"
    other_business = import_invoices(service, INVOICE_CSV + "jane@bright.io,,2026-12-15,,W,1,1,\n",
                                     B)
    assert other_business[0]["customer_id"] != first[0]["customer_id"]
    seeded = service.world()["businesses"][0]["customers"][0]
    by_id = import_invoices(service, f"customer_id,due_date,item_description,unit_price\n"
                                     f"{seeded['id']},2026-12-15,W,1\n")
    assert (by_id[0]["customer_name"], by_id[0]["customer_email"]) == (seeded["name"],
                                                                       seeded["email"])
    error = failure(import_invoices, service,
                    f"customer_id,due_date,item_description,unit_price\n"
                    f"{first[0]['customer_id']},2026-12-15,W,1\n", B)
    assert [(e.row, e.column) for e in error.errors] == [(1, "customer_id")]


def test_vendors_are_reused_across_files(service: MockService) -> None:
    first = service.bulk_create(BILLS, A, upload(service, "vendor_name,vendor_email,amount\n"
                                                         "Lakeside,l@x.com,5\n"), False, BASE)
    second = service.bulk_create(BILLS, A, upload(service, "vendor_name,amount\nLAKESIDE,6\n"),
                                       True, BASE)
    assert first[0]["vendor_id"] == second[0]["vendor_id"]
    assert second[0]["vendor_email"] == "l@x.com" and second[0]["status"] == "forecasted"


def test_numbers_are_per_business_and_only_on_finalize(service: MockService) -> None:
    line = INVOICE_CSV + "a@x.com,,2026-12-15,,W,1,1,\n"
    assert import_invoices(service, line + line.split("\n", 1)[1], A, True)[1]["number"] == \
        "INV-000002"
    assert import_invoices(service, line, A, False)[0]["number"] is None
    assert import_invoices(service, line, B, True)[0]["number"] == "INV-000001"
    assert import_invoices(service, line, A, True)[0]["number"] == "INV-000003"


def test_numbers_gap_free_and_unique_under_16_threads(service: MockService) -> None:
    good = upload(service, INVOICE_CSV + "".join(f"c{i}@x.com,,2026-12-15,,W,1,1,\n"
                                                 for i in range(3)))
    bad = upload(service, INVOICE_CSV + "a@x.com,,not-a-date,,W,1,1,\n")
    numbers: list[str] = []
    per_file: list[list[int]] = []
    failures: list[int] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        for attempt in range(5):
            key = bad if (index + attempt) % 4 == 0 else good
            try:
                items = service.bulk_create(INVOICES, A, key, True, BASE)
            except ImportFailed:
                with lock:
                    failures.append(index)
                continue
            with lock:
                numbers.extend(item["number"] for item in items)
                per_file.append([int(item["number"][4:]) for item in items])

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert failures and len(numbers) == 3 * (16 * 5 - len(failures))
    assert sorted(numbers) == [f"INV-{n:06d}" for n in range(1, len(numbers) + 1)]
    # Within each file the numbers are consecutive: one import never interleaves another.
    assert all(file == list(range(file[0], file[0] + 3)) for file in per_file)
    listed = service.list_page(INVOICES, A, 1000, None, BASE)
    assert listed["total"] == len(numbers)
    assert len({item["id"] for item in listed["items"]}) == len(numbers)


def test_ten_thousand_rows_import_and_one_more_is_refused(service: MockService) -> None:
    # How fast is measured by `make bench` (bulk-size scaling), not asserted here.
    for kind, call in (("invoices", partial(service.bulk_create, INVOICES)),
                       ("bills", partial(service.bulk_create, BILLS))):
        items = call(A, f"samples/{kind}-10000.csv", True, BASE)
        rows = sum(len(item["line_items"]) for item in items) if kind == "invoices" \
            else len(items)
        assert rows == 10_000
    error = failure(service.bulk_create, INVOICES, A, "samples/invoices-10001.csv", False, BASE)
    assert "more than 10,000" in error.detail and error.errors == []


# --- read back --------------------------------------------------------------------------


def test_list_envelope_and_cursor_walk(service: MockService, schemas: dict) -> None:
    for _ in range(3):
        import_invoices(service, INVOICE_CSV + "".join(f"c{i}@x.com,,2026-12-15,,W,1,1,\n"
                                                       for i in range(4)))
    everything = service.list_page(INVOICES, A, 1000, None, BASE)
    check_schema_envelope(schemas["InvoiceListResponse"], everything)
    assert everything["total"] == 12 and not everything["has_next"]
    assert everything["next_cursor"] is None and everything["prev_cursor"] is None
    seen: list[str] = []
    page = service.list_page(INVOICES, A, 5, None, BASE)
    assert page["limit"] == 5 and page["has_prev"] is False
    pages = [page]
    while page["has_next"]:
        page = service.list_page(INVOICES, A, 5, page["next_cursor"], BASE)
        pages.append(page)
        assert page["has_prev"] and page["prev_cursor"]
    for page in pages:
        seen.extend(item["id"] for item in page["items"])
    assert seen == [item["id"] for item in everything["items"]]
    back = service.list_page(INVOICES, A, 5, pages[-1]["prev_cursor"], BASE)
    assert [item["id"] for item in back["items"]] == [item["id"] for item in pages[-2]["items"]]


def check_schema_envelope(schema: dict[str, Any], envelope: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(schema).validate(envelope)


def test_empty_cursor_means_first_page(service: MockService) -> None:
    service.bulk_create(BILLS, A, "samples/bills.csv", False, BASE)
    assert service.list_page(BILLS, A, 2, "", BASE) == service.list_page(BILLS, A, 2, None, BASE)


@pytest.mark.parametrize("cursor", ["!!!", "abc", "a" * 500, "aW52b2ljZXM6bzp4",
                                    "YmlsbHM6bzoz", "aW52b2ljZXM6bzotMQ", "////"])
def test_malformed_cursors(service: MockService, cursor: str) -> None:
    # "aW52b2ljZXM6bzp4" is "invoices:o:x", "YmlsbHM6bzoz" a bills cursor,
    # "aW52b2ljZXM6bzotMQ" is "invoices:o:-1".
    with pytest.raises(BadRequest):
        service.list_page(INVOICES, A, 5, cursor, BASE)


def test_get_and_not_found(service: MockService) -> None:
    invoice = service.bulk_create(INVOICES, A, "samples/invoices.csv", False, BASE)[0]
    bill = service.bulk_create(BILLS, A, "samples/bills.csv", False, BASE)[0]
    assert service.get(INVOICES, A, invoice["id"], BASE) == invoice
    assert service.get(INVOICES, A, invoice["id"].upper(), BASE) == invoice
    assert service.get(BILLS, A, bill["id"], BASE) == bill
    for call, entity_id in ((partial(service.get, INVOICES), invoice["id"]),
                            (partial(service.get, BILLS), bill["id"])):
        with pytest.raises(NotFound):
            call(B, entity_id, BASE)
        for bad in ("nope", "", "../etc", "00000000-0000-4000-8000-000000000000"):
            with pytest.raises(NotFound):
                call(A, bad, BASE)
    with pytest.raises(NotFound):
        service.get(INVOICES, A, bill["id"], BASE)


def test_invoice_pdf(service: MockService) -> None:
    items = service.bulk_create(INVOICES, A, "samples/invoices.csv", True, BASE)
    pdf = service.invoice_pdf(A, items[0]["id"])
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert service.invoice_pdf(A, items[0]["id"]) == pdf
    with pytest.raises(NotFound):
        service.invoice_pdf(B, items[0]["id"])


def test_template_csv(service: MockService) -> None:
    assert service.template_csv("invoices").startswith("customer_email,customer_name,")
    assert service.template_csv("bills").endswith(",type\r\n")
    assert service.template_csv("bills").count("\r\n") == 1
    with pytest.raises(NotFound):
        service.template_csv("payments")


# --- admin, time, determinism ------------------------------------------------------------


def test_reset_forgets_created_state_and_keeps_the_world(service: MockService) -> None:
    seeded = service.world()
    for business in (A, B):
        service.bulk_create(INVOICES, business, "samples/invoices.csv", True, BASE)
        service.bulk_create(BILLS, business, "samples/bills.csv", True, BASE)
    key = upload(service, INVOICE_CSV + "a@x.com,,2026-12-15,,W,1,1,\n")
    assert service.world() != seeded
    service.reset(A)
    assert service.list_page(INVOICES, A, 10, None, BASE)["total"] == 0
    assert service.list_page(BILLS, B, 10, None, BASE)["total"] == 5
    assert "not found" in failure(service.bulk_create, INVOICES, A, key, False, BASE).detail
    assert service.world()["businesses"][0] == seeded["businesses"][0]
    again = service.bulk_create(INVOICES, A, "samples/invoices.csv", True, BASE)
    assert again[0]["number"] == "INV-000001"
    service.reset()
    assert service.world() == seeded
    assert service.list_page(BILLS, B, 10, None, BASE)["total"] == 0


def test_world(service: MockService) -> None:
    world = service.world()
    assert set(world["tokens"]) == {"dz_mock_token", "dz_your_token"}
    names = {business["name"] for business in world["businesses"]}
    assert names == {"Northwind Studio", "Blue Harbor Bakery"}
    for business in world["businesses"]:
        assert 4 <= len(business["customers"]) <= 6 and 4 <= len(business["vendors"]) <= 6


def test_clock_ticks_one_second() -> None:
    with MockService(MockConfig(clock=datetime(2026, 1, 1, 12, 0))) as service:
        assert service.now() == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
        service.tick()
        service.tick()
        items = service.bulk_create(BILLS, A, "samples/bills.csv", False, BASE)
        assert items[0]["created_at"] == "2026-01-01T12:00:02Z"


def test_wall_clock_without_config() -> None:
    with MockService(MockConfig()) as service:
        before = datetime.now(UTC)
        service.tick()
        assert before <= service.now() <= datetime.now(UTC)


def script(service: MockService) -> list[Any]:
    """A fixed sequence of requests whose every output should be reproducible."""
    out: list[Any] = []
    service.tick()
    out.append(service.upload_direct(A, "a.csv", None, (INVOICE_CSV + "x@y.com,,2026-12-15,,W,"
                                                       "1,1,\n").encode()))
    out.append(service.create_upload_url(B, "b.csv", None, BASE))
    service.tick()
    out.append(service.bulk_create(INVOICES, A, out[0]["s3_key"], True, BASE))
    out.append(service.bulk_create(INVOICES, B, "samples/invoices-20.csv", False, BASE))
    out.append(service.bulk_create(BILLS, A, "samples/bills-20.csv", True, BASE))
    out.append(service.list_page(INVOICES, B, 3, None, BASE))
    return out


def test_same_seed_and_clock_give_identical_bytes(tmp_path: Path) -> None:
    runs = []
    for seed, data_dir in ((11, None), (11, None), (11, tmp_path / "a"), (12, None)):
        with MockService(MockConfig(seed=seed, clock=CLOCK, data_dir=data_dir)) as service:
            runs.append(json.dumps(script(service), sort_keys=False))
    assert runs[0] == runs[1] == runs[2]
    assert runs[3] != runs[0]


def test_data_dir_persists_across_restarts(tmp_path: Path) -> None:
    config = MockConfig(seed=1, clock=CLOCK, data_dir=tmp_path)
    with MockService(config) as service:
        first = import_invoices(service, INVOICE_CSV + "jane@x.io,Jane,2026-12-15,,W,1,1,\n",
                                A, True)
        key = upload(service, "vendor_name,amount\nNewco,5\n")
    with MockService(config) as service:
        assert service.get(INVOICES, A, first[0]["id"], BASE) == first[0]
        second = import_invoices(service, INVOICE_CSV + "JANE@x.io,,2026-12-15,,W,1,1,\n",
                                 A, True)
        assert second[0]["customer_id"] == first[0]["customer_id"]
        assert second[0]["number"] == "INV-000002"
        assert second[0]["id"] != first[0]["id"]
        assert len(service.bulk_create(BILLS, A, key, False, BASE)) == 1
        assert service.list_page(INVOICES, A, 10, None, BASE)["total"] == 2
