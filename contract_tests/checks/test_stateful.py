"""Family 6: the stateful chain upload → bulk create → read back.

Explicitly for every created entity, and as schemathesis stateful testing that follows
the OpenAPI links of the slices (upload → bulk via ``s3_key``, bulk → get via
``items/0/id``, list → next page / get). In the state machine every direct upload
carries a file both bulk operations can import, so the links lead to real entities.
"""

from __future__ import annotations

from typing import Any

import hypothesis
import pytest

from dayzero_twin.contract_tests.settings import Settings
from dayzero_twin.contract_tests.support.assertions import (
    Registry,
    expect_status,
    parse_timestamp,
)
from dayzero_twin.contract_tests.support.client import Api
from dayzero_twin.contract_tests.support.datagen import (
    RunMarks,
    dual_file,
    hard_file,
)
from dayzero_twin.contract_tests.support.flows import expect_imported, import_file
from dayzero_twin.contract_tests.support.fuzzing import STATEFUL_CHECKS, build_schema
from dayzero_twin.contract_tests.support.kinds import KIND_NAMES, kind_named
from dayzero_twin.contract_tests.support.rules import require, rule

RULE_READ_BACK = "CONTRACT §5 GET of a created id returns that entity"
LINE_FIELDS = ("description", "quantity", "unit_price", "amount")


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
    description = kind_named(kind)
    for name in description.fields:
        require(
            read.get(name) == created.get(name),
            RULE_READ_BACK,
            f"{name}: bulk response said {created.get(name)!r}, read back {read.get(name)!r}",
            response,
        )
    for name in description.moments:
        require(
            parse_timestamp(read.get(name)) == parse_timestamp(created.get(name)),
            RULE_READ_BACK,
            f"{name}: bulk response said {created.get(name)!r}, read back {read.get(name)!r}",
            response,
        )
    # Invoices only have line items; for bills both sides are empty.
    lines = [[line.get(f) for f in LINE_FIELDS] for line in created.get("line_items") or []]
    again = [[line.get(f) for f in LINE_FIELDS] for line in read.get("line_items") or []]
    require(
        lines == again,
        RULE_READ_BACK,
        f"line_items: bulk response said {lines}, read back {again}",
        response,
    )


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


@pytest.mark.schemathesis
@rule("schema + CONTRACT §2–§5 over the OpenAPI links: upload → bulk → read back")
def test_links_chain(settings: Settings, chain_schema: Any) -> None:
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
