"""Shared fixtures: the mock in-process, the mock on a real socket, and a response oracle.

- ``mock_app(**overrides)``: a fresh app for a ``MockConfig`` with test defaults (fixed
  seed and clock) and the given overrides; services are closed after the test.
- ``client``: a Starlette ``TestClient`` over a default ``mock_app()``.
- ``live_mock``: base URL of a real uvicorn server in a thread on a free loopback port;
  ``live_mock_factory(**overrides)`` starts more (each stopped after the test).
- ``auth_headers``: a token and a business of the default world that may act for it.
- ``check_response(response)``: asserts the status is documented for the operation the
  request hit and the body validates against the slices (jsonschema with format
  checks, independent of the mock's own validators); returns the decoded body.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import jsonschema
import pytest
import uvicorn
from fastapi.testclient import TestClient

from dayzero_twin.mock_server.app import MockApp, create_app
from dayzero_twin.mock_server.config import MockConfig
from dayzero_twin.mock_server.server import server_options
from dayzero_twin.mock_server.service import MockService
from dayzero_twin.openapi.bundle import dereference, iter_operations, load_bundle

TEST_SEED = 7
TEST_CLOCK = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def mock_config(**overrides: Any) -> MockConfig:
    """The config tests use: reproducible (seed, fixed clock), quiet, plus ``overrides``."""
    values: dict[str, Any] = {"seed": TEST_SEED, "clock": TEST_CLOCK, "log_requests": False}
    values["allowed_hosts"] = ("testserver",)  # the Host header of Starlette's TestClient
    values.update(overrides)
    return MockConfig(**values)


@pytest.fixture
def mock_app() -> Iterator[Callable[..., MockApp]]:
    apps: list[MockApp] = []

    def make(**overrides: Any) -> MockApp:
        app = create_app(mock_config(**overrides))
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.state.service.close()


@pytest.fixture
def client(mock_app: Callable[..., MockApp]) -> Iterator[TestClient]:
    with TestClient(mock_app(), raise_server_exceptions=False) as test_client:
        yield test_client


# --------------------------------------------------------------------------- world


@pytest.fixture(scope="session")
def default_world() -> dict[str, Any]:
    service = MockService(MockConfig())
    try:
        return service.world()
    finally:
        service.close()


@pytest.fixture(scope="session")
def auth_headers(default_world: dict[str, Any]) -> dict[str, str]:
    token, businesses = next(iter(default_world["tokens"].items()))
    return {"Authorization": f"Bearer {token}", "x-business-id": businesses[0]}


# --------------------------------------------------------------------------- live server


class LiveMock:
    """A uvicorn server for one app, in a daemon thread, on a free loopback port."""

    def __init__(self, app: MockApp) -> None:
        self.app = app
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="on",
            **server_options(app.state.config),  # the protocol and limits the CLI runs
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]})
        self.thread.daemon = True

    def __enter__(self) -> LiveMock:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the live mock did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture
def live_mock_factory() -> Iterator[Callable[..., str]]:
    running: list[LiveMock] = []

    def start(**overrides: Any) -> str:
        live = LiveMock(create_app(mock_config(**overrides))).__enter__()
        running.append(live)
        return live.url

    yield start
    for live in running:
        live.__exit__(None, None, None)


@pytest.fixture
def live_mock(live_mock_factory: Callable[..., str]) -> str:
    return live_mock_factory()


# --------------------------------------------------------------------------- oracle


def _uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


FORMATS = jsonschema.FormatChecker()
FORMATS.checks("uri")(_uri)


class Conformance:
    """Checks responses against the slices of one folder (default: the project's)."""

    def __init__(self, openapi_dir: Path | None = None) -> None:
        self.document = load_bundle(openapi_dir)
        self.routes = [
            (method.upper(), _route_regex(path), path, operation)
            for method, path, operation in iter_operations(self.document)
        ]
        # Literal segments first, as a router would match them.
        self.routes.sort(key=lambda r: tuple("{" in s for s in r[2].split("/")))
        self._validators: dict[tuple[str, str, int], jsonschema.Validator | None] = {}

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]]:
        for route_method, regex, template, operation in self.routes:
            if route_method == method.upper() and regex.fullmatch(path):
                return template, operation
        raise AssertionError(f"{method} {path} is no operation of the slices")

    def schema(self, method: str, path: str, status: int) -> dict[str, Any] | None:
        template, operation = self.operation(method, path)
        responses = operation.get("responses", {})
        assert str(status) in responses, (
            f"{method} {template} answered {status}, documented: {sorted(responses)}"
        )
        response = dereference(self.document, responses[str(status)])
        content = response.get("content") or {}
        return (content.get("application/json") or {}).get("schema")

    def __call__(self, response: httpx.Response, documented: bool = True) -> Any:
        request = response.request
        method, path = request.method, request.url.path
        if not documented:
            body = response.json()
            assert isinstance(body.get("detail"), str), body
            return body
        template, _ = self.operation(method, path)
        key = (method, template, response.status_code)
        if key not in self._validators:
            schema = self.schema(method, path, response.status_code)
            self._validators[key] = (
                jsonschema.Draft202012Validator(schema, format_checker=FORMATS)
                if schema is not None
                else None
            )
        validator = self._validators[key]
        if response.status_code == 401:
            assert response.headers.get("www-authenticate") == "Bearer"
        if validator is None:
            return response.content
        assert response.headers["content-type"].startswith("application/json")
        body = response.json()
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        assert not errors, f"{method} {path} {response.status_code}: " + "; ".join(
            f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]
        )
        return body


def _route_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))


@pytest.fixture(scope="session")
def check_response() -> Conformance:
    return Conformance()


@pytest.fixture(scope="session")
def conformance_for() -> Callable[[Path], Conformance]:
    return Conformance


def pytest_configure(config: pytest.Config) -> None:
    """Suite runs started by these tests check one thing at a time unless a test says
    otherwise (``--workers``): many run side by side already, on CI's 2 cores."""
    os.environ["CONTRACT_WORKERS"] = "1"
