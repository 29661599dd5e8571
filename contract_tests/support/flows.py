"""Multi-request steps the tests share: import a file, read back what exists."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import hypothesis

from dayzero_twin.contract_tests.settings import Settings
from dayzero_twin.contract_tests.support.assertions import (
    Registry,
    Window,
    expect_bulk,
    expect_list_page,
    expect_status,
)
from dayzero_twin.contract_tests.support.client import Api, body_of
from dayzero_twin.contract_tests.support.csvfile import CsvFile
from dayzero_twin.contract_tests.support.kinds import kind_named
from dayzero_twin.contract_tests.support.oracle import Party, expected

MAX_SCAN_PAGES = 5
SCAN_LIMIT = 1000


@dataclass(frozen=True)
class Imported:
    response: httpx.Response
    window: Window
    key: str


def bulk_body(kind: str, key: str, flag: bool | None) -> dict[str, Any]:
    body: dict[str, Any] = {"s3_key": key}
    if flag is not None:
        body[kind_named(kind).flag] = flag
    return body


def import_file(
    api: Api,
    kind: str,
    file: CsvFile | bytes,
    flag: bool | None = None,
    headers: Mapping[str, str] | None = None,
) -> Imported:
    """Upload ``file`` directly, then bulk-create from its key; time the bulk call."""
    data = file if isinstance(file, bytes) else file.to_bytes()
    key = api.upload_key(data, headers=headers)
    started = datetime.now(UTC)
    response = api.bulk(kind, bulk_body(kind, key, flag), headers=headers)
    return Imported(response, Window.around(started, datetime.now(UTC), response), key)


def expect_imported(
    api: Api,
    registry: Registry,
    kind: str,
    file: CsvFile,
    imported: Imported,
    flag: bool | None,
    existing: dict[str, Party] | None = None,
) -> list[dict[str, Any]]:
    """The 201 of importing ``file`` as ``kind``, checked whole against the oracle."""
    __tracebackhide__ = True
    description = kind_named(kind)
    return expect_bulk(
        description,
        imported.response,
        expected(description, file, existing),
        flag=bool(flag),
        business_id=api.settings.business_id,
        registry=registry,
        window=imported.window,
    )


def scan(
    api: Api,
    kind: str,
    predicate: Callable[[dict[str, Any]], bool],
    headers: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Entities of the business matching ``predicate``, newest first, within a bounded scan."""
    found: list[dict[str, Any]] = []
    cursor = None
    for _ in range(MAX_SCAN_PAGES):
        response = api.list(kind, limit=SCAN_LIMIT, cursor=cursor, headers=headers)
        body = expect_status(response, 200, "CONTRACT §5 list answers 200", f"GET /{kind}")
        items = expect_list_page(response, body, SCAN_LIMIT)
        found += [item for item in items if isinstance(item, dict) and predicate(item)]
        cursor = body.get("next_cursor")
        if not body.get("has_next") or cursor is None:
            break
    return found


def mentions(marker: str) -> Callable[[dict[str, Any]], bool]:
    """Whether an entity carries ``marker`` in any of its text fields."""
    fields = (
        "description",
        "customer_email",
        "customer_name",
        "vendor_name",
        "vendor_email",
        "bill_number",
    )

    def predicate(item: dict[str, Any]) -> bool:
        texts = [str(item.get(name) or "") for name in fields]
        texts += [
            str(line.get("description") or "")
            for line in item.get("line_items") or []
            if isinstance(line, dict)
        ]
        return any(marker.lower() in text.lower() for text in texts)

    return predicate


def property_settings(settings: Settings) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Hypothesis settings for tests that import whole files: few examples, no shrinking
    (each shrink step would create more data in the business), a fixed seed."""

    def decorate(test: Callable[..., None]) -> Callable[..., None]:
        configured = hypothesis.settings(
            max_examples=settings.csv_examples,
            deadline=None,
            database=None,
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
            suppress_health_check=list(hypothesis.HealthCheck),
            print_blob=False,
        )(test)
        return hypothesis.seed(settings.seed)(configured)

    return decorate


def json_items(response: httpx.Response) -> list[dict[str, Any]]:
    body = body_of(response)
    items = body.get("items") if isinstance(body, dict) else None
    return [item for item in items or [] if isinstance(item, dict)]


def flip_last(text: str) -> str:
    """Change the last character, staying within its alphabet (hex stays hex)."""
    last = text[-1:]
    if last and last in "0123456789abcdefABCDEF":
        replacement = "1" if last == "0" else "0"
    else:
        replacement = "B" if last == "A" else "A"
    return text[:-1] + replacement


def names_business(value: str, business_id: str) -> bool:
    """Whether ``value`` ends with the business id: flipping its last character would name
    another business, one a broken implementation might then store into."""
    return value.lower().endswith(business_id.lower())


def tampered(url: str, business_id: str) -> str | None:
    """``url`` with one character changed where a signature most likely lives: the longest
    query value, else the last segment of the path; ``None`` when neither may be changed.

    Never in a business id: the suite creates nothing outside the businesses it is given.
    """
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    editable = [i for i, (_, value) in enumerate(query) if not names_business(value, business_id)]
    if editable:
        index = max(editable, key=lambda i: len(query[i][1]))
        name, value = query[index]
        query[index] = (name, flip_last(value))
        return urlunsplit(parts._replace(query=urlencode(query)))
    head, _, last = parts.path.rpartition("/")
    if not last or names_business(last, business_id):
        return None
    return urlunsplit(parts._replace(path=f"{head}/{flip_last(last)}"))
