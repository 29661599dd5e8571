"""A real mock process on a free loopback port, and a small client for its HTTP API.

The stress scripts and the robustness tests drive the mock exactly as a user would:
``python -m mock_server`` in a child process, plain HTTP over 127.0.0.1. Every wait is
bounded, and the process is killed on exit even when a check fails half-way, so a
broken mock cannot leave servers behind or hang a CI run.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import httpx

from bench.config import REPO_ROOT
from bench.processes import ManagedProcess, free_port

DEFAULT_TOKEN = "dz_mock_token"
BUSINESS_A = "b5a1c6de-0000-4000-8000-000000000001"
BUSINESS_B = "b5a1c6de-0000-4000-8000-000000000002"

Kind = Literal["invoices", "bills"]
KINDS: tuple[Kind, Kind] = ("invoices", "bills")
# The boolean each bulk operation takes: finalize for invoices, approve for bills.
FLAG_NAME = {"invoices": "finalize", "bills": "approve"}


class MockStartError(RuntimeError):
    """The mock process did not come up; the message carries the tail of its log."""


class MockProcess:
    """``python -m mock_server`` as a child process, started and stopped with bounded waits.

    The same ``data_dir`` can be handed to several processes one after the other, which
    is how the crash tests restart a killed mock on the state it left behind.
    """

    def __init__(
        self,
        *,
        data_dir: Path | None = None,
        seed: int | None = None,
        extra_args: Sequence[str] = (),
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        quiet: bool = True,
        startup_timeout: float = 30.0,
    ) -> None:
        self.data_dir = data_dir
        self.cwd = cwd or REPO_ROOT  # a relative path in a request would resolve from here
        self.quiet = quiet  # no line per request: thousands of them cost the mock real CPU
        self.seed = seed
        self.extra_args = list(extra_args)
        self.env = env
        self.startup_timeout = startup_timeout
        self.port = 0
        self._process: ManagedProcess | None = None
        self._log_dir = tempfile.TemporaryDirectory(prefix="mock-stress-")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        if self._process is None:
            raise RuntimeError("the mock is not running")
        return self._process.pid

    def command(self, port: int) -> list[str]:
        argv = [sys.executable, "-m", "dayzero_twin.mock_server"]
        argv += ["--host", "127.0.0.1", "--port", str(port)]
        if self.data_dir is not None:
            argv += ["--data-dir", str(self.data_dir)]
        if self.seed is not None:
            argv += ["--seed", str(self.seed)]
        if self.quiet:
            argv.append("--quiet")
        return argv + self.extra_args

    def start(self) -> MockProcess:
        """Start on a free port and wait until ``/__mock/health`` answers 200.

        A port taken between choosing and binding makes the child exit; that is retried
        on a new port a few times before giving up.
        """
        last_error = ""
        for attempt in range(3):
            self.port = free_port()
            self._process = ManagedProcess(
                "mock", self.command(self.port), Path(self._log_dir.name) / f"{attempt}.log",
                cwd=self.cwd, env=self.env)
            self._process.start()
            try:
                self._wait_ready()
                return self
            except MockStartError as error:
                last_error = str(error)
                self.kill()
        raise MockStartError(last_error)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise MockStartError(f"mock exited with {self.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                response = httpx.get(f"{self.base_url}/__mock/health", timeout=2.0)
                if response.status_code == 200:
                    return
            time.sleep(0.1)
        raise MockStartError(f"mock not healthy after {self.startup_timeout}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        return self._process.log_tail(lines) if self._process is not None else ""

    def alive(self) -> bool:
        return self._process is not None and self._process.alive()

    @property
    def returncode(self) -> int | None:
        return self._process.returncode if self._process is not None else None

    def kill(self) -> None:
        """SIGKILL, the way a crash or an OOM killer ends a process: no cleanup runs."""
        if self._process is not None:
            self._process.stop(signal.SIGKILL)

    def stop(self) -> None:
        """SIGTERM and a bounded wait for a clean shutdown, SIGKILL after that."""
        if self._process is not None:
            self._process.stop(signal.SIGTERM)

    def rss_bytes(self) -> int:
        """Resident memory of the mock process, read from outside with psutil."""
        return self._process.rss_bytes() if self._process is not None else 0

    def close(self) -> None:
        self.stop()
        self._log_dir.cleanup()

    def __enter__(self) -> MockProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class Api:
    """The handful of calls the stress checks make, with the default token and business."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str = DEFAULT_TOKEN,
        business: str = BUSINESS_A,
        timeout: float = 60.0,
    ) -> None:
        self.base_url = base_url
        self.token = token
        self.business = business
        self.client = httpx.Client(base_url=base_url, timeout=timeout)

    def headers(self, business: str | None = None, token: str | None = None) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {token or self.token}",
            "x-business-id": business or self.business,
        }

    def upload(
        self,
        content: bytes,
        filename: str = "data.csv",
        *,
        business: str | None = None,
        content_type: str = "text/csv",
    ) -> httpx.Response:
        return self.client.post(
            "/api/v1/upload/direct",
            headers=self.headers(business),
            files={"file": (filename, content, content_type)},
        )

    def upload_key(self, content: bytes, filename: str = "data.csv", **kwargs: Any) -> str:
        """Upload and return the s3_key; any status but 200 is a failure of the mock."""
        response = self.upload(content, filename, **kwargs)
        if response.status_code != 200:
            raise AssertionError(
                f"upload of {len(content)} bytes: {response.status_code} {response.text[:300]}"
            )
        return response.json()["s3_key"]

    def bulk(
        self, kind: Kind, s3_key: str, flag: bool = False, *, business: str | None = None
    ) -> httpx.Response:
        return self.client.post(
            f"/api/v1/{kind}/bulk",
            headers=self.headers(business),
            json={"s3_key": s3_key, FLAG_NAME[kind]: flag},
        )

    def walk(
        self, kind: Kind, *, business: str | None = None, max_pages: int = 1000, limit: int = 1000
    ) -> list[dict[str, Any]]:
        """Every entity of ``kind`` by following ``next_cursor``; bounded by ``max_pages``."""
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(max_pages):
            params: dict[str, Any] = {"limit": limit}
            if cursor is not None:
                params["cursor"] = cursor
            response = self.client.get(
                f"/api/v1/{kind}", headers=self.headers(business), params=params
            )
            if response.status_code != 200:
                raise AssertionError(f"GET /api/v1/{kind}: {response.status_code} {response.text}")
            page = response.json()
            items.extend(page["items"])
            if not page["has_next"]:
                return items
            cursor = page["next_cursor"]
        raise AssertionError(f"GET /api/v1/{kind}: still has_next after {max_pages} pages")

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@contextlib.contextmanager
def running_mock(**kwargs: Any) -> Iterator[tuple[MockProcess, Api]]:
    """A started mock and a client for it; both closed on exit."""
    with MockProcess(**kwargs) as mock, Api(mock.base_url) as api:
        yield mock, api
