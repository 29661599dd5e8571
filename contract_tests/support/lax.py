"""Would a lenient implementation accept this request? A model of pydantic v2 "lax" mode.

schemathesis's negative mode sends requests that violate the *schema*; a faithful
implementation (FastAPI + pydantic v2 in lax mode) legitimately accepts some of them:
``"true"``, ``1`` or ``"yes"`` for a boolean, ``"01"`` or ``2.0`` for an integer, and on
the wire every query or header value is a string anyway. When the built-in
``negative_data_rejection`` check complains that such a request was accepted, the suite
asks this model first and only fails when even lax coercion could not make the request
valid. The model errs on the generous side on purpose: a false alarm against a faithful
implementation is worse than a missed oddity, which the explicit §1 tests cover anyway.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from typing import Any

from schemathesis.core import NotSet

TRUE_WORDS = frozenset({"1", "on", "t", "true", "y", "yes"})
FALSE_WORDS = frozenset({"0", "off", "f", "false", "n", "no"})


def _int_from_text(text: str) -> int | None:
    cleaned = text.strip().replace("_", "")
    if "." in cleaned:
        whole, _, fraction = cleaned.partition(".")
        if fraction.strip("0"):
            return None
        cleaned = whole
    try:
        return int(cleaned)
    except ValueError:
        return None


def _float_from_text(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def coerce(schema: Mapping[str, Any], value: Any) -> bool:
    """Whether ``value`` is valid for ``schema`` after lax coercion.

    Strings stand for numbers and booleans (as pydantic's lax mode reads them, in JSON
    bodies too), which also covers values that travelled as text: query, header, path.
    """
    if "anyOf" in schema or "oneOf" in schema:
        branches = schema.get("anyOf") or schema.get("oneOf") or []
        return any(coerce(branch, value) for branch in branches)
    kind = schema.get("type")
    if kind is None:
        return True
    if kind == "null":
        return value is None
    if kind == "boolean":
        return _boolean(value)
    if kind in ("integer", "number"):
        number = _number(value, integer=kind == "integer")
        return number is not None and _in_range(schema, number)
    if kind == "string":
        return _string(schema, value)
    if kind == "object":
        return _object(schema, value)
    if kind == "array":
        return isinstance(value, list) and all(
            coerce(schema.get("items") or {}, item) for item in value
        )
    return True


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, int | float):
        return value in (0, 1)
    if isinstance(value, str):
        return value.strip().lower() in TRUE_WORDS | FALSE_WORDS
    return False


def _number(value: Any, *, integer: bool) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int):
        return float(value)
    if isinstance(value, float):
        if not math.isfinite(value) or (integer and not value.is_integer()):
            return None
        return value
    if isinstance(value, str):
        parsed = _int_from_text(value) if integer else _float_from_text(value)
        return None if parsed is None else float(parsed)
    return None


def _in_range(schema: Mapping[str, Any], number: float) -> bool:
    if "minimum" in schema and number < schema["minimum"]:
        return False
    if "maximum" in schema and number > schema["maximum"]:
        return False
    if "exclusiveMinimum" in schema and number <= schema["exclusiveMinimum"]:
        return False
    return not ("exclusiveMaximum" in schema and number >= schema["exclusiveMaximum"])


def _string(schema: Mapping[str, Any], value: Any) -> bool:
    """pydantic's ``str`` takes strings only, in lax mode too; a UUID may be spelled freely."""
    if not isinstance(value, str):
        return False
    if len(value) < schema.get("minLength", 0):
        return False
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        return False
    if schema.get("format") == "uuid":
        try:
            uuid.UUID(value.strip())
        except ValueError:
            return False
    return True


def _object(schema: Mapping[str, Any], value: Any) -> bool:
    if not isinstance(value, Mapping):
        return False
    properties = schema.get("properties") or {}
    for name in schema.get("required") or []:
        if name not in value:
            return False
    return all(coerce(properties[name], item) for name, item in value.items() if name in properties)


def _wire_values(
    container: Any, name: str, *, case_insensitive: bool = False
) -> list[str] | None:
    """The texts sent for parameter ``name``; ``None`` when it is not sent at all."""
    if not container:
        return None
    items = dict(container)
    if case_insensitive:
        items = {key.lower(): item for key, item in items.items()}
        name = name.lower()
    if name not in items or items[name] is None:
        return None
    value = items[name]
    values = value if isinstance(value, list) else [value]
    return [_as_text(item) for item in values if item is not None]


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def request_is_acceptable(operation: Mapping[str, Any], case: Any) -> bool:
    """Whether a lax implementation could accept ``case`` for the (dereferenced) ``operation``."""
    containers = {"query": case.query, "header": case.headers, "path": case.path_parameters}
    for parameter in operation.get("parameters") or []:
        location = parameter.get("in")
        if location not in containers:
            continue
        values = _wire_values(
            containers[location], parameter["name"], case_insensitive=location == "header"
        )
        if not values:
            if parameter.get("required"):
                return False
            continue
        if not any(coerce(parameter.get("schema") or {}, text) for text in values):
            return False
    return _body_is_acceptable(operation.get("requestBody"), case)


def _body_is_acceptable(request_body: Mapping[str, Any] | None, case: Any) -> bool:
    if not request_body:
        return True
    body = case.body
    if isinstance(body, NotSet) or body is None:
        return not request_body.get("required")
    content = request_body.get("content") or {}
    media = (case.media_type or next(iter(content), "")).split(";")[0].strip().lower()
    if media.startswith("multipart/"):
        # A form part is text or a file; which one a faithful server takes is not ours to
        # judge, so any present value of every required part counts as acceptable.
        schema = (content.get(media) or {}).get("schema") or {}
        return isinstance(body, Mapping) and all(
            body.get(name) is not None for name in schema.get("required") or []
        )
    if isinstance(body, bytes | bytearray):
        return False
    schema = (content.get("application/json") or {}).get("schema") or {}
    return coerce(schema, body)
