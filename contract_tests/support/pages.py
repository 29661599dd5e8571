"""Walking a read-back list to its end, bounded, for checks that need every page.

CONTRACT §5: "cursor pagination with ``limit`` (1–1000, default 50) and ``cursor`` (from
``next_cursor``) … with ``has_next``/``next_cursor`` set while more remain." A sandbox may
hold any number of entities, so a walk stops after ``max_pages`` pages and says whether
it reached the end; checks that need the end skip when it did not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from dayzero_twin.contract_tests.support.assertions import expect_list_page, expect_status
from dayzero_twin.contract_tests.support.client import Api

WALK_LIMIT = 1000
WALK_PAGES = 40


@dataclass
class Page:
    """One page as served: the cursor and limit that asked for it, and what came back."""

    cursor: str | None
    limit: int
    response: httpx.Response
    items: list[dict[str, Any]]
    has_next: bool
    next_cursor: str | None


@dataclass
class Walk:
    pages: list[Page] = field(default_factory=list)
    complete: bool = False

    @property
    def items(self) -> list[dict[str, Any]]:
        return [item for page in self.pages for item in page.items]


def fetch_page(
    api: Api,
    kind: str,
    limit: int,
    cursor: str | None,
    headers: Mapping[str, str] | None = None,
) -> Page:
    """One page, checked for the §5 envelope rules every page must keep."""
    __tracebackhide__ = True
    response = api.list(kind, limit=limit, cursor=cursor, headers=headers)
    body = expect_status(
        response, 200, "CONTRACT §5 list answers 200", f"GET /{kind}?limit={limit}"
    )
    items = expect_list_page(response, body, limit)
    return Page(
        cursor,
        limit,
        response,
        [item for item in items if isinstance(item, dict)],
        bool(body.get("has_next")),
        body.get("next_cursor"),
    )


def walk(
    api: Api,
    kind: str,
    limit: int = WALK_LIMIT,
    max_pages: int = WALK_PAGES,
    headers: Mapping[str, str] | None = None,
) -> Walk:
    """Follow ``next_cursor`` from the newest page until ``has_next`` is false (or the bound)."""
    out = Walk()
    cursor: str | None = None
    for _ in range(max_pages):
        page = fetch_page(api, kind, limit, cursor, headers)
        out.pages.append(page)
        if not page.has_next or page.next_cursor is None:
            out.complete = True
            break
        cursor = page.next_cursor
    return out
