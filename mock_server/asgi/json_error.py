"""A ``{"detail": …}`` error answer sent straight through ASGI ``send``.

The layers that refuse a request before any app sees it (the admin guard, the Host
check, the request-head limit) and the ones that answer a crash after it (the
dispatcher, the journal's recorder) have no Starlette response to hand: they send the
two ASGI messages themselves. They all answer in FastAPI's error shape, so that a
client reads every refusal of the mock the same way; one sender keeps the body, its
media type and its length in step.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson
from starlette.types import Send

INTERNAL_ERROR_DETAIL = "Internal Server Error"  # FastAPI's 500, to the letter


async def send_json_error(
    send: Send, status: int, detail: str, extra_headers: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    """Send ``status`` with ``{"detail": detail}`` and ``extra_headers`` after the usual two."""
    body = orjson.dumps({"detail": detail})
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *extra_headers,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
