"""Timeouts and limits of the server the CLI runs (issue 12): a stalled head or body is
dropped, an oversized head is a 431, and stalled sockets cannot lock new clients out.

Every server here listens on 127.0.0.1 only. Timeouts are configured short (a fraction
of a second) so that tests finish quickly; the assertions are about what happens, never
about how long it took — socket timeouts only bound a test that would otherwise hang.
"""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from dayzero_twin.mock_server.app import MockApp, create_app
from dayzero_twin.mock_server.server import GuardedHttpToolsProtocol, server_options
from tests.conftest import mock_config

ROOT = Path(__file__).resolve().parent.parent
BOUND_SECONDS = 30  # the longest any socket operation here may wait: a hang fails the test
SHORT = 1.0  # the timeouts configured for these tests, in seconds
HEALTH = b"GET /__mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"


@contextmanager
def guarded_server(**overrides: Any) -> Iterator[tuple[int, MockApp]]:
    """The mock in a uvicorn thread with the CLI's protocol options, on a free loopback port."""
    values: dict[str, Any] = {
        "header_timeout_seconds": SHORT,
        "body_timeout_seconds": SHORT,
        **overrides,
    }
    config = mock_config(**values)
    app = create_app(config)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="on", **server_options(config)
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + BOUND_SECONDS
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    try:
        yield sock.getsockname()[1], app
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        app.state.service.close()


def connect(port: int) -> socket.socket:
    client = socket.create_connection(("127.0.0.1", port), timeout=BOUND_SECONDS)
    client.settimeout(BOUND_SECONDS)
    return client


def read_until_closed(client: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    while True:
        try:
            chunk = client.recv(65536)
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def test_the_cli_serves_with_the_guarded_protocol() -> None:
    options = server_options(mock_config(max_header_bytes=4096, header_timeout_seconds=5))
    assert options["http"].func is GuardedHttpToolsProtocol
    assert options["http"].keywords["limits"].header_timeout == 5
    assert options["http"].keywords["limits"].max_header_bytes == 4096


def test_a_silent_connection_is_closed_after_the_header_timeout() -> None:
    with guarded_server() as (port, _), connect(port) as client:
        assert read_until_closed(client) == b""  # closed by the server, nothing to answer


def test_a_stalled_head_gets_a_408() -> None:
    with guarded_server() as (port, _), connect(port) as client:
        client.sendall(HEALTH)  # no blank line: the head never ends
        answer = read_until_closed(client)
    assert status_of(answer) == 408
    assert b"connection: close" in answer.lower() and b"request head" in answer


def test_the_header_timeout_applies_to_the_next_request_on_a_kept_alive_connection() -> None:
    with guarded_server() as (port, _), connect(port) as client:
        client.sendall(HEALTH + b"\r\n")
        first = client.recv(65536)
        assert status_of(first) == 200
        client.sendall(HEALTH)  # the second head stalls
        assert b"408 Request Timeout" in read_until_closed(client)


def test_a_stalled_body_gets_a_408_and_is_journaled_as_such(
    auth_headers: dict[str, str],
) -> None:
    head = (
        "POST /api/v1/invoices/bulk HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in auth_headers.items())
        + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    )
    with guarded_server() as (port, app), connect(port) as client:
        client.sendall(head.encode() + b'{"s3_key": ')  # 11 of the 100 bytes declared
        answer = read_until_closed(client)
        assert status_of(answer) == 408 and b"request body" in answer
        # The recorder journals the request a loop turn after the connection closed.
        deadline = time.monotonic() + BOUND_SECONDS
        entries: list[dict[str, Any]] = []
        while not entries and time.monotonic() < deadline:
            entries = app.state.runtime.journal.query(limit=1)
            time.sleep(0.01)
    assert (entries[0]["status"], entries[0]["note"]) == (408, "body_timeout")


def test_a_client_gone_mid_body_is_a_499_without_a_traceback(
    auth_headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    head = (
        "POST /api/v1/invoices/bulk HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in auth_headers.items())
        + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    )
    with guarded_server(body_timeout_seconds=BOUND_SECONDS) as (port, app):
        with connect(port) as client:
            client.sendall(head.encode() + b'{"s3_key": ')
            deadline = time.monotonic() + BOUND_SECONDS
            while not app.state.runtime.journal.last_id and time.monotonic() < deadline:
                time.sleep(0.01)  # the request reached the app
        deadline = time.monotonic() + BOUND_SECONDS
        entries: list[dict[str, Any]] = []
        while not entries and time.monotonic() < deadline:
            entries = app.state.runtime.journal.query(limit=1)
            time.sleep(0.01)
    assert (entries[0]["status"], entries[0]["note"]) == (499, "client_disconnected")
    assert not [r for r in caplog.records if r.levelno >= 40 or r.exc_info]


@pytest.mark.parametrize("in_pieces", [False, True], ids=["at once", "in pieces"])
def test_an_oversized_head_is_a_431(in_pieces: bool) -> None:
    big = b"X-Padding: " + b"a" * 5000 + b"\r\n"
    with guarded_server(max_header_bytes=4096) as (port, _), connect(port) as client:
        try:
            if in_pieces:
                client.sendall(HEALTH)
                for _ in range(10):
                    client.sendall(b"X-More: " + b"b" * 1000 + b"\r\n")
            else:
                client.sendall(HEALTH + big + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close while the head is still being sent
        answer = read_until_closed(client)
    assert status_of(answer) == 431
    assert b"4096" in answer


def test_a_head_under_the_limit_is_served() -> None:
    padding = b"X-Padding: " + b"a" * 3000 + b"\r\n"
    with guarded_server(max_header_bytes=4096) as (port, _), connect(port) as client:
        client.sendall(HEALTH + padding + b"Connection: close\r\n\r\n")
        assert status_of(read_until_closed(client)) == 200


# --------------------------------------------------------------------------- lock-out

STALLED_SOCKETS = 50
FD_LIMIT = 64  # the mock process uses about 16 descriptors idle: 50 stalled clients fill it


def _limit_descriptors() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def fd_limited_mock() -> Iterator[Callable[[], str]]:
    """``dayzero-mock --header-timeout 1`` in a process allowed only FD_LIMIT descriptors."""
    processes: list[subprocess.Popen[bytes]] = []

    def start() -> str:
        port = _free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "dayzero_twin.mock_server", "--port", str(port),
             "--header-timeout", "1", "--quiet"],
            cwd=ROOT,
            env={**os.environ},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_limit_descriptors,
        )
        processes.append(process)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + BOUND_SECONDS
        while time.monotonic() < deadline:
            assert process.poll() is None, "the mock exited"
            try:
                httpx.get(f"{base}/__mock/health", timeout=1)
                return base
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError("the mock did not start")

    yield start
    for process in processes:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_stalled_sockets_are_dropped_and_a_new_client_is_served(
    fd_limited_mock: Callable[[], str],
) -> None:
    base = fd_limited_mock()
    port = int(base.rsplit(":", 1)[1])
    stalled = [connect(port) for _ in range(STALLED_SOCKETS)]  # connected, never a byte
    try:
        # Meanwhile the process has no descriptor left for a new client (uvloop accepts
        # and closes it, asyncio leaves it waiting): each stalled socket must be dropped.
        for sock in stalled:
            assert read_until_closed(sock) == b""
        response = httpx.get(f"{base}/__mock/health", timeout=BOUND_SECONDS)
        assert response.status_code == 200
    finally:
        for sock in stalled:
            sock.close()
