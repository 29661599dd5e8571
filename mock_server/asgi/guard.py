"""Only the mock's owner may use ``/__mock/…``: admin token, cross-site refusal, body cap.

Any web page the developer has open can send a request to ``127.0.0.1:4010``: the
browser lets it through as long as it is a CORS "simple request" (a form POST, or a
``fetch`` with a ``text/plain`` body), and only hides the answer. So a request that
changes something (POST, PUT, DELETE) must carry ``Content-Type: application/json``,
which no simple request can, and its ``Origin``, when there is one, must be the mock's
own or one its CORS allows. An optional admin token (``--admin-token``, generated when
the mock listens beyond loopback) closes the admin API to everyone who does not hold
it. Every admin body is read here, capped, before a handler sees it.

Left open, because they are part of the API's documented flow or carry no data: the
presigned PUT target (authenticated by its signature), invoice PDFs (linked from
responses, opened in a browser), the inspector page and its static files, and the
docs' assets.
"""

from __future__ import annotations

import hmac
import re
from urllib.parse import parse_qsl, urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dayzero_twin.mock_server.asgi.capped_body import read_capped
from dayzero_twin.mock_server.asgi.headers import first_header
from dayzero_twin.mock_server.asgi.json_error import send_json_error
from dayzero_twin.mock_server.config import MockConfig

ADMIN_PREFIX = "/__mock"
ADMIN_TOKEN_HEADER = b"x-mock-admin-token"
ADMIN_TOKEN_PARAM = "admin_token"
STATE_CHANGING = frozenset({"POST", "PUT", "DELETE", "PATCH"})
# Reachable without the admin token: the page shell and its assets, the docs' assets
# and spec copy, invoice PDFs. The presigned PUT target is open to PUT only.
OPEN_PATHS = ("/__mock", "/__mock/")
OPEN_PREFIXES = ("/__mock/inspector/", "/__mock/assets/", "/__mock/docs/", "/__mock/invoices/")
UPLOAD_PREFIX = "/__mock/uploads/"


def _media_type(raw: bytes | None) -> str:
    return (raw or b"").split(b";", 1)[0].strip().lower().decode("latin-1")


class AdminGuard:
    """Pure ASGI in front of the admin routes (see the module docstring)."""

    def __init__(self, app: ASGIApp, config: MockConfig) -> None:
        self.app = app
        self.token = config.admin_token.encode() if config.admin_token else None
        self.origin_regex = (
            re.compile(config.cors_origin_regex) if config.cors_origin_regex else None
        )
        public = urlsplit(config.public_base_url) if config.public_base_url else None
        self.public_origin = f"{public.scheme}://{public.netloc}".lower() if public else None
        self.max_body = config.max_admin_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        if method == "PUT" and path.startswith(UPLOAD_PREFIX):
            await self.app(scope, receive, send)  # signed; capped by its own upload limit
            return
        headers = scope["headers"]
        open_path = path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)
        needs_token = self.token is not None and not (open_path and method in ("GET", "HEAD"))
        if needs_token and not self._holds_token(scope):
            await send_json_error(
                send,
                401,
                "This mock's admin API needs its admin token: send "
                "'Authorization: Bearer <admin token>' or 'X-Mock-Admin-Token: <admin token>' "
                "(the token is in the mock's startup banner, or set with --admin-token).",
                [(b"www-authenticate", b'Bearer realm="dayzero-mock-admin"')],
            )
            return
        if method not in STATE_CHANGING:
            await self.app(scope, receive, send)
            return
        refusal = self._cross_site(scope)
        if refusal is not None:
            await send_json_error(send, 403, refusal)
            return
        declared = first_header(headers, b"content-length")
        body = await read_capped(receive, declared, self.max_body)
        if body is None:
            await send_json_error(send, 413, self._too_large())
            return
        await self.app(scope, _replay(body, receive), send)

    def _holds_token(self, scope: Scope) -> bool:
        assert self.token is not None
        headers = scope["headers"]
        presented = first_header(headers, ADMIN_TOKEN_HEADER)
        if presented is None:
            authorization = first_header(headers, b"authorization") or b""
            scheme, _, value = authorization.partition(b" ")
            if scheme.lower() == b"bearer":
                presented = value.strip()
        if presented is None and scope["method"] in ("GET", "HEAD"):
            # For a browser opening the inspector page: /__mock/?admin_token=…
            query = scope.get("query_string", b"").decode("latin-1")
            found = dict(parse_qsl(query)).get(ADMIN_TOKEN_PARAM)
            presented = found.encode() if found else None
        return presented is not None and hmac.compare_digest(presented, self.token)

    def _cross_site(self, scope: Scope) -> str | None:
        """Why a state-changing admin request looks cross-site, or None when it does not."""
        headers = scope["headers"]
        origin_raw = first_header(headers, b"origin")
        if origin_raw is not None:
            origin = origin_raw.decode("latin-1").strip()
            if not self._origin_allowed(origin, scope):
                return (
                    f"Origin {origin!r} may not change this mock: admin calls that change "
                    "something are accepted from the mock's own origin and the origins its "
                    "CORS allows (--cors-origin), so other web pages cannot reset or arm it."
                )
        if _media_type(first_header(headers, b"content-type")) != "application/json":
            return (
                "Admin calls that change something need 'Content-Type: application/json' "
                "(a body is optional), so that no cross-site form or simple request can "
                "make them: e.g. curl -X POST -H 'Content-Type: application/json' "
                "http://127.0.0.1:4010/__mock/reset"
            )
        return None

    def _origin_allowed(self, origin: str, scope: Scope) -> bool:
        host = first_header(scope["headers"], b"host")
        lowered = origin.lower()
        if host is not None:
            own = f"{scope.get('scheme', 'http')}://{host.decode('latin-1')}".lower()
            if lowered == own:
                return True
        if self.public_origin is not None and lowered == self.public_origin:
            return True
        return self.origin_regex is not None and self.origin_regex.fullmatch(origin) is not None

    def _too_large(self) -> str:
        return f"Admin request bodies are capped at {self.max_body} bytes"


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then defers to the client."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
