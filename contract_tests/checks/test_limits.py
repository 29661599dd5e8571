"""Documented limits from both sides: just inside accepted as surely as just outside refused.

* CONTRACT §3 "At most 10,000 data rows." and "Blank lines are skipped.": a file of
  exactly 10,000 data rows, with blank lines among them, is imported (201); the other
  side, 10,001 rows refused with 400, is ``test_too_many_rows_is_refused``.
* CONTRACT §2 "Files over 10 MiB are refused with 413": through the presigned PUT too —
  exactly 10 MiB stored, one byte more refused (the direct upload's two sides are in
  ``test_uploads``).

These files are large: ``Settings.large_files`` turns the checks off and
``Settings.large_file_rows`` bounds how many rows one file may create in the business.
"""

from __future__ import annotations

import httpx
import pytest

from dayzero_twin.contract_tests.settings import Settings
from dayzero_twin.contract_tests.support.assertions import expect_status
from dayzero_twin.contract_tests.support.client import Api
from dayzero_twin.contract_tests.support.datagen import RunMarks
from dayzero_twin.contract_tests.support.flows import bulk_body, json_items
from dayzero_twin.contract_tests.support.kinds import KIND_NAMES
from dayzero_twin.contract_tests.support.limits import LIMIT_BYTES, MAX_ROWS, full_file
from dayzero_twin.contract_tests.support.rules import require, rule

RULE_ROWS = "CONTRACT §3 at most 10,000 data rows: exactly 10,000 (blank lines aside) import"
RULE_PUT_SIZE = "CONTRACT §2 files over 10 MiB are refused with 413 (presigned PUT too)"


def require_large_files(settings: Settings, rows: int = 0) -> None:
    """Skip unless large-file checks are on and may create ``rows`` rows."""
    if not settings.large_files:
        pytest.skip("large-file checks are off (Settings.large_files)")
    if rows > settings.large_file_rows:
        pytest.skip(f"needs a file of {rows:,} rows; large_file_rows is {settings.large_file_rows}")


@rule(RULE_ROWS)
@pytest.mark.parametrize("kind", KIND_NAMES)
def test_exactly_max_rows_is_imported(
    api: Api, settings: Settings, marks: RunMarks, kind: str
) -> None:
    require_large_files(settings, MAX_ROWS)
    data, created = full_file(kind, marks)
    key = api.upload_key(data, f"limit-{kind}.csv")
    response = api.bulk(kind, bulk_body(kind, key, None))
    expect_status(response, 201, RULE_ROWS, f"POST /{kind}/bulk of exactly {MAX_ROWS:,} rows")
    items = json_items(response)
    require(
        len(items) == created,
        RULE_ROWS,
        f"{MAX_ROWS:,} rows came back as {len(items)} {kind}, expected {created}",
        response,
    )
    if kind == "invoices":
        lines = sum(len(item.get("line_items") or []) for item in items)
        require(
            lines == MAX_ROWS,
            RULE_ROWS,
            f"{MAX_ROWS:,} rows came back as {lines} line items",
            response,
        )


def _put(api: Api, size: int) -> httpx.Response:
    response = api.presign({"filename": "limit.csv", "content_type": "text/csv"})
    body = expect_status(response, 200, RULE_PUT_SIZE, "POST /upload")
    url = body.get("upload_url") if isinstance(body, dict) else None
    require(isinstance(url, str), RULE_PUT_SIZE, f"upload_url is {url!r}", response)
    try:
        return api.put_upload_url(str(url), b"x" * size)
    except httpx.TransportError as error:
        pytest.skip(f"the server closed the connection before answering ({error!r})")


@rule(RULE_PUT_SIZE)
def test_presigned_put_of_exactly_10_mib_is_stored(api: Api, settings: Settings) -> None:
    require_large_files(settings)
    response = _put(api, LIMIT_BYTES)
    require(
        200 <= response.status_code < 300,
        RULE_PUT_SIZE,
        f"a PUT of exactly {LIMIT_BYTES:,} bytes answered {response.status_code}",
        response,
    )


@rule(RULE_PUT_SIZE)
def test_presigned_put_over_10_mib_is_413(api: Api, settings: Settings) -> None:
    require_large_files(settings)
    response = _put(api, LIMIT_BYTES + 1)
    expect_status(response, 413, RULE_PUT_SIZE, f"a PUT of {LIMIT_BYTES + 1:,} bytes")
