"""Tenant isolation that needs no second business (CONTRACT §2, §3, §5).

* CONTRACT §2 "An `s3_key` belongs to the business that uploaded it. Used under another
  business it is "not found" (400). A key never uploaded is also 400." — a key that
  spells out the caller's business id, edited to name another business, names no upload
  of the caller: 400. (Keys are opaque; when a key does not embed the business id there
  is nothing to edit and the check is skipped.)
* CONTRACT §3.1/§3.2 "`business_id` = the `x-business-id`" and §5 (the lists and GETs
  read back the business's own entities): every entity listed or fetched carries the
  caller's business id.
* CONTRACT §5 "404 … when it does not exist in this business": a bill's id is no
  invoice (and an invoice's id no bill), so asking for it under the other kind is 404.
"""

from __future__ import annotations

import re

import pytest

from dayzero_twin.contract_tests.support.assertions import (
    expect_error_body,
    expect_import_failed,
    expect_status,
)
from dayzero_twin.contract_tests.support.client import Api
from dayzero_twin.contract_tests.support.datagen import RunMarks, simple_file
from dayzero_twin.contract_tests.support.flows import bulk_body, import_file, json_items
from dayzero_twin.contract_tests.support.kinds import KIND_NAMES
from dayzero_twin.contract_tests.support.pages import walk
from dayzero_twin.contract_tests.support.rules import require, rule

RULE_KEY = "CONTRACT §2 an s3_key belongs to the business that uploaded it (elsewhere: 400)"
RULE_OWNER = "CONTRACT §3 business_id = the x-business-id: listed and fetched entities too"
RULE_KIND = "CONTRACT §5 GET of an id not in this business is 404: a bill's id is no invoice"
OTHER_KIND = {"invoices": "bills", "bills": "invoices"}
FETCHED = 5


@rule(RULE_KEY)
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_key_edited_to_another_business_is_not_found(api: Api, marks: RunMarks, kind: str) -> None:
    business, other = api.settings.business_id, api.settings.other_business_id
    key = api.upload_key(simple_file(kind, marks, 1, "tenant-key").to_bytes())
    pattern = re.compile(re.escape(business), re.IGNORECASE)
    if not pattern.search(key):
        pytest.skip("the upload key does not spell out the business id: nothing to edit")
    edited = pattern.sub(other, key)
    response = api.bulk(kind, bulk_body(kind, edited, None))
    expect_import_failed(
        response, f"POST /{kind}/bulk with the key's business id edited to {other}", rule=RULE_KEY
    )
    genuine = api.bulk(kind, bulk_body(kind, key, None))
    expect_status(genuine, 201, RULE_KEY, f"POST /{kind}/bulk with the unedited key")


@rule(RULE_OWNER)
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_listed_and_fetched_entities_are_the_callers(api: Api, marks: RunMarks, kind: str) -> None:
    business = api.settings.business_id.lower()
    done = import_file(api, kind, simple_file(kind, marks, 2, "tenant-owner"))
    expect_status(done.response, 201, "schema: bulk create answers 201", f"bulk {kind}")
    pages = walk(api, kind, max_pages=3)
    for number, page in enumerate(pages.pages, start=1):
        for item in page.items:
            require(
                item.get("business_id") == business,
                RULE_OWNER,
                f"page {number} of GET /{kind} lists {kind[:-1]} {item.get('id')} of business "
                f"{item.get('business_id')!r}; the caller is {business}",
                page.response,
            )
    for item in pages.items[:FETCHED]:
        got = api.get(kind, str(item.get("id")))
        body = expect_status(got, 200, "CONTRACT §5 GET of a listed id returns it", "GET")
        require(
            isinstance(body, dict) and body.get("business_id") == business,
            RULE_OWNER,
            f"GET /{kind}/{item.get('id')} shows business_id "
            f"{body.get('business_id') if isinstance(body, dict) else body!r}",
            got,
        )


@rule(RULE_KIND)
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_id_of_the_other_kind_is_404(api: Api, marks: RunMarks, kind: str) -> None:
    other = OTHER_KIND[kind]
    done = import_file(api, other, simple_file(other, marks, 1, "tenant-kind"))
    expect_status(done.response, 201, "schema: bulk create answers 201", f"bulk {other}")
    [entity] = json_items(done.response)
    response = api.get(kind, entity["id"])
    expect_status(response, 404, RULE_KIND, f"GET /{kind}/<id of a {other[:-1]}>")
    expect_error_body(response, "CONTRACT §5 404 body is {detail: <message>}")
