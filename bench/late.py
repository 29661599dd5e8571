"""``python -m bench.late --port N --latency-ms 150``: the mock, every answer late.

A typical staging API answers each request some 150 ms later than a server on
loopback, and that wait, paid once per request, is what a contract-suite run against it
costs. The mock's own ``--latency`` delays the contract's operations only, not the PUT
to a presigned upload URL nor a refusal before routing, so the suite benchmark puts the
delay in front of everything instead: one ASGI wrapper, before the first byte of every
HTTP request is read. Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

import uvicorn

from dayzero_twin.mock_server.app import create_app
from dayzero_twin.mock_server.config import MockConfig
from dayzero_twin.mock_server.server import server_options

HOST = "127.0.0.1"


class Late:
    """An ASGI app that answers every HTTP request ``seconds`` later than ``app`` would."""

    def __init__(self, app: Any, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await asyncio.sleep(self.seconds)
        await self.app(scope, receive, send)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.late", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency-ms", type=int, default=150)
    args = parser.parse_args(argv)
    config = MockConfig(host=HOST, port=args.port, log_requests=False)
    app = Late(create_app(config), args.latency_ms / 1000)
    uvicorn.run(
        app,
        host=HOST,
        port=args.port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=3,
        **server_options(config),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
