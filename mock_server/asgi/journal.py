"""The request journal and the one-line-per-request log.

Both come from one pure ASGI layer wrapped around the whole app, so they see every
answer, the 404s, the CORS preflights and the catch-all 500 included. The journal is a
ring buffer bounded in entries and in bytes (``Journal``). Recording happens on every
request while reading is rare, so an entry keeps references (the raw header lists, the
body chunks up to a cap) and builds its JSON view only when someone reads
``/__mock/journal``: nothing is decoded, copied or formatted on the request path.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dayzero_twin.mock_server.asgi import redact
from dayzero_twin.mock_server.asgi.headers import RawHeaders
from dayzero_twin.mock_server.asgi.json_error import INTERNAL_ERROR_DETAIL, send_json_error

logger = logging.getLogger("dayzero.mock")

BODY_CAPTURE_BYTES = 16 * 1024
# Byte accounting: a journaled header value or query string is cut at this many bytes
# (2 MB headers x 250 requests once held 490 MB), and each entry is charged what it
# keeps plus a fixed estimate of Python's per-object overhead.
HEADER_CAPTURE_BYTES = 4 * 1024
TRUNCATED_MARK = b"...(truncated)"
ENTRY_OVERHEAD_BYTES = 1024
HEADER_OVERHEAD_BYTES = 120
# Reading the journal or the docs must not push real requests out of the journal.
UNJOURNALED_PREFIXES = (
    "/__mock/journal",
    "/__mock/health",
    "/__mock/assets",
    "/__mock/inspector",
    "/__mock/businesses",
    "/__mock/metrics",
    "/docs",
    "/redoc",
    "/openapi.json",
    "/favicon",
)
NOTE_KEY = "dayzero.note"
OPERATION_KEY = "dayzero.operation"
# A request whose client went away before its answer: nginx's 499, with this note.
CLIENT_GONE_STATUS = 499
CLIENT_GONE_NOTE = "client_disconnected"
BODY_TIMEOUT_NOTE = "body_timeout"  # set by the server protocol when it gave up waiting
REQUEST_ID_HEADER = b"x-request-id"


class Capture:
    """The first ``BODY_CAPTURE_BYTES`` of a body as the chunks that carried them.

    A chunk that fits is kept by reference (no copy); only the chunk that crosses the
    cap is sliced, so a 10 MiB upload costs one 16 KiB copy and a small body none.
    """

    __slots__ = ("chunks", "size", "truncated")

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = 0
        self.truncated = False

    def add(self, chunk: bytes) -> None:
        if not chunk:
            return
        room = BODY_CAPTURE_BYTES - self.size
        if len(chunk) > room:
            self.truncated = True
            chunk = chunk[:room]
            if not chunk:
                return
        self.chunks.append(chunk)
        self.size += len(chunk)

    def data(self) -> bytes:
        return b"".join(self.chunks)


class Entry:
    """One journaled request and its response, kept raw until it is read."""

    __slots__ = (
        "at",
        "duration_ms",
        "id",
        "method",
        "note",
        "operation_id",
        "path",
        "query",
        "request_body",
        "request_headers",
        "response_body",
        "response_headers",
        "size",
        "status",
    )

    def __init__(self, entry_id: int, at: datetime, method: str, path: str, query: bytes) -> None:
        self.id = entry_id
        self.at = at
        self.method = method
        self.path = path
        self.query = query
        self.operation_id: str | None = None
        self.status = 0
        self.duration_ms = 0.0
        self.note: str | None = None
        self.request_headers: RawHeaders = []
        self.request_body = Capture()
        self.response_headers: RawHeaders = []
        self.response_body = Capture()
        self.size = 0

    def bound(self) -> int:
        """Cut oversized header values and query, and return the bytes charged for it."""
        self.request_headers = _capped(self.request_headers)
        self.response_headers = _capped(self.response_headers)
        if len(self.query) > HEADER_CAPTURE_BYTES:
            self.query = self.query[:HEADER_CAPTURE_BYTES] + TRUNCATED_MARK
        self.size = (ENTRY_OVERHEAD_BYTES + len(self.path) + len(self.query)
                     + self.request_body.size + self.response_body.size
                     + _headers_size(self.request_headers) + _headers_size(self.response_headers))
        return self.size

    @property
    def business_id(self) -> str | None:
        # The header as the journal view shows it: with duplicates, the last one.
        return _headers(self.request_headers).get("x-business-id")

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "method": self.method,
            "path": self.path,
            "query": redact.query(self.query.decode("latin-1")),
            "business_id": self.business_id,
            "operation_id": self.operation_id,
            "status": self.status,
            "duration_ms": round(self.duration_ms, 3),
            "note": self.note,
            "request": _body_view(self.request_headers, self.request_body),
            "response": _body_view(self.response_headers, self.response_body),
        }


def _capped(raw: RawHeaders) -> RawHeaders:
    """``raw`` itself when every value fits (the usual case: no copy), else a copy with
    the long values cut, so the journal does not keep the originals alive."""
    if all(len(value) <= HEADER_CAPTURE_BYTES for _, value in raw):
        return raw
    return [(key[:HEADER_CAPTURE_BYTES],
             value if len(value) <= HEADER_CAPTURE_BYTES
             else value[:HEADER_CAPTURE_BYTES] + TRUNCATED_MARK) for key, value in raw]


def _headers_size(raw: RawHeaders) -> int:
    return sum(len(key) + len(value) + HEADER_OVERHEAD_BYTES for key, value in raw)


def _headers(raw: RawHeaders) -> dict[str, str]:
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in raw}


def _body_view(raw_headers: RawHeaders, capture: Capture) -> dict[str, Any]:
    headers = _headers(raw_headers)
    view: dict[str, Any] = {"headers": redact.headers(headers), "truncated": capture.truncated}
    body = redact.body(capture.data())
    if not body:
        view["body"] = None
        return view
    if not capture.truncated and "json" in headers.get("content-type", ""):
        try:
            view["body"] = orjson.loads(body)
            return view
        except orjson.JSONDecodeError:
            pass
    view["body"] = body.decode("utf-8", errors="replace")
    return view


class Journal:
    """The last ``size`` requests, newest last, holding at most ``max_bytes`` in all.

    Each entry is charged its bytes when added (``Entry.bound``: header values and the
    query are cut to ``HEADER_CAPTURE_BYTES``, bodies already are); the oldest entries
    go until both bounds hold, though the newest entry is always kept.

    Only the event loop touches it (the recorder, and the admin API's async handlers),
    and no operation awaits, so it needs no lock.
    """

    def __init__(self, size: int, max_bytes: int = 8 * 1024 * 1024) -> None:
        self._entries: deque[Entry] = deque()
        self._max_entries = max(size, 1)
        self.max_bytes = max_bytes
        self.bytes = 0
        self._ids = itertools.count(1)
        self._last_id = 0

    def next_id(self) -> int:
        self._last_id = next(self._ids)
        return self._last_id

    @property
    def last_id(self) -> int:
        """The id of the latest request seen (journaled or not); 0 before the first."""
        return self._last_id

    def add(self, entry: Entry) -> None:
        self.bytes += entry.bound()
        self._entries.append(entry)
        entries = self._entries
        while len(entries) > 1 and (len(entries) > self._max_entries
                                    or self.bytes > self.max_bytes):
            self.bytes -= entries.popleft().size

    def clear(self) -> None:
        self._entries.clear()
        self.bytes = 0

    def figures(self) -> dict[str, int]:
        """Entries and bytes held against their bounds, for ``/__mock/health``."""
        return {"entries": len(self._entries), "max_entries": self._max_entries,
                "bytes": self.bytes, "max_bytes": self.max_bytes}

    def query(self, business_id: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Newest first, optionally only one business's requests."""
        entries = list(self._entries)
        selected = [
            e for e in reversed(entries) if business_id is None or e.business_id == business_id
        ]
        return [entry.as_dict() for entry in selected[: max(limit, 0)]]


class Recorder:
    """Pure ASGI: request id header, log line, journal entry, last-resort 500."""

    def __init__(
        self,
        app: ASGIApp,
        journal: Journal,
        log_requests: bool,
        clock: Callable[[], datetime],
        observe: Callable[[str | None, int, float], None] | None = None,
    ) -> None:
        self.app = app
        self.journal = journal
        self.log_requests = log_requests
        self.clock = clock
        # Operation id, status and seconds of every answered request (the metrics).
        self.observe = observe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path: str = scope["path"]
        record = not path.startswith(UNJOURNALED_PREFIXES)
        entry = Entry(
            self.journal.next_id(),
            self.clock(),
            scope["method"],
            path,
            scope.get("query_string", b""),
        )
        request_id = str(entry.id).encode()
        response_started = response_complete = client_gone = False
        request_body, response_body = entry.request_body, entry.response_body

        async def receive_recorded() -> Message:
            nonlocal client_gone
            message = await receive()
            kind = message["type"]
            if kind == "http.request":
                if record:
                    request_body.add(message.get("body", b""))
            elif kind == "http.disconnect" and not response_complete:
                client_gone = True
            return message

        async def send_recorded(message: Message) -> None:
            nonlocal response_started, response_complete
            kind = message["type"]
            if kind == "http.response.start":
                response_started = True
                entry.status = message["status"]
                # A copy: the sender may reuse its header list for another response.
                headers = [*message.get("headers", ()), (REQUEST_ID_HEADER, request_id)]
                message["headers"] = entry.response_headers = headers
            elif kind == "http.response.body":
                if record:
                    response_body.add(message.get("body", b""))
                if not message.get("more_body", False):
                    response_complete = True
            await send(message)

        try:
            await self.app(scope, receive_recorded, send_recorded)
        except ClientDisconnect:
            client_gone = True  # nothing to answer, nobody to answer to: no traceback
        except Exception:
            logger.exception("unhandled error in %s %s", entry.method, path)
            entry.status = 500
            if not response_started:
                await send_json_error(
                    send, 500, INTERNAL_ERROR_DETAIL, [(REQUEST_ID_HEADER, request_id)]
                )
        finally:
            entry.duration_ms = (time.perf_counter() - started) * 1000
            entry.note = scope.get(NOTE_KEY)
            if client_gone:  # whatever was sent after that reached nobody
                entry.response_headers, entry.response_body = [], Capture()
                entry.note = entry.note or CLIENT_GONE_NOTE
                entry.status = 408 if entry.note == BODY_TIMEOUT_NOTE else CLIENT_GONE_STATUS
            entry.operation_id = scope.get(OPERATION_KEY)
            if self.observe is not None:
                self.observe(entry.operation_id, entry.status, entry.duration_ms / 1000)
            if self.log_requests:
                status = entry.status or "---"
                note = f" ({entry.note})" if entry.note else ""
                logger.info(
                    "%s %s %s %.1fms%s", entry.method, path, status, entry.duration_ms, note
                )
            if record:
                entry.request_headers = scope.get("headers", [])
                self.journal.add(entry)
