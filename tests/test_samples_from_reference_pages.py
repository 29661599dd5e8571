"""The reference pages' own cURL and Python samples, run against a live mock.

Only what a developer would change is changed: the production URL becomes the mock's, the
``YOUR_BUSINESS_ID`` placeholder a business of the default world, and ``"s3_key":
"string"`` a sample file every business has. The ``dz_your_token`` placeholder works as
written. The pages' Python samples write the JSON literal ``false`` where Python spells
``False``; they run with ``false``/``true``/``null`` defined rather than edited, so the
sample text stays exactly the published one.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shlex
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from dayzero_twin.mock_server.domain.samples import Samples
from tests.conftest import TEST_SEED

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "docs" / "reference"
PAGES = {"invoices": "create-bulk-invoices.md", "bills": "create-bulk-bills.md"}
PRODUCTION = "https://api.ondayzero.com"


def _sample(kind: str, language: str) -> str:
    text = (REFERENCE_DIR / PAGES[kind]).read_text(encoding="utf-8")
    found = re.search(rf"```{language}\n(.*?)```", text, re.DOTALL)
    assert found, f"{PAGES[kind]} has no {language} sample"
    return found.group(1)


def _localize(code: str, kind: str, base_url: str, business: str) -> str:
    assert PRODUCTION in code and "YOUR_BUSINESS_ID" in code and '"s3_key": "string"' in code
    return (
        code.replace(PRODUCTION, base_url)
        .replace("YOUR_BUSINESS_ID", business)
        .replace('"s3_key": "string"', f'"s3_key": "samples/{kind}.csv"')
    )


def _rows(kind: str) -> list[dict[str, str]]:
    data = Samples(TEST_SEED, 10_000).get(f"samples/{kind}.csv")
    assert data is not None
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def _assert_created_from_the_sample(kind: str, body: dict[str, Any], business: str) -> None:
    rows = _rows(kind)
    items = body["items"]
    assert body["total"] == len(items) > 0
    assert all(item["business_id"] == business for item in items)
    if kind == "invoices":
        lines = [line for item in items for line in item["line_items"]]
        assert len(lines) == len(rows)
        assert sorted(line["description"] for line in lines) == sorted(
            row["item_description"].strip() for row in rows
        )
        assert all(item["status"] == "draft" for item in items)  # "finalize": false
    else:
        assert len(items) == len(rows)
        assert [item["amount"] for item in items] == [
            int(Decimal(row["amount"].strip()) * 100) for row in rows
        ]
        assert all(item["status"] == "draft" for item in items)  # "approve": false


def _curl_as_request(command: str) -> tuple[str, str, dict[str, str], str]:
    words = shlex.split(command.replace("\\\n", " "))
    assert words[0] == "curl"
    method, url, headers, data = "GET", "", {}, ""
    index = 1
    while index < len(words):
        word = words[index]
        if word == "-X":
            method, index = words[index + 1], index + 2
        elif word == "-H":
            name, _, value = words[index + 1].partition(":")
            headers[name.strip()] = value.strip()
            index += 2
        elif word == "-d":
            data, index = words[index + 1], index + 2
        else:
            url, index = word, index + 1
    return method, url, headers, data


@pytest.mark.parametrize("kind", ["invoices", "bills"])
def test_curl_sample(
    live_mock: str, auth_headers: dict[str, str], check_response: Any, kind: str
) -> None:
    business = auth_headers["x-business-id"]
    command = _localize(_sample(kind, "bash"), kind, live_mock, business)
    method, url, headers, data = _curl_as_request(command)
    response = httpx.request(method, url, headers=headers, content=data.encode(), timeout=10)
    assert response.status_code == 201, response.text
    _assert_created_from_the_sample(kind, check_response(response), business)

    curl = shutil.which("curl")
    if curl is not None:  # and with curl itself, exactly as a developer pastes it
        argv = [curl, "-sS", "-w", "\n%{http_code}", *shlex.split(command.replace("\\\n", " "))[1:]]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=True)
        body, _, status = done.stdout.rpartition("\n")
        assert status == "201", done.stdout
        _assert_created_from_the_sample(kind, json.loads(body), business)


@pytest.mark.parametrize("kind", ["invoices", "bills"])
def test_python_sample(
    live_mock: str, auth_headers: dict[str, str], check_response: Any, kind: str
) -> None:
    business = auth_headers["x-business-id"]
    code = _localize(_sample(kind, "python"), kind, live_mock, business)
    namespace: dict[str, Any] = {"false": False, "true": True, "null": None}
    exec(compile(code, f"{PAGES[kind]}#python", "exec"), namespace)
    response: httpx.Response = namespace["response"]
    assert response.status_code == 201, response.text
    check_response(response)
    _assert_created_from_the_sample(kind, namespace["data"], business)
