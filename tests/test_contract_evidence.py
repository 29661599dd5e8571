"""A failure's evidence (curl command, response excerpt) carries no usable secret.

It lands in CI logs and JUnit files: a token or a presigned URL's signature there would
still work for whoever reads the log.
"""

from __future__ import annotations

import httpx

from dayzero_twin.contract_tests.support.client import as_curl, describe_response

TOKEN = "dz_secret_token_value"
URL = "http://127.0.0.1:4010/__mock/uploads/k?expires=1767000000&signature=deadbeefcafe"


def test_the_curl_command_hides_the_token_and_the_url_signature() -> None:
    request = httpx.Request("PUT", URL, headers={"Authorization": f"Bearer {TOKEN}"})
    command = as_curl(request, TOKEN)
    assert TOKEN not in command and "deadbeefcafe" not in command
    assert "$CONTRACT_TOKEN" in command and "signature=REDACTED" in command
    assert "expires=1767000000" in command  # what is not secret stays, to reproduce


def test_a_response_excerpt_hides_an_upload_urls_signature() -> None:
    body = {"upload_url": URL, "s3_key": "uploads/b/k.csv", "expires_in": 900}
    response = httpx.Response(201, json=body, request=httpx.Request("POST", "http://x/"))
    shown = describe_response(response)
    assert "deadbeefcafe" not in shown and "signature=REDACTED" in shown
    assert "uploads/b/k.csv" in shown
