"""The HTTP server the CLI runs: uvicorn, with the timeouts and limits nginx has.

uvicorn 0.54 closes an idle keep-alive connection, but nothing else: a client that
opens a socket and sends nothing, sends half its headers, or declares a body and stops
holds its connection — and its file descriptor — for ever, and about a thousand of them
lock every new client out; and its httptools protocol buffers a request head of any size.
The mock runs uvicorn's httptools protocol — 1.3 to 1.45 times the requests per second of
its h11 one on the bulk endpoints (``python -m bench --only throughput``), h11's parser
being pure Python — with :class:`GuardedHttpToolsProtocol` on top:

- **header timeout** (nginx's ``client_header_timeout``): a connection must deliver a
  complete request head within this many seconds of its first byte — or, for a new
  connection, of being opened. Past it the connection is closed, after a 408 when some of
  a head had arrived.
- **body timeout** (``client_body_timeout``): at most this long between two reads of a
  body the client declared. Past it: a 408 if no answer has started, then closed; the
  request is journaled as ``body_timeout``.
- **head size** (``large_client_header_buffers`` 4 × 8k): a head longer than the limit
  is a 431, whether it arrives in pieces or at once. httptools has no such limit, so the
  protocol counts the bytes of an incomplete head as they arrive, before the parser sees
  them; a head that began in the middle of a read (after a pipelined request) is checked
  once parsed, by :func:`_bounded_app`.

Tests and the CLI build the server from :func:`server_options`, so both run the same
protocol.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from dayzero_twin.mock_server.asgi.journal import BODY_TIMEOUT_NOTE, NOTE_KEY
from dayzero_twin.mock_server.asgi.json_error import send_json_error
from dayzero_twin.mock_server.config import MockConfig

logger = logging.getLogger("dayzero.mock")


@dataclass(frozen=True)
class ConnectionLimits:
    """The per-connection limits of :class:`GuardedHttpToolsProtocol` (picklable for --reload)."""

    header_timeout: float
    body_timeout: float
    max_header_bytes: int

    @classmethod
    def from_config(cls, config: MockConfig) -> ConnectionLimits:
        return cls(
            header_timeout=config.header_timeout_seconds,
            body_timeout=config.body_timeout_seconds,
            max_header_bytes=config.max_header_bytes,
        )


def _raw_response(status: int, reason: str, detail: str) -> bytes:
    """A whole HTTP/1.1 error answer that closes the connection, written as bytes."""
    body = orjson.dumps({"detail": detail})
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with header and body read timeouts and a head size limit.

    A connection is either waiting for a request head (``head_bytes`` of it have arrived)
    or, between a head and the end of its message, receiving a body (``in_body``).
    """

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        limits: ConnectionLimits,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.limits = limits
        self.read_timer: asyncio.TimerHandle | None = None
        self.head_bytes = 0  # bytes of the current, incomplete request head
        self.in_body = False  # a head is complete, its message is not
        self.last_read = 0.0  # loop time of the last read of a body
        # Heads are counted from the read they begin in; one that began after a pipelined
        # request in the same read is checked once parsed.
        self.app = functools.partial(_bounded_app, self.app, limits.max_header_bytes)

    # --------------------------------------------------------------- asyncio hooks

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_timer(self.limits.header_timeout, self._header_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if not self.in_body:
            self.head_bytes += len(data)
            if self.head_bytes > self.limits.max_header_bytes:
                rest = self._feed_head_within_limit(data)
                if rest is None:
                    return
                data = rest
        super().data_received(data)
        if self.in_body or self.head_bytes:  # a body or a head is still on its way
            self._watch()

    # --------------------------------------------------------------- parser callbacks

    def on_headers_complete(self) -> None:
        self._stop_timer()
        self.head_bytes = 0
        self.in_body = True
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self.in_body = False
        self._stop_timer()
        super().on_message_complete()

    def handle_websocket_upgrade(self) -> None:
        self._stop_timer()
        self.in_body = False
        super().handle_websocket_upgrade()

    # --------------------------------------------------------------- the timers

    def _watch(self) -> None:
        """Arm the read timer after a read that left a head or a body incomplete."""
        if self.transport.is_closing():
            self._stop_timer()
        elif self.in_body:
            self.last_read = self.loop.time()
            if self.read_timer is None:
                self._start_timer(self.limits.body_timeout, self._body_timed_out)
        elif self.read_timer is None and (self.cycle is None or self.cycle.response_complete):
            # The first bytes of a new head on a kept-alive connection: a deadline from
            # them, not per read. While the previous request is still answered, none.
            self._start_timer(self.limits.header_timeout, self._header_timed_out)

    def _start_timer(self, seconds: float, callback: Callable[[], None]) -> None:
        self._stop_timer()
        self.read_timer = self.loop.call_later(seconds, callback)

    def _stop_timer(self) -> None:
        if self.read_timer is not None:
            self.read_timer.cancel()
            self.read_timer = None

    def _header_timed_out(self) -> None:
        self.read_timer = None
        if self.transport.is_closing():
            return
        seconds = self.limits.header_timeout
        if self.head_bytes:
            detail = f"The request head did not arrive within {seconds:g} s"
            self.transport.write(_raw_response(408, "Request Timeout", detail))
        logger.info(
            "closed a connection from %s: no complete request head within %g s",
            _peer(self.client),
            seconds,
        )
        self.transport.close()

    def _body_timed_out(self) -> None:
        self.read_timer = None
        if self.transport.is_closing() or not self.in_body:
            return
        seconds = self.limits.body_timeout
        now = self.loop.time()
        if self.flow.read_paused:
            self.last_read = now  # the app, not the client, is behind: wait for it
        idle = now - self.last_read
        if idle < seconds:  # a read came since the timer was armed
            self._start_timer(seconds - idle, self._body_timed_out)
            return
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            cycle.scope[NOTE_KEY] = BODY_TIMEOUT_NOTE  # type: ignore[literal-required]
            if not cycle.response_started:
                detail = f"No request body data for {seconds:g} s"
                self.transport.write(_raw_response(408, "Request Timeout", detail))
            cycle.disconnected = True
            cycle.message_event.set()  # the app's next receive() is a disconnect
        self.transport.close()

    # --------------------------------------------------------------- head size

    def _feed_head_within_limit(self, data: bytes) -> bytes | None:
        """Feed the parser the bytes of ``data`` the head may still take. If the head
        ended within them, return the rest to feed; else answer 431, close, return None."""
        room = len(data) - (self.head_bytes - self.limits.max_header_bytes)
        super().data_received(data[:room])
        if self.transport.is_closing():
            return None
        if self.head_bytes:  # on_headers_complete did not reset it: the head goes on
            detail = _head_too_large(self.limits.max_header_bytes)
            self.transport.write(_raw_response(431, "Request Header Fields Too Large", detail))
            self.transport.close()
            return None
        return data[room:]


def _head_too_large(limit: int) -> str:
    return f"Request head larger than {limit} bytes (--max-header-bytes)"


def head_size(scope: Scope) -> int:
    """The size of the request head as sent, give or take optional whitespace."""
    size = len(scope["raw_path"]) + len(scope["query_string"]) + len(scope["method"]) + 12
    return size + sum(len(name) + len(value) + 4 for name, value in scope["headers"])


async def _bounded_app(
    app: ASGIApp, limit: int, scope: Scope, receive: Receive, send: Send
) -> None:
    """``app``, unless the request head is over ``limit``: then a 431 that closes."""
    if scope["type"] != "http" or head_size(scope) <= limit:
        await app(scope, receive, send)
        return
    await send_json_error(send, 431, _head_too_large(limit), [(b"connection", b"close")])


def _peer(client: tuple[str, int] | None) -> str:
    return f"{client[0]}:{client[1]}" if client else "a client"


def server_options(config: MockConfig) -> dict[str, Any]:
    """``uvicorn.Config`` / ``uvicorn.run`` keyword arguments for the guarded protocol."""
    limits = ConnectionLimits.from_config(config)
    return {"http": functools.partial(GuardedHttpToolsProtocol, limits=limits)}
