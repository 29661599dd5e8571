"""schemathesis over the contract: the schema object, the checks, and how cases reach handlers.

The schema comes from ``openapi.bundle.load_bundle()`` (never from the server), minus
the ``x-mock-only`` operations. Valid credentials and the business header are configured,
so generated requests get past authentication; positive bulk cases get the key of a
freshly uploaded file every other time and positive read-back cases an id that exists,
so 201 and 200 bodies are validated too, not only refusals.

Two built-in checks are wrapped, each for one documented reason:

* ``negative_data_rejection``: a request schemathesis calls invalid may be valid for a
  pydantic "lax" implementation (see :mod:`contract_tests.lax`); only requests no lax
  coercion can repair must be rejected.
* ``status_code_conformance``: a body its media type cannot even parse (JSON that is
  not JSON text, a form that is not a set of fields) is refused with 400 by FastAPI
  itself ("There was an error parsing the body"); for such bodies 400 is accepted as
  well as the documented codes.

The stateful chain adds one check of its own, ``created_entities_read_back``: the
built-in ``ensure_resource_availability`` cannot follow this API's shape.
"""

from __future__ import annotations

import copy
import functools
import itertools
import json
from collections import defaultdict
from collections.abc import Callable, Collection
from typing import Any

import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.openapi.checks import UndefinedStatusCode
from schemathesis.specs.openapi import checks as builtin

from dayzero_twin.contract_tests.settings import Settings
from dayzero_twin.contract_tests.support import documented
from dayzero_twin.contract_tests.support.kinds import kind_of_operation
from dayzero_twin.contract_tests.support.lax import request_is_acceptable
from dayzero_twin.openapi.bundle import dereference, iter_operations, load_bundle

BULK_OPERATIONS = (
    "create_bulk_invoices_api_v1_invoices_bulk_post",
    "create_bulk_bills_api_v1_bills_bulk_post",
)
LIST_OPERATIONS = ("list_invoices_api_v1_invoices_get", "list_bills_api_v1_bills_get")
GET_OPERATIONS = (
    "get_invoice_api_v1_invoices__invoice_id__get",
    "get_bill_api_v1_bills__bill_id__get",
)
# What a schema-valid request may get back, per operation kind: a random s3_key is not
# found (400), a random cursor is malformed (400), a random id does not exist (404).
POSITIVE_STATUSES = (
    (BULK_OPERATIONS, ["201", "400"]),
    (LIST_OPERATIONS, ["200", "400"]),
    (GET_OPERATIONS, ["200", "404"]),
)
REJECTIONS = ["400", "401", "403", "404", "413", "422"]


@functools.cache
def _bundle() -> dict[str, Any]:
    """The slices, parsed once per process (YAML parsing is most of the start-up cost)."""
    return load_bundle()


def contract_document(only: Collection[str] | None = None) -> dict[str, Any]:
    """The bundled contract without the operations only the mock serves.

    ``only``: keep just these operation ids (schemathesis's own filters do not reach
    its state machines, so the document itself is trimmed).
    """
    document = copy.deepcopy(_bundle())
    for route, item in list(document["paths"].items()):
        for method in [
            m
            for m, op in item.items()
            if isinstance(op, dict)
            and (op.get("x-mock-only") or (only is not None and op.get("operationId") not in only))
        ]:
            del item[method]
        if not any(isinstance(op, dict) for op in item.values()):
            del document["paths"][route]
    return document


def dereferenced_operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), route): dereference(document, operation)
        for method, route, operation in iter_operations(document)
    }


def build_config(settings: Settings) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": settings.seed,
            "base-url": settings.base_url,
            "request-timeout": settings.timeout,
            "suppress-health-check": ["all"],
            "auth": {"openapi": {"HTTPBearer": {"bearer": settings.token}}},
            "parameters": {"header.x-business-id": settings.business_id},
            "generation": {
                "mode": "all",
                "max-examples": settings.max_examples,
                "database": "none",
            },
            "phases": {
                "coverage": {"unexpected-methods": []},
                "stateful": {"max-steps": 6, "generation": {"mode": "positive"}},
            },
            "checks": {
                "negative_data_rejection": {"expected-statuses": REJECTIONS},
                "missing_required_header": {"expected-statuses": ["422"]},
            },
            "operations": [
                {
                    "include-operation-id": list(ids),
                    "checks": {"positive_data_acceptance": {"expected-statuses": statuses}},
                }
                for ids, statuses in POSITIVE_STATUSES
            ],
            "output": {
                "sanitization": {
                    "keys-to-sanitize": ["authorization"],
                    "sensitive-markers": ["token", "secret", "passw"],
                }
            },
        }
    )


def build_schema(settings: Settings, only: Collection[str] | None = None) -> Any:
    document = contract_document(only)
    return schemathesis.openapi.from_dict(document, config=build_config(settings))


class LaxModel:
    """Answers "could a lax implementation accept this case?" per operation."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.operations = dereferenced_operations(document)

    def accepts(self, case: Any) -> bool:
        operation = self.operations.get((case.method.upper(), case.path))
        return operation is not None and request_is_acceptable(operation, case)


LAX = LaxModel(contract_document())


def negative_data_rejection(ctx: Any, response: Any, case: Any) -> bool | None:
    """The built-in check, except for requests a lax implementation may accept."""
    try:
        return builtin.negative_data_rejection(ctx, response, case)
    except AcceptedNegativeData:
        if LAX.accepts(case):
            return None
        raise


def status_code_conformance(ctx: Any, response: Any, case: Any) -> bool | None:
    """The built-in check; 400 is also fine for a body its own media type cannot parse."""
    try:
        return builtin.status_code_conformance(ctx, response, case)
    except UndefinedStatusCode:
        if response.status_code == 400 and _unparseable_body(case):
            return None
        raise


def _unparseable_body(case: Any) -> bool:
    """JSON that is not JSON text, or a form body that is not a set of fields: FastAPI
    refuses both with 400 ("There was an error parsing the body") before validation."""
    media = (case.media_type or "").lower()
    if media.startswith("multipart/") or media.endswith("x-www-form-urlencoded"):
        return not isinstance(case.body, dict)
    if not media.endswith("json") or not isinstance(case.body, bytes | str):
        return False
    try:
        json.loads(case.body)
    except ValueError:
        return True
    return False


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    documented.content_type_conformance,
    documented.response_schema_conformance,
    builtin.response_headers_conformance,
    builtin.positive_data_acceptance,
    negative_data_rejection,
    builtin.missing_required_header,
    builtin.ignored_auth,
]


def created_entities_read_back(ctx: Any, response: Any, case: Any) -> bool | None:
    """CONTRACT §5 over the links: an id a bulk 201 just returned is not 404.

    The built-in ``ensure_resource_availability`` cannot see this API's shape (the GET
    path does not extend the bulk path, and ``x-business-id`` does not come from the link).
    Only ids the parent's 201 body really holds count: a scenario may also draw an id.
    """
    if response.status_code != 404:
        return None
    parent = ctx.internals.find_parent(case_id=case.id)
    if parent is None:
        return None
    parent_response = ctx.internals.find_response(case_id=parent.id)
    parent_id = parent.operation.definition.raw.get("operationId")
    if (
        parent_response is None
        or parent_response.status_code != 201
        or parent_id not in BULK_OPERATIONS
    ):
        return None
    try:
        items = parent_response.json().get("items") or []
    except (ValueError, AttributeError):
        return None
    created = {item.get("id") for item in items if isinstance(item, dict)}
    asked = set((case.path_parameters or {}).values())
    if not created & asked:
        return None
    raise AssertionError(
        f"[CONTRACT §5 GET of a created id returns that entity] {case.method} "
        f"{case.formatted_path} answered 404 right after {parent.operation.label} created it"
    )


STATEFUL_CHECKS = [*CHECKS, created_entities_read_back, builtin.use_after_free]


class HandlerFeeder:
    """Makes some positive cases reach the success paths: real keys, existing ids."""

    def __init__(self, upload: Callable[[str], str], known_ids: dict[str, list[str]]) -> None:
        self.upload = upload  # kind -> s3_key of a fresh valid file
        self.known_ids = known_ids  # "invoices"/"bills" -> ids that exist
        # Every other positive case keeps its generated value: refusals are checked too.
        self.turns: dict[str, itertools.cycle[bool]] = defaultdict(
            lambda: itertools.cycle((True, False))
        )
        self.picks = itertools.count()

    def prepare(self, case: Any) -> None:
        meta = case.meta
        if meta is None or not meta.generation.mode.is_positive:
            return
        operation_id = case.operation.definition.raw.get("operationId")
        if not next(self.turns[operation_id]):
            return
        kind = kind_of_operation(operation_id)
        if kind is None:
            return
        if operation_id in BULK_OPERATIONS and isinstance(case.body, dict):
            case.body["s3_key"] = self.upload(kind.name)
        elif operation_id in GET_OPERATIONS:
            ids = self.known_ids.get(kind.name) or []
            if ids and not isinstance(case.path_parameters, NotSet):
                case.path_parameters[kind.id_parameter] = ids[next(self.picks) % len(ids)]
