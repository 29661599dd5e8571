"""The request path's shortcuts answer exactly what the framework they bypass would.

The dispatcher, the no-Origin CORS path and the cached base URL replace Starlette code
on every request; each is checked here against the Starlette code itself. The
offloader (inline or thread), the garbage-collector policy, the journal's raw capture
and the raw body reader are checked on their own.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.routing import Match
from starlette.types import Message, Receive, Scope, Send

from dayzero_twin.mock_server.app import MockApp
from dayzero_twin.mock_server.asgi import gc_policy
from dayzero_twin.mock_server.asgi.base_url import scope_base_url
from dayzero_twin.mock_server.asgi.capped_body import read_capped
from dayzero_twin.mock_server.asgi.cors import CORS
from dayzero_twin.mock_server.asgi.dispatch import Dispatcher, Target
from dayzero_twin.mock_server.asgi.journal import BODY_CAPTURE_BYTES, Journal, Recorder
from dayzero_twin.mock_server.offload import Offloader

ID = "4f0c1b2e-0000-4000-8000-000000000001"


def _scope(method: str, path: str, headers: list[tuple[bytes, bytes]] | None = None) -> Scope:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "root_path": "",
        "scheme": "http",
        "query_string": b"",
        "headers": headers or [],
        "server": ("127.0.0.1", 4010),
    }


def _router_choice(app: MockApp, method: str, path: str) -> tuple[Any, dict[str, Any]] | None:
    """The endpoint and path params of the first route the FastAPI router fully matches."""
    for route in app.router.routes:
        match, child = route.matches(_scope(method, path))
        if match is Match.FULL:
            return getattr(route, "endpoint", None), child.get("path_params", {})
    return None


PATHS = [
    "/api/v1/invoices/bulk",
    "/api/v1/bills/bulk",
    "/api/v1/invoices",
    "/api/v1/bills",
    f"/api/v1/invoices/{ID}",
    "/api/v1/bills/not-a-uuid",
    "/api/v1/invoices/bulk/template",
    "/api/v1/bills/bulk/template",
    "/api/v1/invoices/bulk",  # GET: the templated read-back route takes it
    "/api/v1/upload",
    "/api/v1/upload/direct",
    "/api/v1/invoices/a b",
    "/api/v1/invoices/x\n",
    "/api/v1/invoices/",
    "/api/v1/invoices/bulk/",
    "/api/v1/invoices/a/b",
    "/api/v1/nowhere",
    "/__mock/health",
    "/docs",
]


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "HEAD", "OPTIONS"])
@pytest.mark.parametrize("path", PATHS)
def test_the_dispatcher_takes_only_what_the_router_would_route_the_same_way(
    mock_app: Callable[..., MockApp], method: str, path: str
) -> None:
    app = mock_app()
    dispatcher: Any = app.entry
    for _ in range(10):  # recorder → Host check → CORS → admin guard → dispatcher
        if isinstance(dispatcher, Dispatcher):
            break
        dispatcher = dispatcher.app
    assert isinstance(dispatcher, Dispatcher)
    found = dispatcher.match(method, path)
    if found is None:
        return  # the FastAPI app answers it, exactly as before
    endpoint, params = found
    assert _router_choice(app, method, path) == (endpoint, params)


def test_the_dispatcher_leaves_mounted_apps_and_other_events_to_the_router() -> None:
    seen: list[str] = []

    def app(name: str) -> Any:
        async def record(scope: Scope, receive: Receive, send: Send) -> None:
            seen.append(f"{name} {scope.get('path', scope['type'])}")

        return record

    dispatcher = Dispatcher([Target("POST", "/api/v1/bills/bulk", app("op"))], app("router"))
    for scope in (
        _scope("POST", "/api/v1/bills/bulk"),
        {**_scope("POST", "/api/v1/bills/bulk"), "root_path": "/x"},
        {"type": "lifespan"},
    ):
        asyncio.run(dispatcher(scope, _no_body, _drop))
    assert seen == ["op /api/v1/bills/bulk", "router /api/v1/bills/bulk", "router lifespan"]


def test_an_operation_template_never_captures_the_mocks_own_paths() -> None:
    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        pass

    dispatcher = Dispatcher([Target("GET", "/{anything}", endpoint)], endpoint)
    assert dispatcher.match("GET", "/invoices") == (endpoint, {"anything": "invoices"})
    for path in ("/docs", "/redoc", "/openapi.json", "/__mock"):
        assert dispatcher.match("GET", path) is None


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _drop(message: Message) -> None:
    pass


# --------------------------------------------------------------------------- CORS


def _response_headers(middleware: Any, request_headers: list[tuple[bytes, bytes]],
                      response_headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    sent: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": list(response_headers)})
        await send({"type": "http.response.body", "body": b"{}"})

    async def send(message: Message) -> None:
        sent.append(message)

    wrapped = middleware(app, allow_origin_regex=r"https?://localhost(:\d+)?",
                         allow_credentials=True, allow_methods=["*"], allow_headers=["*"],
                         expose_headers=["X-Request-Id"], max_age=600)
    asyncio.run(wrapped(_scope("POST", "/x", request_headers), _no_body, send))
    return sent[0]["headers"]


@pytest.mark.parametrize(
    "request_headers",
    [[], [(b"origin", b"http://localhost:3000")], [(b"origin", b"https://evil.example")]],
)
@pytest.mark.parametrize(
    "response_headers",
    [[], [(b"vary", b"Accept")], [(b"vary", b"Accept"), (b"x", b"1"), (b"vary", b"Cookie")]],
)
def test_cors_answers_like_starlettes_middleware(
    request_headers: list[tuple[bytes, bytes]], response_headers: list[tuple[bytes, bytes]]
) -> None:
    assert _response_headers(CORS, request_headers, response_headers) == _response_headers(
        CORSMiddleware, request_headers, response_headers
    )


# --------------------------------------------------------------------------- base URL


@pytest.mark.parametrize(
    "host",
    [None, b"example.com", b"example.com:8080", b"exa mple:xx", b"[::1]:4010", b"", b"h:99999"],
)
@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize("server", [("127.0.0.1", 4010), ("::1", 80), None])
def test_the_cached_base_url_is_starlettes(
    host: bytes | None, scheme: str, server: tuple[str, int] | None
) -> None:
    headers = [(b"accept", b"*/*")] + ([(b"host", host)] if host is not None else [])
    scope = {**_scope("GET", "/api/v1/bills", headers), "scheme": scheme, "server": server}
    expected = str(Request(scope).base_url).rstrip("/")
    assert scope_base_url(scope) == expected
    assert scope_base_url(scope) == expected  # served from the cache


# --------------------------------------------------------------------------- offloader


def _busy(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def test_quick_calls_run_inline_once_measured_and_slow_ones_stay_in_threads() -> None:
    offload = Offloader()
    loop_thread: list[int] = []

    def where(cost: float) -> int:
        _busy(cost)
        return threading.get_ident()

    async def scenario() -> list[bool]:
        loop_thread.append(threading.get_ident())
        inline = []
        for key, cost in [("quick", 0), ("quick", 0), ("quick", 0), ("slow", 0.01),
                          ("slow", 0.01)]:
            inline.append(await offload.run(key, where, cost) == loop_thread[0])
        return inline

    assert asyncio.run(scenario()) == [False, True, True, False, False]


def test_a_key_that_turns_slow_on_the_loop_goes_back_to_threads() -> None:
    offload = Offloader()

    def where(cost: float) -> int:
        _busy(cost)
        return threading.get_ident()

    async def scenario() -> list[bool]:
        loop = threading.get_ident()
        costs = [0, 0, 0.05, 0]  # measured, inline, inline but slow, back to a thread
        return [await offload.run("key", where, cost) == loop for cost in costs]

    assert asyncio.run(scenario()) == [False, True, True, False]


def test_a_quick_call_goes_to_a_thread_while_a_heavy_one_runs() -> None:
    offload = Offloader()
    release = threading.Event()

    async def scenario() -> bool:
        loop, started = asyncio.get_running_loop(), asyncio.Event()

        def heavy() -> None:
            loop.call_soon_threadsafe(started.set)
            release.wait(5)

        await offload.run("quick", threading.get_ident)  # measured in a thread
        loop_thread = threading.get_ident()
        task = asyncio.ensure_future(offload.run("unknown", heavy))
        await started.wait()
        quick_thread = await offload.run("quick", threading.get_ident)
        release.set()
        await task
        return quick_thread != loop_thread and offload.heavy_in_threads == 0

    assert asyncio.run(scenario())


def test_failed_calls_teach_the_offloader_nothing() -> None:
    offload = Offloader()

    def fails() -> int:
        raise ValueError("not uploaded yet")

    async def scenario() -> bool:
        for _ in range(2):
            with pytest.raises(ValueError):
                await offload.run("key", fails)
        return await offload.run("key", threading.get_ident) != threading.get_ident()

    assert asyncio.run(scenario())


# --------------------------------------------------------------------------- GC policy


def test_the_gc_policy_freezes_survivors_and_is_undone_when_the_last_app_stops() -> None:
    assert gc.get_freeze_count() == 0

    async def scenario() -> tuple[int, int, int]:
        async with gc_policy.PROCESS.serving(lambda: 0):
            at_start = gc.get_freeze_count()
            kept = [[index] for index in range(5000)]  # survivors of the next collection
            gc.collect(0)
            async with gc_policy.PROCESS.serving(lambda: 0):
                pass  # a second app stopping leaves the first one's policy in place
            after = gc.get_freeze_count()
            assert len(kept) == 5000
        return at_start, after, gc.get_freeze_count()

    at_start, after, at_end = asyncio.run(scenario())
    assert at_start > 0 and after >= at_start + 5000 and at_end == 0
    assert gc_policy._freeze_survivors not in gc.callbacks


class _Ticks:
    """A ``sleep`` for :class:`gc_policy.FreezePolicy` that returns when the test says:
    each :meth:`check` lets the policy run exactly one idle check, and returns once it
    is done (the policy is back in ``sleep``)."""

    def __init__(self) -> None:
        self.allowed: asyncio.Queue[None] = asyncio.Queue()
        self.parked: asyncio.Queue[None] = asyncio.Queue()

    async def sleep(self, seconds: float) -> None:
        await self.parked.put(None)
        await self.allowed.get()

    async def check(self) -> None:
        await self.allowed.put(None)
        await self.parked.get()


def test_a_full_collection_runs_once_the_mock_is_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    count = [0]

    async def scenario() -> None:
        ticks = _Ticks()
        policy = gc_policy.FreezePolicy(growth=1.05, sleep=ticks.sleep)

        def collect() -> int:
            calls.append(1)
            return gc_policy.gc.collect(0)

        monkeypatch.setattr(policy, "collect_in_full", collect)
        async with policy.serving(lambda: count[0]):
            await ticks.parked.get()  # the policy has taken its first reading
            kept = []
            stored = gc.get_freeze_count() // 1000 + 10  # a tenth more, in thousands
            for _ in range(100):  # busy: the count moves between any two checks
                count[0] += 1
                kept.append([[index] for index in range(stored)])  # stored, then frozen
                await ticks.check()
            gc.collect(0)
            busy_calls = len(calls)
            for _ in range(5):  # idle: one collection, not one per check
                await ticks.check()
            assert busy_calls == 0 and len(kept) == 100

    asyncio.run(scenario())
    assert calls == [1]


# --------------------------------------------------------------------------- journal, body


def test_the_journal_keeps_the_first_bytes_of_each_body() -> None:
    journal = Journal(5)
    big = b"x" * (BODY_CAPTURE_BYTES - 10)
    chunks = iter([big, b"y" * 100, b""])

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b'{"ok":'})
        await send({"type": "http.response.body", "body": b"true}"})

    async def receive() -> Message:
        chunk = next(chunks)
        return {"type": "http.request", "body": chunk, "more_body": bool(chunk)}

    recorder = Recorder(app, journal, False, lambda: __import__("datetime").datetime.now())
    asyncio.run(recorder(_scope("POST", "/api/v1/x", [(b"x-business-id", b"b1")]), receive,
                         _drop))
    [entry] = journal.query()
    assert entry["request"]["truncated"] is True
    assert entry["request"]["body"] == (big + b"y" * 10).decode()
    assert entry["response"] == {
        "headers": {"content-type": "application/json", "x-request-id": "1"},
        "truncated": False,
        "body": {"ok": True},
    }
    assert entry["business_id"] == "b1" and journal.query(business_id="b2") == []


def test_the_body_reader_caps_and_notices_disconnects() -> None:
    def feed(*messages: Message) -> Receive:
        queue = iter(messages)

        async def receive() -> Message:
            return next(queue)

        return receive

    part = {"type": "http.request", "body": b"abc", "more_body": True}
    last = {"type": "http.request", "body": b"de", "more_body": False}
    assert asyncio.run(read_capped(feed(part, last), None, 5)) == b"abcde"
    assert asyncio.run(read_capped(feed(part, last), None, 4)) is None
    assert asyncio.run(read_capped(feed(), "6", 5)) is None  # declared: nothing is read
    assert asyncio.run(read_capped(feed(), b"6", 5)) is None  # as raw header bytes too
    with pytest.raises(ClientDisconnect):
        asyncio.run(read_capped(feed(part, {"type": "http.disconnect"}), None, 5))
