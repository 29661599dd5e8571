"""The bundle, compiled once at startup into what the request path needs.

Per operation: its route, whether it needs a bearer token, one validator per parameter,
the body validator, and the dereferenced response schemas by status. Requests never walk
the OpenAPI document; they only look things up here.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import orjson

from dayzero_twin.mock_server.asgi.paths import compile_template
from dayzero_twin.mock_server.pipeline.validation import BodyValidator, FieldValidator, body_adapter
from dayzero_twin.openapi.bundle import SLICE_DIR, dereference, iter_operations, load_bundle

BUSINESS_HEADER = "x-business-id"
JSON_TYPES = ("application/json",)
MULTIPART = "multipart/form-data"


@dataclass(frozen=True)
class ResponseSpec:
    """One documented response: its media type (None: no body), schema and headers."""

    status: int
    description: str
    media_type: str | None
    schema: dict[str, Any] | None
    headers: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class BodySpec:
    """The request body: JSON validated as one model, or form fields validated one by one."""

    media_type: str
    required: bool
    json: BodyValidator | None = None
    form_fields: tuple[FieldValidator, ...] = ()
    schema: dict[str, Any] | None = None


@dataclass(frozen=True)
class OperationSpec:
    """Everything the HTTP layer needs to serve one operation of the bundle."""

    method: str
    path: str
    operation_id: str
    tags: tuple[str, ...]
    requires_auth: bool
    params: tuple[FieldValidator, ...]
    body: BodySpec | None
    responses: Mapping[int, ResponseSpec]
    default_response: ResponseSpec | None
    success_status: int

    def response(self, status: int) -> ResponseSpec | None:
        """The documented response for ``status``: exact code, then ``4XX``-style, then default."""
        return self.responses.get(status) or self.default_response


@dataclass(frozen=True)
class CompiledSpec:
    """The bundle plus its operations, compiled."""

    document: dict[str, Any]
    operations: tuple[OperationSpec, ...]
    openapi_json: bytes

    def find(self, method: str, path: str) -> OperationSpec | None:
        """The operation whose path template matches a concrete path (tests, admin)."""
        for operation in self.operations:
            matches = compile_template(operation.path).regex.fullmatch(path)
            if operation.method == method.upper() and matches:
                return operation
        return None


def _media(content: Mapping[str, Any] | None) -> tuple[str | None, dict[str, Any] | None]:
    """The media type to use from a ``content`` map: JSON first, then the first listed."""
    if not content:
        return None, None
    for media_type, entry in content.items():
        if media_type in JSON_TYPES or media_type.endswith("+json"):
            return media_type, entry.get("schema")
    media_type, entry = next(iter(content.items()))
    return media_type, entry.get("schema")


def _compile_responses(
    document: dict[str, Any], responses: Mapping[str, Any]
) -> tuple[dict[int, ResponseSpec], ResponseSpec | None]:
    compiled: dict[int, ResponseSpec] = {}
    default: ResponseSpec | None = None
    for key, raw in responses.items():
        resolved = dereference(document, raw)
        media_type, schema = _media(resolved.get("content"))
        headers = {
            name.lower(): header.get("schema", {})
            for name, header in (resolved.get("headers") or {}).items()
        }
        status = int(key) if str(key).isdigit() else 0
        spec = ResponseSpec(status, resolved.get("description", ""), media_type, schema, headers)
        if str(key).isdigit():
            compiled[status] = spec
        elif str(key).upper().endswith("XX"):
            first = int(str(key)[0]) * 100
            for code in range(first, first + 100):
                compiled.setdefault(code, replace(spec, status=code))
        else:
            default = spec
    return compiled, default


def _compile_body(document: dict[str, Any], operation: dict[str, Any]) -> BodySpec | None:
    raw = operation.get("requestBody")
    if not raw:
        return None
    resolved = dereference(document, raw)
    content = resolved.get("content") or {}
    required = bool(resolved.get("required", False))
    if MULTIPART in content or "application/x-www-form-urlencoded" in content:
        form_type = MULTIPART if MULTIPART in content else "application/x-www-form-urlencoded"
        form_schema = content[form_type].get("schema") or {}
        required_fields = set(form_schema.get("required", []))
        fields = tuple(
            FieldValidator.from_schema(name, "body", name in required_fields, sub)
            for name, sub in (form_schema.get("properties") or {}).items()
        )
        return BodySpec(form_type, required, form_fields=fields, schema=form_schema)
    media_type, schema = _media(content)
    if media_type is None:
        return None
    if media_type in JSON_TYPES or media_type.endswith("+json"):
        name = (schema or {}).get("title") or f"Body_{operation.get('operationId', 'op')}"
        validator = BodyValidator(required, body_adapter(schema or {}, name))
        return BodySpec(media_type, required, json=validator, schema=schema)
    return BodySpec(media_type, required, schema=schema)


def _requires_auth(document: dict[str, Any], operation: dict[str, Any]) -> bool:
    requirements = operation.get("security", document.get("security", []))
    return any(requirement for requirement in requirements)


def _success_status(responses: Mapping[int, ResponseSpec]) -> int:
    ok = sorted(code for code in responses if 200 <= code < 300)
    return ok[0] if ok else 200


def compile_operation(
    document: dict[str, Any], method: str, path: str, operation: dict[str, Any]
) -> OperationSpec:
    """Compile one operation of ``document``."""
    item = document["paths"][path]
    raw_params = [*item.get("parameters", []), *operation.get("parameters", [])]
    params: dict[tuple[str, str], FieldValidator] = {}
    for raw in raw_params:
        param = dereference(document, raw)
        location = param["in"]
        name = param["name"].lower() if location == "header" else param["name"]
        params[(location, name)] = FieldValidator.from_schema(
            name, location, bool(param.get("required", location == "path")), param.get("schema", {})
        )
    # FastAPI reports path, then query, then header, then cookie errors.
    order = {"path": 0, "query": 1, "header": 2, "cookie": 3}
    ordered = tuple(sorted(params.values(), key=lambda p: order.get(p.location, 4)))
    responses, default = _compile_responses(document, operation.get("responses", {}))
    return OperationSpec(
        method=method.upper(),
        path=path,
        operation_id=operation.get("operationId") or f"{method}_{path}",
        tags=tuple(operation.get("tags", [])),
        requires_auth=_requires_auth(document, operation),
        params=ordered,
        body=_compile_body(document, operation),
        responses=responses,
        default_response=default,
        success_status=_success_status(responses),
    )


def _route_order(operation: OperationSpec) -> tuple[int, ...]:
    # A literal segment must win over a template at the same depth (…/bulk/template
    # before …/{invoice_id}), like declaring the literal route first in FastAPI.
    return tuple(1 if segment.startswith("{") else 0 for segment in operation.path.split("/"))


def compile_spec(openapi_dir: Path | str | None = None) -> CompiledSpec:
    """Load the slices of ``openapi_dir`` (default: the project's) and compile them.

    Compiled specs are immutable, so one process (a test session creating many apps)
    reuses the compilation as long as no slice file changed.
    """
    directory = Path(openapi_dir) if openapi_dir is not None else SLICE_DIR
    fingerprint = tuple(
        (path.name, path.stat().st_mtime_ns, path.stat().st_size)
        for path in sorted(directory.glob("*.yaml"))
    )
    return _compile(str(directory.resolve()), fingerprint)


# Specs compiled from as many slice directories (or versions of one) are kept.
MAX_COMPILED_SPECS = 8


@functools.lru_cache(maxsize=MAX_COMPILED_SPECS)
def _compile(directory: str, fingerprint: tuple[tuple[str, int, int], ...]) -> CompiledSpec:
    document = load_bundle(directory)
    operations = [
        compile_operation(document, method, path, operation)
        for method, path, operation in iter_operations(document)
    ]
    operations.sort(key=_route_order)
    return CompiledSpec(
        document=document,
        operations=tuple(operations),
        openapi_json=orjson.dumps(document),
    )
