"""The checking proxy: a raw ASGI app that forwards every request upstream unchanged,
streams both bodies, and hands each finished exchange to the :class:`~.judge.Judge`.

Bodies are streamed chunk by chunk both ways; a copy of each is kept for the judge up to
``ProxyConfig.keep_bytes`` (beyond that the exchange is forwarded, and reported as not
judged). The finished exchange is queued for the judging thread (:mod:`.worker`) before
the last, empty body message goes to the client, so a client's next request (a
read-back after a bulk call) is always judged after it, while the client does not wait
for the judge.

Only two things are the proxy's own: CORS for local browser origins (what the mock
does, via Starlette's middleware, applied only to requests that carry an ``Origin``),
and the reserved paths under ``/__proxy/``. With ``--route-uploads`` (and only then) it
alters one upstream answer, the ``upload_url`` of a presign answer, so the presigned
PUT comes through it too (:mod:`.uploads`).
"""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import zlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dayzero_twin.contract_tests.proxy.config import ProxyConfig
from dayzero_twin.contract_tests.proxy.exchange import Exchange, TokenLabels, token_of
from dayzero_twin.contract_tests.proxy.har import HarWriter
from dayzero_twin.contract_tests.proxy.judge import Judge
from dayzero_twin.contract_tests.proxy.uploads import PREFIX, PRESIGN, REFUSED, Routes
from dayzero_twin.contract_tests.proxy.worker import JudgeWorker

LOG = logging.getLogger("dayzero.proxy")
RESERVED = "/__proxy/"
LOCAL_ORIGINS = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?"
EXPOSED_HEADERS = ["WWW-Authenticate", "X-Request-Id", "Preference-Applied"]
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"transfer-encoding",
        b"te",
        b"trailer",
        b"upgrade",
        b"host",
    }
)


class ProxyState:
    """Everything one proxy keeps: its tunables, the judge, the token labeller, the
    worker that judges (and records) off the response path, and what to run when a
    report is asked for. :meth:`close` judges what is still queued."""

    def __init__(
        self,
        config: ProxyConfig | None = None,
        record: str | Path | None = None,
        on_report: Callable[[], list[str]] = lambda: [],
        route_uploads: bool = False,
    ) -> None:
        self.config = config or ProxyConfig()
        self.judge = Judge(self.config)
        # --route-uploads: presign answers rewritten so their PUTs come through here.
        self.routes = Routes(self.config.max_upload_routes) if route_uploads else None
        if self.routes is not None:
            self.judge.route_started = self.routes.first_started
        self.labels = TokenLabels()
        self.record = Path(record) if record is not None else None
        self.worker = JudgeWorker(
            self.judge, self.config, HarWriter(self.record) if self.record else None
        )
        self.on_report = on_report

    def settle(self, timeout: float | None = None) -> bool:
        """Wait until every exchange finished so far is judged; False on timeout."""
        return self.worker.drain(timeout)

    def close(self) -> None:
        self.worker.close()


class Proxy:
    """The forwarding ASGI app (CORS and reserved paths around it: :func:`build`)."""

    def __init__(self, upstream: str, state: ProxyState, client: httpx.AsyncClient) -> None:
        self.upstream = upstream.rstrip("/")
        self.state = state
        self.client = client

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        target = _target(scope)
        await self.forward(scope, receive, send, self.upstream + target, target)

    async def upload(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A request to a rewritten upload URL, forwarded to the original one (the
        judge sees it under the proxy's address, as the client sent it)."""
        routes = self.state.routes
        raw = scope.get("raw_path", scope["path"].encode()).decode("latin-1")
        query = scope.get("query_string", b"").decode("latin-1")
        url = routes.target(raw, query, datetime.now(UTC)) if routes is not None else None
        if url is None:
            await _plain(send, 404, REFUSED)
            return
        await self.forward(scope, receive, send, url, _target(scope))

    async def forward(
        self, scope: Scope, receive: Receive, send: Send, url: str, target: str
    ) -> None:
        started = datetime.now(UTC)
        method = scope["method"]
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in scope["headers"]
            if k.lower() not in HOP_BY_HOP
        ]
        sent = bytearray()
        complete = True
        keep = self.state.config.keep_bytes
        authorization = dict(headers_lower(headers)).get("authorization")
        secret = token_of(authorization)
        if secret:
            self.state.judge.add_secret(secret)

        async def body() -> AsyncIterator[bytes]:
            nonlocal complete
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                if chunk:
                    if len(sent) + len(chunk) <= keep:
                        sent.extend(chunk)
                    else:
                        complete = False
                    yield chunk
                if not message.get("more_body", False):
                    return

        has_body = any(
            k.lower() in ("content-length", "transfer-encoding") for k, _ in scope_headers(scope)
        )
        # A bare Request, not build_request: the client's default headers (User-Agent,
        # Accept-Encoding...) would change what the implementation is sent.
        request = httpx.Request(method, url, headers=headers, content=body() if has_body else None)
        try:
            upstream = await self.client.send(request, stream=True)
        except httpx.HTTPError as error:
            LOG.warning(
                "upstream unreachable for %s %s: %s", method, _path(target), type(error).__name__
            )
            await _plain(send, 502, f"proxy: upstream unreachable: {type(error).__name__}\n")
            return
        received = bytearray()
        recorded = list(upstream.headers.raw)
        response_headers = [(k, v) for k, v in recorded if k.lower() not in HOP_BY_HOP]
        try:
            chunks = upstream.aiter_raw()
            routes = self.state.routes
            if routes is not None and _rewritten(method, target, upstream):
                head, whole = await _read_up_to(chunks, keep)
                routed = routes.rewrite(head, _base_url(scope)) if whole else None
                if routed is not None:
                    head = routed
                    recorded = _with_length(recorded, len(routed))
                    response_headers = _with_length(response_headers, len(routed))
                chunks = _chain(head, chunks)
            await send(
                {
                    "type": "http.response.start",
                    "status": upstream.status_code,
                    "headers": response_headers,
                }
            )
            # The last chunk is held back until the exchange is queued: a client that
            # has every byte of a sized body is done reading, and its next request (or a
            # test's settle()) must find this exchange already waiting to be judged.
            last = b""
            async for chunk in chunks:
                if len(received) + len(chunk) <= keep:
                    received.extend(chunk)
                else:
                    complete = False
                if last:
                    await send({"type": "http.response.body", "body": last, "more_body": True})
                last = chunk
        finally:
            await upstream.aclose()
        exchange = Exchange(
            method=method,
            target=target,
            request_headers=tuple(headers),
            request_body=bytes(sent),
            status=upstream.status_code,
            response_headers=tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in recorded),
            response_body=_decoded(bytes(received), upstream.headers.get("content-encoding")),
            started=started,
            finished=datetime.now(UTC),
            token=self.state.labels.label(authorization),
            body_complete=complete,
            base_url=_base_url(scope),
        )
        await self.state.worker.submit(exchange)
        await send({"type": "http.response.body", "body": last, "more_body": False})


def _rewritten(method: str, target: str, upstream: httpx.Response) -> bool:
    """A presign answer whose ``upload_url`` --route-uploads points at the proxy (plain
    bodies only: an encoded one is forwarded as it came)."""
    return (
        method == "POST"
        and _path(target) == PRESIGN
        and upstream.status_code == 200
        and not upstream.headers.get("content-encoding")
    )


async def _read_up_to(chunks: AsyncIterator[bytes], limit: int) -> tuple[bytes, bool]:
    """The body's first bytes, up to ``limit`` (plus one chunk), and whether that is all."""
    head = bytearray()
    async for chunk in chunks:
        head.extend(chunk)
        if len(head) > limit:
            return bytes(head), False
    return bytes(head), True


def _with_length(headers: list[tuple[bytes, bytes]], length: int) -> list[tuple[bytes, bytes]]:
    return [(k, str(length).encode() if k.lower() == b"content-length" else v) for k, v in headers]


async def _chain(head: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if head:
        yield head
    async for chunk in rest:
        yield chunk


def _target(scope: Scope) -> str:
    """``path?query`` as the client sent it."""
    target: str = scope.get("raw_path", scope["path"].encode()).decode("latin-1")
    if scope.get("query_string"):
        target += "?" + scope["query_string"].decode("latin-1")
    return target


def scope_headers(scope: Scope) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]


def headers_lower(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k.lower(), v) for k, v in headers]


def _path(target: str) -> str:
    return target.split("?", 1)[0]


def _decoded(data: bytes, encoding: str | None) -> bytes:
    """The body the judge reads: raw bytes go to the client, decoded ones to the rules."""
    name = (encoding or "").strip().lower()
    try:
        if name == "gzip":
            return gzip.decompress(data)
        if name == "deflate":
            return zlib.decompress(data)
    except (OSError, zlib.error):
        pass  # an undecodable body is judged as sent
    return data


def _base_url(scope: Scope) -> str:
    host = dict(scope_headers(scope)).get("host") or "127.0.0.1"
    return f"{scope.get('scheme', 'http')}://{host}"


async def _plain(send: Send, status: int, text: str) -> None:
    await _send(send, status, text.encode(), b"text/plain; charset=utf-8")


async def _send(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def violations_json(state: ProxyState) -> bytes:
    """The running list, as ``GET /__proxy/violations`` serves it: counts, exchanges
    still waiting to be judged, violations per rule (exact) and the kept details."""
    pending = state.worker.pending
    judge = state.judge
    with judge.lock:
        document = {
            "exchanges": judge.exchanges,
            "judged": judge.judged,
            "pending": pending,
            "oracle_checked": judge.oracle_checked,
            "read_backs": judge.read_backs,
            **judge.findings.as_dict(),
        }
    return json.dumps(document, indent=2).encode()


class Front:
    """The reserved paths, then CORS for requests with an ``Origin``, then the proxy."""

    def __init__(self, proxy: Proxy, cors_origin_regex: str | None = LOCAL_ORIGINS) -> None:
        self.proxy = proxy
        self.cors = _cors(proxy, cors_origin_regex)
        # A browser's presigned PUT is cross-origin too (its preflight included).
        self.upload_cors = _cors(proxy.upload, cors_origin_regex)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        routed = scope["path"].startswith(PREFIX) and self.proxy.state.routes is not None
        if scope["path"].startswith(RESERVED) and not routed:
            await self.reserved(scope, send)
            return
        app: ASGIApp = self.proxy.upload if routed else self.proxy
        cors = self.upload_cors if routed else self.cors
        origin = any(k.lower() == b"origin" for k, _ in scope["headers"])
        if origin and cors is not None:
            await cors(scope, receive, send)
            return
        await app(scope, receive, send)

    async def reserved(self, scope: Scope, send: Send) -> None:
        state = self.proxy.state
        name, method = scope["path"].removeprefix(RESERVED), scope["method"]
        if name == "violations" and method == "GET":
            body = violations_json(state)
            await _send(send, 200, body, b"application/json")
        elif name == "report" and method == "POST":
            written = await asyncio.to_thread(state.on_report)
            await _send(send, 200, json.dumps({"written": written}).encode(), b"application/json")
        else:
            await _plain(send, 404, "reserved: GET /__proxy/violations, POST /__proxy/report\n")


def _cors(app: ASGIApp, origin_regex: str | None) -> CORSMiddleware | None:
    if not origin_regex:
        return None
    return CORSMiddleware(
        app,
        allow_origin_regex=origin_regex,
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=EXPOSED_HEADERS,
        max_age=600,
    )


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message: Message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def build(upstream: str, state: ProxyState) -> tuple[Front, httpx.AsyncClient]:
    """The app and the client it forwards with (close the client when done)."""
    client = httpx.AsyncClient(
        timeout=httpx.Timeout(state.config.timeout),
        follow_redirects=False,
        limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
    )
    return Front(Proxy(upstream, state, client)), client
