"""Pagination at its ends (CONTRACT §4, §5).

* §4 "`items` holds every created entity": a bulk file larger than any default page
  size comes back whole, on one page.
* §5 "`limit` (1–1000, default 50)": a page asked for without ``limit`` is the page
  asked for with ``limit=50``.
* §5 "`has_next`/`next_cursor` set while more remain": at the end nothing remains, so
  the last page has ``has_next`` false and no cursor — also when the last page is exactly
  full, the case a server computing ``has_next = (len(items) == limit)`` gets wrong.
"""

from __future__ import annotations

import pytest

from dayzero_twin.contract_tests.support.assertions import Registry, expect_status
from dayzero_twin.contract_tests.support.client import Api
from dayzero_twin.contract_tests.support.datagen import RunMarks, simple_file
from dayzero_twin.contract_tests.support.flows import expect_imported, import_file, json_items
from dayzero_twin.contract_tests.support.kinds import KIND_NAMES
from dayzero_twin.contract_tests.support.pages import fetch_page, walk
from dayzero_twin.contract_tests.support.rules import require, rule

RULE_WHOLE = "CONTRACT §4 items holds every created entity"
RULE_DEFAULT = "CONTRACT §5 limit defaults to 50: no limit = limit=50"
RULE_END = "CONTRACT §5 has_next/next_cursor are set while more remain (the last page has none)"
DEFAULT_LIMIT = 50
BULK_ROWS = 60  # more than the default page size


@rule(RULE_WHOLE)
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_bulk_response_holds_every_item(
    api: Api, marks: RunMarks, registry: Registry, kind: str
) -> None:
    file = simple_file(kind, marks, BULK_ROWS, "whole")
    done = import_file(api, kind, file)
    expect_status(done.response, 201, "schema: bulk create answers 201", f"bulk {kind}")
    items = json_items(done.response)
    require(
        len(items) == BULK_ROWS,
        RULE_WHOLE,
        f"a file of {BULK_ROWS} one-row {kind} came back with {len(items)} items",
        done.response,
    )
    expect_imported(api, registry, kind, file, done, None)


@rule(RULE_DEFAULT)
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_default_page_is_the_limit_50_page(api: Api, marks: RunMarks, kind: str) -> None:
    if len(fetch_page(api, kind, DEFAULT_LIMIT + 1, None).items) <= DEFAULT_LIMIT:
        done = import_file(api, kind, simple_file(kind, marks, DEFAULT_LIMIT + 1, "page-size"))
        expect_status(done.response, 201, "schema: bulk create answers 201", f"bulk {kind}")
    response = api.list(kind)
    body = expect_status(response, 200, "CONTRACT §5 list answers 200", f"GET /{kind}")
    explicit = fetch_page(api, kind, DEFAULT_LIMIT, None)
    ids = [item.get("id") for item in (body or {}).get("items") or [] if isinstance(item, dict)]
    want = [item.get("id") for item in explicit.items]
    require(
        ids == want,
        RULE_DEFAULT,
        f"GET /{kind} without limit lists {len(ids)} items, GET /{kind}?limit=50 lists "
        f"{len(want)} (first ids {ids[:2]} vs {want[:2]})",
        response,
    )
    limit = (body or {}).get("limit")
    require(
        limit in (None, DEFAULT_LIMIT),
        RULE_DEFAULT,
        f"a page asked for without limit says limit={limit!r}",
        response,
    )


@rule(RULE_END)
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_last_page_has_no_next(api: Api, marks: RunMarks, kind: str) -> None:
    done = import_file(api, kind, simple_file(kind, marks, 1, "last-page"))
    expect_status(done.response, 201, "schema: bulk create answers 201", f"bulk {kind}")
    pages = walk(api, kind)
    if not pages.complete:
        pytest.skip(f"more than {len(pages.pages)} pages of {kind}: the end is out of reach")
    for before, after in zip(pages.pages, pages.pages[1:], strict=False):
        require(
            after.items,
            RULE_END,
            f"a page said has_next with cursor {before.next_cursor!r}, and that page is empty",
            after.response,
        )
    last = pages.pages[-1]
    require(last.items, RULE_END, f"the last page of {kind} is empty", last.response)
    # The same last page again, asked for with limit = exactly what remains.
    exact = fetch_page(api, kind, len(last.items), last.cursor)
    require(
        not exact.has_next and exact.next_cursor is None,
        RULE_END,
        f"the last {len(last.items)} {kind}, asked for with limit={len(last.items)}, came back "
        f"with has_next={exact.has_next!r}, next_cursor={exact.next_cursor!r}",
        exact.response,
    )
    require(
        [item.get("id") for item in exact.items] == [item.get("id") for item in last.items],
        RULE_END,
        f"the last page asked for with limit={len(last.items)} lists other {kind}",
        exact.response,
    )
