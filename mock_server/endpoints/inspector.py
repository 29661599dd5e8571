"""``GET /__mock/``: the inspector, a page over the admin API for people, not scripts.

Plain HTML, CSS and ES modules from ``mock_server/assets/inspector`` (package data), so
it works offline with no build step. A strict Content-Security-Policy keeps the page on
the mock's own origin: no asset or call can leave it, and a journaled request body that
carries markup cannot run as script (the page also only ever sets text, never HTML).
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

INSPECTOR_DIR = Path(__file__).resolve().parent.parent / "assets" / "inspector"
PAGE = "/__mock/"
ASSETS = "/__mock/inspector"
HEADERS = MappingProxyType({
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "cache-control": "no-cache",
    "x-content-type-options": "nosniff",
    # The page's URL may carry ?admin_token=: no Referer may take it anywhere.
    "referrer-policy": "no-referrer",
})


def inspector_routes() -> list[BaseRoute]:
    """The page, its assets, and ``/__mock`` → ``/__mock/`` (its links are relative)."""

    async def page(request: Request) -> Response:
        return FileResponse(INSPECTOR_DIR / "index.html", headers=dict(HEADERS))

    async def to_page(request: Request) -> Response:
        # The query carries ?admin_token= when the mock has one: keep it across the hop.
        query = request.url.query
        return RedirectResponse(f"{PAGE}?{query}" if query else PAGE, status_code=308)

    return [
        Route(PAGE, page, methods=["GET"]),
        Route(PAGE.rstrip("/"), to_page, methods=["GET"]),
        Mount(ASSETS, app=StaticFiles(directory=INSPECTOR_DIR), name="inspector"),
    ]
