"""CONTRACT §3.1 "With `finalize: true` … `number` is a non-empty string unique within the
business" — also when finalizing imports of one business run at the same time.

A few imports (``PARALLEL``, bounded) are released together from a barrier; nothing
about timing is asserted, only the outcome: each is a 201 and no two invoices share a
number or an id. Numbers are only promised unique: gaps and order are not checked.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from dayzero_twin.contract_tests.support.assertions import expect_status
from dayzero_twin.contract_tests.support.client import Api
from dayzero_twin.contract_tests.support.datagen import RunMarks, simple_invoice_file
from dayzero_twin.contract_tests.support.flows import bulk_body, json_items
from dayzero_twin.contract_tests.support.rules import require, rule

PARALLEL = 4
ROWS = 3
RULE_UNIQUE = "CONTRACT §3.1 finalized invoice numbers are unique within the business"
RULE_PARALLEL = RULE_UNIQUE + " (parallel imports)"


@rule(RULE_UNIQUE)
def test_parallel_finalized_imports_number_uniquely(api: Api, marks: RunMarks) -> None:
    keys = [
        api.upload_key(simple_invoice_file(marks, ROWS, f"parallel-{n}").to_bytes())
        for n in range(PARALLEL)
    ]
    start = threading.Barrier(PARALLEL)

    def finalize(key: str) -> httpx.Response:
        start.wait()
        return api.bulk("invoices", bulk_body("invoices", key, True))

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        responses = list(pool.map(finalize, keys))
    owners: dict[str, str] = {}
    for response in responses:
        expect_status(
            response, 201, "schema: bulk create answers 201", "a parallel finalizing import"
        )
        for item in json_items(response):
            number, entity = item.get("number"), str(item.get("id"))
            require(
                isinstance(number, str) and number.strip(),
                "CONTRACT §3.1 finalize=true gives a non-empty invoice number",
                f"invoice {entity}: number is {number!r}",
                response,
            )
            require(
                owners.get(str(number), entity) == entity,
                RULE_PARALLEL,
                f"{PARALLEL} parallel imports: number {number!r} is shared by invoices "
                f"{owners.get(str(number))} and {entity}",
                response,
            )
            owners[str(number)] = entity
    require(
        len(owners) == PARALLEL * ROWS,
        RULE_PARALLEL,
        f"{PARALLEL} parallel imports of {ROWS} invoices gave {len(owners)} distinct numbers",
    )
