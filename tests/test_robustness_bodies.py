"""Malformed request bodies, oversized uploads and the 10,000-row limit.

Bad bodies must get a 4xx whose body says what is wrong (CONTRACT §1: a body that is not
JSON or not an object is a 422 with pydantic-style ``detail[]``). Uploads over 10 MiB
must get a 413 *before* the server has read them: a raw-socket client streams a body far
larger than the limit and records how much it got out before the answer came, while
the mock's resident memory is sampled from outside.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bench.stress.csvgen import count_by_marker, new_marker, valid_csv
from bench.stress.harness import KINDS, Api, Kind, MockProcess
from bench.stress.oversize import LIMIT, MIB, PeakRss, presigned_url, stream_request

STREAMED = 128 * MIB  # far over the limit: reading it all would show in time and memory
MAX_ROWS = 10_000


@pytest.fixture(scope="module")
def mock() -> Iterator[MockProcess]:
    with MockProcess() as process:
        yield process
        assert process.alive(), "the mock died during the body tests"


@pytest.fixture(scope="module")
def api(mock: MockProcess) -> Iterator[Api]:
    with Api(mock.base_url) as client:
        yield client


def _assert_clear_4xx(response: httpx.Response, allowed: set[int]) -> Any:
    assert response.status_code in allowed, (response.status_code, response.text[:300])
    body = response.json()
    detail = body.get("detail")
    if response.status_code == 422:
        assert isinstance(detail, list) and detail, body
        assert all(str(item.get("msg", "")).strip() for item in detail), body
    else:
        assert isinstance(detail, str) and detail.strip(), body
    return body


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


NOT_A_REQUEST = {422}
# Where the parser itself gives up (nesting too deep, bytes that are not UTF-8) FastAPI
# answers 400 "There was an error parsing the body"; the mock follows CONTRACT §1, for
# which every body that is not JSON is a 422.
PARSER_GIVES_UP = {422}
BAD_JSON_BODIES: dict[str, tuple[bytes, set[int]]] = {
    "truncated": (b'{"s3_key": "x"', NOT_A_REQUEST),
    "trailing garbage": (b'{"s3_key": "x"} trailing', NOT_A_REQUEST),
    "single quotes": (b"{'s3_key': 'x'}", NOT_A_REQUEST),
    "not UTF-8": (b'{"s3_key": "\xff\xfe"}', PARSER_GIVES_UP),
    "NaN": (b'{"s3_key": NaN}', NOT_A_REQUEST),
    "empty": (b"", NOT_A_REQUEST),
    "array": (b'["s3_key"]', NOT_A_REQUEST),
    "string": (b'"s3_key"', NOT_A_REQUEST),
    "number": (b"42", NOT_A_REQUEST),
    "null": (b"null", NOT_A_REQUEST),
    "deep array": (f'{{"s3_key": {_nested(100_000)}}}'.encode(), PARSER_GIVES_UP),
    "deep object": (('{"s3_key": "k", "x": ' + '{"a": ' * 50_000 + "1" + "}" * 50_000
                     + "}").encode(), PARSER_GIVES_UP),
    "deep unclosed": (b'{"s3_key": ' + b"[" * 200_000, PARSER_GIVES_UP),
    "flag not boolean": (b'{"s3_key": "k", "finalize": [true], "approve": {"a": 1}}',
                         NOT_A_REQUEST),
    "key not string": (b'{"s3_key": {"$ne": null}}', NOT_A_REQUEST),
    "key empty": (b'{"s3_key": ""}', NOT_A_REQUEST),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("label", sorted(BAD_JSON_BODIES))
def test_malformed_json_is_a_clear_4xx(api: Api, kind: Kind, label: str) -> None:
    content, allowed = BAD_JSON_BODIES[label]
    response = api.client.post(f"/api/v1/{kind}/bulk", content=content,
                               headers={**api.headers(), "Content-Type": "application/json"})
    body = _assert_clear_4xx(response, allowed)
    if response.status_code == 422:
        assert body["detail"][0]["loc"][0] == "body", body


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("content_type", [
    None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=b",
    "application/xml", "application/json; charset=utf-16", "*/*", "garbage",
])
def test_wrong_content_type_is_a_clear_4xx(api: Api, kind: Kind, content_type: str | None
                                           ) -> None:
    headers = api.headers()
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = api.client.post(f"/api/v1/{kind}/bulk", headers=headers,
                               content=json.dumps({"s3_key": "uploads/none"}).encode())
    # Read as JSON anyway, the key is unknown (400); refused as not JSON, a 422.
    _assert_clear_4xx(response, {400, 422})


@pytest.mark.parametrize("kind", KINDS)
def test_huge_json_body_is_a_clear_4xx(api: Api, kind: Kind) -> None:
    for payload in ({"s3_key": "k" * (8 * MIB)},
                    {"s3_key": "k", **{f"extra{i}": i for i in range(200_000)}},
                    {"s3_key": "k", "pad": ["x"] * 1_000_000}):
        response = api.client.post(f"/api/v1/{kind}/bulk", headers=api.headers(),
                                   content=json.dumps(payload).encode())
        _assert_clear_4xx(response, {422})
        # The mock caps JSON bodies at 1 MiB rather than echo megabytes back as `input`.
        assert response.json()["detail"][0]["type"] == "too_long"
        assert len(response.content) < 1024


def test_upload_without_a_file_is_a_clear_422(api: Api) -> None:
    url = "/api/v1/upload/direct"
    attempts = [
        {"data": {"other": "x"}, "files": {"other": ("a.csv", b"x")}},  # no `file` field
        {"data": {"file": "not a file, a plain field"}},
        {"json": {"file": "x"}},
        {"content": b"--nope\r\n\r\n", "headers": {"Content-Type": "multipart/form-data"}},
        {"content": b"garbage", "headers": {"Content-Type": "multipart/form-data; boundary=zz"}},
        {"content": b"--zz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n"
                    b"\r\nunterminated", "headers": {
                        "Content-Type": "multipart/form-data; boundary=zz"}},
    ]
    for attempt in attempts:
        headers = {**api.headers(), **attempt.pop("headers", {})}
        response = api.client.post(url, headers=headers, **attempt)
        assert 400 <= response.status_code < 500, (attempt, response.status_code, response.text)
        assert response.json().get("detail"), response.text


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_oversized_direct_upload_is_refused_before_it_is_read(
    mock: MockProcess, api: Api, chunked: bool
) -> None:
    with PeakRss(mock) as rss:
        result = stream_request(f"{mock.base_url}/api/v1/upload/direct", headers=api.headers(),
                                total=STREAMED, chunked=chunked, multipart=True)
    assert result.status == 413, (result.status, result.body[:300])
    assert json.loads(result.body)["detail"]
    # Socket buffers on both sides hold a few MiB; the rest was never sent.
    assert result.sent < LIMIT + 24 * MIB, f"sent {result.sent / MIB:.1f} MiB before the 413"
    assert rss.growth < 48 * MIB, f"RSS grew {rss.growth / MIB:.1f} MiB"


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_oversized_presigned_put_is_refused_before_it_is_read(
    mock: MockProcess, api: Api, chunked: bool
) -> None:
    with PeakRss(mock) as rss:
        result = stream_request(presigned_url(api), method="PUT", total=STREAMED,
                                chunked=chunked, multipart=False)
    assert result.status == 413, (result.status, result.body[:300])
    assert result.sent < LIMIT + 24 * MIB, f"sent {result.sent / MIB:.1f} MiB before the 413"
    assert rss.growth < 48 * MIB, f"RSS grew {rss.growth / MIB:.1f} MiB"


def test_size_limit_is_exactly_ten_mib(api: Api) -> None:
    response = api.upload(b"a" * LIMIT, "at-limit.csv")
    assert response.status_code == 200, response.text[:300]
    assert response.json()["size"] == LIMIT
    response = api.upload(b"a" * (LIMIT + 1), "over-limit.csv")
    assert response.status_code == 413, response.text[:300]
    assert response.json()["detail"]


def test_size_check_comes_after_auth_validation_and_tenancy(api: Api) -> None:
    big = b"a" * (LIMIT + 1)
    files = {"file": ("big.csv", big, "text/csv")}
    url = "/api/v1/upload/direct"
    no_token = {"x-business-id": api.business}
    assert api.client.post(url, headers=no_token, files=files).status_code == 401
    bad_business = {**api.headers(), "x-business-id": "not-a-uuid"}
    assert api.client.post(url, headers=bad_business, files=files).status_code == 422
    foreign = api.headers(business=str(uuid.uuid4()))
    assert api.client.post(url, headers=foreign, files=files).status_code == 403


def test_row_limit_is_exactly_ten_thousand(api: Api) -> None:
    marker = new_marker("limit")
    response = api.bulk("bills", api.upload_key(valid_csv("bills", MAX_ROWS, marker)))
    assert response.status_code == 201, response.text[:300]
    assert len(response.json()["items"]) == MAX_ROWS

    for kind in KINDS:
        over = new_marker("over")
        response = api.bulk(kind, api.upload_key(valid_csv(kind, MAX_ROWS + 1, over)))
        body = _assert_clear_4xx(response, {400})
        assert "10000" in body["detail"].replace(",", "").replace("_", ""), body["detail"]
        assert count_by_marker(api.walk(kind))[over] == 0
    assert count_by_marker(api.walk("bills"))[marker] == MAX_ROWS
