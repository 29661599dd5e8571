"""CORS: Starlette's middleware, with a cheap path for requests that carry no Origin.

Nearly every request to a mock comes from a test or a script, not a browser, and
without an ``Origin`` header all ``CORSMiddleware`` does is add ``Vary: Origin`` to the
response — after wrapping the request's headers, ``send`` and the response's headers in
objects. This subclass does exactly that edit on the raw header list and leaves every
request with an Origin (preflights included) to Starlette.
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import Message, Receive, Scope, Send

from dayzero_twin.mock_server.asgi.headers import first_header, set_header

VARY = b"vary"


class CORS(CORSMiddleware):
    """``CORSMiddleware`` with the no-Origin case done on raw headers (see module doc)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or first_header(scope["headers"], b"origin") is not None:
            await super().__call__(scope, receive, send)
            return

        async def send_vary(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                varied = [value for key, value in headers if key == VARY]
                set_header(headers, VARY, b", ".join([*varied, b"Origin"]))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_vary)
