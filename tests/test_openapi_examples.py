"""The examples in the slices: valid against their schemas, and the mock's real answers.

Swagger UI pre-fills "Try it out" from them, ReDoc shows them and Prism's static mode
serves them, so each must (1) validate against the schema it illustrates, formats
included, and (2) be what the mock really answers: the request examples, sent as they
stand to a mock started with ``--seed 0 --clock 2026-01-15T09:00:00Z`` and reached as
http://127.0.0.1:4010, in the order below, give exactly the response examples.

The ``x-business-id`` example in the slices is the default world's first business; the
docs' copy of the bundle names the running mock's first business instead (the same one
unless ``--world`` gives others, see ``mock_server/endpoints/docs.py``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient

from dayzero_twin.mock_server.app import MockApp
from dayzero_twin.openapi.bundle import iter_operations, load_bundle

FORMATS = jsonschema.Draft202012Validator.FORMAT_CHECKER
TOKEN = "dz_mock_token"
# The file behind the direct upload's example (multipart bodies carry no example).
UPLOADED_CSV = (
    b"customer_email,customer_name,customer_id,due_date,currency,description,"
    b"item_description,quantity,unit_price,invoice_ref\n"
    b"ap@acmerobotics.com,Acme Robotics,,2026-02-14,USD,January retainer,"
    b"Design sprint,2,1250.50,\n"
)


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        section, name = node["$ref"].split("/")[-2:]
        node = document["components"][section][name]
    return node


def _media_examples(media: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    if "example" in media:
        yield "example", media["example"]
    for name, example in media.get("examples", {}).items():
        yield f"examples.{name}", example["value"]


def examples(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(where, schema, example) for every example of every operation."""
    for method, path, operation in iter_operations(document):
        where = f"{method.upper()} {path}"
        for parameter in operation.get("parameters", []):
            parameter = _resolve(document, parameter)
            if "example" in parameter:
                yield f"{where} {parameter['name']}", parameter["schema"], parameter["example"]
        body = operation.get("requestBody", {}).get("content", {})
        for media_type, media in body.items():
            for name, example in _media_examples(media):
                yield f"{where} request {media_type} {name}", media["schema"], example
        for status, response in operation["responses"].items():
            for media_type, media in _resolve(document, response).get("content", {}).items():
                for name, example in _media_examples(media):
                    yield f"{where} {status} {media_type} {name}", media["schema"], example


def example_problems(document: dict[str, Any]) -> list[str]:
    """Every example that does not validate against its schema."""
    problems = []
    for where, schema, example in examples(document):
        # The bundle's own components next to the schema, so that its $refs resolve.
        rooted = {**schema, "components": document["components"]}
        validator = jsonschema.Draft202012Validator(rooted, format_checker=FORMATS)
        problems += [f"{where}: {error.message}" for error in validator.iter_errors(example)]
    return problems


@pytest.fixture(scope="module")
def bundle() -> dict[str, Any]:
    return load_bundle()


def test_every_example_validates_against_its_schema(bundle: dict[str, Any]) -> None:
    assert len(list(examples(bundle))) >= 40
    assert example_problems(bundle) == []


def test_an_invalid_example_is_reported(bundle: dict[str, Any]) -> None:
    broken = copy.deepcopy(bundle)
    get = broken["paths"]["/api/v1/invoices/{invoice_id}"]["get"]
    get["responses"]["200"]["content"]["application/json"]["example"]["status"] = "bogus"
    broken["components"]["parameters"]["BusinessIdHeader"]["example"] = "not-a-uuid"
    problems = example_problems(broken)
    assert any("'bogus' is not one of" in problem for problem in problems), problems
    assert any("'not-a-uuid' is not a 'uuid'" in problem for problem in problems), problems


def _example(bundle: dict[str, Any], path: str, method: str, status: str) -> Any:
    operation = bundle["paths"][path][method]
    content = _resolve(bundle, operation["responses"][status])["content"]
    return next(iter(content.values()))["example"]


def _request_example(bundle: dict[str, Any], path: str) -> Any:
    return bundle["paths"][path]["post"]["requestBody"]["content"]["application/json"]["example"]


@pytest.fixture
def seeded(mock_app: Callable[..., MockApp]) -> Iterator[TestClient]:
    """The mock as `make mock SEED=0 CLOCK=2026-01-15T09:00:00Z` serves it."""
    app = mock_app(seed=0)  # the tests' fixed clock is 2026-01-15T09:00:00Z
    with TestClient(app, base_url="http://127.0.0.1:4010") as client:
        yield client


def test_the_examples_are_the_mocks_real_answers(
    bundle: dict[str, Any], seeded: TestClient
) -> None:
    docs_copy = seeded.get("/__mock/docs/openapi.json").json()
    business = docs_copy["components"]["parameters"]["BusinessIdHeader"]["example"]
    assert business == "b5a1c6de-0000-4000-8000-000000000001"
    assert bundle["components"]["parameters"]["BusinessIdHeader"]["example"] == business
    headers = {"Authorization": f"Bearer {TOKEN}", "x-business-id": business}

    def answered(response: Any, path: str, method: str, status: str) -> None:
        assert response.status_code == int(status), response.text
        assert response.json() == _example(bundle, path, method, status), path

    files = {"file": ("invoices.csv", UPLOADED_CSV, "text/csv")}
    direct = "/api/v1/upload/direct"
    answered(seeded.post(direct, headers=headers, files=files), direct, "post", "200")
    presign = "/api/v1/upload"
    response = seeded.post(presign, headers=headers, json={"filename": "invoices.csv"})
    answered(response, presign, "post", "200")
    created = {}
    for path in ("/api/v1/invoices/bulk", "/api/v1/bills/bulk"):
        response = seeded.post(path, headers=headers, json=_request_example(bundle, path))
        answered(response, path, "post", "201")
        created[path.split("/")[3]] = response.json()["items"][0]["id"]
    for path in ("/api/v1/invoices", "/api/v1/bills"):
        response = seeded.get(path, headers=headers, params={"limit": 2})
        answered(response, path, "get", "200")
    for kind, path in (("invoices", "/api/v1/invoices/{invoice_id}"),
                       ("bills", "/api/v1/bills/{bill_id}")):
        response = seeded.get(f"/api/v1/{kind}/{created[kind]}", headers=headers)
        answered(response, path, "get", "200")
