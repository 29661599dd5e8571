"""Secrets out of what the suite shows: presigned-URL signatures and credentials.

A failure's evidence (its curl command and response excerpt) lands in CI logs and JUnit
files, and the proxy's in logs, reports and HAR recordings: a presigned upload URL there
would still be usable until it expires. One reading of "secret" serves both.
"""

from __future__ import annotations

import re
import urllib.parse

REDACTED = "REDACTED"
# Query parameters that carry a signature or credential (presigned URLs, tokens).
SECRET_PARAM = re.compile(r"(signature|token|credential|secret|sig|key-id|api[-_]?key)", re.I)
# The same parameters inside free text, such as an ``upload_url`` in a JSON body.
_SECRET_PARAM_IN_TEXT = re.compile(
    r"(?P<name>[\w.-]*(?:signature|token|credential|secret|sig|key-id|api[-_]?key)[\w.-]*)"
    r"=(?P<value>[^&\s\"'<>]+)",
    re.I,
)


def redact_target(target: str) -> str:
    """``path?query`` (or a full URL) with signature-like query parameters replaced."""
    parts = urllib.parse.urlsplit(target)
    if not parts.query:
        return target
    pairs = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    query = urllib.parse.urlencode(
        [(k, REDACTED if SECRET_PARAM.search(k) else v) for k, v in pairs], safe=""
    )
    return urllib.parse.urlunsplit(parts._replace(query=query))


def redact_query_params_in(text: str) -> str:
    """``text`` with the value of every signature-like ``name=value`` pair replaced."""
    return _SECRET_PARAM_IN_TEXT.sub(lambda m: f"{m.group('name')}={REDACTED}", text)
