"""Offline Swagger UI (``/docs``) and ReDoc (``/redoc``) over the bundle itself.

``/openapi.json`` is the bundle exactly as ``openapi.bundle`` merged it, not a schema
FastAPI generated from routes. The pages load their JavaScript and CSS from the files the
``fastapi-offline`` package ships (MIT; Swagger UI is Apache-2.0, ReDoc MIT), served
under ``/__mock/assets``, so the docs work without network access. They read a copy of
the bundle whose first server is this mock, so "Try it out" calls the mock rather than
production.

ReDoc 2 draws its "API docs by Redocly" footer with an ``<img>`` whose source,
``https://cdn.redoc.ly/redoc/logo-mini.svg``, is hard-coded in ``redoc.standalone.js``
and no option hides it; ``/__mock/assets/redoc.standalone.js`` is therefore served with
that URL rewritten to an inline, empty SVG, so the page makes no network request.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import fastapi_offline
import orjson
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from dayzero_twin.mock_server.asgi.base_url import request_base_url
from dayzero_twin.mock_server.pipeline.spec import CompiledSpec

ASSET_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSETS = "/__mock/assets"
DOCS_SPEC = "/__mock/docs/openapi.json"
BUSINESS_PARAMETER = "BusinessIdHeader"
REDOC_JS = "redoc.standalone.js"
REDOC_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
EMPTY_SVG = b"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E"


@cache  # one megabyte, read once per process rather than once per app
def offline_redoc_js() -> bytes:
    """ReDoc's bundle with its one remote image replaced by an inline, empty one."""
    return (ASSET_DIR / REDOC_JS).read_bytes().replace(REDOC_LOGO, EMPTY_SVG)


def docs_routes(spec: CompiledSpec, public_base_url: str | None) -> list[BaseRoute]:
    """Routes for the bundle and the two documentation pages."""
    title = spec.document.get("info", {}).get("title", "API")
    redoc_js = offline_redoc_js()

    async def openapi_json(request: Request) -> Response:
        return Response(spec.openapi_json, media_type="application/json")

    async def docs_openapi_json(request: Request) -> Response:
        base = public_base_url or request_base_url(request)
        servers = [s for s in spec.document.get("servers", []) if s.get("url") != base]
        document = {
            **spec.document,
            "servers": [{"url": base, "description": "This mock"}, *servers],
            "components": _with_business_example(spec.document, request),
        }
        return Response(orjson.dumps(document), media_type="application/json")

    async def swagger(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=DOCS_SPEC,
            title=f"{title} - Swagger UI (offline mock)",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
            # The default validator badge would call validator.swagger.io.
            swagger_ui_parameters={"validatorUrl": None, "tryItOutEnabled": True},
        )

    async def redoc_asset(request: Request) -> Response:
        return Response(redoc_js, media_type="text/javascript")

    async def redoc(request: Request) -> HTMLResponse:
        return get_redoc_html(
            openapi_url=DOCS_SPEC,
            title=f"{title} - ReDoc (offline mock)",
            redoc_js_url=f"{ASSETS}/{REDOC_JS}",
            redoc_favicon_url=f"{ASSETS}/favicon.png",
            with_google_fonts=False,
        )

    return [
        Route("/openapi.json", openapi_json, methods=["GET"]),
        Route(DOCS_SPEC, docs_openapi_json, methods=["GET"]),
        Route("/docs", swagger, methods=["GET"]),
        Route("/redoc", redoc, methods=["GET"]),
        # Before the mount, so that this route, not the file as shipped, answers.
        Route(f"{ASSETS}/{REDOC_JS}", redoc_asset, methods=["GET"]),
        Mount(ASSETS, app=StaticFiles(directory=ASSET_DIR), name="assets"),
    ]


def _with_business_example(document: dict[str, Any], request: Request) -> dict[str, Any]:
    """The components with this mock's first business as the ``x-business-id`` example.

    Swagger UI pre-fills "Try it out" from it. The slices carry the default world's first
    business as the example; a mock started with ``--world`` has other businesses, so the
    docs' copy names the one this mock really serves.
    """
    components: dict[str, Any] = document.get("components", {})
    header = components.get("parameters", {}).get(BUSINESS_PARAMETER)
    if header is None:
        return components
    business = request.app.state.service.world()["businesses"][0]["id"]
    parameters = {**components["parameters"], BUSINESS_PARAMETER: {**header, "example": business}}
    return {**components, "parameters": parameters}
