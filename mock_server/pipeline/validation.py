"""Request validation whose 422 bodies are byte-for-byte what FastAPI would send.

The slices describe each operation the way FastAPI generated them, so the surest way to
answer like FastAPI is to do what it does: turn every schema into a pydantic type once,
validate each parameter on its own with ``from_attributes=True`` and prefix the error
locations with ``header``/``query``/``path``/``body``. Nothing here walks the spec per
request; :mod:`mock_server.spec` compiles these validators at startup.
"""

from __future__ import annotations

import datetime as dt
import email.message
import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import GenericAlias
from typing import Annotated, Any, Literal, Union
from uuid import UUID

import orjson
from fastapi import UploadFile
from pydantic import ConfigDict, Field, TypeAdapter, ValidationError, create_model

# Errors come back as plain dicts: {"type", "loc", "msg", "input", "ctx"?}.
ErrorList = list[dict[str, Any]]

MISSING: Any = object()  # "no value at all", distinct from JSON null


def missing_error(loc: tuple[str | int, ...]) -> dict[str, Any]:
    """FastAPI's own "required value absent" error (``get_missing_field_error``)."""
    return {"type": "missing", "loc": loc, "msg": "Field required", "input": None}


# --------------------------------------------------------------------------- schema → type

_STRING_FORMATS: dict[str, Any] = {
    "uuid": UUID,
    "date": dt.date,
    "date-time": dt.datetime,
    "binary": UploadFile,
}


def _identifier(name: str, taken: set[str]) -> str:
    """A Python field name for a JSON property; the property name stays the alias."""
    base = re.sub(r"\W", "_", name)
    if not base or base[0].isdigit() or base.startswith("_"):
        base = f"f_{base}"
    candidate, n = base, 1
    while candidate in taken or candidate in {"model_config", "model_fields"}:
        n += 1
        candidate = f"{base}_{n}"
    taken.add(candidate)
    return candidate


def _constraints(schema: Mapping[str, Any]) -> dict[str, Any]:
    mapping = {
        "minLength": "min_length",
        "maxLength": "max_length",
        "pattern": "pattern",
        "minimum": "ge",
        "maximum": "le",
        "exclusiveMinimum": "gt",
        "exclusiveMaximum": "lt",
        "multipleOf": "multiple_of",
        "minItems": "min_length",
        "maxItems": "max_length",
    }
    out: dict[str, Any] = {}
    for key, target in mapping.items():
        value = schema.get(key)
        # OpenAPI 3.0 style booleans for exclusive bounds are not numbers: skip them.
        if value is not None and not isinstance(value, bool):
            out[target] = value
    return out


def schema_to_type(schema: Mapping[str, Any] | bool, name: str = "Model") -> Any:
    """The pydantic type a FastAPI app would have declared for this (dereferenced) schema."""
    if schema is True or schema is None or schema == {}:
        return Any
    if schema is False:
        return None
    assert isinstance(schema, Mapping)
    if "const" in schema:
        return Literal[schema["const"]]
    if "enum" in schema:
        return Literal[tuple(schema["enum"])]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            members = [schema_to_type(m, f"{name}{i}") for i, m in enumerate(schema[key])]
            return Union[tuple(members)] if len(members) > 1 else members[0]  # noqa: UP007
    if "allOf" in schema:
        merged: dict[str, Any] = {"properties": {}, "required": []}
        for part in schema["allOf"]:
            merged = {
                **merged,
                **{k: v for k, v in part.items() if k not in ("properties", "required")},
                "properties": {**merged["properties"], **part.get("properties", {})},
                "required": [*merged["required"], *part.get("required", [])],
            }
        return schema_to_type(merged, name)
    kind = schema.get("type")
    if isinstance(kind, list):
        members = [schema_to_type({**schema, "type": k}, name) for k in kind]
        return Union[tuple(members)] if len(members) > 1 else members[0]  # noqa: UP007
    constraints = _constraints(schema)
    if kind == "string":
        base = _STRING_FORMATS.get(schema.get("format", ""), str)
        if base is not str:
            return base
    elif kind == "integer":
        base = int
    elif kind == "number":
        base = float
    elif kind == "boolean":
        return bool
    elif kind == "null":
        return None
    elif kind == "array":
        # list[item] with an item type known only at run time.
        base = GenericAlias(list, (schema_to_type(schema.get("items", {}), f"{name}Item"),))
    elif kind == "object" or "properties" in schema:
        return _object_model(schema, name)
    else:
        return Any
    return Annotated[base, Field(**constraints)] if constraints else base


def _object_model(schema: Mapping[str, Any], name: str) -> Any:
    properties: Mapping[str, Any] = schema.get("properties") or {}
    if not properties:
        return dict[str, Any]
    required = set(schema.get("required", []))
    taken: set[str] = set()
    fields: dict[str, Any] = {}
    for prop, sub in properties.items():
        field_type = schema_to_type(sub, f"{name}_{prop}")
        default = ... if prop in required else sub.get("default") if isinstance(sub, dict) else None
        fields[_identifier(prop, taken)] = (field_type, Field(default, alias=prop))
    extra: Literal["forbid", "ignore"] = (
        "forbid" if schema.get("additionalProperties") is False else "ignore"
    )
    title = re.sub(r"\W", "_", str(schema.get("title") or name))
    return create_model(title, __config__=ConfigDict(extra=extra), **fields)


# --------------------------------------------------------------------------- validators


@dataclass(frozen=True)
class FieldValidator:
    """One named input (a parameter or a form field) validated like FastAPI does it."""

    name: str
    location: str  # header | query | path | cookie | body
    required: bool
    adapter: TypeAdapter[Any]
    default: Any = None

    @classmethod
    def from_schema(
        cls, name: str, location: str, required: bool, schema: Mapping[str, Any]
    ) -> FieldValidator:
        return cls(
            name=name,
            location=location,
            required=required,
            adapter=TypeAdapter(schema_to_type(schema, _title(name))),
            default=schema.get("default"),
        )

    def validate(self, raw: Any) -> tuple[Any, ErrorList]:
        loc = (self.location, self.name)
        if raw is MISSING or raw is None:
            if self.required:
                return None, [missing_error(loc)]
            return self.default, []
        return validate_with(self.adapter, raw, loc)


@dataclass(frozen=True)
class BodyValidator:
    """A JSON request body validated as one (not embedded) model, loc ``["body", ...]``."""

    required: bool
    adapter: TypeAdapter[Any]

    def validate(self, body: Any) -> tuple[Any, ErrorList]:
        if body is MISSING:
            if self.required:
                return None, [missing_error(("body",))]
            return None, []
        return validate_with(self.adapter, body, ("body",))


def _title(name: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[\W_]+", name)) or "Value"


def validate_with(
    adapter: TypeAdapter[Any], value: Any, loc: tuple[str | int, ...]
) -> tuple[Any, ErrorList]:
    """Validate as FastAPI's ``ModelField.validate`` does, errors prefixed with ``loc``."""
    try:
        # The core validator itself: ``TypeAdapter.validate_python`` only forwards to it.
        return adapter.validator.validate_python(value, from_attributes=True), []
    except ValidationError as exc:
        return None, [
            {**err, "loc": loc + tuple(err.get("loc", ()))}
            for err in exc.errors(include_url=False)
        ]


def body_adapter(schema: Mapping[str, Any], name: str) -> TypeAdapter[Any]:
    return TypeAdapter(schema_to_type(schema, name))


# --------------------------------------------------------------------------- raw inputs


def lookup(values: Any, name: str) -> Any:
    """A parameter's raw value, or the missing marker (FastAPI treats ``None`` alike)."""
    value = values.get(name)
    return MISSING if value is None else value


@dataclass(frozen=True)
class JsonDecodeFailure:
    """Where ``json.loads`` gave up; becomes FastAPI's ``json_invalid`` error."""

    pos: int
    message: str

    def errors(self) -> ErrorList:
        return [
            {
                "type": "json_invalid",
                "loc": ("body", self.pos),
                "msg": "JSON decode error",
                "input": {},
                "ctx": {"error": self.message},
            }
        ]


def is_json_media_type(content_type: str | None) -> bool:
    if not content_type:
        return False
    if len(content_type) > MAX_CACHED_CONTENT_TYPE:
        return _parse_json_media_type(content_type)
    return _cached_json_media_type(content_type)


def _parse_json_media_type(content_type: str) -> bool:
    # The way FastAPI reads it: as an email message's header.
    message = email.message.Message()
    message["content-type"] = content_type
    if message.get_content_maintype() != "application":
        return False
    subtype = message.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")


# Parsing an email header costs more than the rest of a request's validation; clients
# send one or two distinct values, so each is parsed once.
MAX_CACHED_CONTENT_TYPE = 256  # characters: a longer header is parsed every time
MAX_CACHED_CONTENT_TYPES = 256
_cached_json_media_type = functools.lru_cache(maxsize=MAX_CACHED_CONTENT_TYPES)(
    _parse_json_media_type
)


def decode_json_body(body: bytes, content_type: str | None) -> Any:
    """The body as FastAPI's request handler sees it before validation.

    Empty → missing; a JSON media type → the parsed value (``JsonDecodeFailure`` when
    it is not JSON); anything else, a missing Content-Type included (FastAPI's strict
    content type), → the raw bytes, which then fail validation as "not an object".
    orjson goes first for speed; the stdlib parser has the last word because its error
    positions and its leniency (NaN, Infinity) are FastAPI's.
    """
    if not body:
        return MISSING
    if not is_json_media_type(content_type):
        return body
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(body)
    except json.JSONDecodeError as error:
        return JsonDecodeFailure(error.pos, error.msg)
    except (ValueError, RecursionError) as error:
        # Not UTF-8, or nested beyond reason. FastAPI answers 400 here, but CONTRACT §1
        # makes every body that is not JSON a 422, so it becomes a json_invalid error.
        reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
        return JsonDecodeFailure(0, reason)


def body_too_large_errors(limit: int) -> ErrorList:
    """The 422 for a JSON body over ``limit`` bytes, in pydantic's error shape.

    FastAPI sets no limit; the mock does, so that one client cannot exhaust its memory
    (a 422 would otherwise echo the whole body back as ``input``).
    """
    return [
        {
            "type": "too_long",
            "loc": ("body",),
            "msg": f"Request body should be at most {limit} bytes",
            "ctx": {"max_length": limit},
        }
    ]



# --------------------------------------------------------------------------- 422 body


MAX_ECHO_DEPTH = 64
TOO_DEEP = "..."


def jsonable(value: Any, depth: int = 0) -> Any:
    """What ``fastapi.encoders.jsonable_encoder`` makes of an error's parts.

    Raw bytes are decoded leniently where FastAPI would crash on non-UTF-8 input; an
    exception object becomes ``{}`` as FastAPI writes it. An echoed input nested deeper
    than ``MAX_ECHO_DEPTH`` is cut there, where FastAPI would fail with a 500.
    """
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if depth >= MAX_ECHO_DEPTH:
        return TOO_DEEP
    if isinstance(value, Mapping):
        return {str(k): jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v, depth + 1) for v in value]
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, UUID | dt.date | dt.datetime):
        return str(value) if isinstance(value, UUID) else value.isoformat()
    if isinstance(value, BaseException):
        return {}
    return str(value)


def validation_error_body(errors: ErrorList) -> dict[str, Any]:
    """The ``HTTPValidationError`` document for these errors."""
    return {"detail": [jsonable(error) for error in errors]}
