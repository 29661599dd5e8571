"""Presigned upload URLs: any change to key, business, expiry, content type, signature or
path is a 403, an expired URL is a 403, and a refused PUT stores nothing.

Expiry is tested over HTTP with a fixed ``--clock``: the mock's time then moves one second
per handled request, so ``expires_in + 1`` cheap requests make a URL stale without waiting.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest

from bench.stress.csvgen import new_marker, valid_csv
from bench.stress.harness import BUSINESS_B, Api, MockProcess

FIXED_CLOCK = "2026-11-22T10:00:00Z"


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    with MockProcess() as mock, Api(mock.base_url) as client:
        yield client
        assert mock.alive()


def presign(api: Api, filename: str = "data.csv", business: str | None = None) -> dict[str, str]:
    response = api.client.post("/api/v1/upload", headers=api.headers(business),
                               json={"filename": filename, "content_type": "text/csv"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["expires_in"] >= 1
    return body


def with_query(url: str, query: list[tuple[str, str]], path: str | None = None) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=urlencode(query), path=path or parts.path))


def tampered_urls(url: str, other: dict[str, str]) -> dict[str, str]:
    """One URL per way of changing or dropping a part of ``url``."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    other_query = dict(parse_qsl(urlsplit(other["upload_url"]).query))
    names = [name for name, _ in query]
    assert {"key", "business", "expires", "signature"} <= set(names), names
    changes = {
        "key: another reserved key": ("key", other["s3_key"]),
        "key: one character more": ("key", dict(query)["key"] + "x"),
        "business: the other business": ("business", BUSINESS_B),
        "business: upper case": ("business", dict(query)["business"].upper()),
        "expires: one second later": ("expires", str(int(dict(query)["expires"]) + 1)),
        "expires: far future": ("expires", "99999999999"),
        "expires: not a number": ("expires", "tomorrow"),
        "content_type": ("content_type", "application/x-msdownload"),
        "signature: one hex digit flipped": (
            "signature", dict(query)["signature"][:-1]
            + ("0" if dict(query)["signature"][-1] != "0" else "1")),
        "signature: upper case": ("signature", dict(query)["signature"].upper()),
        "signature: of another URL": ("signature", other_query["signature"]),
        "signature: empty": ("signature", ""),
        "signature: non-ASCII": ("signature", "\u00e9" * 64),
    }
    urls = {
        label: with_query(url, [(n, value if n == name else v) for n, v in query])
        for label, (name, value) in changes.items()
        if name in names
    }
    for name in names:
        urls[f"without {name}"] = with_query(url, [(n, v) for n, v in query if n != name])
    other_path = urlsplit(other["upload_url"]).path
    urls["path: another upload id"] = with_query(url, query, path=other_path)
    urls["path: an extra segment"] = with_query(url, query, path=parts.path + "/x.csv")
    urls["signature twice"] = with_query(url, [*query, ("signature", other_query["signature"])])
    return urls


def test_tampered_urls_are_refused_and_store_nothing(api: Api) -> None:
    mine, other = presign(api, "mine.csv"), presign(api, "other.csv")
    content = valid_csv("bills", 2, new_marker("presign"))
    for label, url in tampered_urls(mine["upload_url"], other).items():
        response = httpx.put(url, content=content, timeout=30)
        assert response.status_code == 403, (label, response.status_code, response.text[:300])
        assert response.json()["detail"], label
    for key in (mine["s3_key"], other["s3_key"]):
        assert api.bulk("bills", key).status_code == 400, f"{key} stored by a refused PUT"

    stored = httpx.put(mine["upload_url"], content=content, timeout=30)
    assert stored.status_code == 200, stored.text
    assert api.bulk("bills", mine["s3_key"]).status_code == 201
    assert api.bulk("bills", other["s3_key"]).status_code == 400
    # The key is the uploader's: the other business cannot import it.
    assert api.bulk("bills", mine["s3_key"], business=BUSINESS_B).status_code == 400


def test_a_valid_url_needs_no_token_and_ignores_one(api: Api) -> None:
    target = presign(api)
    response = httpx.put(target["upload_url"], content=valid_csv("bills", 1, new_marker("p")),
                         headers={"Authorization": "Bearer wrong"}, timeout=30)
    assert response.status_code == 200, response.text
    assert api.bulk("bills", target["s3_key"]).status_code == 201


def test_expired_url_is_refused() -> None:
    with MockProcess(extra_args=["--clock", FIXED_CLOCK]) as mock, Api(mock.base_url) as api:
        fresh, stale = presign(api, "fresh.csv"), presign(api, "stale.csv")
        content = valid_csv("bills", 1, new_marker("expiry"))
        assert httpx.put(fresh["upload_url"], content=content, timeout=30).status_code == 200
        # Each handled request moves the fixed clock one second.
        for _ in range(int(stale["expires_in"]) + 2):
            assert api.client.get("/api/v1/bills", headers=api.headers(),
                                  params={"limit": 1}).status_code == 200
        response = httpx.put(stale["upload_url"], content=content, timeout=30)
        assert response.status_code == 403, response.text
        assert "expire" in response.json()["detail"].lower()
        assert api.bulk("bills", stale["s3_key"]).status_code == 400
        # The URL that was used in time still imports.
        assert api.bulk("bills", fresh["s3_key"]).status_code == 201
