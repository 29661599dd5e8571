"""Family 1: every documented operation, property-based, through schemathesis.

For each operation of ``openapi/`` (the ``x-mock-only`` ones excluded) schemathesis
generates valid and invalid requests and the checks of :mod:`contract_tests.fuzzing`
judge each response: the status is documented, a documented body has the documented
content type and validates against its schema (formats included), no input causes a
5xx, invalid input is rejected, valid input is accepted, and authentication is enforced.
"""

from __future__ import annotations

from typing import Any

import pytest

from dayzero_twin.contract_tests.settings import collection_settings
from dayzero_twin.contract_tests.support.client import Api
from dayzero_twin.contract_tests.support.datagen import RunMarks, simple_file
from dayzero_twin.contract_tests.support.flows import import_file, json_items
from dayzero_twin.contract_tests.support.fuzzing import CHECKS, HandlerFeeder, build_schema
from dayzero_twin.contract_tests.support.kinds import KIND_NAMES
from dayzero_twin.contract_tests.support.rules import rule

# Built while pytest collects this module: schemathesis makes its items from it then.
schema = build_schema(collection_settings())


@pytest.fixture(scope="module")
def feeder(api: Api, marks: RunMarks) -> HandlerFeeder:
    """Ids that exist and fresh keys on demand, so success paths get generated traffic."""
    known = {}
    for kind in KIND_NAMES:
        done = import_file(api, kind, simple_file(kind, marks, 2, "fuzz-known"))
        known[kind] = [item["id"] for item in json_items(done.response) if "id" in item]

    def upload(kind: str) -> str:
        return api.upload_key(simple_file(kind, marks, 1, "fuzz").to_bytes())

    return HandlerFeeder(upload, known)


@pytest.mark.schemathesis
@rule(
    "schema: documented status, content type, body schema and formats; no 5xx; "
    "invalid input rejected; valid input accepted; auth enforced"
)
@schema.parametrize()  # type: ignore[untyped-decorator]  # schemathesis ships no types
def test_operation(case: Any, feeder: HandlerFeeder) -> None:
    feeder.prepare(case)
    response = case.call()
    case.validate_response(response, checks=CHECKS)
