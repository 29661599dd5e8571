"""The slices in openapi/ against the reference pages and the contract supplement.

Each check returns the list of problems it finds, so that the same functions are
exercised twice: on the real slices (no problem expected) and on deliberately broken
copies (the problem must be reported). A comparison that cannot fail proves nothing.
"""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

from dayzero_twin.openapi.bundle import SLICE_DIR, BundleError, iter_operations, load_bundle
from tests.reference_pages import DocumentedField, ReferencePage, reference_pages

# Where the slices knowingly say more than the pages, and why.
REQUIRED_BY_CONTRACT = {
    ("InvoiceBulkRequest", "s3_key"): "CONTRACT §1: a missing s3_key is a 422",
    ("BillBulkRequest", "s3_key"): "CONTRACT §1: a missing s3_key is a 422",
}
UNTYPED_BY_DESIGN = {
    ("ValidationError", "input"): "pydantic v2 writes any JSON value there, strings included",
}
FORMATS_FROM_CONTRACT = {"uuid", "date"}  # CONTRACT §1: ids are UUIDs; due_date is YYYY-MM-DD
NULLABLE_SCHEMAS = {
    "InvoiceListResponse", "InvoiceResponse", "BillsListResponse", "BillResponse",
}
CURRENCIES = ["USD", "CAD", "AUD", "EUR", "GBP"]


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The schema ``node`` stands for, and the component name when it is a $ref."""
    ref = node.get("$ref")
    if ref is None:
        return node, None
    name = ref.rsplit("/", 1)[-1]
    return document["components"]["schemas"][name], name


def _branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return schema.get("anyOf", [schema])


def _types(document: dict[str, Any], schema: dict[str, Any]) -> tuple[set[str], bool]:
    types: set[str] = set()
    nullable = False
    for branch in _branches(schema):
        branch, _ = _resolve(document, branch)
        kind = branch.get("type", "any")
        if kind == "null":
            nullable = True
        else:
            types.add(kind)
    return types, nullable


def _non_null(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    for branch in _branches(schema):
        branch, _ = _resolve(document, branch)
        if branch.get("type") != "null":
            return branch
    return schema


def compare_field(
    document: dict[str, Any], schema_name: str, documented: DocumentedField
) -> list[str]:
    """Problems between one documented field and the slice's property."""
    where = f"{schema_name}.{documented.name}"
    schema = document["components"]["schemas"][schema_name]
    prop = schema.get("properties", {}).get(documented.name)
    if prop is None:
        return [f"{where}: documented field is missing from the slice"]
    problems = []
    types, nullable = _types(document, prop)
    if (schema_name, documented.name) in UNTYPED_BY_DESIGN:
        if types != {"any"}:
            problems.append(f"{where}: should accept any JSON value")
    elif types != set(documented.types):
        problems.append(f"{where}: type {sorted(types)} != documented {sorted(documented.types)}")
    required = documented.name in schema.get("required", [])
    knowingly_required = (schema_name, documented.name) in REQUIRED_BY_CONTRACT
    if required != documented.required and not knowingly_required:
        problems.append(f"{where}: required={required}, documented required={documented.required}")
    if schema_name in NULLABLE_SCHEMAS and not documented.required and not nullable:
        problems.append(f"{where}: optional field should be anyOf [..., null] (CONTRACT §1)")
    target = _non_null(document, prop)
    fmt = target.get("format")
    if documented.format and fmt != documented.format:
        problems.append(f"{where}: format {fmt!r} != documented {documented.format!r}")
    if not documented.format and fmt and fmt not in FORMATS_FROM_CONTRACT:
        problems.append(f"{where}: format {fmt!r} is neither documented nor in the contract")
    if documented.description and not (prop.get("description") or "").startswith(
        documented.description
    ):
        problems.append(f"{where}: description does not repeat the page's")
    if documented.item_type:
        items, item_name = _resolve(document, target.get("items", {}))
        if item_name is not None:
            if item_name != documented.item_type:
                problems.append(f"{where}: items are {item_name}, not {documented.item_type}")
        else:
            item_types, _ = _types(document, items)
            expected = {t.strip() for t in documented.item_type.split("|")}
            if item_types != expected:
                problems.append(f"{where}: item types {sorted(item_types)} != {sorted(expected)}")
    if documented.child_schema:
        problems += compare_fields(document, documented.child_schema, documented.children)
    return problems


def compare_fields(
    document: dict[str, Any], schema_name: str, fields: list[DocumentedField]
) -> list[str]:
    if schema_name not in document["components"]["schemas"]:
        return [f"{schema_name}: documented schema is missing from the slices"]
    problems: list[str] = []
    for documented in fields:
        problems += compare_field(document, schema_name, documented)
    return problems


def compare_page(document: dict[str, Any], page: ReferencePage) -> list[str]:
    """Every difference between a reference page and the bundled slices."""
    operation = document["paths"].get(page.path, {}).get(page.method)
    if operation is None:
        return [f"{page.method.upper()} {page.path}: operation missing"]
    problems = []
    for key, expected in (
        ("operationId", page.operation_id),
        ("summary", page.summary),
        ("description", page.description),
    ):
        if operation.get(key) != expected:
            problems.append(f"{page.operation_id}: {key} {operation.get(key)!r} != {expected!r}")
    if operation.get("tags") != [page.tag]:
        problems.append(f"{page.operation_id}: tags {operation.get('tags')} != [{page.tag!r}]")
    if operation.get("security") != [{"HTTPBearer": []}]:
        problems.append(f"{page.operation_id}: not secured by HTTPBearer")
    header = [
        p for p in (_resolve_parameter(document, p) for p in operation.get("parameters", []))
        if p["in"] == "header" and p["name"] == "x-business-id"
    ]
    if not header or not header[0].get("required") or header[0]["schema"].get("format") != "uuid":
        problems.append(f"{page.operation_id}: x-business-id must be a required uuid header")
    body_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    if body_ref.rsplit("/", 1)[-1] != page.request.name:
        problems.append(f"{page.operation_id}: request body is not {page.request.name}")
    problems += compare_fields(document, page.request.name, page.request.fields)
    if set(operation["responses"]) != set(page.responses):
        problems.append(
            f"{page.operation_id}: responses {sorted(operation['responses'])} "
            f"!= documented {sorted(page.responses)}"
        )
    for status, description in page.responses.items():
        response = _resolve_response(document, operation["responses"].get(status, {}))
        if response.get("description") != description:
            problems.append(f"{page.operation_id} {status}: description != {description!r}")
    for status, schema in page.response_schemas.items():
        response = _resolve_response(document, operation["responses"].get(status, {}))
        ref = response.get("content", {}).get("application/json", {}).get("schema", {})
        if ref.get("$ref", "").rsplit("/", 1)[-1] != schema.name:
            problems.append(f"{page.operation_id} {status}: body is not {schema.name}")
        problems += compare_fields(document, schema.name, schema.fields)
    return problems


def _resolve_parameter(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        return document["components"]["parameters"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _resolve_response(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        return document["components"]["responses"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def enum_problems(document: dict[str, Any]) -> list[str]:
    """The value lists the pages spell out in prose must be enums in the slices."""
    schemas = document["components"]["schemas"]
    problems = []
    status = _non_null(document, schemas["InvoiceResponse"]["properties"]["status"])
    listed = re.findall(r"[a-z_]+", schemas["InvoiceResponse"]["properties"]["status"][
        "description"].split(":", 1)[1])
    if status.get("enum") != listed:
        problems.append(f"InvoiceResponse.status enum {status.get('enum')} != {listed}")
    for name in ("InvoiceResponse", "BillResponse"):
        currency = _non_null(document, schemas[name]["properties"]["currency"])
        if currency.get("enum") != CURRENCIES:
            problems.append(f"{name}.currency enum {currency.get('enum')} != {CURRENCIES}")
    bill_type = schemas["BillResponse"]["properties"]["type"]
    if set(bill_type.get("x-enum-strings", [])) != {"one_time", "recurring"}:
        problems.append("BillResponse.type must list one_time and recurring")
    bill_status = schemas["BillResponse"]["properties"]["status"]
    if not {"draft", "forecasted"} <= set(bill_status.get("x-enum-strings", [])):
        problems.append("BillResponse.status must list draft and forecasted")
    return problems


@pytest.fixture(scope="module")
def bundle() -> dict[str, Any]:
    return load_bundle()


def test_the_bundle_is_a_valid_openapi_document(bundle: dict[str, Any]) -> None:
    validate(bundle)


def test_both_reference_pages_are_parsed() -> None:
    pages = reference_pages()
    assert {p.operation_id for p in pages} == {
        "create_bulk_invoices_api_v1_invoices_bulk_post",
        "create_bulk_bills_api_v1_bills_bulk_post",
    }
    invoice = next(p for p in pages if "invoices" in p.path)
    assert len(invoice.response_schemas["201"].fields[0].children) == 25


@pytest.mark.parametrize("page", reference_pages(), ids=lambda p: p.operation_id)
def test_the_slices_hold_every_documented_field_exactly(
    bundle: dict[str, Any], page: ReferencePage
) -> None:
    assert compare_page(bundle, page) == []


def test_documented_value_lists_are_enums(bundle: dict[str, Any]) -> None:
    assert enum_problems(bundle) == []


BREAKAGES = {
    "dropped field": lambda d: d["components"]["schemas"]["InvoiceResponse"]["properties"].pop(
        "balance_due"),
    "mistyped field": lambda d: d["components"]["schemas"]["BillResponse"]["properties"][
        "amount"].update(anyOf=[{"type": "string"}, {"type": "null"}]),
    "required flag lost": lambda d: d["components"]["schemas"]["InvoiceResponse"][
        "required"].remove("customer_id"),
    "optional made required": lambda d: d["components"]["schemas"]["BillResponse"][
        "required"].append("amount"),
    "format lost": lambda d: d["components"]["schemas"]["InvoiceResponse"]["properties"][
        "created_at"].pop("format"),
    "nested field dropped": lambda d: d["components"]["schemas"]["ValidationError"][
        "properties"].pop("msg"),
    "response dropped": lambda d: d["paths"]["/api/v1/bills/bulk"]["post"]["responses"].pop("403"),
    "operation id changed": lambda d: d["paths"]["/api/v1/invoices/bulk"]["post"].update(
        operationId="bulk"),
    "not nullable": lambda d: d["components"]["schemas"]["BillResponse"]["properties"].update(
        vendor_name={"type": "string", "description": "Vendor name (resolved)."}),
    "description changed": lambda d: d["components"]["schemas"]["BillBulkRequest"]["properties"][
        "approve"].update(description="Approve."),
}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_a_broken_slice_is_reported(bundle: dict[str, Any], breakage: str) -> None:
    broken = copy.deepcopy(bundle)
    BREAKAGES[breakage](broken)
    problems = [problem for page in reference_pages() for problem in compare_page(broken, page)]
    assert problems, f"{breakage} went unnoticed"


@pytest.mark.parametrize(
    ("breakage", "change"),
    [
        ("status enum", lambda s: s["InvoiceResponse"]["properties"]["status"].pop("enum")),
        ("currency enum", lambda s: s["BillResponse"]["properties"]["currency"]["anyOf"][0][
            "enum"].remove("AUD")),
    ],
)
def test_a_lost_enum_is_reported(bundle: dict[str, Any], breakage: str, change: Any) -> None:
    broken = copy.deepcopy(bundle)
    change(broken["components"]["schemas"])
    assert enum_problems(broken), breakage


def test_companion_operations_are_marked(bundle: dict[str, Any]) -> None:
    documented = {p.operation_id for p in reference_pages()}
    for _, _, operation in iter_operations(bundle):
        is_companion = operation.get("x-companion") is True
        assert is_companion == (operation["operationId"] not in documented), operation[
            "operationId"]
    companions = {
        op["operationId"] for _, _, op in iter_operations(bundle) if op.get("x-companion")
    }
    assert {
        "upload_direct_api_v1_upload_direct_post",
        "create_upload_url_api_v1_upload_post",
        "list_invoices_api_v1_invoices_get",
        "get_invoice_api_v1_invoices__invoice_id__get",
        "list_bills_api_v1_bills_get",
        "get_bill_api_v1_bills__bill_id__get",
    } <= companions


def _links(bundle: dict[str, Any]) -> set[tuple[str, str]]:
    found = set()
    for _, _, operation in iter_operations(bundle):
        for response in operation["responses"].values():
            for link in response.get("links", {}).values():
                found.add((operation["operationId"], link["operationId"]))
    return found


def test_links_chain_upload_to_bulk_to_read_back(bundle: dict[str, Any]) -> None:
    links = _links(bundle)
    operation_ids = {op["operationId"] for _, _, op in iter_operations(bundle)}
    assert all(target in operation_ids for _, target in links)
    uploads = ("upload_direct_api_v1_upload_direct_post", "create_upload_url_api_v1_upload_post")
    for upload in uploads:
        assert (upload, "create_bulk_invoices_api_v1_invoices_bulk_post") in links
        assert (upload, "create_bulk_bills_api_v1_bills_bulk_post") in links
    assert (
        "create_bulk_invoices_api_v1_invoices_bulk_post",
        "get_invoice_api_v1_invoices__invoice_id__get",
    ) in links
    assert (
        "create_bulk_bills_api_v1_bills_bulk_post", "get_bill_api_v1_bills__bill_id__get"
    ) in links


def test_every_reference_is_local_after_bundling(bundle: dict[str, Any]) -> None:
    text = yaml.safe_dump(bundle)
    assert ".yaml#" not in text


def _copy_slices(tmp_path: Path) -> Path:
    target = tmp_path / "openapi"
    shutil.copytree(SLICE_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def test_two_slices_defining_one_operation_are_refused(tmp_path: Path) -> None:
    slices = _copy_slices(tmp_path)
    shutil.copy(slices / "bills-get.yaml", slices / "bills-get-again.yaml")
    with pytest.raises(BundleError, match="defined twice"):
        load_bundle(slices)


def test_a_component_redefined_differently_is_refused(tmp_path: Path) -> None:
    slices = _copy_slices(tmp_path)
    extra = {"components": {"schemas": {"ErrorResponse": {"type": "object"}}}}
    (slices / "zz-extra.yaml").write_text(yaml.safe_dump(extra), encoding="utf-8")
    with pytest.raises(BundleError, match="differs"):
        load_bundle(slices)


def test_a_dangling_reference_is_refused(tmp_path: Path) -> None:
    slices = _copy_slices(tmp_path)
    path = slices / "bills-get.yaml"
    path.write_text(path.read_text().replace("BillResponse", "BilResponse"), encoding="utf-8")
    with pytest.raises(BundleError, match="unresolved reference"):
        load_bundle(slices)
