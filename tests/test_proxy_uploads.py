"""``proxy --route-uploads``: presigned uploads pass through the proxy, and are judged.

Against a scripted upstream (``httpx.MockTransport``, so bytes can be compared exactly):
without the option a presign answer comes back byte for byte; with it only its
``upload_url`` changes, and what arrives at the rewritten URL reaches the original one
unchanged (method, headers, body, query), while an address no presign answer gave out is
refused by the proxy itself (no open relay). Against the mock: a presigned upload, its
PUT and the bulk call through the proxy show no violation, the bulk 201 is checked by
the oracle against the PUT's file, and the recording holds no signature. The mutants
the routed PUT reveals are in tests/test_proxy.py (``SEEN``).
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from dayzero_twin.contract_tests.mock_process import MOCK_BUSINESS, MOCK_TOKEN, running_mock
from dayzero_twin.contract_tests.proxy.app import Front, Proxy, ProxyState
from dayzero_twin.contract_tests.proxy.config import ProxyConfig
from dayzero_twin.contract_tests.proxy.judge import RULE_BEFORE_PUT, RULE_PUT, RULE_TAMPER
from dayzero_twin.contract_tests.proxy.serve import running_proxy
from dayzero_twin.contract_tests.proxy.uploads import Routes
from tests.mutants.__main__ import PREFIX
from tests.test_contract_suite import ROOT, served, suite_argv
from tests.variants.catalogue import VARIANTS

VARIANT_BY_NAME = {variant.name: variant for variant in VARIANTS}

pytestmark = pytest.mark.timeout(300)
AUTH = {"Authorization": f"Bearer {MOCK_TOKEN}", "x-business-id": MOCK_BUSINESS}
UPSTREAM = "http://api.example"
SIGNED = "https://bucket.example/uploads/b/k.csv?X-Amz-Expires=900&X-Amz-Signature=5ec2e7"
PRESIGN_ANSWER = (
    b'{"upload_url": "' + SIGNED.encode() + b'", "s3_key": "uploads/b/k.csv", "expires_in": 900}'
)
SETTLE_SECONDS = 60


class Streamed(httpx.AsyncByteStream):
    """A body sent as a stream, as a real upstream's is (the proxy reads it raw)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.data


def answer(status: int, data: bytes = b"", **headers: str) -> httpx.Response:
    return httpx.Response(
        status, headers={"content-length": str(len(data)), **headers}, stream=Streamed(data)
    )


JSON = {"content-type": "application/json"}


class Upstream:
    """A scripted implementation and its bucket: a fixed presign answer, and every
    other request recorded and answered 200."""

    def __init__(self) -> None:
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.seen.append(request)
        if request.url.path == "/api/v1/upload":
            return answer(200, PRESIGN_ANSWER, **JSON)
        return answer(200, b"stored", etag='"e1"')


Call = tuple[str, str | Callable[[str], str], dict[str, str], bytes]


def scripted(route_uploads: bool, *calls: Call) -> tuple[list[httpx.Response], Upstream]:
    """The proxy (as ``build`` makes it, its client bound to the scripted upstream)
    answering ``calls`` in order; a call's URL may be made from the path and query of
    the last presign answer the client got."""
    upstream = Upstream()
    state = ProxyState(ProxyConfig(), route_uploads=route_uploads)

    async def run() -> list[httpx.Response]:
        forwarder = httpx.AsyncClient(transport=httpx.MockTransport(upstream))
        app = Front(Proxy(UPSTREAM, state, forwarder))
        answers: list[httpx.Response] = []
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://proxy.test"
        ) as client:
            upload_url = ""
            for method, url, headers, body in calls:
                target = url if isinstance(url, str) else url(upload_url)
                answer = await client.request(method, target, headers=headers, content=body)
                if answer.request.url.path == "/api/v1/upload" and answer.status_code == 200:
                    parts = urlsplit(answer.json()["upload_url"])
                    upload_url = parts.path + "?" + parts.query
                answers.append(answer)
        await forwarder.aclose()
        return answers

    try:
        answers = asyncio.run(run())
        assert state.settle(timeout=SETTLE_SECONDS)
    finally:
        state.close()
    return answers, upstream


PRESIGN: Call = ("POST", "/api/v1/upload", AUTH, b'{"filename": "k.csv"}')


def same(url: str) -> str:
    return url


def test_without_the_option_the_presign_answer_is_byte_identical() -> None:
    (answer,), _ = scripted(False, PRESIGN)
    assert answer.content == PRESIGN_ANSWER
    assert answer.headers["content-length"] == str(len(PRESIGN_ANSWER))


def test_routed_put_reaches_the_original_url_unchanged() -> None:
    put_headers = {"content-type": "text/csv", "x-amz-meta-note": "kept"}
    (presigned, put), upstream = scripted(True, PRESIGN, ("PUT", same, put_headers, b"a,b\n1,2\n"))
    routed = presigned.json()
    original = json.loads(PRESIGN_ANSWER)
    assert {k: v for k, v in routed.items() if k != "upload_url"} == {
        k: v for k, v in original.items() if k != "upload_url"
    }
    url = urlsplit(routed["upload_url"])
    assert url.netloc == "proxy.test" and url.path.startswith("/__proxy/upload/")
    assert url.path.endswith("/uploads/b/k.csv") and url.query == urlsplit(SIGNED).query
    assert presigned.headers["content-length"] == str(len(presigned.content))
    assert (put.status_code, put.content, put.headers["etag"]) == (200, b"stored", '"e1"')
    forwarded = upstream.seen[-1]
    assert (forwarded.method, str(forwarded.url)) == ("PUT", SIGNED)
    assert forwarded.content == b"a,b\n1,2\n"
    assert forwarded.headers["x-amz-meta-note"] == "kept"
    assert forwarded.headers["host"] == "bucket.example"
    assert "authorization" not in forwarded.headers


def test_no_open_relay() -> None:
    """Only the origin and directory a presign answer gave out are reachable, and only
    while the route is remembered; everything else is the proxy's own 404."""
    body = b"x"
    answers, upstream = scripted(
        True,
        PRESIGN,
        ("PUT", "/__proxy/upload/0123456789abcdef/uploads/b/k.csv", {}, body),
        ("PUT", lambda url: "/__proxy/upload/" + url, {}, body),
        ("PUT", lambda url: url.replace("uploads/b", "elsewhere"), {}, body),
        ("PUT", lambda url: url.replace("k.csv", ".."), {}, body),
        ("PUT", lambda url: url.replace("k.csv", "..%2F..%2Fother"), {}, body),
        ("PUT", lambda url: url.replace("k.csv", "%2e%2e"), {}, body),
        ("GET", "/__proxy/upload/", {}, b""),
    )
    refused = answers[1:]
    assert [a.status_code for a in refused] == [404] * 7
    assert all("only forwards to the upload URLs" in a.text for a in refused)
    assert [r.url.path for r in upstream.seen] == ["/api/v1/upload"]


@pytest.mark.parametrize(
    "last",
    [
        "..",
        "%2e%2e",
        "%2E.",
        "..%2F..%2Fother",
        "a%2fb",
        "..%5C..%5Cother",
        "%252e%252e",  # decoded twice
        "a%255Cb",
    ],
)
def test_an_encoded_step_out_of_the_directory_is_refused(last: str) -> None:
    """A last segment that a backend decoding ``%2F``, ``%5C`` or ``%2e`` (even twice)
    would read as another directory has no route (docs/PROXY.md: the route fixes the
    directory of the path); the file named in it, or another, does."""
    routes = Routes(4)
    rewritten = routes.rewrite(
        json.dumps({"upload_url": "https://s3.example/uploads/b/k.csv?X-Sig=s"}).encode(),
        "http://127.0.0.1:4011",
    )
    assert rewritten is not None
    path = urlsplit(json.loads(rewritten)["upload_url"]).path
    started = datetime.now(UTC)
    assert routes.target(path, "X-Sig=s", started) == "https://s3.example/uploads/b/k.csv?X-Sig=s"
    assert routes.target(path.replace("k.csv", "k%2B1.csv"), "", started) is not None
    assert routes.target(path.replace("k.csv", last), "X-Sig=s", started) is None


def test_tampered_edit_reaches_upstream() -> None:
    """A client's edit of the query or of the last path segment is forwarded as made:
    the implementation, not the proxy, must refuse it."""
    (_, changed, renamed), upstream = scripted(
        True,
        PRESIGN,
        ("PUT", lambda url: url.replace("5ec2e7", "5ec2e8"), {}, b"x"),
        ("PUT", lambda url: url.replace("k.csv", "j.csv"), {}, b"x"),
    )
    assert changed.status_code == renamed.status_code == 200  # the scripted bucket's answer
    assert [str(r.url) for r in upstream.seen[1:]] == [
        SIGNED.replace("5ec2e7", "5ec2e8"),
        SIGNED.replace("k.csv", "j.csv"),
    ]


def invoices_csv(tag: str) -> bytes:
    return (
        "customer_email,customer_name,due_date,item_description,quantity,unit_price\n"
        f"{tag}@example.com,Customer {tag},2026-03-01,item,2,10.25\n"
        f"{tag}@example.com,Customer {tag},2026-03-01,other,1,3.50\n"
    ).encode()


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    with running_mock() as url:
        yield url


def test_presigned_flow_through_the_mock_is_judged(mock_url: str, tmp_path: Path) -> None:
    """Presign, PUT (no Authorization) and bulk through the proxy: no violation, the
    bulk 201 checked against the PUT's rows by the oracle; and the proxy's own checks of
    the flow fire when the flow breaks it (a tampered URL accepted would be named, so
    its refusal must not be; a key used before its PUT must be refused)."""
    har = tmp_path / "presigned.har"
    state = ProxyState(record=har, route_uploads=True)
    with running_proxy(mock_url, state) as (url, state):
        ticket = httpx.post(f"{url}/api/v1/upload", json={"filename": "p.csv"}, headers=AUTH)
        upload_url = ticket.json()["upload_url"]
        assert upload_url.startswith(url + "/__proxy/upload/")
        before = httpx.post(
            f"{url}/api/v1/invoices/bulk", json={"s3_key": ticket.json()["s3_key"]}, headers=AUTH
        )
        tampered = httpx.put(
            upload_url.replace("signature=", "signature=0"),
            content=invoices_csv("t"),
            headers={"content-type": "text/csv"},
        )
        put = httpx.put(upload_url, content=invoices_csv("p"), headers={"content-type": "text/csv"})
        bulk = httpx.post(
            f"{url}/api/v1/invoices/bulk", json={"s3_key": ticket.json()["s3_key"]}, headers=AUTH
        )
        assert state.settle(timeout=SETTLE_SECONDS)
        judge = state.judge
        with judge.lock:
            violations = [v.log_line() for v in judge.violations]
            oracle_checked, not_judged = judge.oracle_checked, dict(judge.findings.not_judged)
    assert (before.status_code, tampered.status_code, put.status_code) == (400, 403, 200)
    assert bulk.status_code == 201 and bulk.json()["items"]
    assert violations == [] and not_judged == {}
    assert oracle_checked == 1
    text = har.read_text()
    signature = re.search(r"signature=([0-9a-f]{16,})", upload_url)
    assert signature is not None and signature.group(1) not in text
    assert MOCK_TOKEN not in text and "signature=REDACTED" in text


def test_proxy_names_the_broken_presigned_rules() -> None:
    """The three rules on a scripted bucket that breaks them all: the genuine PUT
    refused (401), a tampered PUT stored, and a key used before any PUT accepted."""
    csv = {"content-type": "text/csv"}
    upstream_answers = iter([401, 200])
    state = ProxyState(ProxyConfig(), route_uploads=True)

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        if request.url.path == "/api/v1/upload":
            return answer(200, PRESIGN_ANSWER, **JSON)
        if request.url.path == "/api/v1/invoices/bulk":
            body = {"items": [], "total": 0, "limit": None, "has_next": False, "has_prev": False}
            return answer(201, json.dumps(body).encode(), **JSON)
        return answer(next(upstream_answers))

    async def run() -> None:
        forwarder = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        app = Front(Proxy(UPSTREAM, state, forwarder))
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://proxy.test"
        ) as client:
            first = await client.post("/api/v1/upload", json={"filename": "k"}, headers=AUTH)
            key = {"s3_key": "uploads/b/k.csv"}
            await client.post("/api/v1/invoices/bulk", json=key, headers=AUTH)
            url = first.json()["upload_url"]
            await client.put(url, content=b"a", headers=csv)
            await client.put(url.replace("5ec2e7", "5ec2e8"), content=b"a", headers=csv)
        await forwarder.aclose()

    try:
        asyncio.run(run())
        assert state.settle(timeout=SETTLE_SECONDS)
        counts = dict(state.judge.findings.counts)
        shown = " ".join(v.log_line() for v in state.judge.violations)
    finally:
        state.close()
    assert RULE_BEFORE_PUT in counts and RULE_PUT in counts and RULE_TAMPER in counts, counts
    assert "5ec2e" not in shown


@pytest.mark.timeout(900)
@pytest.mark.parametrize("name", ["s3-style-urls", "other-keys-and-urls", "plain-undocumented"])
def test_suite_through_routed_proxy_keeps_legal_url_shapes(name: str, tmp_path: Path) -> None:
    """Faithful variants whose upload URLs are laid out otherwise (S3 SigV4 parameters;
    one opaque path token and no query, so the suite's tampering edits the routed path)
    or whose refusals have no JSON body: the suite's own upload checks pass through
    the routed proxy, which names nothing."""
    variant = VARIANT_BY_NAME[name]
    with (
        served("tests.variants") as root,
        running_proxy(f"{root}{PREFIX}{name}", ProxyState(route_uploads=True)) as (url, state),
    ):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "dayzero_twin.contract_tests",
                *suite_argv(url, tmp_path / "j.xml", variant.select),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert state.settle(timeout=SETTLE_SECONDS)
        with state.judge.lock:
            violations = [v.log_line() for v in state.judge.violations]
            # Genuine PUTs the judge paired with their presign answer and judged.
            judged_puts = sum(ticket.tried for ticket in state.judge.presigned.values())
    assert done.returncode == 0, done.stdout[-3000:]
    assert violations == []
    assert judged_puts > 0
