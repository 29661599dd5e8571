"""The inspector, Swagger UI and ReDoc in a real browser: headless Chromium via Playwright.

The mock runs as a real process (``python -m dayzero_twin.mock_server``) on a free
loopback port; Playwright drives Debian's Chromium (``make browser`` installs it; set
``CHROMIUM`` to use another binary) without downloading a browser of its own. Every
request a page makes is recorded, and any to another origin is aborted before it
leaves the machine, so "offline" is checked, not assumed.

Waits are Playwright's: conditions polled until they hold (or a generous bound passes),
never fixed sleeps or assertions on how long something took.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed: `make install` adds it (dev extra)"
)

from tests.chromium import WAIT_MS, launched_chromium  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "build" / "artifacts"
STARTUP_SECONDS = 30
BUSINESS = "b5a1c6de-0000-4000-8000-000000000001"
CREATE_INVOICES = "create_bulk_invoices_api_v1_invoices_bulk_post"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def mock_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A mock process of its own, stopped with Ctrl-C after the module's tests."""
    port = _free_port()
    log = (tmp_path_factory.mktemp("inspector") / "mock.log").open("w+")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dayzero_twin.mock_server",
            "--port",
            str(port),
            "--seed",
            "7",
            "--clock",
            "2026-01-15T09:00:00Z",
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            assert process.poll() is None, "the mock exited while starting"
            try:
                httpx.get(f"{url}/__mock/health", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launched_chromium(sync_api)


@dataclass
class Traffic:
    """Every URL a page asked for; those off the mock's origin were aborted."""

    origin: str
    urls: list[str] = field(default_factory=list)
    # Method, URL and Content-Type of each call that is not a GET.
    changes: list[tuple[str, str, str | None]] = field(default_factory=list)

    @property
    def foreign(self) -> list[str]:
        return [url for url in self.urls if not self._own(url)]

    def _own(self, url: str) -> bool:
        return url == self.origin or url.startswith(self.origin + "/") or url.startswith("data:")

    def route(self, route: Any) -> None:
        request = route.request
        url = request.url
        self.urls.append(url)
        if request.method not in ("GET", "HEAD"):
            self.changes.append((request.method, url, request.headers.get("content-type")))
        if self._own(url):
            route.continue_()
        else:
            route.abort()


@pytest.fixture
def page(browser: Any, mock_url: str) -> Iterator[tuple[Any, Traffic]]:
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    traffic = Traffic(mock_url)
    context.route("**/*", traffic.route)
    opened = context.new_page()
    opened.set_default_timeout(WAIT_MS)
    sync_api.expect.set_options(timeout=WAIT_MS)
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield opened, traffic
        assert errors == [], errors
    finally:
        context.close()


def _import(page: Any, key: str) -> None:
    page.locator(f'#sample-rows tr[data-key="{key}"] button').click()


def test_import_scenario_and_reset_from_the_page(page: tuple[Any, Traffic], mock_url: str) -> None:
    tab, traffic = page
    expect = sync_api.expect
    tab.goto(f"{mock_url}/__mock/")
    tab.wait_for_selector("body[data-ready=true]")
    tab.select_option("#import-business", BUSINESS)
    card = tab.locator(f'article[data-business="{BUSINESS}"]')
    invoices = card.locator('[data-kind="invoices"] .count')
    expect(invoices).to_have_text("0")

    # One click: the bulk operation with the sample's key, in the journal and the holdings.
    _import(tab, "samples/invoices.csv")
    row = tab.locator("#journal-rows tr", has_text="/api/v1/invoices/bulk").first
    expect(row).to_contain_text("201")
    expect(invoices).to_have_text("4")
    expect(card.locator("table.items.invoices tbody tr")).to_have_count(4)
    row.click()
    detail = tab.locator("#entry-detail")
    expect(detail).to_contain_text(CREATE_INVOICES)
    # The page shows the headers as the journal API gives them (redacted there, if at all).
    journaled = httpx.get(f"{mock_url}/__mock/journal", params={"limit": 500}).json()["items"]
    entry = next(e for e in journaled if e["path"] == "/api/v1/invoices/bulk")
    shown = detail.locator(".message").first.locator(".headers tr").evaluate_all(
        "rows => rows.map(r => [r.cells[0].textContent, r.cells[1].textContent])"
    )
    assert dict(shown) == entry["request"]["headers"]
    expect(detail).to_contain_text('"s3_key": "samples/invoices.csv"')
    expect(detail.locator("pre.body").nth(1)).to_contain_text('"items"')

    # A scenario armed for one request answers the next import, then is used up.
    tab.select_option("#scenario-operation", CREATE_INVOICES)
    form = tab.locator("#scenario-form")
    form.locator('input[name="code"]').fill("503")
    form.locator('input[name="count"]').fill("1")
    form.locator("button[type=submit]").click()
    armed = tab.locator("#scenario-list li.scenario")
    expect(armed).to_have_count(1)
    expect(armed).to_contain_text("code 503")
    _import(tab, "samples/invoices.csv")
    expect(tab.locator("#journal-rows tr", has_text="/api/v1/invoices/bulk").first).to_contain_text(
        "503"
    )
    expect(armed).to_have_count(0)
    expect(invoices).to_have_text("4")

    # Armed, then cleared without being used.
    form.locator('input[name="count"]').fill("3")
    form.locator("button[type=submit]").click()
    expect(armed).to_contain_text("3 left")
    tab.locator("#clear-scenarios").click()
    expect(armed).to_have_count(0)

    _import(tab, "samples/bills.csv")
    expect(card.locator('[data-kind="bills"] .count')).to_have_text("5")
    tab.locator("#journal-rows tr").first.click()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / "inspector.png"), full_page=True)

    tab.locator("#reset-all").click()
    expect(invoices).to_have_text("0")
    expect(card.locator('[data-kind="bills"] .count')).to_have_text("0")
    assert traffic.foreign == []
    assert any(url.endswith("/api/v1/invoices/bulk") for url in traffic.urls)
    # Every state-changing call is JSON, as the admin API requires of them.
    methods = {method for method, _, _ in traffic.changes}
    assert {"POST", "DELETE"} <= methods
    assert all(kind == "application/json" for _, _, kind in traffic.changes), traffic.changes


@pytest.mark.parametrize(
    ("path", "ready"),
    [
        ("/__mock/", "body[data-ready=true]"),
        ("/docs", ".swagger-ui .info"),
        ("/redoc", ".menu-content"),
    ],
)
def test_pages_load_nothing_from_another_origin(
    page: tuple[Any, Traffic], mock_url: str, path: str, ready: str
) -> None:
    tab, traffic = page
    tab.goto(f"{mock_url}{path}")
    tab.wait_for_selector(ready)
    tab.wait_for_load_state("networkidle")
    assert len(traffic.urls) > 1
    assert traffic.foreign == []
