"""A bounded asyncio HTTP/1.1 load client, for machines without wrk.

It speaks just enough HTTP for the benchmark: one fixed POST on keep-alive
connections, responses framed by ``Content-Length`` (both servers send it for JSON).
It shares the CPU with the server under test and is slower than wrk, so its figures
are a floor, and the report says which tool produced them.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bench.loadresult import LoadRequest, LoadResult
from bench.stats import latency_percentiles

# A hard cap on requests per connection, so the loop is bounded even if the clock stalls.
MAX_REQUESTS_PER_CONNECTION = 2_000_000
MAX_RECONNECTS_PER_CONNECTION = 1_000
IO_TIMEOUT_S = 10.0


class ProtocolError(Exception):
    """A response this minimal client cannot frame."""


@dataclass
class _Tally:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    socket_errors: int = 0


def build_request(request: LoadRequest, body: bytes | None = None) -> bytes:
    """The raw bytes of the request, with ``body`` (default: ``request.body``)."""
    body = request.body if body is None else body
    parts = urlsplit(request.url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    lines = [f"POST {target} HTTP/1.1", f"Host: {parts.netloc}"]
    lines += [f"{name}: {value}" for name, value in request.headers.items()]
    lines += [f"Content-Length: {len(body)}", "Connection: keep-alive", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


def parse_head(head: bytes) -> tuple[int, int]:
    """Status code and body length from a response head (status line plus headers)."""
    lines = head.decode("latin-1").split("\r\n")
    status_parts = lines[0].split(" ", 2)
    if len(status_parts) < 2 or not status_parts[0].startswith("HTTP/"):
        raise ProtocolError(f"bad status line {lines[0]!r}")
    status = int(status_parts[1])
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            return status, int(value.strip())
        if name.strip().lower() == "transfer-encoding":
            raise ProtocolError("chunked responses are not supported by the fallback client")
    raise ProtocolError("response without Content-Length")


async def _connection(host: str, port: int, raws: list[bytes], first: int, deadline: float,
                      tally: _Tally) -> None:
    reconnects = 0
    sent = 0
    while time.perf_counter() < deadline and reconnects < MAX_RECONNECTS_PER_CONNECTION:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(host, port), IO_TIMEOUT_S
            )
        except (OSError, TimeoutError):
            tally.socket_errors += 1
            reconnects += 1
            await asyncio.sleep(0.01)
            continue
        try:
            while time.perf_counter() < deadline and sent < MAX_REQUESTS_PER_CONNECTION:
                started = time.perf_counter()
                writer.write(raws[(first + sent) % len(raws)])
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), IO_TIMEOUT_S)
                status, length = parse_head(head[:-4])
                await asyncio.wait_for(reader.readexactly(length), IO_TIMEOUT_S)
                tally.latencies_ms.append((time.perf_counter() - started) * 1000.0)
                tally.statuses[status] = tally.statuses.get(status, 0) + 1
                sent += 1
            return
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ProtocolError, ValueError):
            tally.socket_errors += 1
            reconnects += 1
        finally:
            writer.close()


async def _drive(request: LoadRequest) -> tuple[_Tally, float]:
    parts = urlsplit(request.url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    raws = [build_request(request, body) for body in request.bodies]
    tally = _Tally()
    started = time.perf_counter()
    deadline = started + request.duration_s
    await asyncio.gather(
        *(_connection(host, port, raws, index, deadline, tally)
          for index in range(request.connections))
    )
    return tally, time.perf_counter() - started


def run_python_load(request: LoadRequest) -> LoadResult:
    """Run the asyncio client for ``request.duration_s`` seconds."""
    tally, elapsed = asyncio.run(_drive(request))
    latency = latency_percentiles(tally.latencies_ms) if tally.latencies_ms else {}
    return LoadResult(
        tool="python",
        requests=len(tally.latencies_ms),
        duration_s=elapsed,
        latency_ms=latency,
        statuses=dict(tally.statuses),
        socket_errors=tally.socket_errors,
    )
