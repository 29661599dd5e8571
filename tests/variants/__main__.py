"""``python -m tests.variants``: serve the faithful mock and every variant from one process.

The same dispatcher as the mutants' (``/m/<name>``, ``READY <port>``), over
:data:`tests.variants.catalogue.VARIANTS` instead of the mutants.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

import uvicorn

from tests.mutants.__main__ import FAITHFUL, Dispatcher, build
from tests.variants.catalogue import VARIANTS


def build_variant(name: str) -> Any:
    app = build(FAITHFUL)
    if name == FAITHFUL:
        return app
    return next(variant for variant in VARIANTS if variant.name == name).rewriter(app)


class VariantDispatcher(Dispatcher):
    def __init__(self, names: list[str]) -> None:
        self.apps = {name: build_variant(name) for name in names}


def main() -> int:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(256)
    app = VariantDispatcher([FAITHFUL, *(variant.name for variant in VARIANTS)])
    # No Date header of uvicorn's: a variant whose clock differs (clock-20-min-ahead)
    # sends its own, and a second one would make the server's time ambiguous.
    config = uvicorn.Config(app, log_level="warning", lifespan="on", date_header=False)
    server = uvicorn.Server(config)
    print(f"READY {sock.getsockname()[1]}", flush=True)
    server.run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
