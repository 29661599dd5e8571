"""Run a proxy inside this process, on a free loopback port, for as long as a ``with``
block lasts: for tests, for ``diff`` and for the benchmark, which need no subprocess."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator

import uvicorn

from dayzero_twin.contract_tests.proxy.app import ProxyState, build

START_SECONDS = 15.0


class _Server(uvicorn.Server):
    """No signal handlers: a thread cannot install them, and the caller stops us."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.contextmanager
def running_proxy(
    upstream: str, state: ProxyState | None = None
) -> Iterator[tuple[str, ProxyState]]:
    """``(base URL of the proxy, its state)``; the proxy stops when the block ends, after
    judging every exchange still queued (call ``state.settle()`` to read the judge
    inside the block)."""
    state = state or ProxyState()
    app, client = build(upstream, state)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(256)
    server = _Server(
        uvicorn.Config(
            app,
            log_level="warning",
            lifespan="off",
            server_header=False,
            date_header=False,
            # Each request in flight keeps up to keep_bytes of each body: this bounds them.
            limit_concurrency=state.config.max_connections,
        )
    )

    async def serve() -> None:
        # The upstream client is bound to this loop: it is closed here, not after it.
        try:
            await server.serve(sockets=[sock])
        finally:
            await client.aclose()

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    try:
        started = threading.Event()
        for _ in range(int(START_SECONDS * 20)):
            if server.started:
                started.set()
                break
            threading.Event().wait(0.05)
        if not started.is_set():
            raise RuntimeError("the proxy did not start")
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", state
    finally:
        server.should_exit = True
        thread.join(timeout=START_SECONDS)
        sock.close()
        state.close()
