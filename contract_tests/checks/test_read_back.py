"""CONTRACT §5: reading back — newest first, cursors, malformed input, not found.

The business may hold other entities (a sandbox is shared, and earlier tests created
some), so orders are checked on the entities this test created, relative to each other.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from dayzero_twin.contract_tests.support.assertions import (
    expect_error_body,
    expect_list_page,
    expect_status,
)
from dayzero_twin.contract_tests.support.client import Api
from dayzero_twin.contract_tests.support.datagen import RunMarks, simple_file
from dayzero_twin.contract_tests.support.flows import import_file, json_items
from dayzero_twin.contract_tests.support.kinds import KIND_NAMES
from dayzero_twin.contract_tests.support.rules import require, rule

PAGE = 2
MAX_PAGES = 60
RULE_ORDER = "CONTRACT §5 lists are newest first (within one file, later items first)"
RULE_WALK = (
    "CONTRACT §5 cursor pagination with cursor (from next_cursor), newest first, "
    "has_next/next_cursor set while more remain"
)


def created_ids(api: Api, kind: str, marks: RunMarks, count: int, tag: str) -> list[str]:
    done = import_file(api, kind, simple_file(kind, marks, count, tag))
    expect_status(done.response, 201, "schema: bulk create answers 201", f"bulk {kind}")
    ids: list[Any] = [item.get("id") for item in json_items(done.response)]
    require(
        len(ids) == count and all(isinstance(i, str) for i in ids),
        "CONTRACT §3 one item per invoice/bill",
        f"{len(ids)} ids for {count} rows",
        done.response,
    )
    return ids


@rule(RULE_ORDER, RULE_WALK)
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_pages_newest_first_and_cursor_walk(api: Api, marks: RunMarks, kind: str) -> None:
    older = created_ids(api, kind, marks, 4, "walk-older")
    newer = created_ids(api, kind, marks, 3, "walk-newer")
    expected = list(reversed(newer)) + list(reversed(older))
    ours = set(expected)
    walked: list[str] = []
    cursor: str | None = None
    pages_after_ours = 0
    response = None
    for _ in range(MAX_PAGES):
        response = api.list(kind, limit=PAGE, cursor=cursor)
        body = expect_status(
            response, 200, "CONTRACT §5 list answers 200", f"GET /{kind}?limit={PAGE}"
        )
        items = expect_list_page(response, body, PAGE)
        page_ids: list[Any] = [item.get("id") for item in items if isinstance(item, dict)]
        repeated = [i for i in page_ids if i in walked]
        require(
            not repeated,
            RULE_WALK,
            f"page {len(walked) // PAGE + 1} repeats {repeated} already seen",
            response,
        )
        walked += page_ids
        cursor = body.get("next_cursor")
        if ours <= set(walked):
            pages_after_ours += 1
        if not body.get("has_next") or pages_after_ours > 1:
            break
    seen = [i for i in walked if i in ours]
    require(
        len(seen) == len(ours),
        RULE_ORDER,
        f"of the {len(ours)} {kind} just created, only {len(seen)} were among the first "
        f"{len(walked)} listed",
        response,
    )
    require(
        seen == expected,
        RULE_ORDER,
        f"the {kind} just created came back as {seen}, expected newest first {expected}",
        response,
    )


@rule("CONTRACT §5 limit defaults to 50")
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_default_page_is_at_most_50(api: Api, kind: str) -> None:
    response = api.list(kind)
    body = expect_status(response, 200, "CONTRACT §5 list answers 200", f"GET /{kind}")
    items = expect_list_page(response, body, 50)
    limit = body.get("limit")
    require(
        limit is None or (isinstance(limit, int) and limit >= len(items)),
        "CONTRACT §4 limit is null or >= the number of items",
        f"limit is {limit!r} for {len(items)} items",
        response,
    )


@rule("CONTRACT §5 a malformed cursor is 400")
# Malformed under any cursor scheme; "0" * 64 is not: an offset or hex cursor may read it.
@pytest.mark.parametrize("cursor", ["not a cursor!", "%%%"])
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_malformed_cursor_is_400(api: Api, kind: str, cursor: str) -> None:
    response = api.list(kind, cursor=cursor)
    expect_status(
        response, 400, "CONTRACT §5 a malformed cursor is 400", f"GET /{kind}?cursor={cursor!r}"
    )
    # No body check: CONTRACT §5 documents the status only (§1's 400 body is the bulk one).


def _not_found(api: Api, kind: str, entity_id: str, what: str, **kwargs: Any) -> None:
    response = api.get(kind, entity_id, **kwargs)
    rule_ = "CONTRACT §5 GET of an id not in this business is 404 (malformed ids included)"
    expect_status(response, 404, rule_, what)
    expect_error_body(response, "CONTRACT §5 404 body is {detail: <message>}")


@rule("CONTRACT §5 GET of an id not in this business is 404 (malformed ids included)")
@pytest.mark.parametrize("variant", ["random uuid", "not-a-uuid", "12345", "bulk-ish"])
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_get_unknown_id_is_404(api: Api, kind: str, variant: str) -> None:
    entity_id = {
        "random uuid": str(uuid.uuid4()),
        "not-a-uuid": "not-a-uuid",
        "12345": "12345",
        "bulk-ish": f"{uuid.uuid4()}x",
    }[variant]
    _not_found(api, kind, entity_id, f"GET /{kind}/{entity_id} ({variant})")


@rule("CONTRACT §5 GET of an id not in this business is 404 (malformed ids included)")
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_get_entity_of_another_business_is_404(api: Api, marks: RunMarks, kind: str) -> None:
    second = api.settings.second_business_id
    if not second:
        pytest.skip("needs a second business the token may use (--second-business-id)")
    done = import_file(
        api, kind, simple_file(kind, marks, 1, "foreign"), headers=api.headers(business=second)
    )
    expect_status(
        done.response, 201, "schema: bulk create answers 201", f"bulk {kind} in the second business"
    )
    [foreign] = json_items(done.response)
    _not_found(api, kind, foreign["id"], f"GET /{kind}/<id of the second business's {kind[:-1]}>")
