"""Which response to send when a client forces one with ``Prefer: code=…``.

A documented code answers with a body generated from that response's schema, made
believable for its status: a 422 carries the pydantic errors an empty request to this
operation really produces, a 400 of a bulk import lists bad cells with the operation's
real CSV columns, a 401 carries ``WWW-Authenticate``. An undocumented code (500, 503…)
answers ``{"detail": "<reason phrase>"}`` as FastAPI would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from starlette.datastructures import Headers, QueryParams

from dayzero_twin.mock_server.pipeline.generator import GenContext, Generator
from dayzero_twin.mock_server.pipeline.spec import OperationSpec, ResponseSpec
from dayzero_twin.mock_server.pipeline.validation import MISSING, jsonable, missing_error

NO_BODY_CODES = frozenset({204, 205, 304})


@dataclass(frozen=True)
class Reply:
    """A response before encoding: JSON ``payload``, or raw ``content`` of ``media_type``."""

    status: int
    payload: Any = None
    content: bytes | None = None
    media_type: str | None = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def error_reply(status: int, detail: str, errors: list[dict[str, Any]] | None = None) -> Reply:
    """FastAPI's ``{"detail": ...}`` body; 401s carry the Bearer challenge."""
    payload: dict[str, Any] = {"detail": detail}
    if errors is not None:
        payload["errors"] = errors
    headers = {"www-authenticate": "Bearer"} if status == 401 else {}
    return Reply(status, payload, headers=headers)


def example_validation_errors(operation: OperationSpec) -> list[dict[str, Any]]:
    """The errors this operation really reports for a request with nothing in it."""
    errors: list[dict[str, Any]] = []
    empty_headers, empty_query = Headers(), QueryParams()
    for param in operation.params:
        source = empty_headers if param.location == "header" else empty_query
        if param.location == "path":
            continue
        errors.extend(param.validate(source.get(param.name, MISSING))[1])
    if operation.body is not None:
        if operation.body.json is not None:
            errors.extend(operation.body.json.validate(MISSING)[1])
        for form_field in operation.body.form_fields:
            errors.extend(form_field.validate(MISSING)[1])
    return errors or [missing_error(("header", "x-business-id"))]


def _resource(operation: OperationSpec) -> str:
    for segment in reversed(operation.path.split("/")):
        if segment.startswith("{") and segment.endswith("_id}"):
            return segment[1:-4].replace("_", " ").capitalize()
    return "Resource"


def _detail(operation: OperationSpec, status: int, imports_csv: bool) -> str:
    if status == 400:
        return "2 invalid cells in 2 rows; nothing was imported" if imports_csv else (
            "Malformed cursor"
        )
    return {
        401: "Not authenticated",
        403: "This token may not act for this business",
        404: f"{_resource(operation)} not found",
        413: "File is larger than 10 MiB",
    }.get(status, HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error")


def imports_csv(operation: OperationSpec) -> bool:
    """Does this operation take an ``s3_key`` to import (so its 400 lists bad cells)?"""
    schema = operation.body.schema if operation.body else None
    return schema is not None and "s3_key" in (schema.get("properties") or {})


def forced_reply(
    operation: OperationSpec,
    status: int,
    generator: Generator,
    ctx: GenContext,
    csv_columns: Callable[[OperationSpec], tuple[str, ...]],
) -> Reply:
    """The response for ``Prefer: code=status`` on ``operation``."""
    spec: ResponseSpec | None = operation.response(status)
    if status in NO_BODY_CODES:
        return Reply(status, content=b"", media_type=None)
    if spec is None:
        return error_reply(status, _detail(operation, status, False))
    headers = {"www-authenticate": "Bearer"} if "www-authenticate" in spec.headers else {}
    if spec.media_type is None:
        return Reply(status, content=b"", media_type=None, headers=headers)
    if status == 422:
        errors = example_validation_errors(operation)
        return Reply(status, {"detail": [jsonable(e) for e in errors]}, headers=headers)
    if status >= 400 and spec.schema and "detail" in (spec.schema.get("properties") or {}):
        importing = status == 400 and imports_csv(operation)
        payload: dict[str, Any] = {"detail": _detail(operation, status, importing)}
        if importing:
            columns = GenContext(ctx.base_url, ctx.business_id, csv_columns(operation))
            errors = [generator.value(_row_error_schema(spec), "error", columns) for _ in "ab"]
            for row, error in enumerate(errors, start=1):
                error["row"] = row
            payload["errors"] = errors
        return Reply(status, payload, headers={**headers, **_status_headers(status)})
    if spec.media_type.startswith("text/"):
        return Reply(status, content=generator.csv_text().encode(), media_type=spec.media_type)
    if spec.schema is None:
        return Reply(status, content=b"", media_type=spec.media_type, headers=headers)
    return Reply(status, generator.value(spec.schema, ctx=ctx), headers=headers)


def _status_headers(status: int) -> dict[str, str]:
    return {"www-authenticate": "Bearer"} if status == 401 else {}


def _row_error_schema(spec: ResponseSpec) -> dict[str, Any]:
    errors = (spec.schema or {}).get("properties", {}).get("errors", {})
    for member in errors.get("anyOf", [errors]):
        if member.get("type") == "array":
            items: dict[str, Any] = member.get("items", {})
            return items
    return {}
