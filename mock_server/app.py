"""``create_app(config)``: the bundle's operations, the admin API and the docs in one app.

Every operation of the bundle becomes one endpoint that runs the contract's pipeline
(CONTRACT §1): forced responses and faults first (``Prefer`` / armed scenarios, once
the route matched), then 401, 422, 403, 413 and finally the domain handler, whose
service errors become 400/404/413. Around the FastAPI app sit three pure ASGI layers,
outermost first: the recorder (log line, journal, last-resort 500), CORS, and the
dispatcher, which hands operation requests to their endpoint without FastAPI's stack
(:mod:`mock_server.dispatch`). So even a 404 or a crash is logged, journaled and
readable from a browser, and the hot path is a handful of plain function calls.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any
from uuid import UUID

import orjson
from fastapi import FastAPI
from pydantic import BaseModel
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from dayzero_twin.mock_server.asgi import gc_policy
from dayzero_twin.mock_server.asgi.cors import CORS
from dayzero_twin.mock_server.asgi.dispatch import (
    RESPONSE_STARTED_KEY,
    Dispatcher,
    Target,
    safe_name,
)
from dayzero_twin.mock_server.asgi.headers import RawHeaders, RequestHeaders, set_header
from dayzero_twin.mock_server.asgi.journal import NOTE_KEY, OPERATION_KEY, Journal, Recorder
from dayzero_twin.mock_server.config import MockConfig
from dayzero_twin.mock_server.endpoints.admin import admin_routes
from dayzero_twin.mock_server.endpoints.docs import docs_routes
from dayzero_twin.mock_server.endpoints.operations import (
    MULTIPART_SLACK_BYTES,
    RequestContext,
    Runtime,
    form_value,
    handler_for,
    read_capped,
    read_form,
    scope_base_url,
)
from dayzero_twin.mock_server.pipeline.generator import GenContext, Generator
from dayzero_twin.mock_server.pipeline.negotiation import Reply, error_reply, forced_reply
from dayzero_twin.mock_server.pipeline.scenarios import (
    NO_PREFERENCES,
    ScenarioBook,
    attach_transport,
    can_fault,
    inject_fault,
    parse_prefer,
    sample_latency,
)
from dayzero_twin.mock_server.pipeline.spec import (
    BUSINESS_HEADER,
    CompiledSpec,
    OperationSpec,
    compile_spec,
)
from dayzero_twin.mock_server.pipeline.validation import (
    MISSING,
    JsonDecodeFailure,
    body_too_large_errors,
    decode_json_body,
    lookup,
    validation_error_body,
)
from dayzero_twin.mock_server.service import (
    Forbidden,
    ImportFailed,
    MockService,
    ServiceError,
    Unauthorized,
)

CONFIG_ENV = "DAYZERO_MOCK_CONFIG"
BUSINESS_HEADER_KEY = BUSINESS_HEADER.encode("latin-1")
JSON_MEDIA_TYPE = "application/json"
JSON_CONTENT_TYPE = (b"content-type", JSON_MEDIA_TYPE.encode())
EXPOSED_HEADERS = [
    "WWW-Authenticate",
    "X-Request-Id",
    "Preference-Applied",
    "Content-Disposition",
    "Location",
]


class OperationEndpoint:
    """The ASGI endpoint of one bundle operation (see the module docstring for the order).

    It reads the raw ASGI scope rather than a Starlette ``Request``: the headers once
    into a dict, the query string and cookies only for operations that declare such
    parameters, and the body straight from ``receive``.
    """

    def __init__(self, operation: OperationSpec, runtime: Runtime) -> None:
        self.operation = operation
        self.runtime = runtime
        self.handler = handler_for(operation)
        self.path_names = {safe_name(p.name): p.name for p in operation.params}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        runtime, operation = self.runtime, self.operation
        scope[OPERATION_KEY] = operation.operation_id
        headers = RequestHeaders(scope["headers"])
        prefer = headers.getlist(b"prefer")
        wanted = parse_prefer(prefer) if prefer else NO_PREFERENCES
        wanted = wanted.over(runtime.scenarios.take(operation.operation_id))
        delay = wanted.delay_ms
        if delay is None:
            delay = sample_latency(runtime.config.latency_ms, runtime.rng)
        if delay:
            await asyncio.sleep(delay / 1000)
        runtime.service.tick()
        if wanted.fault is not None and can_fault(scope):
            scope[NOTE_KEY] = f"fault={wanted.fault}"
            scope[RESPONSE_STARTED_KEY] = True  # the connection is gone: no 500 after this
            await inject_fault(wanted.fault, scope, receive, runtime.rng)
            return
        base_url = runtime.config.public_base_url or scope_base_url(scope)
        if wanted.fault is not None:
            reply = error_reply(502, "Fault injection needs a real TCP connection (uvicorn)")
        elif wanted.code is not None:
            scope[NOTE_KEY] = f"code={wanted.code}"
            reply = forced_reply(
                operation,
                wanted.code,
                runtime.generator,
                GenContext(base_url=base_url, business_id=headers.get(BUSINESS_HEADER_KEY)),
                runtime.csv_columns,
            )
        else:
            reply = await self.serve(scope, receive, headers, base_url)
        status, body, raw_headers = self.render(reply, base_url, headers.get(BUSINESS_HEADER_KEY))
        applied = wanted.applied if wanted is not NO_PREFERENCES else ""
        if applied:
            set_header(raw_headers, b"preference-applied", applied.encode("latin-1"))
        scope[RESPONSE_STARTED_KEY] = True
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": body})

    async def serve(
        self, scope: Scope, receive: Receive, headers: RequestHeaders, base_url: str
    ) -> Reply:
        operation, service = self.operation, self.runtime.service
        token = None
        if operation.requires_auth:
            try:
                token = service.authenticate(headers.get(b"authorization"))
            except Unauthorized as error:
                return error_reply(401, error.message)
        body: Any = MISSING
        form = None
        too_large = False
        request = Request(scope, receive)
        spec = operation.body
        if spec is not None and spec.json is not None:
            limit = self.runtime.config.max_json_body_bytes
            raw = await read_capped(receive, headers.get(b"content-length"), limit)
            if raw is None:
                return Reply(422, validation_error_body(body_too_large_errors(limit)))
            body = decode_json_body(raw, headers.get(b"content-type"))
            if isinstance(body, JsonDecodeFailure):
                return Reply(422, validation_error_body(body.errors()))
        elif spec is not None and spec.form_fields:
            limit = service.max_upload_bytes + MULTIPART_SLACK_BYTES
            try:
                form, too_large = await read_form(request, limit)
            except MultiPartException as error:
                return error_reply(400, error.message)
        try:
            return await self._validated(
                request, headers, base_url, token, body, form, too_large
            )
        finally:
            if form is not None:
                await form.close()

    def _source(self, location: str, request: Request, headers: RequestHeaders) -> Any:
        """Where parameters of ``location`` come from; each built only when asked for."""
        if location == "header":
            return headers
        if location == "path":
            return {self.path_names.get(k, k): v for k, v in request.path_params.items()}
        if location == "query":
            return request.query_params
        return request.cookies

    async def _validated(
        self,
        request: Request,
        headers: RequestHeaders,
        base_url: str,
        token: str | None,
        body: Any,
        form: Any,
        big: bool,
    ) -> Reply:
        operation, service = self.operation, self.runtime.service
        errors: list[dict[str, Any]] = []
        params: dict[str, Any] = {}
        sources: dict[str, Any] = {}
        for param in operation.params:
            source = sources.get(param.location)
            if source is None:
                source = sources[param.location] = self._source(param.location, request, headers)
            value, found = param.validate(lookup(source, param.name))
            if found:
                errors.extend(found)
            params[param.name] = value
        body_value: Any = None
        spec = operation.body
        if spec is not None and spec.json is not None:
            value, found = spec.json.validate(body)
            errors.extend(found)
            body_value = _plain(value)
        elif spec is not None and spec.form_fields:
            body_value = {}
            for form_field in spec.form_fields if not big else ():
                value, found = form_field.validate(form_value(form, form_field.name))
                errors.extend(found)
                body_value[form_field.name] = value
        if errors:
            return Reply(422, validation_error_body(errors))
        business = params.get(BUSINESS_HEADER)
        business_id = business if isinstance(business, UUID) else None
        if token is not None and business_id is not None:
            try:
                service.authorize(token, business_id)
            except Forbidden as error:
                return error_reply(403, error.message)
        if big:
            return error_reply(413, f"File is larger than {service.max_upload_bytes} bytes")
        ctx = RequestContext(
            self.runtime, operation, request, params, body_value, form, token, business_id, base_url
        )
        try:
            return await self.handler(ctx)
        except ImportFailed as error:
            return error_reply(400, error.detail, [e.as_dict() for e in error.errors])
        except ServiceError as error:
            return error_reply(error.status_code, error.message)

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


def _starlette_path(template: str) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: "{" + safe_name(m.group(1)) + "}", template)


class MockApp(FastAPI):
    """FastAPI with the recorder, CORS and the dispatcher outside its own middleware stack."""

    entry: ASGIApp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            attach_transport(scope, send)
        await self.entry(scope, receive, send)


async def _internal_error(request: Request, exc: Exception) -> Response:
    return JSONResponse({"detail": "Internal Server Error"}, status_code=500)


def create_app(config: MockConfig | None = None) -> MockApp:
    """The mock for ``config``: compiles the slices and opens the service once."""
    config = config or MockConfig()
    spec: CompiledSpec = compile_spec(config.openapi_dir)
    service = MockService(config)
    runtime = Runtime(
        config=config,
        spec=spec,
        service=service,
        generator=Generator(config.seed, service.now),
        scenarios=ScenarioBook(),
        journal=Journal(config.journal_size, config.journal_max_bytes),
        rng=random.Random(config.seed),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            async with gc_policy.serving(lambda: runtime.journal.last_id):
                yield
        finally:
            service.close()

    app = MockApp(
        title=spec.document.get("info", {}).get("title", "DayZero mock"),
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.service = service
    app.state.config = config
    app.state.spec = spec
    targets = [Target(op.method, op.path, OperationEndpoint(op, runtime)) for op in spec.operations]
    app.router.routes.extend(docs_routes(spec, config.public_base_url))
    app.router.routes.extend(admin_routes(runtime))
    app.router.routes.extend(
        Route(_starlette_path(t.path), t.endpoint, methods=[t.method]) for t in targets
    )
    app.add_exception_handler(Exception, _internal_error)
    inner: ASGIApp = Dispatcher(targets, partial(FastAPI.__call__, app))
    if config.cors_origin_regex:
        inner = CORS(
            inner,
            allow_origin_regex=config.cors_origin_regex,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=EXPOSED_HEADERS,
            max_age=600,
        )
    app.entry = Recorder(inner, runtime.journal, config.log_requests, service.now)
    return app


def create_app_from_env() -> MockApp:
    """Factory for ``uvicorn --reload``: the worker process reads the CLI's config from env."""
    raw = os.environ.get(CONFIG_ENV)
    return create_app(MockConfig.from_json(raw) if raw else MockConfig())
