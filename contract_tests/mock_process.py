"""Start this project's mock as a subprocess when no ``--base-url`` is given.

A subprocess, not an import: the suite must stay independent of ``mock_server`` so it
judges the mock exactly as it judges any other implementation, over HTTP.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import IO

import httpx

MOCK_TOKEN = "dz_mock_token"
MOCK_BUSINESS = "b5a1c6de-0000-4000-8000-000000000001"
MOCK_SECOND_BUSINESS = "b5a1c6de-0000-4000-8000-000000000002"
STARTUP_SECONDS = 30.0


class MockStartError(RuntimeError):
    """The mock did not come up; the message carries the end of its output."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_mock(extra_args: tuple[str, ...] = ()) -> Iterator[str]:
    """Run ``python -m dayzero_twin.mock_server`` on a free loopback port; yield its base URL."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "dayzero_twin.mock_server",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *extra_args,
    ]
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_until_serving(process, base_url, output)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _wait_until_serving(process: subprocess.Popen[bytes], base_url: str, output: IO[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise MockStartError(f"the mock exited with {process.returncode}:\n{_tail(output)}")
        try:
            httpx.get(base_url + "/api/v1/invoices", timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise MockStartError(
        f"the mock did not answer within {STARTUP_SECONDS:.0f} s:\n{_tail(output)}"
    )


def _tail(output: IO[bytes], size: int = 3000) -> str:
    output.seek(0)
    return output.read().decode("utf-8", "replace")[-size:]
