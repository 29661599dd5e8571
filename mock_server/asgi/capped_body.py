"""A request body read whole, but never more than a cap of it.

A client may send a body of any size, and several places take one: the admin guard
(every ``/__mock/…`` body), the operations' JSON bodies and the presigned PUT. Each must
hold at most its limit, whatever the client declared or sent, and each decides for
itself what an oversized body means (a 413, a 422, a 413 after the 403 check). One
reader, so that they all stop the same way: at once when ``Content-Length`` already
says too much, else at the first chunk that passes the limit, with nothing read after.

It reads the ASGI messages directly, as ``Request.stream()`` does (a disconnect raises
``ClientDisconnect``), without the async generator around each chunk: it runs on every
JSON operation, a path tuned for benchmarks.
"""

from __future__ import annotations

from starlette.requests import ClientDisconnect
from starlette.types import Receive


def declared_over(declared: str | bytes | None, limit: int) -> bool:
    """Whether a ``Content-Length`` value already says the body passes ``limit``."""
    return declared is not None and declared.isdigit() and int(declared) > limit


async def read_capped(receive: Receive, declared: str | bytes | None, limit: int) -> bytes | None:
    """The whole body, or None as soon as it passes ``limit`` bytes (nothing more is read).

    ``declared`` is the Content-Length header, as text or raw bytes: when it is over the
    limit nothing is read at all.
    """
    if declared_over(declared, limit):
        return None
    chunks: list[bytes] = []
    seen = 0
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "http.request":
            chunk = message.get("body", b"")
            if chunk:
                seen += len(chunk)
                if seen > limit:
                    return None
                chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)
        elif kind == "http.disconnect":
            raise ClientDisconnect
