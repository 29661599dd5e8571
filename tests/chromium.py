"""Debian's Chromium driven by Playwright, for the browser tests.

Playwright downloads no browser here (only the package registries are reachable):
``make browser`` installs Debian's ``chromium`` and the tests drive that binary, or the
one ``CHROMIUM`` names. Where there is none, a browser test skips saying how to get it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# Headless, and nothing that would reach off the machine on its own.
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 20_000


def launched_chromium(sync_api: Any) -> Iterator[Any]:
    """A browser for one test module (yield it from a module-scoped fixture); skips when
    there is no Chromium binary."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"no Chromium at {CHROMIUM}: `make browser` installs Debian's chromium "
            "(apt-get, as root); set CHROMIUM=/path/to/chromium to use another"
        )
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield launched
        finally:
            launched.close()
