"""One HTTP exchange as the proxy saw it, redacted copies of it, and its curl command.

The judge works on :class:`Exchange` whether it comes from live traffic or a HAR file;
:meth:`Exchange.response` turns it into the ``httpx.Response`` (request attached) that
the suite's assertions take, so the proxy calls them unchanged.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import shlex
import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from dayzero_twin.contract_tests.support.client import API
from dayzero_twin.contract_tests.support.redact import (
    REDACTED,
    redact_query_params_in,
    redact_target,
)

PRESIGN = f"{API}/upload"  # the presign operation: its answer carries a signed URL
Headers = tuple[tuple[str, str], ...]
# Headers whose values are credentials: never logged, reported or recorded as sent.
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "x-amz-security-token",
    }
)
SHOWN_BODY = 1500
# Shorter "secrets" would blank ordinary text; tokens are far longer.
MIN_SECRET = 8
# Scheme names alone are not credentials (``Authorization: Bearer`` with no token).
SCHEMES = frozenset({"bearer", "basic", "token", "digest", "negotiate", "apikey"})


@dataclass(frozen=True)
class Exchange:
    """A request (path and query relative to the implementation's base URL) and its answer.

    ``token`` is a label of the bearer token (never the token itself): equal labels mean
    the same token, which is all the judge needs to learn that a token is accepted.
    """

    method: str
    target: str  # path?query, as sent to the proxy
    request_headers: Headers
    request_body: bytes
    status: int
    response_headers: Headers
    response_body: bytes
    started: datetime
    finished: datetime
    token: str | None = None
    body_complete: bool = True  # False when a body was too large to keep
    base_url: str = "http://implementation"

    @property
    def path(self) -> str:
        return urllib.parse.urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        return urllib.parse.parse_qs(
            urllib.parse.urlsplit(self.target).query, keep_blank_values=True
        )

    def request_header(self, name: str) -> str | None:
        return _first(self.request_headers, name)

    def response(self) -> httpx.Response:
        """The exchange as the ``httpx.Response`` the suite's assertions read."""
        request = httpx.Request(
            self.method,
            self.base_url + self.target,
            headers=[(k, v) for k, v in self.request_headers if k.lower() != "content-length"],
            content=self.request_body,
        )
        headers = [
            (k, v)
            for k, v in self.response_headers
            if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        return httpx.Response(
            self.status, headers=headers, content=self.response_body, request=request
        )

    def redacted(self, secrets_: Iterable[str] = ()) -> Exchange:
        """This exchange with every credential replaced (for recordings and reports):
        credential headers and signature-like parameters always, and ``secrets_`` (the
        tokens the proxy forwarded) wherever else they appear, bodies included."""
        known = sorted({s for s in secrets_ if len(s) >= MIN_SECRET}, key=len, reverse=True)
        return Exchange(
            method=self.method,
            target=redact_text(redact_target(self.target), known),
            request_headers=tuple(
                (k, redact_text(v, known)) for k, v in redact_headers(self.request_headers)
            ),
            request_body=redact_bytes(self.request_body, known),
            status=self.status,
            response_headers=tuple(
                (k, redact_text(v, known)) for k, v in redact_headers(self.response_headers)
            ),
            response_body=redact_bytes(self._signed_urls_redacted(), known),
            started=self.started,
            finished=self.finished,
            token=self.token,
            body_complete=self.body_complete,
            base_url=self.base_url,
        )

    def _signed_urls_redacted(self) -> bytes:
        """The response body, with the signatures of a presign answer's ``upload_url``
        (the implementation's, or the proxy's copy of it) blanked out. Only there: other
        bodies must stay as sent for the oracle to read a recording."""
        if self.method != "POST" or self.path != PRESIGN:
            return self.response_body
        text = self.response_body.decode("utf-8", "replace")
        return redact_query_params_in(text).encode()

    def curl(self) -> str:
        """A redacted curl command that repeats the request (token as ``$CONTRACT_TOKEN``)."""
        parts = ["curl", "-X", self.method]
        content_type = self.request_header("content-type") or ""
        for name, value in self.request_headers:
            lower = name.lower()
            if lower in ("host", "content-length", "accept-encoding", "connection", "user-agent"):
                continue
            if lower == "content-type" and content_type.startswith("multipart/"):
                continue
            if lower == "authorization":
                scheme = value.strip().split(" ", 1)[0] if " " in value.strip() else ""
                shown = f"{scheme} $CONTRACT_TOKEN".strip() if value.strip() else value
                parts += ["-H", f'"{name}: {shown}"']
                continue
            if lower in SECRET_HEADERS:
                parts += ["-H", shlex.quote(f"{name}: {REDACTED}")]
                continue
            parts += ["-H", shlex.quote(f"{name}: {value}")]
        body = self.request_body
        if content_type.startswith("multipart/"):
            parts += ["-F", shlex.quote("file=@import.csv;type=text/csv")]
        elif body:
            text = body.decode("utf-8", "replace")
            if len(text) > SHOWN_BODY:
                parts += ["--data-binary", f"@body.bin  # {len(body)} bytes"]
            else:
                parts += ["--data-binary", shlex.quote(text)]
        parts.append(shlex.quote(self.base_url + redact_target(self.target)))
        return " ".join(parts)


def _first(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in headers if key.lower() == wanted), None)


def redact_headers(headers: Sequence[tuple[str, str]]) -> Headers:
    """Credentials replaced; an Authorization header keeps its scheme (the judge needs to
    know a Bearer token was sent, not which)."""
    out = []
    for name, value in headers:
        lower = name.lower()
        if lower == "authorization":
            scheme, _, token = value.strip().partition(" ")
            if token.strip():
                out.append((name, f"{scheme} {REDACTED}"))
            else:  # a bare token (no scheme) is as secret as any
                out.append((name, REDACTED if value.strip() else value))
        elif lower in SECRET_HEADERS:
            out.append((name, REDACTED))
        else:
            out.append((name, value))
    return tuple(out)


def redact_text(text: str, secrets_: Iterable[str]) -> str:
    for secret in secrets_:
        text = text.replace(secret, REDACTED)
        quoted = urllib.parse.quote(secret, safe="")
        if quoted != secret:
            text = text.replace(quoted, REDACTED)
    return text


def redact_bytes(data: bytes, secrets_: Iterable[str]) -> bytes:
    for secret in secrets_:
        data = data.replace(secret.encode(), REDACTED.encode())
    return data


def token_of(authorization: str | None) -> str | None:
    """The credential in an Authorization value (after the scheme, or all of a bare one)."""
    if not authorization or not authorization.strip():
        return None
    scheme, _, token = authorization.strip().partition(" ")
    secret = token.strip() or scheme
    return None if secret.lower() in SCHEMES else secret


@dataclass
class TokenLabels:
    """Labels bearer tokens without keeping them: an HMAC under a key that lives only
    as long as this object, so a label says nothing about the token to anyone else."""

    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def label(self, authorization: str | None) -> str | None:
        if not authorization:
            return None
        _, _, token = authorization.strip().partition(" ")
        if not token.strip() or token.strip() == REDACTED:
            return None
        digest = hmac.new(self.key, token.strip().encode(), hashlib.sha256).hexdigest()
        return f"token-{digest[:12]}"
