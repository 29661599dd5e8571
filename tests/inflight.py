"""``python -m tests.inflight``: the faithful mock, counting the requests in flight.

Every HTTP request waits :data:`DELAY_SECONDS` before the mock sees it, so requests sent
at about the same time overlap for certain; the most that were ever in flight at once
is served at ``GET /_inflight`` (not counted itself; ``DELETE /_inflight`` starts a new
count). One free loopback port, printed as
``READY <port>`` like ``python -m tests.mutants``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from typing import Any

import uvicorn

from dayzero_twin.mock_server.app import create_app
from dayzero_twin.mock_server.config import MockConfig

DELAY_SECONDS = 0.05
COUNTER_PATH = "/_inflight"


class InFlight:
    """Counts the HTTP requests under way, from the first byte to the last of the answer."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.now = 0
        self.most = 0
        self.total = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == COUNTER_PATH and scope["method"] == "DELETE":
            # A new count from now on: one server for several suite runs, each counted.
            self.most = self.now
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        if scope["path"] == COUNTER_PATH:
            body = json.dumps({"most": self.most, "total": self.total}).encode()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": body})
            return
        self.now += 1
        self.total += 1
        self.most = max(self.most, self.now)
        try:
            await asyncio.sleep(DELAY_SECONDS)
            await self.app(scope, receive, send)
        finally:
            self.now -= 1


def main() -> int:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(256)
    app = InFlight(create_app(MockConfig(log_requests=False)))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    print(f"READY {sock.getsockname()[1]}", flush=True)
    server.run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
