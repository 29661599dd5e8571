"""``create_app(config)``: the bundle's operations, the admin API and the docs in one app.

Every operation of the bundle becomes one route whose endpoint runs the contract's
pipeline (CONTRACT §1): forced responses and faults first (``Prefer`` / armed
scenarios, once the route matched), then 401, 422, 403, 413 and finally the domain
handler, whose service errors become 400/404/413. Around the FastAPI app sit two pure
ASGI layers, outermost first: the recorder (log line, journal, last-resort 500) and CORS,
so even a 404 or a crash is logged, journaled and readable from a browser.
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
from starlette.formparsers import MultiPartException
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from mock_server.admin import admin_routes
from mock_server.config import MockConfig
from mock_server.docs import docs_routes
from mock_server.generator import GenContext, Generator
from mock_server.handlers import (
    MULTIPART_SLACK_BYTES,
    RequestContext,
    Runtime,
    form_value,
    handler_for,
    read_capped,
    read_form,
    request_base_url,
)
from mock_server.journal import NOTE_KEY, OPERATION_KEY, Journal, Recorder
from mock_server.negotiation import Reply, error_reply, forced_reply
from mock_server.scenarios import (
    ScenarioBook,
    attach_transport,
    can_fault,
    inject_fault,
    parse_prefer,
    sample_latency,
)
from mock_server.service import Forbidden, ImportFailed, MockService, ServiceError, Unauthorized
from mock_server.spec import BUSINESS_HEADER, CompiledSpec, OperationSpec, compile_spec
from mock_server.validation import (
    MISSING,
    JsonDecodeFailure,
    body_too_large_errors,
    decode_json_body,
    lookup,
    validation_error_body,
)

CONFIG_ENV = "DAYZERO_MOCK_CONFIG"
EXPOSED_HEADERS = [
    "WWW-Authenticate",
    "X-Request-Id",
    "Preference-Applied",
    "Content-Disposition",
    "Location",
]


class OperationEndpoint:
    """The ASGI endpoint of one bundle operation (see the module docstring for the order)."""

    def __init__(self, operation: OperationSpec, runtime: Runtime) -> None:
        self.operation = operation
        self.runtime = runtime
        self.handler = handler_for(operation)
        self.path_names = {_safe_name(p.name): p.name for p in operation.params}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        runtime, operation = self.runtime, self.operation
        scope[OPERATION_KEY] = operation.operation_id
        request = Request(scope, receive)
        prefer = parse_prefer(request.headers.getlist("prefer"))
        wanted = prefer.over(runtime.scenarios.take(operation.operation_id))
        delay = wanted.delay_ms
        if delay is None:
            delay = sample_latency(runtime.config.latency_ms, runtime.rng)
        if delay:
            await asyncio.sleep(delay / 1000)
        runtime.service.tick()
        if wanted.fault is not None and can_fault(scope):
            scope[NOTE_KEY] = f"fault={wanted.fault}"
            await inject_fault(wanted.fault, scope, receive, runtime.rng)
            return
        base_url = runtime.config.public_base_url or request_base_url(request)
        if wanted.fault is not None:
            reply = error_reply(502, "Fault injection needs a real TCP connection (uvicorn)")
        elif wanted.code is not None:
            scope[NOTE_KEY] = f"code={wanted.code}"
            business = request.headers.get(BUSINESS_HEADER)
            reply = forced_reply(
                operation,
                wanted.code,
                runtime.generator,
                GenContext(base_url=base_url, business_id=business),
                runtime.csv_columns,
            )
        else:
            reply = await self.serve(request, base_url)
        response = self.render(reply, base_url, request.headers.get(BUSINESS_HEADER))
        if wanted.applied:
            response.headers["preference-applied"] = wanted.applied
        await response(scope, receive, send)

    async def serve(self, request: Request, base_url: str) -> Reply:
        operation, service = self.operation, self.runtime.service
        token = None
        if operation.requires_auth:
            try:
                token = service.authenticate(request.headers.get("authorization"))
            except Unauthorized as error:
                return error_reply(401, error.message)
        body: Any = MISSING
        form = None
        too_large = False
        spec = operation.body
        if spec is not None and spec.json is not None:
            raw = await read_capped(request, self.runtime.config.max_json_body_bytes)
            if raw is None:
                return Reply(422, validation_error_body(
                    body_too_large_errors(self.runtime.config.max_json_body_bytes)))
            body = decode_json_body(raw, request.headers.get("content-type"))
            if isinstance(body, JsonDecodeFailure):
                return Reply(422, validation_error_body(body.errors()))
        elif spec is not None and spec.form_fields:
            limit = service.max_upload_bytes + MULTIPART_SLACK_BYTES
            try:
                form, too_large = await read_form(request, limit)
            except MultiPartException as error:
                return error_reply(400, error.message)
        try:
            return await self._validated(request, base_url, token, body, form, too_large)
        finally:
            if form is not None:
                await form.close()

    async def _validated(
        self, request: Request, base_url: str, token: str | None, body: Any, form: Any, big: bool
    ) -> Reply:
        operation, service = self.operation, self.runtime.service
        errors: list[dict[str, Any]] = []
        params: dict[str, Any] = {}
        path_params = {self.path_names.get(k, k): v for k, v in request.path_params.items()}
        sources = {
            "path": path_params,
            "query": request.query_params,
            "header": request.headers,
            "cookie": request.cookies,
        }
        for param in operation.params:
            value, found = param.validate(lookup(sources[param.location], param.name))
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

    def render(self, reply: Reply, base_url: str, business: str | None) -> Response:
        if reply.content is not None:
            return Response(reply.content, reply.status, reply.headers, reply.media_type)
        payload = reply.payload
        spec = self.operation.response(reply.status)
        # Only success bodies are filled: error bodies keep FastAPI's exact shape.
        if 200 <= reply.status < 300 and spec is not None and spec.schema is not None:
            ctx = GenContext(base_url=base_url, business_id=business)
            payload = self.runtime.filler(spec.schema).fill(payload, self.runtime.generator, ctx)
        return Response(orjson.dumps(payload), reply.status, reply.headers, "application/json")


def _plain(value: Any) -> Any:
    """A validated body model as a dict keyed by the JSON property names."""
    dump = getattr(value, "model_dump", None)
    return dump(by_alias=True) if dump is not None else value


def _safe_name(name: str) -> str:
    return re.sub(r"\W", "_", name)


def _starlette_path(template: str) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: "{" + _safe_name(m.group(1)) + "}", template)


class MockApp(FastAPI):
    """FastAPI with the recorder and CORS wrapped outside its own middleware stack."""

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
        journal=Journal(config.journal_size),
        rng=random.Random(config.seed),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
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
    app.router.routes.extend(docs_routes(spec, config.public_base_url))
    app.router.routes.extend(admin_routes(runtime))
    app.router.routes.extend(
        Route(_starlette_path(op.path), OperationEndpoint(op, runtime), methods=[op.method])
        for op in spec.operations
    )
    app.add_exception_handler(Exception, _internal_error)
    inner: ASGIApp = partial(FastAPI.__call__, app)
    if config.cors_origin_regex:
        inner = CORSMiddleware(
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
