"""The base URL a client addressed the mock by, as Starlette's ``Request.base_url`` has it.

Links in responses (``pdf_url``, presigned upload URLs, the docs' server) must point
back at the mock the way the client reached it. Starlette builds and parses a URL for
this on every request; the answer depends only on the scheme, the Host header, the
socket address and the root path, so it is computed once per combination and kept in a
bounded cache (the Host header is client-chosen).
"""

from __future__ import annotations

import functools

from starlette.datastructures import URL
from starlette.requests import Request
from starlette.types import Scope

MAX_BASE_URLS = 256


def scope_base_url(scope: Scope) -> str:
    """scheme://host[:port] as the client addressed the mock (Starlette falls back to the
    socket's address when the Host header is not a valid host)."""
    host = None
    for name, value in scope["headers"]:
        if name == b"host":
            host = value
            break
    server = scope.get("server")
    return _base_url(
        scope.get("scheme", "http"),
        host,
        tuple(server) if server else server,
        scope.get("app_root_path", scope.get("root_path", "")),
    )


def request_base_url(request: Request) -> str:
    """:func:`scope_base_url` of a Starlette request."""
    return scope_base_url(request.scope)


@functools.lru_cache(maxsize=MAX_BASE_URLS)
def _base_url(
    scheme: str, host: bytes | None, server: tuple[str, int | None] | None, root: str
) -> str:
    # What ``Request.base_url`` does, so both agree on every Host header.
    path = root if root.endswith("/") else root + "/"
    base_scope = {
        "type": "http",
        "scheme": scheme,
        "server": server,
        "path": path,
        "query_string": b"",
        "root_path": root,
        "headers": [] if host is None else [(b"host", host)],
    }
    return str(URL(scope=base_scope)).rstrip("/")
