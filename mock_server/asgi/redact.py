"""Secrets out of what the mock writes down: the journal and the request log.

The journal is read by people and pasted into tickets, CI artifacts and screenshots; a
bearer token, a cookie, the admin token or a presigned URL's signature copied from it
would still work. So the journal's view hides their values while keeping enough to
debug with: the auth scheme and a short prefix of a bearer token (which of the world's
tokens was used), the names of the query parameters. Everything here runs only when the
journal is read, never on the request path.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

REDACTED = "[redacted]"
# Request and response headers whose whole value is a credential.
SECRET_HEADERS = frozenset(
    {"cookie", "set-cookie", "proxy-authorization", "x-mock-admin-token", "x-api-key"}
)
# Query parameters (any case) whose value is a credential: presigned URL signatures
# (the mock's own and S3's), the admin token of the inspector page, OAuth-style tokens.
SECRET_PARAMS = ("signature", "x-amz-signature", "x-amz-credential", "admin_token", "access_token")
_PARAM = re.compile(
    r"(?i)((?:^|(?<=[?&;\s\"']))(?:" + "|".join(re.escape(p) for p in SECRET_PARAMS) + r")=)"
    r"[^&;\s\"'\\]*"
)
_PARAM_BYTES = re.compile(_PARAM.pattern.encode())
PREFIX_CHARS = 4
MIN_HINTED_LENGTH = 12  # shorter secrets show no prefix at all


def hint(secret: str) -> str:
    """``dz_m…[redacted]``: which token it was, without the token."""
    if len(secret) < MIN_HINTED_LENGTH:
        return REDACTED
    return secret[:PREFIX_CHARS] + "…" + REDACTED


def header_value(name: str, value: str) -> str:
    """A header's value as the journal shows it (``name`` in lowercase)."""
    if name == "authorization":
        scheme, _, credentials = value.partition(" ")
        if not credentials:
            return REDACTED
        if scheme.lower() == "bearer":
            return f"{scheme} {hint(credentials.strip())}"
        return f"{scheme} {REDACTED}"
    if name in SECRET_HEADERS:
        return REDACTED
    if name == "location":
        return query(value)
    return value


def headers(view: dict[str, str]) -> dict[str, str]:
    """Every header of a decoded header dict through :func:`header_value`."""
    return {name: header_value(name, value) for name, value in view.items()}


def query(text: str) -> str:
    """A query string or URL with the values of :data:`SECRET_PARAMS` hidden."""
    return _PARAM.sub(r"\1" + REDACTED, text)


def body(data: bytes) -> bytes:
    """A captured body with secret URL parameters hidden (``upload_url`` in a response).

    The replacement has no quote or backslash, so a JSON body stays valid JSON.
    """
    if b"=" not in data:
        return data
    return _PARAM_BYTES.sub(rb"\1" + REDACTED.encode(), data)


def scrub(value: Any, secrets: Collection[str]) -> Any:
    """``value`` (decoded JSON) with every occurrence of a known secret — the world's
    tokens, the admin token — replaced by its :func:`hint`, in keys and strings alike.

    For what no header name or parameter name gives away: the tokens in the journaled
    answer of ``GET /__mock/world``, a token pasted into a request body.
    """
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, hint(secret))
        return value
    if isinstance(value, dict):
        return {scrub(k, secrets): scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(item, secrets) for item in value]
    return value
