"""Presigned uploads routed through the proxy (``--route-uploads``).

A presigned ``PUT`` goes to the ``upload_url`` the implementation hands out, so a proxy
in front of the API never sees it. On request, the proxy rewrites the ``upload_url`` of
each presign answer (``POST /api/v1/upload`` 200) to an address of its own,
``/__proxy/upload/<route><original path>?<original query>``, and forwards what arrives
there to the original origin, unchanged. This is the one answer the proxy alters, and
only when asked.

The original path and query stay in the rewritten URL because they are what a client
edits (the suite's tampering checks change a query value, drop one, or change the last
path segment): the edit must reach the implementation, which must refuse it with 403.
The route fixes the rest: the scheme, host and port, and the directory of the path, of
a URL an upstream presign answer gave out. Anything else is refused by the proxy with
404, so it is no open relay. Routes are kept in a bounded LRU (``max_upload_routes``); a
forgotten route is refused like an unknown one.
"""

from __future__ import annotations

import json
import secrets
import threading
import urllib.parse
from dataclasses import dataclass
from datetime import datetime

from dayzero_twin.contract_tests.proxy.exchange import PRESIGN
from dayzero_twin.contract_tests.proxy.memory import Lru

PREFIX = "/__proxy/upload/"
__all__ = ["PREFIX", "PRESIGN", "REFUSED", "Route", "Routes", "route_of"]
REFUSED = (
    "proxy: not an upload URL this proxy handed out (unknown or forgotten route, or a path "
    "outside the directory of the implementation's upload_url); --route-uploads only "
    "forwards to the upload URLs of presign answers it rewrote\n"
)


def _stays_in_directory(last: str) -> bool:
    """Whether the last segment, as a backend that decodes it (once or twice) would read
    it, names a file of the route's directory: no ``.``/``..``, no ``/`` or ``\\``."""
    once = urllib.parse.unquote(last)
    return not any(
        name in (".", "..") or "/" in name or "\\" in name
        for name in (last, once, urllib.parse.unquote(once))
    )


@dataclass
class Route:
    """Where one rewritten ``upload_url`` leads: the origin and directory it may reach,
    and when a request through it first began (for the judge: a key whose PUT was on
    its way when the bulk call ended was not used before its PUT)."""

    origin: str  # scheme://host[:port]
    directory: str  # the original path up to its last "/"
    first_started: datetime | None = None


def route_of(path: str) -> tuple[str, str] | None:
    """``(route id, original path)`` of a path under :data:`PREFIX`, or ``None``."""
    if not path.startswith(PREFIX):
        return None
    route, slash, rest = path.removeprefix(PREFIX).partition("/")
    if not route or not slash:
        return None
    return route, "/" + rest


class Routes:
    """The rewritten upload URLs, bounded; thread-safe (the judge reads start times)."""

    def __init__(self, limit: int) -> None:
        self._routes: Lru[str, Route] = Lru(limit)
        self._lock = threading.Lock()

    def rewrite(self, body: bytes, proxy_base: str) -> bytes | None:
        """The presign answer ``body`` with its ``upload_url`` pointing at the proxy, or
        ``None`` when it has no absolute http(s) ``upload_url`` (then it goes unchanged)."""
        try:
            document = json.loads(body)
        except ValueError:
            return None
        url = document.get("upload_url") if isinstance(document, dict) else None
        if not isinstance(url, str):
            return None
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return None
        route = secrets.token_hex(8)
        path = parts.path or "/"
        with self._lock:
            self._routes[route] = Route(
                f"{parts.scheme}://{parts.netloc}", path.rpartition("/")[0] + "/"
            )
        document["upload_url"] = urllib.parse.urlunsplit(
            urllib.parse.urlsplit(proxy_base)._replace(
                path=PREFIX + route + path, query=parts.query, fragment=""
            )
        )
        return json.dumps(document).encode()

    def target(self, raw_path: str, query: str, started: datetime) -> str | None:
        """The URL a request to ``raw_path?query`` is forwarded to, or ``None`` when no
        route leads there. Records when the route was first used."""
        found = route_of(raw_path)
        if found is None:
            return None
        route_id, path = found
        directory, _, last = path.rpartition("/")
        if not _stays_in_directory(last):
            return None
        with self._lock:
            route = self._routes.get(route_id)
            if route is None or directory + "/" != route.directory:
                return None
            if route.first_started is None:
                route.first_started = started
        return route.origin + path + (f"?{query}" if query else "")

    def first_started(self, route_id: str) -> datetime | None:
        with self._lock:
            route = self._routes.get(route_id)
            return route.first_started if route is not None else None
