"""``create_app(config)``: the bundle's operations, the admin API and the docs in one app.

Every operation of the bundle becomes one
:class:`~dayzero_twin.mock_server.endpoints.operation_endpoint.OperationEndpoint`, which
runs the contract's pipeline (CONTRACT §1). Around the FastAPI app sit three pure ASGI
layers, outermost first: the recorder (log line, journal, last-resort 500), CORS, and
the dispatcher, which hands operation requests to their endpoint without FastAPI's stack
(:mod:`~dayzero_twin.mock_server.asgi.dispatch`). So even a 404 or a crash is logged,
journaled and readable from a browser, and the hot path is a handful of plain function
calls. The Host check sits between the recorder and CORS, the admin API's guard between
CORS and the dispatcher (:mod:`~dayzero_twin.mock_server.asgi.guard`).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from dayzero_twin.mock_server.asgi import gc_policy
from dayzero_twin.mock_server.asgi.cors import CORS
from dayzero_twin.mock_server.asgi.dispatch import Dispatcher, Target
from dayzero_twin.mock_server.asgi.guard import AdminGuard
from dayzero_twin.mock_server.asgi.hosts import HostGuard, HostPolicy
from dayzero_twin.mock_server.asgi.journal import Recorder
from dayzero_twin.mock_server.asgi.metrics import RequestMetrics
from dayzero_twin.mock_server.asgi.paths import compile_template
from dayzero_twin.mock_server.config import MockConfig
from dayzero_twin.mock_server.endpoints.admin import admin_routes
from dayzero_twin.mock_server.endpoints.docs import docs_routes
from dayzero_twin.mock_server.endpoints.metrics import metrics_routes
from dayzero_twin.mock_server.endpoints.operation_endpoint import OperationEndpoint
from dayzero_twin.mock_server.pipeline.scenarios import attach_transport
from dayzero_twin.mock_server.pipeline.spec import CompiledSpec, compile_spec
from dayzero_twin.mock_server.runtime import Runtime
from dayzero_twin.mock_server.service import MockService

CONFIG_ENV = "DAYZERO_MOCK_CONFIG"
EXPOSED_HEADERS = (
    "WWW-Authenticate",
    "X-Request-Id",
    "Preference-Applied",
    "Content-Disposition",
    "Location",
)


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
    runtime = Runtime.start(config, spec, service)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            async with gc_policy.PROCESS.serving(lambda: runtime.journal.last_id):
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
    registry = CollectorRegistry()  # the app's own: tests build many apps per process
    request_metrics = RequestMetrics()
    registry.register(request_metrics)
    app.router.routes.extend(metrics_routes(runtime, registry))
    app.router.routes.extend(
        Route(compile_template(t.path).starlette_path, t.endpoint, methods=[t.method])
        for t in targets
    )
    app.add_exception_handler(Exception, _internal_error)
    inner: ASGIApp = AdminGuard(Dispatcher(targets, partial(FastAPI.__call__, app)), config)
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
    inner = HostGuard(inner, HostPolicy.from_config(config))  # before CORS: every request
    app.entry = Recorder(
        inner, runtime.journal, config.log_requests, service.now, request_metrics.observe
    )
    return app


def create_app_from_env() -> MockApp:
    """Factory for ``uvicorn --reload``: the worker process reads the CLI's config from env."""
    raw = os.environ.get(CONFIG_ENV)
    return create_app(MockConfig.from_json(raw) if raw else MockConfig())
