"""``OperationEndpoint``: one bundle operation served in the contract's order (CONTRACT §1).

Each step below is one method, run in this order; the first that refuses the request
decides the response:

1. forced responses and faults (``Prefer`` / armed scenarios, once the route matched);
2. 401 — :meth:`~OperationEndpoint.authenticate`;
3. the body, read up to its limit — :meth:`~OperationEndpoint.read_body`;
4. 422 — :meth:`~OperationEndpoint.validate`;
5. 403 — :meth:`~OperationEndpoint.authorize`;
6. 413 — :meth:`~OperationEndpoint.check_size`;
7. the domain handler, whose service errors become 400/404/413 — :meth:`~OperationEndpoint.handle`;
8. the response, filled and encoded — :meth:`~OperationEndpoint.render`.

A refusing step raises :class:`Refused` with its reply. Raising costs only on the refusal
path; a request that passes pays for no more than the plain calls, which matters here:
this path was tuned for benchmarks. The endpoint reads the raw ASGI scope rather than a
Starlette ``Request``: the headers once into a dict, the query string and cookies only
for operations that declare such parameters, and the body straight from ``receive``.
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import orjson
from pydantic import BaseModel
from starlette.datastructures import FormData
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from dayzero_twin.mock_server.asgi.base_url import scope_base_url
from dayzero_twin.mock_server.asgi.capped_body import read_capped
from dayzero_twin.mock_server.asgi.dispatch import RESPONSE_STARTED_KEY
from dayzero_twin.mock_server.asgi.headers import RawHeaders, RequestHeaders, set_header
from dayzero_twin.mock_server.asgi.journal import NOTE_KEY, OPERATION_KEY
from dayzero_twin.mock_server.asgi.paths import compile_template
from dayzero_twin.mock_server.endpoints.context import RequestContext
from dayzero_twin.mock_server.endpoints.operations import handler_for
from dayzero_twin.mock_server.pipeline.bodies import (
    MULTIPART_SLACK_BYTES,
    form_value,
    read_form,
)
from dayzero_twin.mock_server.pipeline.generator import GenContext
from dayzero_twin.mock_server.pipeline.negotiation import Reply, error_reply, forced_reply
from dayzero_twin.mock_server.pipeline.scenarios import (
    NO_PREFERENCES,
    Preferences,
    can_fault,
    inject_fault,
    parse_prefer,
    sample_latency,
)
from dayzero_twin.mock_server.pipeline.spec import BUSINESS_HEADER, OperationSpec
from dayzero_twin.mock_server.pipeline.validation import (
    MISSING,
    JsonDecodeFailure,
    body_too_large_errors,
    decode_json_body,
    lookup,
    validation_error_body,
)
from dayzero_twin.mock_server.runtime import Runtime
from dayzero_twin.mock_server.service import (
    Forbidden,
    ImportFailed,
    ServiceError,
    Unauthorized,
)

BUSINESS_HEADER_KEY = BUSINESS_HEADER.encode("latin-1")
JSON_MEDIA_TYPE = "application/json"
JSON_CONTENT_TYPE = (b"content-type", JSON_MEDIA_TYPE.encode())


class Refused(Exception):
    """A step of the pipeline answered the request: ``reply`` is the response."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


class OperationEndpoint:
    """The ASGI endpoint of one bundle operation (see the module docstring for the order)."""

    def __init__(self, operation: OperationSpec, runtime: Runtime) -> None:
        self.operation = operation
        self.runtime = runtime
        self.handler = handler_for(operation)
        self.path_names = compile_template(operation.path).contract_names

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        runtime, operation = self.runtime, self.operation
        scope[OPERATION_KEY] = operation.operation_id
        headers = RequestHeaders(scope["headers"])
        wanted = self.preferences(headers)
        await self.wait(wanted)
        runtime.service.tick()
        if wanted.fault is not None and can_fault(scope):
            scope[NOTE_KEY] = f"fault={wanted.fault}"
            scope[RESPONSE_STARTED_KEY] = True  # the connection is gone: no 500 after this
            await inject_fault(wanted.fault, scope, receive, runtime.rng)
            return
        base_url = runtime.config.public_base_url or scope_base_url(scope)
        reply = self.forced(scope, wanted, headers, base_url)
        if reply is None:
            reply = await self.serve(scope, receive, headers, base_url)
        status, body, raw_headers = self.render(reply, base_url, headers.get(BUSINESS_HEADER_KEY))
        applied = wanted.applied if wanted is not NO_PREFERENCES else ""
        if applied:
            set_header(raw_headers, b"preference-applied", applied.encode("latin-1"))
        scope[RESPONSE_STARTED_KEY] = True
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": body})

    # --- 1. forced responses and faults ---------------------------------------------------

    def preferences(self, headers: RequestHeaders) -> Preferences:
        """The request's ``Prefer`` header over the scenario armed for this operation."""
        prefer = headers.getlist(b"prefer")
        wanted = parse_prefer(prefer) if prefer else NO_PREFERENCES
        return wanted.over(self.runtime.scenarios.take(self.operation.operation_id))

    async def wait(self, wanted: Preferences) -> None:
        """The delay asked for, else the configured latency."""
        delay = wanted.delay_ms
        if delay is None:
            delay = sample_latency(self.runtime.config.latency_ms, self.runtime.rng)
        if delay:
            await asyncio.sleep(delay / 1000)

    def forced(
        self, scope: Scope, wanted: Preferences, headers: RequestHeaders, base_url: str
    ) -> Reply | None:
        """The reply a preference forces, if any (a fault without a connection: 502)."""
        if wanted.fault is not None:
            return error_reply(502, "Fault injection needs a real TCP connection (uvicorn)")
        if wanted.code is None:
            return None
        scope[NOTE_KEY] = f"code={wanted.code}"
        return forced_reply(
            self.operation,
            wanted.code,
            self.runtime.generator,
            GenContext(base_url=base_url, business_id=headers.get(BUSINESS_HEADER_KEY)),
            self.runtime.csv_columns,
        )

    # --- 2. to 7. the request itself ------------------------------------------------------

    async def serve(
        self, scope: Scope, receive: Receive, headers: RequestHeaders, base_url: str
    ) -> Reply:
        """Steps 2 to 7: the first refusal, or the handler's reply."""
        form = None
        try:
            token = self.authenticate(headers)
            request = Request(scope, receive)
            body, form, too_large = await self.read_body(request, receive, headers)
            params, body_value = self.validate(request, headers, body, form, too_large)
            business_id = self.authorize(token, params)
            self.check_size(too_large)
            ctx = RequestContext(
                self.runtime,
                self.operation,
                request,
                params,
                body_value,
                form,
                token,
                business_id,
                base_url,
            )
            return await self.handle(ctx)
        except Refused as refused:
            return refused.reply
        finally:
            if form is not None:
                await form.close()

    def authenticate(self, headers: RequestHeaders) -> str | None:
        """2. The bearer token, when the operation needs one; 401 without a known one."""
        if not self.operation.requires_auth:
            return None
        try:
            return self.runtime.service.authenticate(headers.get(b"authorization"))
        except Unauthorized as error:
            raise Refused(error_reply(401, error.message)) from None

    async def read_body(
        self, request: Request, receive: Receive, headers: RequestHeaders
    ) -> tuple[Any, FormData | None, bool]:
        """3. The JSON body or the form, and whether it passed its limit (for step 6).

        A JSON body past its limit or not decodable is a 422 at once, as FastAPI has it.
        """
        spec = self.operation.body
        if spec is None:
            return MISSING, None, False
        if spec.json is not None:
            limit = self.runtime.config.max_json_body_bytes
            raw = await read_capped(receive, headers.get(b"content-length"), limit)
            if raw is None:
                raise Refused(Reply(422, validation_error_body(body_too_large_errors(limit))))
            body = decode_json_body(raw, headers.get(b"content-type"))
            if isinstance(body, JsonDecodeFailure):
                raise Refused(Reply(422, validation_error_body(body.errors())))
            return body, None, False
        if spec.form_fields:
            limit = self.runtime.service.max_upload_bytes + MULTIPART_SLACK_BYTES
            try:
                form, too_large = await read_form(request, limit)
            except MultiPartException as error:
                raise Refused(error_reply(400, error.message)) from None
            return MISSING, form, too_large
        return MISSING, None, False

    def validate(
        self,
        request: Request,
        headers: RequestHeaders,
        body: Any,
        form: FormData | None,
        too_large: bool,
    ) -> tuple[dict[str, Any], Any]:
        """4. Parameters and body against the contract: their values, or every error (422)."""
        errors: list[dict[str, Any]] = []
        params: dict[str, Any] = {}
        sources: dict[str, Any] = {}
        for param in self.operation.params:
            source = sources.get(param.location)
            if source is None:
                source = sources[param.location] = self._source(param.location, request, headers)
            value, found = param.validate(lookup(source, param.name))
            if found:
                errors.extend(found)
            params[param.name] = value
        body_value: Any = None
        spec = self.operation.body
        if spec is not None and spec.json is not None:
            value, found = spec.json.validate(body)
            errors.extend(found)
            body_value = _plain(value)
        elif spec is not None and spec.form_fields:
            body_value = {}
            # A body past its limit was not read: only the 413 is left to tell.
            for form_field in spec.form_fields if not too_large else ():
                value, found = form_field.validate(form_value(form, form_field.name))
                errors.extend(found)
                body_value[form_field.name] = value
        if errors:
            raise Refused(Reply(422, validation_error_body(errors)))
        return params, body_value

    def _source(self, location: str, request: Request, headers: RequestHeaders) -> Any:
        """Where parameters of ``location`` come from; each built only when asked for."""
        if location == "header":
            return headers
        if location == "path":
            return {self.path_names.get(k, k): v for k, v in request.path_params.items()}
        if location == "query":
            return request.query_params
        return request.cookies

    def authorize(self, token: str | None, params: dict[str, Any]) -> UUID | None:
        """5. The business acted for; 403 when the token may not act for it."""
        business = params.get(BUSINESS_HEADER)
        business_id = business if isinstance(business, UUID) else None
        if token is not None and business_id is not None:
            try:
                self.runtime.service.authorize(token, business_id)
            except Forbidden as error:
                raise Refused(error_reply(403, error.message)) from None
        return business_id

    def check_size(self, too_large: bool) -> None:
        """6. 413 for an upload past the limit, now that it is known who sent it."""
        if too_large:
            limit = self.runtime.service.max_upload_bytes
            raise Refused(error_reply(413, f"File is larger than {limit} bytes"))

    async def handle(self, ctx: RequestContext) -> Reply:
        """7. The domain handler; its service errors become their documented responses."""
        try:
            return await self.handler(ctx)
        except ImportFailed as error:
            return error_reply(400, error.detail, [e.as_dict() for e in error.errors])
        except ServiceError as error:
            return error_reply(error.status_code, error.message)

    # --- 8. the response ------------------------------------------------------------------

    def render(
        self, reply: Reply, base_url: str, business: str | None
    ) -> tuple[int, bytes, RawHeaders]:
        """Status, body and headers exactly as ``starlette.responses.Response`` sets them."""
        if reply.content is not None:
            return reply.status, reply.content, _response_headers(reply, reply.content)
        payload = reply.payload
        spec = self.operation.response(reply.status)
        # Only success bodies are filled: error bodies keep FastAPI's exact shape.
        if 200 <= reply.status < 300 and spec is not None and spec.schema is not None:
            ctx = GenContext(base_url=base_url, business_id=business)
            payload = self.runtime.filler(spec.schema).fill(payload, self.runtime.generator, ctx)
        body = orjson.dumps(payload)
        return reply.status, body, _response_headers(reply, body, JSON_MEDIA_TYPE)


def _response_headers(reply: Reply, body: bytes, media_type: str | None = None) -> RawHeaders:
    has_length = not (reply.status < 200 or reply.status in (204, 304))  # Starlette's rule
    if not reply.headers and media_type == JSON_MEDIA_TYPE and has_length:
        return [(b"content-length", str(len(body)).encode()), JSON_CONTENT_TYPE]
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers.items()]
    keys = {key for key, _ in raw}
    if b"content-length" not in keys and has_length:
        raw.append((b"content-length", str(len(body)).encode("latin-1")))
    content_type = media_type or reply.media_type
    if content_type is not None and b"content-type" not in keys:
        if content_type.startswith("text/") and "charset=" not in content_type.lower():
            content_type += "; charset=utf-8"
        raw.append((b"content-type", content_type.encode("latin-1")))
    return raw


def _plain(value: Any) -> Any:
    """A validated body model as a dict keyed by the JSON property names."""
    if isinstance(value, BaseModel):
        # What ``model_dump(by_alias=True)`` does, minus its keyword-forwarding wrapper.
        return value.__pydantic_serializer__.to_python(value, by_alias=True)
    return value
