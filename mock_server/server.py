"""The HTTP server the CLI runs: uvicorn, with the timeouts and limits nginx has.

uvicorn 0.54 closes an idle keep-alive connection, but nothing else: a client that
opens a socket and sends nothing, sends half its headers, or declares a body and stops
holds its connection — and its file descriptor — for ever, and about a thousand of them
lock every new client out. Of its HTTP/1.1 protocols only h11 bounds the request head
(``h11_max_incomplete_event_size``: a head still incomplete past that size is refused);
httptools keeps buffering. So the mock runs h11, with :class:`GuardedH11Protocol` on top:

- **header timeout** (nginx's ``client_header_timeout``): a connection must deliver a
  complete request head within this many seconds of its first byte — or, for a new
  connection, of being opened. Past it the connection is closed, after a 408 when some of
  a head had arrived.
- **body timeout** (``client_body_timeout``): at most this long between two reads of a
  body the client declared. Past it: a 408 if no answer has started, then closed; the
  request is journaled as ``body_timeout``.
- **head size** (``large_client_header_buffers`` 4 × 8k): a head longer than the limit
  is a 431, whether it arrives in pieces (h11 stops buffering at the limit) or at once.

Tests and the CLI build the server from :func:`server_options`, so both run the same
protocol.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import h11
import orjson
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from dayzero_twin.mock_server.asgi.journal import BODY_TIMEOUT_NOTE, NOTE_KEY
from dayzero_twin.mock_server.config import MockConfig

logger = logging.getLogger("dayzero.mock")


@dataclass(frozen=True)
class ConnectionLimits:
    """The per-connection limits of :class:`GuardedH11Protocol` (picklable for --reload)."""

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
    """A whole HTTP/1.1 error answer that closes the connection, written as bytes: h11
    refuses to send a response before it has parsed a request."""
    body = orjson.dumps({"detail": detail})
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body


class _HintedConnection(h11.Connection):
    """``h11.Connection`` that remembers the status h11 suggests for the last bad input
    (431 for a head over the size limit), which uvicorn turns into a plain 400."""

    error_status_hint = 400

    def next_event(self) -> Any:
        try:
            return super().next_event()
        except h11.RemoteProtocolError as error:
            self.error_status_hint = error.error_status_hint
            raise


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with header and body read timeouts and a head size limit."""

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
        self.conn = _HintedConnection(h11.SERVER, max_incomplete_event_size=limits.max_header_bytes)
        self.read_timer: asyncio.TimerHandle | None = None
        self.head_started = False  # some bytes of a request head arrived
        # h11 only bounds a head still incomplete; one that arrived whole is checked here.
        self.app = functools.partial(_bounded_app, self.app, limits.max_header_bytes)

    # --------------------------------------------------------------- asyncio hooks

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._watch(progress=False)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:
            self.head_started = True
        super().data_received(data)
        self._watch(progress=True)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch(progress=False)

    def send_400_response(self, msg: str) -> None:
        status = getattr(self.conn, "error_status_hint", 400)
        if status == 431:
            self._refuse_head(431)
            return
        super().send_400_response(msg)

    # --------------------------------------------------------------- the timers

    def _watch(self, *, progress: bool) -> None:
        """(Re)arm or stop the read timer for the connection's state after an event."""
        if self.transport is None or self.transport.is_closing():
            self._stop_timer()
            return
        their_state = self.conn.their_state
        if their_state is not h11.IDLE:
            self.head_started = False
        if their_state is h11.IDLE and self.conn.our_state is h11.IDLE:
            # Waiting for a head. Between requests uvicorn's keep-alive timer watches.
            if self.timeout_keep_alive_task is not None:
                self._stop_timer()
            elif self.read_timer is None:  # a deadline from the first byte, not per read
                self._start_timer(self.limits.header_timeout, self._header_timed_out)
        elif their_state is h11.SEND_BODY:
            if progress or self.read_timer is None:
                self._start_timer(self.limits.body_timeout, self._body_timed_out)
        else:
            self._stop_timer()  # the app has the whole request, or the answer is out

    def _start_timer(self, seconds: float, callback: Any) -> None:
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
        if self.head_started:
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
        if self.transport.is_closing():
            return
        if self.flow.read_paused:
            # The app, not the client, is behind: wait for it.
            self._start_timer(self.limits.body_timeout, self._body_timed_out)
            return
        cycle = self.cycle
        seconds = self.limits.body_timeout
        if cycle is not None and not cycle.response_complete:
            cycle.scope[NOTE_KEY] = BODY_TIMEOUT_NOTE  # type: ignore[literal-required]
            if not cycle.response_started and self.conn.our_state is h11.SEND_RESPONSE:
                self._send_error(408, f"No request body data for {seconds:g} s")
            cycle.disconnected = True
            cycle.message_event.set()  # the app's next receive() is a disconnect
        self.transport.close()

    # --------------------------------------------------------------- answers

    def _refuse_head(self, status: int) -> None:
        detail = _head_too_large(self.limits.max_header_bytes)
        try:
            self._send_error(status, detail)
        except h11.LocalProtocolError:
            self.transport.write(_raw_response(status, "Request Header Fields Too Large", detail))
        self.transport.close()

    def _send_error(self, status: int, detail: str) -> None:
        body = orjson.dumps({"detail": detail})
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        for event in (
            h11.Response(status_code=status, headers=headers, reason=HTTPStatus(status).phrase),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event) or b"")



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
    body = orjson.dumps({"detail": _head_too_large(limit)})
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 431, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _peer(client: tuple[str, int] | None) -> str:
    return f"{client[0]}:{client[1]}" if client else "a client"


def server_options(config: MockConfig) -> dict[str, Any]:
    """``uvicorn.Config`` / ``uvicorn.run`` keyword arguments for the guarded protocol."""
    limits = ConnectionLimits.from_config(config)
    return {
        "http": functools.partial(GuardedH11Protocol, limits=limits),
        "h11_max_incomplete_event_size": limits.max_header_bytes,
    }
