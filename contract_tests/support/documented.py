"""Which response bodies the contract documents, and schemathesis checks that respect it.

The slices in ``openapi/`` give every response a body schema, for the mock's sake; the
contract (``docs/CONTRACT.md`` and the reference pages) does not document all of them.
Where it names a status and no body, any body is legal (JSON, text, none), so the
content type and schema of such a response are not judged:

* ``GET /api/v1/invoices`` and ``/bills`` 400: CONTRACT §5 "A malformed cursor is 400."
  (the ``{detail, errors}`` body of §1 order 4 belongs to the bulk operations' 400);
* ``POST /api/v1/upload/direct`` 413: CONTRACT §2 "Files over 10 MiB are refused with
  413, after the 401, 422 and 403 checks." — the status only.

Everything else keeps the built-in checks unchanged.
"""

from __future__ import annotations

from typing import Any

from schemathesis.specs.openapi import checks as builtin

# (operationId, status) whose body the contract leaves open, with the sentence that says so.
UNDOCUMENTED_BODIES: dict[tuple[str, int], str] = {
    ("list_invoices_api_v1_invoices_get", 400): "CONTRACT §5 A malformed cursor is 400.",
    ("list_bills_api_v1_bills_get", 400): "CONTRACT §5 A malformed cursor is 400.",
    ("upload_direct_api_v1_upload_direct_post", 413): "CONTRACT §2 Files over 10 MiB are "
    "refused with 413",
}


def body_is_documented(case: Any, response: Any) -> bool:
    """False when the contract names this status for this operation but no body."""
    operation_id = case.operation.definition.raw.get("operationId")
    return (operation_id, response.status_code) not in UNDOCUMENTED_BODIES


def content_type_conformance(ctx: Any, response: Any, case: Any) -> bool | None:
    """The built-in check, for documented bodies only."""
    if not body_is_documented(case, response):
        return None
    return builtin.content_type_conformance(ctx, response, case)


def response_schema_conformance(ctx: Any, response: Any, case: Any) -> bool | None:
    """The built-in check, for documented bodies only."""
    if not body_is_documented(case, response):
        return None
    return builtin.response_schema_conformance(ctx, response, case)
