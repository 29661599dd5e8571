"""The request journal and the one-line-per-request log.

Both come from one pure ASGI layer wrapped around the whole app, so they see every
answer, the 404s, the CORS preflights and the catch-all 500 included. The journal is a
bounded ring buffer: it keeps the first bytes of each body (enough to debug a request,
cheap for a 10,000-row import) and decodes them only when someone reads the journal.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("dayzero.mock")

BODY_CAPTURE_BYTES = 16 * 1024
# Reading the journal or the docs must not push real requests out of the journal.
UNJOURNALED_PREFIXES = (
    "/__mock/journal",
    "/__mock/health",
    "/__mock/assets",
    "/docs",
    "/redoc",
    "/openapi.json",
    "/favicon",
)
NOTE_KEY = "dayzero.note"
OPERATION_KEY = "dayzero.operation"
INTERNAL_ERROR = b'{"detail":"Internal Server Error"}'


@dataclass
class Entry:
    """One journaled request and its response (bodies truncated, decoded on read)."""

    id: int
    at: str
    method: str
    path: str
    query: str
    business_id: str | None
    operation_id: str | None = None
    status: int = 0
    duration_ms: float = 0.0
    note: str | None = None
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body: bytearray = field(default_factory=bytearray)
    request_truncated: bool = False
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: bytearray = field(default_factory=bytearray)
    response_truncated: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "business_id": self.business_id,
            "operation_id": self.operation_id,
            "status": self.status,
            "duration_ms": round(self.duration_ms, 3),
            "note": self.note,
            "request": _body_view(self.request_headers, self.request_body, self.request_truncated),
            "response": _body_view(
                self.response_headers, self.response_body, self.response_truncated
            ),
        }


def _body_view(headers: dict[str, str], body: bytearray, truncated: bool) -> dict[str, Any]:
    view: dict[str, Any] = {"headers": headers, "truncated": truncated}
    if not body:
        view["body"] = None
        return view
    if not truncated and "json" in headers.get("content-type", ""):
        try:
            view["body"] = orjson.loads(body)
            return view
        except orjson.JSONDecodeError:
            pass
    view["body"] = bytes(body).decode("utf-8", errors="replace")
    return view


class Journal:
    """The last ``size`` requests, newest last; safe to append from the event loop."""

    def __init__(self, size: int) -> None:
        self._entries: deque[Entry] = deque(maxlen=max(size, 1))
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def next_id(self) -> int:
        return next(self._ids)

    def add(self, entry: Entry) -> None:
        with self._lock:
            self._entries.append(entry)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def query(self, business_id: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Newest first, optionally only one business's requests."""
        with self._lock:
            entries = list(self._entries)
        selected = [
            e for e in reversed(entries) if business_id is None or e.business_id == business_id
        ]
        return [entry.as_dict() for entry in selected[: max(limit, 0)]]


def _headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in raw}


class Recorder:
    """Pure ASGI: request id header, log line, journal entry, last-resort 500."""

    def __init__(
        self, app: ASGIApp, journal: Journal, log_requests: bool, clock: Callable[[], datetime]
    ) -> None:
        self.app = app
        self.journal = journal
        self.log_requests = log_requests
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path: str = scope["path"]
        record = not path.startswith(UNJOURNALED_PREFIXES)
        entry = Entry(
            id=self.journal.next_id(),
            at=self.clock().astimezone(UTC).isoformat().replace("+00:00", "Z"),
            method=scope["method"],
            path=path,
            query=scope.get("query_string", b"").decode("latin-1"),
            business_id=None,
        )
        request_id = str(entry.id).encode()
        response_started = False

        async def receive_recorded() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                _capture(entry, "request", message.get("body", b""))
            return message

        async def send_recorded(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
                entry.status = message["status"]
                headers = [*message.get("headers", []), (b"x-request-id", request_id)]
                message = {**message, "headers": headers}
                if record:
                    entry.response_headers = _headers(headers)
            elif message["type"] == "http.response.body" and record:
                _capture(entry, "response", message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive_recorded if record else receive, send_recorded)
        except Exception:
            logger.exception("unhandled error in %s %s", entry.method, path)
            entry.status = 500
            if not response_started:
                await _send_internal_error(send, request_id)
        finally:
            entry.duration_ms = (time.perf_counter() - started) * 1000
            entry.note = scope.get(NOTE_KEY)
            entry.operation_id = scope.get(OPERATION_KEY)
            if self.log_requests:
                status = entry.status or "---"
                note = f" ({entry.note})" if entry.note else ""
                logger.info(
                    "%s %s %s %.1fms%s", entry.method, path, status, entry.duration_ms, note
                )
            if record:
                entry.request_headers = _headers(scope.get("headers", []))
                entry.business_id = entry.request_headers.get("x-business-id")
                self.journal.add(entry)


def _capture(entry: Entry, which: str, chunk: bytes) -> None:
    buffer: bytearray = getattr(entry, f"{which}_body")
    room = BODY_CAPTURE_BYTES - len(buffer)
    if len(chunk) > room:
        setattr(entry, f"{which}_truncated", True)
    if room > 0:
        buffer.extend(chunk[:room])


async def _send_internal_error(send: Send, request_id: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(INTERNAL_ERROR)).encode()),
                (b"x-request-id", request_id),
            ],
        }
    )
    await send({"type": "http.response.body", "body": INTERNAL_ERROR})
