"""``python -m tests.mutants``: serve the faithful mock and every mutant from one process.

Each lives under its own path prefix, ``/m/<name>`` (``/m/faithful`` for the unchanged
mock), on one free loopback port printed as ``READY <port>``. The prefix travels as the
ASGI ``root_path``, so URLs the mock builds (presigned uploads) point back under it. One
process instead of one per mutant: the mock's import alone costs seconds.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

import uvicorn

from dayzero_twin.mock_server.app import create_app
from dayzero_twin.mock_server.config import MockConfig
from tests.mutants.catalogue import MUTANTS
from tests.mutants.catalogue_workers import WORKER_MUTANTS

FAITHFUL = "faithful"
PREFIX = "/m/"
PRESIGN_TTL_SECONDS = 5  # short, so the suite can watch an upload URL expire


def build(name: str) -> Any:
    app = create_app(MockConfig(log_requests=False, presign_ttl_seconds=PRESIGN_TTL_SECONDS))
    if name == FAITHFUL:
        return app
    return next(m for m in (*MUTANTS, *WORKER_MUTANTS) if m.name == name).rewriter(app)


class Dispatcher:
    """Routes ``/m/<name>/...`` to the app of ``name`` with the prefix as ``root_path``."""

    def __init__(self, names: list[str]) -> None:
        self.apps = {name: build(name) for name in names}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            # The mock apps open their services on creation; nothing to start or stop here.
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        name, _, rest = scope["path"].removeprefix(PREFIX).partition("/")
        app = self.apps.get(name) if scope["path"].startswith(PREFIX) else None
        if app is None:
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b"no such mutant"})
            return
        root = scope.get("root_path", "") + PREFIX + name
        await app(
            {**scope, "root_path": root, "path": "/" + rest, "raw_path": ("/" + rest).encode()},
            receive,
            send,
        )


def main() -> int:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(256)
    app = Dispatcher([FAITHFUL, *(mutant.name for mutant in (*MUTANTS, *WORKER_MUTANTS))])
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    print(f"READY {sock.getsockname()[1]}", flush=True)
    server.run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
