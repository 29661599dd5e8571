"""Issue 13's proof that a browser app works through the checking proxy unchanged.

``examples/browser-app`` (plain HTML and ``fetch``, no build step) is served from its
own loopback origin, so every call it makes is cross-origin: Chromium sends CORS
preflights (``Authorization`` and JSON bodies are not "simple"), and the app only
works if they are answered. It uploads a CSV, imports it, lists and reads back, once
through the proxy in front of a mock and once against the mock directly: the page must
show the same results both ways, and the proxy must have judged all four calls (the
bulk 201 against the file it saw go up, the read-back against that 201) without a
violation. Chromium and skip rules: tests/chromium.py.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from dayzero_twin.contract_tests.mock_process import (
    MOCK_BUSINESS,
    MOCK_SECOND_BUSINESS,
    running_mock,
)
from dayzero_twin.contract_tests.proxy.serve import running_proxy

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed: `make install` adds it (dev extra)"
)

from tests.chromium import WAIT_MS, launched_chromium  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "examples" / "browser-app"
SETTLE_SECONDS = 60
pytestmark = pytest.mark.timeout(300)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No access log on the test's stderr."""


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    """The app's files, served from an origin of their own on loopback."""
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(APP))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    with running_mock() as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launched_chromium(sync_api)


def run_app(browser: Any, app_url: str, api: str, business: str) -> dict[str, Any]:
    """Open the app pointed at ``api`` (as ``business``, whose invoices it then lists),
    press Import, and read what the page shows."""
    page = browser.new_page()
    methods: list[str] = []
    page.on("request", lambda request: methods.append(f"{request.method} {request.url}"))
    try:
        page.goto(f"{app_url}/index.html?api={api}&business={business}")
        page.click("#run")
        page.wait_for_function(
            "['done', 'failed'].includes(document.getElementById('status').textContent)",
            timeout=WAIT_MS,
        )
        shown = {
            key: page.text_content(f"#{key}")
            for key in ("status", "error", "created", "listed", "read-back", "s3-key")
        }
        shown["rows"] = page.eval_on_selector_all(
            "#invoices tr",
            "rows => rows.map(r => [...r.cells].slice(1).map(c => c.textContent))",
        )
        shown["calls"] = [m for m in methods if m.split(" ", 1)[1].startswith(api)]
        return shown
    finally:
        page.close()


def test_browser_app_through_proxy_and_direct(browser: Any, app_url: str, mock_url: str) -> None:
    with running_proxy(mock_url) as (proxy_url, state):
        through = run_app(browser, app_url, proxy_url, MOCK_BUSINESS)
        assert state.settle(SETTLE_SECONDS)
        seen = httpx.get(f"{proxy_url}/__proxy/violations").json()
    # Another business of the same mock, so both runs start from an empty list.
    direct = run_app(browser, app_url, mock_url, MOCK_SECOND_BUSINESS)

    for shown, api in ((through, proxy_url), (direct, mock_url)):
        assert shown["status"] == "done", shown["error"]
        assert shown["created"] == "2"
        assert shown["listed"].endswith("2 of them just created")
        assert shown["read-back"] and "mismatch" not in shown["read-back"]
        assert [call.split(" ", 1)[0] for call in shown["calls"]] == ["POST", "POST", "GET", "GET"]
        assert not app_url.startswith(api)  # cross-origin: CORS preflights were answered
    # Unchanged: the page shows the same thing either way (ids and keys aside).
    assert (
        through["rows"]
        == direct["rows"]
        == [
            ["Acme", "draft", "260099", "2"],
            ["Globex", "draft", "120000", "1"],
        ]
    )
    assert through["listed"] == direct["listed"]
    assert seen["pending"] == 0
    assert seen["violation_count"] == 0, seen["violations"]
    assert (seen["judged"], seen["oracle_checked"]) == (4, 1)
    assert seen["read_backs"] >= 3  # the GET, and the list page's two new items
    assert seen["not_judged"] == {}
