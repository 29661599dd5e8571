"""An ASGI middleware that lets a mutant rewrite requests and responses of the real mock.

A mutant is the faithful mock with exactly one contract rule broken. Breaking it at the
HTTP boundary keeps mutants independent of the mock's internals: a subclass of
:class:`Rewriter` overrides :meth:`Rewriter.on_request` (change the request, or answer it
outright) and/or :meth:`Rewriter.on_response`, and may call the wrapped app again with
:meth:`Rewriter.call` (e.g. to re-upload a file under another key).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import Headers
from starlette.requests import Request as StarletteRequest

ASGIApp = Any


@dataclass
class Req:
    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes
    scope: dict[str, Any] = field(repr=False, default_factory=dict)

    def header(self, name: str) -> str | None:
        return Headers(
            raw=[(k.encode("latin-1"), v.encode("latin-1")) for k, v in self.headers]
        ).get(name)

    def with_header(self, name: str, value: str | None) -> Req:
        kept = [(k, v) for k, v in self.headers if k.lower() != name.lower()]
        if value is not None:
            kept.append((name.lower(), value))
        return replace(self, headers=kept)

    def params(self) -> dict[str, str]:
        return dict(parse_qsl(self.query, keep_blank_values=True))

    def with_params(self, params: dict[str, str]) -> Req:
        return replace(self, query=urlencode(params))

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def with_json(self, value: Any) -> Req:
        body = json.dumps(value).encode()
        return replace(self.with_header("content-length", str(len(body))), body=body)

    async def form_file(self) -> bytes | None:
        """The ``file`` part of a multipart body, if any."""
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": self.body, "more_body": False}

        scope = {**self.scope, "headers": _raw(self.headers)}
        form = await StarletteRequest(scope, receive).form()
        upload = form.get("file")
        return await upload.read() if upload is not None and hasattr(upload, "read") else None


@dataclass
class Resp:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def with_json(self, value: Any, status: int | None = None) -> Resp:
        body = json.dumps(value).encode()
        headers = [
            (k, v) for k, v in self.headers if k.lower() not in ("content-length", "content-type")
        ]
        headers += [("content-type", "application/json"), ("content-length", str(len(body)))]
        return Resp(self.status if status is None else status, headers, body)

    def without_header(self, name: str) -> Resp:
        return replace(self, headers=[(k, v) for k, v in self.headers if k.lower() != name.lower()])

    def with_header(self, name: str, value: str) -> Resp:
        return replace(
            self.without_header(name),
            headers=[*self.without_header(name).headers, (name.lower(), value)],
        )


def json_response(status: int, value: Any) -> Resp:
    return Resp(status, [], b"").with_json(value)


def _raw(headers: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]


class Rewriter:
    """Buffers each HTTP exchange and hands it to the hooks; other scopes pass through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def on_request(self, req: Req) -> Req | Resp:
        return req

    async def on_response(self, req: Req, resp: Resp) -> Resp:
        return resp

    async def call(self, req: Req) -> Resp:
        """Send ``req`` to the wrapped (faithful) app and collect its answer."""
        scope = {
            **req.scope,
            "method": req.method,
            "path": req.path,
            "raw_path": req.path.encode(),
            "query_string": req.query.encode("latin-1"),
            "headers": _raw(
                [(k, v) for k, v in req.headers if k.lower() != "content-length"]
                + [("content-length", str(len(req.body)))]
            ),
        }
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": req.body, "more_body": False}

        status, headers, chunks = 500, [], []

        async def send(message: dict[str, Any]) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [
                    (k.decode("latin-1"), v.decode("latin-1"))
                    for k, v in message.get("headers", [])
                ]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return Resp(status, headers, b"".join(chunks))

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Joined once: ``body +=`` per chunk copies a 10 MiB upload ~160 times.
        chunks: list[bytes] = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        req = Req(
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]],
            body=body,
            scope=scope,
        )
        changed = await self.on_request(req)
        if isinstance(changed, Resp):
            resp = changed
        else:
            resp = await self.on_response(changed, await self.call(changed))
        await send(
            {
                "type": "http.response.start",
                "status": resp.status,
                "headers": _raw(
                    [(k, v) for k, v in resp.headers if k.lower() != "content-length"]
                    + [("content-length", str(len(resp.body)))]
                ),
            }
        )
        await send({"type": "http.response.body", "body": resp.body})
