"""Schemathesis in negative mode over every operation of the mock: no 5xx, no hang.

The short version of ``python -m bench.stress.negative`` (same code, fewer examples).
Operations with nothing to make invalid (the CSV templates take no input) get hostile
extras instead: unknown query parameters, junk headers and wrong methods.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis

from bench.stress.harness import MockProcess
from bench.stress.negative import PASSES, fuzz_operation
from dayzero_twin.openapi.bundle import iter_operations, load_bundle

MAX_EXAMPLES = 12  # per operation and pass; the stress script runs hundreds
TIMEOUT = 10.0

BUNDLE = load_bundle()
SCHEMA = schemathesis.openapi.from_dict(
    BUNDLE, config=schemathesis.Config.from_dict({"output": {"sanitization": {"enabled": False}}})
)
OPERATIONS = {f"{op.method.upper()} {op.path}": op
              for op in (result.ok() for result in SCHEMA.get_all_operations())}


def _takes_input(operation: dict[str, Any]) -> bool:
    return bool(operation.get("parameters") or operation.get("requestBody"))


NEGATABLE = sorted(f"{m.upper()} {p}" for m, p, op in iter_operations(BUNDLE) if _takes_input(op))
INPUTLESS = sorted(f"{m.upper()} {p}" for m, p, op in iter_operations(BUNDLE)
                   if not _takes_input(op))


@pytest.fixture(scope="module")
def mock() -> Iterator[MockProcess]:
    with MockProcess() as process:
        yield process


def test_every_operation_is_covered() -> None:
    """Schemathesis sees the same operations as the bundle: none silently skipped."""
    assert sorted(OPERATIONS) == sorted(NEGATABLE + INPUTLESS)
    assert len(NEGATABLE) >= 8


@pytest.mark.parametrize("label", NEGATABLE)
def test_negative_cases_get_no_5xx_and_no_hang(mock: MockProcess, label: str) -> None:
    tally = fuzz_operation(OPERATIONS[label], mock.base_url, max_examples=MAX_EXAMPLES,
                           timeout=TIMEOUT)
    assert not tally.failures, "\n".join(tally.failures[:5])
    # Every pass that applies to the operation really sent requests.
    assert not tally.unsatisfiable, f"no negative case could be drawn for {tally.unsatisfiable}"
    assert tally.requests >= MAX_EXAMPLES * (len(PASSES) - 1)
    assert all(400 <= status < 500 or status < 300 for status in tally.statuses)
    assert mock.alive()


@pytest.mark.parametrize("label", INPUTLESS)
def test_inputless_operations_survive_hostile_extras(mock: MockProcess, label: str) -> None:
    _, path = label.split(" ", 1)
    junk_query = {"x" * 200: "y" * 2000, "limit": "-1", "cursor": "\u202e\x00"}
    junk_headers = {"x-business-id": "../../etc", "Authorization": b"Bearer \xff\xfe",
                    "Accept": "*/*;q=nonsense", "Range": "bytes=99999999-"}
    with httpx.Client(base_url=mock.base_url, timeout=TIMEOUT) as client:
        for method in ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
            response = client.request(method, path, params=junk_query, headers=junk_headers,
                                      content=b"\x00\xff" * 512)
            assert response.status_code < 500, f"{method} {path}: {response.status_code}"
    assert mock.alive()
