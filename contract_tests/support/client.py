"""A thin HTTP client for the contract's operations that remembers what it sent.

Every exchange is kept (the last few) so a failing test can show the request as a curl
command and an excerpt of the response. The token never appears in that output: the
curl command reads it from ``$CONTRACT_TOKEN``, so it can be pasted as is.
"""

from __future__ import annotations

import collections
import shlex
from collections.abc import Mapping
from typing import Any

import httpx

from dayzero_twin.contract_tests.settings import Settings
from dayzero_twin.contract_tests.support.redact import redact_query_params_in, redact_target
from dayzero_twin.contract_tests.support.rules import fail, require

API = "/api/v1"
MAX_BODY_SHOWN = 1500

_KEEP = object()  # "use the configured value" for a header


class Api:
    """The operations of the contract, with the configured token and business by default."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.http = httpx.Client(base_url=settings.base_url, timeout=settings.timeout)
        self.log: collections.deque[httpx.Response] = collections.deque(maxlen=4)

    def close(self) -> None:
        self.http.close()

    # -- headers -------------------------------------------------------------------------

    def headers(
        self, *, authorization: Any = _KEEP, business: Any = _KEEP, **extra: str
    ) -> dict[str, str]:
        """Request headers: pass ``None`` to leave one out, a string to replace it."""
        out: dict[str, str] = {}
        if authorization is _KEEP:
            out["Authorization"] = f"Bearer {self.settings.token}"
        elif authorization is not None:
            out["Authorization"] = authorization
        if business is _KEEP:
            out["x-business-id"] = self.settings.business_id
        elif business is not None:
            out["x-business-id"] = business
        out.update(extra)
        return out

    # -- raw -----------------------------------------------------------------------------

    def send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request (relative URLs against the base URL) and remember it."""
        response = self.http.request(method, url, **kwargs)
        response.read()
        self.log.append(response)
        return response

    def post_json(self, path: str, body: Any, headers: Mapping[str, str]) -> httpx.Response:
        return self.send("POST", API + path, json=body, headers=dict(headers))

    # -- uploads (CONTRACT §2) -----------------------------------------------------------

    def upload_direct(
        self,
        data: bytes,
        filename: str = "import.csv",
        *,
        headers: Mapping[str, str] | None = None,
        content_type: str = "text/csv",
    ) -> httpx.Response:
        files = {"file": (filename, data, content_type)}
        return self.send(
            "POST", API + "/upload/direct", files=files, headers=dict(headers or self.headers())
        )

    def upload_key(self, data: bytes, filename: str = "import.csv", **kwargs: Any) -> str:
        """Upload directly and return the key; a failed upload is a broken §2 rule."""
        response = self.upload_direct(data, filename, **kwargs)
        require(
            response.status_code == 200,
            "CONTRACT §2 direct upload returns 200",
            f"upload of {len(data)} bytes answered {response.status_code}",
            response,
        )
        body = body_of(response)
        key = body.get("s3_key") if isinstance(body, dict) else None
        if not (isinstance(key, str) and key):
            fail(
                "CONTRACT §2 direct upload returns an s3_key",
                f"no s3_key in {response.text[:200]!r}",
                response,
            )
        return key

    def presign(self, body: Any, *, headers: Mapping[str, str] | None = None) -> httpx.Response:
        return self.post_json("/upload", body, headers or self.headers())

    def put_upload_url(
        self, url: str, data: bytes, content_type: str = "text/csv"
    ) -> httpx.Response:
        """PUT to a presigned URL: absolute, and deliberately without ``Authorization``."""
        return self.send("PUT", url, content=data, headers={"Content-Type": content_type})

    # -- bulk (the two documented operations) --------------------------------------------

    def bulk(
        self, kind: str, body: Any, *, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        return self.post_json(f"/{kind}/bulk", body, headers or self.headers())

    # -- reading back (CONTRACT §5) ------------------------------------------------------

    def list(
        self,
        kind: str,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        params: dict[str, Any] = {}
        if limit is not None:
            params["limit"] = limit
        if cursor is not None:
            params["cursor"] = cursor
        return self.send(
            "GET", f"{API}/{kind}", params=params, headers=dict(headers or self.headers())
        )

    def get(
        self, kind: str, entity_id: str, *, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        return self.send(
            "GET", f"{API}/{kind}/{entity_id}", headers=dict(headers or self.headers())
        )


def body_of(response: httpx.Response) -> Any:
    """The response's JSON body, or ``None`` when it is not JSON."""
    try:
        return response.json()
    except ValueError:
        return None


def as_curl(request: httpx.Request, token: str | None = None) -> str:
    """``request`` as a curl command; the token is replaced by ``$CONTRACT_TOKEN``."""
    parts = ["curl", "-X", request.method]
    content_type = request.headers.get("content-type", "")
    for name, value in request.headers.items():
        if name.lower() in {
            "host",
            "content-length",
            "accept-encoding",
            "connection",
            "user-agent",
            "accept",
        }:
            continue
        if name.lower() == "content-type" and content_type.startswith("multipart/"):
            continue
        if token and token in value:
            parts += ["-H", f'"{name}: {value.replace(token, "$CONTRACT_TOKEN")}"']
            continue
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    body = request.content if _has_content(request) else b""
    if content_type.startswith("multipart/"):
        parts += ["-F", shlex.quote("file=@import.csv;type=text/csv")]
        parts.append(shlex.quote(redact_target(str(request.url))))
        return " ".join(parts) + f"\n# multipart body ({len(body)} bytes):\n" + _shown(body)
    if body:
        if len(body) > MAX_BODY_SHOWN:
            parts += ["--data-binary", f"@body.bin  # {len(body)} bytes, starting {body[:200]!r}"]
        else:
            parts += ["--data-binary", shlex.quote(body.decode("utf-8", "replace"))]
    parts.append(shlex.quote(redact_target(str(request.url))))
    return " ".join(parts)


def describe_response(response: httpx.Response) -> str:
    """Status, the headers that matter to the contract, and a bounded body excerpt."""
    lines = [f"HTTP {response.status_code} {response.reason_phrase}"]
    for name in ("content-type", "www-authenticate"):
        if name in response.headers:
            lines.append(f"{name}: {response.headers[name]}")
    lines.append("")
    lines.append(_shown(response.content))
    return "\n".join(lines)


def describe_exchange(response: httpx.Response, token: str | None = None) -> str:
    return f"$ {as_curl(response.request, token)}\n{describe_response(response)}"


def _has_content(request: httpx.Request) -> bool:
    try:
        return bool(request.content)
    except httpx.RequestNotRead:
        return False


def _shown(data: bytes) -> str:
    text = redact_query_params_in(data.decode("utf-8", "replace"))
    if len(text) > MAX_BODY_SHOWN:
        return text[:MAX_BODY_SHOWN] + f"... ({len(data)} bytes in all)"
    return text
