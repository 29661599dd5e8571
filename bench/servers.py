"""The three servers under test — the mock, Prism static, Prism dynamic — and start-up.

Start-up is measured the way a frontend developer or a CI job meets it: from the
moment the process is spawned until the first bulk request comes back 201 with the
same headers and body the load test uses. That is the first *successful* request,
not the first open port.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bench.config import MOCK, OPERATIONS, PRISM_DYNAMIC, PRISM_STATIC, BenchConfig
from bench.prism import prism_command
from bench.processes import ManagedProcess, free_port

PROBE_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class RunningServer:
    """A started, ready server: its process, address and measured start-up."""

    name: str
    process: ManagedProcess
    base_url: str
    startup_s: float


def mock_command(config: BenchConfig, port: int, *, prefix: tuple[str, ...] = ()) -> list[str]:
    """The mock's documented command line; ``prefix`` runs it under a profiler."""
    runner = [config.python, *prefix] if prefix else [config.python]
    return [
        *runner,
        "-m",
        "dayzero_twin.mock_server",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--quiet",
        *config.mock_args,
    ]


def server_command(name: str, config: BenchConfig, port: int, spec: Path) -> list[str]:
    if name == MOCK:
        return mock_command(config, port)
    if name in (PRISM_STATIC, PRISM_DYNAMIC):
        return prism_command(config.node, spec, port, dynamic=name == PRISM_DYNAMIC)
    raise ValueError(f"unknown server {name!r}")


def bulk_probe(base_url: str, config: BenchConfig) -> bool:
    """True once the first bulk operation answers 201 to the benchmark's own request."""
    operation = OPERATIONS[0]
    # http.client, not httpx: building an httpx client costs milliseconds per attempt,
    # which would be charged to the server's start-up.
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1", parts.port, timeout=PROBE_TIMEOUT_S
    )
    body = json.dumps({"s3_key": operation.sample_key}).encode()
    try:
        connection.request("POST", operation.path, body=body, headers=config.headers())
        response = connection.getresponse()
        response.read()
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()
    return response.status == 201


@contextmanager
def start_server(
    name: str,
    config: BenchConfig,
    log_dir: Path,
    spec: Path,
    *,
    command: list[str] | None = None,
    port: int | None = None,
) -> Iterator[RunningServer]:
    """Start ``name`` on a free loopback port, wait for a 201, stop it on leaving."""
    port = port if port is not None else free_port()
    argv = command if command is not None else server_command(name, config, port, spec)
    process = ManagedProcess(name, argv, log_dir / f"{name}-{port}.log")
    base_url = f"http://127.0.0.1:{port}"
    with process:
        startup = process.wait_until(lambda: bulk_probe(base_url, config), config.startup_timeout_s)
        yield RunningServer(name, process, base_url, startup)
