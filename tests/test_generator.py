"""The schema-driven generator: valid for every response schema, and believable."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from fastapi.testclient import TestClient

from dayzero_twin.mock_server.app import MockApp
from dayzero_twin.mock_server.pipeline.generator import Filler, GenContext, Generator
from dayzero_twin.openapi.bundle import SLICE_DIR, dereference, iter_operations, load_bundle
from tests.conftest import FORMATS, TEST_CLOCK

SEEDS = range(25)
BUSINESS = "b5a1c6de-0000-4000-8000-000000000001"


def _response_schemas() -> Iterator[tuple[str, dict[str, Any]]]:
    document = load_bundle()
    for method, path, operation in iter_operations(document):
        for status, response in operation["responses"].items():
            resolved = dereference(document, response)
            schema = (resolved.get("content") or {}).get("application/json", {}).get("schema")
            if schema is not None:
                yield f"{method.upper()} {path} {status}", schema


RESPONSE_SCHEMAS = list(_response_schemas())


def _generator(seed: int) -> Generator:
    return Generator(seed, lambda: TEST_CLOCK)


@pytest.mark.parametrize(
    ("label", "schema"), RESPONSE_SCHEMAS, ids=[r[0] for r in RESPONSE_SCHEMAS]
)
def test_generated_bodies_validate_for_every_response_schema(
    label: str, schema: dict[str, Any]
) -> None:
    validator = jsonschema.Draft202012Validator(schema, format_checker=FORMATS)
    for seed in SEEDS:
        value = _generator(seed).value(schema, ctx=GenContext(business_id=BUSINESS))
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(value)]
        assert not errors, (label, seed, errors[:3])


CONSTRAINED = {
    "type": "object",
    "required": ["code", "count", "ratio", "tags", "level", "when", "ref"],
    "properties": {
        "code": {"type": "string", "minLength": 40, "maxLength": 42},
        "short": {"type": "string", "maxLength": 3},
        "count": {"type": "integer", "minimum": 7, "maximum": 9},
        "even": {"type": "integer", "multipleOf": 2, "minimum": 1},
        "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 4, "maxItems": 5},
        "level": {"enum": ["low", "high"]},
        "when": {"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]},
        "ref": {
            "allOf": [
                {"type": "object", "properties": {"id": {"type": "string", "format": "uuid"}}}
            ]
        },
        "flag": {"type": ["boolean", "null"]},
        "amount": {"type": "integer", "maximum": 50},
        "fixed": {"const": "x"},
    },
}


def test_every_constraint_kind_is_respected() -> None:
    validator = jsonschema.Draft202012Validator(CONSTRAINED, format_checker=FORMATS)
    for seed in SEEDS:
        value = _generator(seed).value(CONSTRAINED)
        assert not list(validator.iter_errors(value)), (seed, value)


def _invoices(count: int) -> list[dict[str, Any]]:
    schema = dict(RESPONSE_SCHEMAS)["GET /api/v1/invoices/{invoice_id} 200"]
    return [_generator(seed).value(schema) for seed in range(count)]


def _bills(count: int) -> list[dict[str, Any]]:
    schema = dict(RESPONSE_SCHEMAS)["GET /api/v1/bills/{bill_id} 200"]
    return [_generator(seed).value(schema) for seed in range(count)]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def test_invoices_add_up() -> None:
    for invoice in _invoices(60):
        amounts = [line["amount"] for line in invoice["line_items"]]
        for line in invoice["line_items"]:
            exact = line["quantity"] * line["unit_price"]
            assert abs(line["amount"] - exact) <= 0.5
            assert line["unit_price"] > 0
        assert invoice["total"] == sum(amounts) > 0
        assert invoice["balance_due"] == invoice["total"] - invoice["total_paid"]
        if invoice["status"] == "draft":
            assert invoice["number"] is None and invoice["total_paid"] == 0
        else:
            assert invoice["number"]


def test_emails_belong_to_the_names_next_to_them() -> None:
    for invoice in _invoices(30):
        if invoice["customer_name"] is None or invoice["customer_email"] is None:
            continue
        local, domain = invoice["customer_email"].split("@")
        assert "." in domain
        assert _slug(local) in _slug(invoice["customer_name"]), invoice
    for bill in _bills(30):
        if bill["vendor_name"] is None or bill["vendor_email"] is None:
            continue
        assert bill["vendor_email"].endswith(f"@{_slug(bill['vendor_name'])}.com")


def test_dates_sit_around_the_mock_clock() -> None:
    low, high = TEST_CLOCK - timedelta(days=90), TEST_CLOCK + timedelta(days=90)
    for invoice in _invoices(30):
        created = datetime.fromisoformat(invoice["created_at"])
        assert low <= created <= TEST_CLOCK <= high
        assert datetime.fromisoformat(invoice["updated_at"]) >= created
        due = date.fromisoformat(invoice["due_date"])
        assert low.date() <= due <= high.date()
        for key in ("paid_on", "delivered_on"):
            if invoice[key] is not None:
                assert created <= datetime.fromisoformat(invoice[key]) <= TEST_CLOCK


def test_values_look_real_not_lorem() -> None:
    invoices = _invoices(40)
    text = repr(invoices).lower()
    assert "lorem" not in text and "ipsum" not in text
    for invoice in invoices:
        for key in ("pdf_url", "hosted_invoice_url"):
            assert invoice[key] is None or invoice[key].startswith(("http://", "https://"))
        assert 1 <= len(invoice["line_items"]) <= 3
        assert invoice["customer_name"] is None or not re.search(r"\d", invoice["customer_name"])
    nullable = ["description", "stripe_invoice_id", "pdf_url", "recurring_template_id"]
    values = [invoice[key] for invoice in invoices for key in nullable]
    assert sum(v is not None for v in values) / len(values) > 0.75  # mostly non-null
    assert any(v is None for v in values)  # but null does happen


def test_bills_are_coherent() -> None:
    for bill in _bills(40):
        assert bill["status"] in (
            "draft",
            "forecasted",
            "scheduled",
            "partially_paid",
            "paid",
            "void",
        )
        assert bill["type"] in ("one_time", "recurring")
        assert bill["expected_amount"] == bill["amount"] > 0
        if bill["status"] == "paid":
            assert bill["total_paid"] == bill["amount"]
        elif bill["status"] != "partially_paid":
            assert bill["total_paid"] == 0 and bill["paid_on"] is None
        assert bill["due_on"] is None or bill["due_on"].endswith("T00:00:00Z")


def test_list_envelopes_are_consistent() -> None:
    schema = dict(RESPONSE_SCHEMAS)["GET /api/v1/bills 200"]
    for seed in SEEDS:
        page = _generator(seed).value(schema)
        assert 1 <= len(page["items"]) <= 3
        assert page["total"] >= len(page["items"])
        assert (page["next_cursor"] is not None) == page["has_next"]


def test_same_seed_same_values() -> None:
    schema = dict(RESPONSE_SCHEMAS)["POST /api/v1/invoices/bulk 201"]
    assert _generator(3).value(schema) == _generator(3).value(schema)
    assert _generator(3).value(schema) != _generator(4).value(schema)


def test_filler_adds_only_what_is_missing_and_leaves_the_input_alone() -> None:
    schema = dict(RESPONSE_SCHEMAS)["POST /api/v1/invoices/bulk 201"]
    invoice = _invoices(1)[0]
    del invoice["hosted_invoice_url"]
    del invoice["line_items"][0]["unit_price"]
    original = repr(invoice)
    envelope = {"items": [invoice], "has_next": False, "has_prev": False}
    filled = Filler(schema).fill(envelope, _generator(1), GenContext())
    assert repr(invoice) == original
    item = filled["items"][0]
    assert item["hosted_invoice_url"] is None or item["hosted_invoice_url"].startswith("http")
    assert "hosted_invoice_url" in item and "unit_price" in item["line_items"][0]
    assert {k: v for k, v in item.items() if k not in ("hosted_invoice_url", "line_items")} == {
        k: v for k, v in invoice.items() if k not in ("line_items",)
    }
    assert "total" in filled and "limit" in filled
    complete = {"items": [], "total": 0, "limit": None, "next_cursor": None,
                "prev_cursor": None, "has_next": False, "has_prev": False}  # fmt: skip
    assert Filler(schema).fill(complete, _generator(1), GenContext()) is complete


# --------------------------------------------------------------------------- --openapi-dir


NEW_SLICE = {
    "paths": {
        "/api/v1/customers": {
            "get": {
                "tags": ["customers"],
                "operationId": "list_customers_api_v1_customers_get",
                "security": [{"HTTPBearer": []}],
                "parameters": [{"$ref": "_common.yaml#/components/parameters/BusinessIdHeader"}],
                "responses": {
                    "200": {
                        "description": "Customers",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/CustomerResponse"},
                                }
                            }
                        },
                    },
                    "401": {"$ref": "_common.yaml#/components/responses/Unauthorized"},
                },
            }
        }
    },
    "components": {
        "schemas": {
            "CustomerResponse": {
                "type": "object",
                "required": ["id", "business_id", "name", "email"],
                "properties": {
                    "id": {"type": "string", "format": "uuid"},
                    "business_id": {"type": "string", "format": "uuid"},
                    "name": {"type": "string"},
                    "email": {"type": "string"},
                    "created_at": {"type": "string", "format": "date-time"},
                },
            }
        }
    },
}


@pytest.fixture
def changed_slices(tmp_path: Path) -> Path:
    folder = tmp_path / "openapi"
    shutil.copytree(SLICE_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    bulk = folder / "invoices-bulk.yaml"
    data = yaml.safe_load(bulk.read_text(encoding="utf-8"))
    data["components"]["schemas"]["InvoiceResponse"]["properties"]["customer_phone"] = {
        "anyOf": [{"type": "string", "minLength": 7}, {"type": "null"}],
        "title": "Customer Phone",
    }
    bulk.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    (folder / "customers-list.yaml").write_text(yaml.safe_dump(NEW_SLICE), encoding="utf-8")
    return folder


def test_openapi_dir_adds_fields_to_domain_responses_and_serves_new_slices(
    mock_app: Callable[..., MockApp],
    changed_slices: Path,
    auth_headers: dict[str, str],
    conformance_for: Callable[[Path], Any],
) -> None:
    check = conformance_for(changed_slices)
    with TestClient(mock_app(openapi_dir=changed_slices)) as client:
        payload = {"s3_key": "samples/invoices.csv"}
        created = check(client.post("/api/v1/invoices/bulk", headers=auth_headers, json=payload))
        phones = [item["customer_phone"] for item in created["items"]]
        assert any(isinstance(p, str) and len(p) >= 7 for p in phones)
        listed = check(client.get("/api/v1/invoices", headers=auth_headers))
        assert all("customer_phone" in item for item in listed["items"])

        customers = check(client.get("/api/v1/customers", headers=auth_headers))
        assert 1 <= len(customers) <= 3
        for customer in customers:
            assert customer["business_id"] == auth_headers["x-business-id"]
            assert "@" in customer["email"]
        assert client.get("/api/v1/customers").status_code == 401
    with TestClient(mock_app()) as client:
        assert client.get("/api/v1/customers", headers=auth_headers).status_code == 404
