"""What a frontend developer can ask of the mock besides the contract: slowness and failure.

Three sources, in this order of precedence per field: the request's own ``Prefer``
header (Prism's ``code=`` plus ``delay=`` and WireMock's fault names), a scenario armed
through ``POST /__mock/scenarios`` for the next N requests of one operation (for clients
that cannot set headers), and the global ``--latency``.

Network faults need the TCP connection itself, which ASGI does not expose. Under uvicorn
the ``send`` callable the server hands to the app belongs to its request/response cycle,
which holds the connection's transport; :func:`attach_transport` (called by the app's
outermost layer) files it under ``scope["extensions"]`` so a fault can reset, close or
corrupt the connection for real.
"""

from __future__ import annotations

import asyncio
import functools
import random
import socket
import struct
import threading
from collections.abc import Hashable, Iterable
from dataclasses import asdict, dataclass
from typing import Any, cast

from starlette.types import Receive, Scope, Send

FAULTS = ("connection_reset", "empty_response", "malformed_chunk", "random_data_then_close")
MAX_DELAY_MS = 60_000
TRANSPORT_KEY = "dayzero.transport"
TRANSPORT_METHODS = ("write", "close", "abort", "get_extra_info")
MIN_CODE, MAX_CODE = 200, 599


class ScenarioError(ValueError):
    """An impossible scenario (unknown fault, code out of range, negative count)."""


class ScenarioBookFull(Exception):
    """A possible scenario that finds the book full (``MockConfig.max_armed_scenarios``)."""


@dataclass(frozen=True)
class Preferences:
    """What the request asked for; ``applied`` feeds the ``Preference-Applied`` header."""

    code: int | None = None
    delay_ms: int | None = None
    fault: str | None = None

    @property
    def applied(self) -> str:
        parts = []
        if self.code is not None:
            parts.append(f"code={self.code}")
        if self.delay_ms is not None:
            parts.append(f"delay={self.delay_ms}")
        if self.fault is not None:
            parts.append(f"fault={self.fault}")
        return ", ".join(parts)

    def over(self, other: Preferences | None) -> Preferences:
        """These preferences, each unset field taken from ``other``."""
        if other is None:
            return self
        return Preferences(
            code=self.code if self.code is not None else other.code,
            delay_ms=self.delay_ms if self.delay_ms is not None else other.delay_ms,
            fault=self.fault if self.fault is not None else other.fault,
        )


NO_PREFERENCES = Preferences()


def parse_prefer(headers: Iterable[str]) -> Preferences:
    """Read ``Prefer`` headers (RFC 7240: comma-separated, ``;`` parameters tolerated).

    Values the mock cannot honour are ignored rather than refused, like any unsupported
    preference; the ``Preference-Applied`` response header shows what was used.
    """
    code = delay = fault = None
    for header in headers:
        for token in header.replace(";", ",").split(","):
            key, _, value = token.strip().partition("=")
            key, value = key.strip().lower(), value.strip().strip('"')
            if key == "code" and value.isdigit() and MIN_CODE <= int(value) <= MAX_CODE:
                code = int(value)
            elif key == "delay" and value.isdigit():
                delay = min(int(value), MAX_DELAY_MS)
            elif key == "fault" and value in FAULTS:
                fault = value
    return Preferences(code=code, delay_ms=delay, fault=fault)


# --------------------------------------------------------------------------- armed


@dataclass
class Scenario:
    """Behaviour armed for the next ``remaining`` requests of one operation."""

    operation_id: str
    remaining: int
    code: int | None = None
    fault: str | None = None
    delay_ms: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def preferences(self) -> Preferences:
        return Preferences(code=self.code, delay_ms=self.delay_ms, fault=self.fault)


def check_scenario(scenario: Scenario) -> None:
    if scenario.remaining < 1:
        raise ScenarioError("count must be at least 1")
    if scenario.fault is not None and scenario.fault not in FAULTS:
        raise ScenarioError(f"fault must be one of {', '.join(FAULTS)}")
    if scenario.code is not None and not MIN_CODE <= scenario.code <= MAX_CODE:
        raise ScenarioError(f"code must be between {MIN_CODE} and {MAX_CODE}")
    if scenario.delay_ms is not None and not 0 <= scenario.delay_ms <= MAX_DELAY_MS:
        raise ScenarioError(f"delay_ms must be between 0 and {MAX_DELAY_MS}")
    if scenario.code is None and scenario.fault is None and scenario.delay_ms is None:
        raise ScenarioError("give at least one of code, fault, delay_ms")


class ScenarioBook:
    """Armed scenarios, consumed first-armed-first per operation.

    Every request of the API scans the book (:meth:`take`), so it holds at most
    ``max_armed`` scenarios: a client arming in a loop cannot slow every request down
    nor grow the mock's memory without end.
    """

    def __init__(self, max_armed: int) -> None:
        self._lock = threading.Lock()
        self._armed: list[Scenario] = []
        self.max_armed = max_armed

    def arm(self, scenario: Scenario) -> None:
        """Arm ``scenario``: ``ScenarioError`` if impossible, ``ScenarioBookFull`` if full."""
        check_scenario(scenario)
        with self._lock:
            if len(self._armed) >= self.max_armed:
                raise ScenarioBookFull(
                    f"{len(self._armed)} scenarios are armed, as many as this mock holds: "
                    "clear them with DELETE /__mock/scenarios, or use them up, then arm again"
                )
            self._armed.append(scenario)

    def take(self, operation_id: str) -> Preferences | None:
        """The preferences armed for this operation, counting one use; None if none."""
        if not self._armed:  # the common case costs no lock
            return None
        with self._lock:
            for scenario in self._armed:
                if scenario.operation_id == operation_id:
                    scenario.remaining -= 1
                    if scenario.remaining <= 0:
                        self._armed.remove(scenario)
                    return scenario.preferences
        return None

    def listing(self) -> list[dict[str, Any]]:
        with self._lock:
            return [scenario.as_dict() for scenario in self._armed]

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()


# --------------------------------------------------------------------------- latency


def parse_latency(text: str | None) -> tuple[int, int]:
    """``"250"`` → (250, 250); ``"100-400"`` → (100, 400); empty → no latency."""
    if not text:
        return (0, 0)
    low, sep, high = text.strip().partition("-")
    try:
        bounds = (int(low), int(high) if sep else int(low))
    except ValueError as error:
        raise ValueError(f"latency must be MS or MIN-MAX in milliseconds, not {text!r}") from error
    if bounds[0] < 0 or bounds[1] < bounds[0] or bounds[1] > MAX_DELAY_MS:
        raise ValueError(f"latency must be 0 ≤ MIN ≤ MAX ≤ {MAX_DELAY_MS}, not {text!r}")
    return bounds


def sample_latency(bounds: tuple[int, int], rng: random.Random) -> int:
    low, high = bounds
    return low if low == high else rng.randint(low, high)


# --------------------------------------------------------------------------- faults


# A server has one or two transport types; a few more slots cost nothing.
MAX_TRANSPORT_TYPES = 16


@functools.lru_cache(maxsize=MAX_TRANSPORT_TYPES)
def _is_faultable(kind: Hashable) -> bool:
    """Whether a transport type has every method a fault needs, decided once per type,
    since this runs on every request. Duck-typed: uvloop's transports do not derive
    from asyncio.Transport."""
    return all(callable(getattr(kind, name, None)) for name in TRANSPORT_METHODS)


def attach_transport(scope: Scope, send: Send) -> None:
    """Remember the connection's transport, if the server is uvicorn (see module doc)."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    # Classes are hashable; mypy's Hashable protocol does not see it for ``type`` values.
    if _is_faultable(cast(Hashable, type(transport))):
        scope.setdefault("extensions", {})[TRANSPORT_KEY] = transport


def can_fault(scope: Scope) -> bool:
    return TRANSPORT_KEY in (scope.get("extensions") or {})


async def inject_fault(fault: str, scope: Scope, receive: Receive, rng: random.Random) -> None:
    """Break the connection the way ``fault`` names; the app sends nothing afterwards."""
    transport: asyncio.Transport = scope["extensions"][TRANSPORT_KEY]
    if fault != "connection_reset":
        await _await_request_body(receive)
    if fault == "connection_reset":
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # Linger 0 turns close() into a TCP RST instead of an orderly FIN.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    elif fault == "empty_response":
        transport.close()
    elif fault == "malformed_chunk":
        transport.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            b"transfer-encoding: chunked\r\n\r\n"
            b"400\r\n{\"items\": [{\"id\": \"4f0c"
        )
        transport.close()
    else:
        garbage = bytes(rng.getrandbits(8) for _ in range(256))
        transport.write(b"\x00" + garbage)  # never "HTTP/…", so no client mistakes it
        transport.close()
    await _await_disconnect(receive)


async def _await_request_body(receive: Receive) -> None:
    """Let the whole request arrive before closing, so that the close is a clean FIN.

    A body segment that reaches a closed socket makes the kernel answer with a reset, and
    the client then reports "connection reset" instead of the fault it asked for.
    """
    try:
        async with asyncio.timeout(2):
            while True:
                message = await receive()
                if message["type"] != "http.request" or not message.get("more_body", False):
                    return
    except TimeoutError:
        pass


async def _await_disconnect(receive: Receive) -> None:
    """Let the server notice the connection is gone, so it does not answer 500 for us."""
    try:
        async with asyncio.timeout(2):
            while (await receive())["type"] != "http.disconnect":
                pass
    except TimeoutError:
        pass
