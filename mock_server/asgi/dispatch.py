"""Operation requests straight to their endpoint, everything else to the FastAPI app.

For a small import FastAPI's stack (error and exception middleware, an exit stack, a
router that tries every route in turn) cost more than the mock's own work. An operation
is found here with one dict lookup (literal paths) or a few compiled regexes (templated
paths, per method, in route order) and called directly. Whatever the table does not
take — docs, admin, 404s, 405s, HEAD, a mounted root path — goes to the FastAPI app,
whose router still holds every operation, so it is answered exactly as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from dayzero_twin.mock_server.asgi.json_error import INTERNAL_ERROR_DETAIL, send_json_error
from dayzero_twin.mock_server.asgi.paths import compile_template

# Paths the FastAPI app serves itself; an operation template must never capture them.
RESERVED_PREFIXES = ("/__mock", "/docs", "/redoc", "/openapi.json")
RESPONSE_STARTED_KEY = "dayzero.response_started"


@dataclass(frozen=True)
class Target:
    """One operation's route: method, path template and ASGI endpoint."""

    method: str
    path: str
    endpoint: ASGIApp


class Dispatcher:
    """Pure ASGI; see the module docstring.

    ``targets`` must come in route order (literal segments before templates at the same
    depth), the order the FastAPI router holds them in: the first template that matches
    wins, as the first route that fully matches wins there.
    """

    def __init__(self, targets: Iterable[Target], fallback: ASGIApp) -> None:
        self.fallback = fallback
        self.literal: dict[tuple[str, str], ASGIApp] = {}
        self.templated: dict[str, list[tuple[re.Pattern[str], tuple[str, ...], ASGIApp]]] = {}
        for target in targets:
            template = compile_template(target.path)
            if template.is_literal:
                self.literal.setdefault((target.method, target.path), target.endpoint)
                continue
            routes = self.templated.setdefault(target.method, [])
            routes.append((template.regex, template.names, target.endpoint))

    def match(self, method: str, path: str) -> tuple[ASGIApp, dict[str, str]] | None:
        """The endpoint and path parameters (by their safe names) of a request, if any."""
        if path.startswith(RESERVED_PREFIXES):
            return None
        endpoint = self.literal.get((method, path))
        if endpoint is not None:
            return endpoint, {}
        for regex, names, templated in self.templated.get(method, ()):
            found = regex.fullmatch(path)
            if found is not None:
                return templated, dict(zip(names, found.groups(), strict=True))
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = None
        if scope["type"] == "http" and not scope.get("root_path"):
            found = self.match(scope["method"], scope["path"])
        if found is None:
            await self.fallback(scope, receive, send)
            return
        endpoint, scope["path_params"] = found
        try:
            await endpoint(scope, receive, send)
        except Exception:
            # What FastAPI's ServerErrorMiddleware does with the app's 500 handler: answer
            # (through CORS, outside this layer) unless the answer has begun, then re-raise
            # so that the recorder logs the error.
            if not scope.get(RESPONSE_STARTED_KEY):
                await send_json_error(send, 500, INTERNAL_ERROR_DETAIL)
            raise
