"""Family 6: the stateful chain upload → bulk create → read back.

Explicitly for every created entity, and as schemathesis stateful testing that follows
the OpenAPI links of the slices (upload → bulk via ``s3_key``, bulk → get via
``items/0/id``, list → next page / get). In the state machine every direct upload
carries a file both bulk operations can import, so the links lead to real entities.
"""

from __future__ import annotations

from typing import Any

import httpx
import hypothesis
import pytest

from dayzero_twin.contract_tests.settings import Settings
from dayzero_twin.contract_tests.support.assertions import (
    Registry,
    expect_status,
)
from dayzero_twin.contract_tests.support.client import Api, body_of
from dayzero_twin.contract_tests.support.datagen import (
    RunMarks,
    dual_file,
    hard_file,
)
from dayzero_twin.contract_tests.support.flows import expect_imported, import_file
from dayzero_twin.contract_tests.support.fuzzing import (
    STATEFUL_CHECKS,
    build_schema,
    contract_document,
)
from dayzero_twin.contract_tests.support.kinds import KIND_NAMES
from dayzero_twin.contract_tests.support.readback import RULE_READ_BACK, expect_same_entity
from dayzero_twin.contract_tests.support.rules import fail, require, rule


@rule(RULE_READ_BACK, "CONTRACT §3")
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_every_created_entity_reads_back(
    api: Api, marks: RunMarks, registry: Registry, kind: str
) -> None:
    file = hard_file(kind, marks)
    created = expect_imported(api, registry, kind, file, import_file(api, kind, file), None)
    for item in created:
        got = api.get(kind, item["id"])
        body = expect_status(got, 200, RULE_READ_BACK, f"GET /{kind}/{item['id']} just created")
        require(isinstance(body, dict), RULE_READ_BACK, "the body is not an object", got)
        _same_entity(kind, item, body, got)


def _same_entity(kind: str, created: dict[str, Any], read: dict[str, Any], response: Any) -> None:
    expect_same_entity(kind, created, read, response)


# -- schemathesis stateful testing over the OpenAPI links ------------------------------

# The chain's operations only, so scenarios spend their steps on following its links.
CHAIN_OPERATIONS = (
    "upload_direct_api_v1_upload_direct_post",
    "create_bulk_invoices_api_v1_invoices_bulk_post",
    "create_bulk_bills_api_v1_bills_bulk_post",
    "get_invoice_api_v1_invoices__invoice_id__get",
    "get_bill_api_v1_bills__bill_id__get",
)
UPLOAD_DIRECT = ("POST", "/api/v1/upload/direct")


@pytest.fixture(scope="module")
def chain_schema(settings: Settings) -> Any:
    return build_schema(settings, only=CHAIN_OPERATIONS)


def contract_chain(schema: Any, business_id: str) -> Any:
    """The state machine: follows the links; uploads carry an importable file; stateful
    checks included."""
    marks = RunMarks()

    class ContractChain(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Any) -> None:
            # Configured parameter values do not reach stateful cases; the business must.
            case.headers = {**(case.headers or {}), "x-business-id": business_id}
            if (case.method.upper(), case.path) == UPLOAD_DIRECT:
                case.body = {"file": dual_file(marks, 2).to_bytes()}

        def validate_response(
            self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            case.validate_response(
                response,
                checks=STATEFUL_CHECKS,
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    return ContractChain


RULE_CHAIN = "schema + CONTRACT §2–§5 over the OpenAPI links: upload → bulk → read back"
UPLOAD_DIRECT_ID = CHAIN_OPERATIONS[0]
# kind -> (its bulk operation, its get operation), as the links name them.
CHAIN_OF_KIND = {
    "invoices": (CHAIN_OPERATIONS[1], CHAIN_OPERATIONS[3]),
    "bills": (CHAIN_OPERATIONS[2], CHAIN_OPERATIONS[4]),
}


def _link(document: dict[str, Any], source: str, status: str, target: str) -> dict[str, Any]:
    """The link of ``source``'s ``status`` response that leads to operation ``target``."""
    for item in document["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and operation.get("operationId") == source:
                links = operation["responses"][status].get("links") or {}
                for link in links.values():
                    if link.get("operationId") == target:
                        return dict(link)
    fail("schema: OpenAPI links upload → bulk → get", f"no link {source} {status} → {target}")


def _resolved(values: dict[str, str], response: httpx.Response) -> dict[str, Any]:
    """Each ``$response.body#/pointer`` expression of a link, read from the response."""
    out = {}
    for name, expression in values.items():
        value = body_of(response)
        try:
            for step in expression.removeprefix("$response.body#/").split("/"):
                value = value[int(step)] if isinstance(value, list) else value[step]
        except (KeyError, IndexError, TypeError, ValueError):
            fail(RULE_CHAIN, f"the link's {expression} is not in the response", response)
        out[name] = value
    return out


def walk_links_by_hand(api: Api, marks: RunMarks, kind: str) -> None:
    """One upload → bulk → get along the slices' links, with explicit requests: whatever
    the state machine happens to generate, one created id is always read back this way."""
    document = contract_document(CHAIN_OPERATIONS)
    bulk_id, get_id = CHAIN_OF_KIND[kind]
    uploaded = api.upload_direct(dual_file(marks, 2).to_bytes(), "chain.csv")
    expect_status(uploaded, 200, RULE_CHAIN, "POST /upload/direct")
    link = _link(document, UPLOAD_DIRECT_ID, "200", bulk_id)
    created = api.bulk(kind, _resolved(link["requestBody"], uploaded))
    expect_status(created, 201, RULE_CHAIN, f"POST /{kind}/bulk along the link")
    link = _link(document, bulk_id, "201", get_id)
    (entity_id,) = _resolved(link["parameters"], created).values()
    got = api.get(kind, entity_id)
    body = expect_status(got, 200, RULE_READ_BACK, f"GET /{kind}/{entity_id} along the link")
    require(
        isinstance(body, dict) and body.get("id") == entity_id,
        RULE_READ_BACK,
        f"GET /{kind}/{entity_id} answered another entity",
        got,
    )


@pytest.mark.schemathesis
@rule(RULE_CHAIN, RULE_READ_BACK)
def test_links_chain(settings: Settings, chain_schema: Any, api: Api, marks: RunMarks) -> None:
    for kind in CHAIN_OF_KIND:
        walk_links_by_hand(api, marks, kind)
    machine = hypothesis.seed(settings.seed)(contract_chain(chain_schema, settings.business_id))
    machine.run(
        settings=hypothesis.settings(
            max_examples=max(3, settings.max_examples // 3),
            stateful_step_count=6,
            deadline=None,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        )
    )


@rule("schema: OpenAPI links upload → bulk → read back")
def test_links_exist(chain_schema: Any) -> None:
    """A guard for the chain above: without the slices' links it would test nothing."""
    require(
        chain_schema.statistic.transitions.total > 0,
        "schema: OpenAPI links upload → bulk → get",
        "the contract defines no links",
    )
