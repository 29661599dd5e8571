"""CONTRACT §1 order 2: a malformed bulk request is 422, located at the offending field.

Only values that are invalid even for a lenient (pydantic "lax") implementation are sent:
``"true"``, ``1`` or ``"yes"`` would be accepted booleans there, so they never appear as
invalid ``finalize``/``approve`` values here.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from dayzero_twin.contract_tests.checks.test_auth import unknown_key
from dayzero_twin.contract_tests.support.assertions import expect_validation_error
from dayzero_twin.contract_tests.support.client import API, Api
from dayzero_twin.contract_tests.support.kinds import KIND_NAMES, kind_named
from dayzero_twin.contract_tests.support.rules import rule

RULE_BODY = "CONTRACT §1 422: body not JSON / not an object, loc [body, ...]"
RULE_KEY = "CONTRACT §1 422: s3_key missing, not a string or empty, loc [body, s3_key]"
RULE_FLAG = "CONTRACT §1 422: finalize/approve not a boolean, loc [body, <flag>]"

NOT_JSON = {
    "truncated object": b'{"s3_key": "a.csv"',
    "bare word": b"s3_key=a.csv",
    "trailing comma": b'{"s3_key": "a.csv",}',
}
NOT_OBJECT: dict[str, Any] = {"array": ["a.csv"], "string": "a.csv", "number": 1, "null": None}
BAD_KEYS: dict[str, Any] = {
    "number": 12345,
    "null": None,
    "array": ["a.csv"],
    "object": {"k": 1},
    "boolean": True,
    "empty": "",
}
BAD_FLAGS: dict[str, Any] = {
    "word": "maybe",
    "two": 2,
    "array": [True],
    "object": {},
    "null": None,
    "float": 0.5,
}


@rule(RULE_BODY)
@pytest.mark.parametrize("variant", NOT_JSON)
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_body_not_json_is_422(api: Api, kind: str, variant: str) -> None:
    response = api.send(
        "POST",
        f"{API}/{kind}/bulk",
        content=NOT_JSON[variant],
        headers=api.headers(**{"Content-Type": "application/json"}),
    )
    expect_validation_error(
        response, ("body",), RULE_BODY, f"a body that is not JSON ({variant})", prefix=True
    )


@rule(RULE_BODY)
@pytest.mark.parametrize("variant", NOT_OBJECT)
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_body_not_an_object_is_422(api: Api, kind: str, variant: str) -> None:
    response = api.send(
        "POST",
        f"{API}/{kind}/bulk",
        content=json.dumps(NOT_OBJECT[variant]),
        headers=api.headers(**{"Content-Type": "application/json"}),
    )
    expect_validation_error(response, ("body",), RULE_BODY, f"a JSON {variant} body", prefix=True)


@rule(RULE_KEY)
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_missing_s3_key_is_422(api: Api, kind: str) -> None:
    response = api.bulk(kind, {kind_named(kind).flag: False})
    expect_validation_error(response, ("body", "s3_key"), RULE_KEY, "a body without s3_key")


@rule(RULE_KEY)
@pytest.mark.parametrize("variant", BAD_KEYS)
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_bad_s3_key_is_422(api: Api, kind: str, variant: str) -> None:
    response = api.bulk(kind, {"s3_key": BAD_KEYS[variant]})
    expect_validation_error(response, ("body", "s3_key"), RULE_KEY, f"s3_key {variant}")


@rule(RULE_FLAG)
@pytest.mark.parametrize("variant", BAD_FLAGS)
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_bad_flag_is_422(api: Api, kind: str, variant: str) -> None:
    flag = kind_named(kind).flag
    response = api.bulk(kind, {"s3_key": unknown_key(), flag: BAD_FLAGS[variant]})
    expect_validation_error(
        response, ("body", flag), RULE_FLAG, f"{flag} = {BAD_FLAGS[variant]!r}"
    )
