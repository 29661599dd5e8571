"""Server processes the benchmark starts, watches and always stops.

Each server runs in its own session (process group), so stopping it reaches the whole
tree it spawned — Prism's node workers included — and nothing else on the machine.
Every live process is registered, and :func:`stop_all` (called on exit, Ctrl-C and
errors) ends whatever is still running. On Linux a server also dies with the thread
that started it, so even a benchmark killed without cleanup leaves no orphans.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType

import psutil

from bench.config import REPO_ROOT, RESERVED_PORTS

_LIVE: set[ManagedProcess] = set()
_LIVE_LOCK = threading.Lock()
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


@functools.cache
def _die_with_parent() -> Callable[[], None] | None:
    """A hook for the child before exec: SIGKILL it when its starting thread dies (Linux).

    A run stopped by ``timeout`` or a CI cancel dies without running its cleanup; without
    this its servers would live on as orphans. Start servers from the main thread: the
    signal follows the starting thread, not the whole process. libc is loaded here, in
    the parent, because importing in a forked child of a threaded process can deadlock.
    """
    if sys.platform != "linux":
        return None
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)

    return hook


def free_port() -> int:
    """A currently free loopback port, never one reserved for the lead's servers."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in RESERVED_PORTS:
            return port
    raise RuntimeError("no free loopback port found")


def _tree(pid: int) -> list[psutil.Process]:
    """A process and all its descendants; empty once it is gone."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _sum_over(members: list[psutil.Process], reading: Callable[[psutil.Process], float]) -> float:
    """``reading`` summed over the members still alive and readable."""
    total = 0.0
    for member in members:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += reading(member)
    return total


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of a process and all its descendants; 0 once it is gone."""
    return int(_sum_over(_tree(pid), lambda member: member.memory_info().rss))


def tree_cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds used so far by a process and its live descendants."""
    return _sum_over(_tree(pid), lambda member: sum(member.cpu_times()[:2]))


class ServerStartError(RuntimeError):
    """The server died or never answered before its start-up deadline."""


class ManagedProcess:
    """A child process in its own process group, with its output in a log file."""

    def __init__(self, name: str, argv: Sequence[str], log_path: Path, *,
                 cwd: Path = REPO_ROOT, env: Mapping[str, str] | None = None) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.cwd = cwd
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.started_at = 0.0
        self._popen: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        if self._popen is None:
            raise RuntimeError(f"{self.name} is not started")
        return self._popen.pid

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            # The clock starts just before the fork: start-up is what a user waits for.
            self.started_at = time.perf_counter()
            self._popen = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent(),
            )
        with _LIVE_LOCK:
            _LIVE.add(self)

    def alive(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    @property
    def returncode(self) -> int | None:
        return self._popen.poll() if self._popen is not None else None

    def rss_bytes(self) -> int:
        return tree_rss_bytes(self.pid)

    def cpu_seconds(self) -> float:
        return tree_cpu_seconds(self.pid)

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_until(self, probe: Callable[[], bool], timeout_s: float) -> float:
        """Poll ``probe`` until it succeeds; the seconds since the process was started."""
        deadline = time.perf_counter() + timeout_s
        attempts = 0
        while time.perf_counter() < deadline and attempts < 100_000:
            attempts += 1
            if not self.alive():
                raise ServerStartError(f"{self.name} exited early:\n{self.log_tail()}")
            if probe():
                return time.perf_counter() - self.started_at
            time.sleep(0.01)
        raise ServerStartError(f"{self.name} not ready after {timeout_s:.0f}s:\n{self.log_tail()}")

    def stop(self, sig: int = signal.SIGTERM, grace_s: float = 10.0) -> int | None:
        """Signal the process group, escalate to SIGKILL after ``grace_s``; the exit code."""
        popen = self._popen
        if popen is None:
            return None
        try:
            if popen.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(popen.pid, sig)
                try:
                    popen.wait(timeout=grace_s)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(popen.pid, signal.SIGKILL)
                    popen.wait(timeout=grace_s)
            # Children that outlived their parent still belong to the group we created.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(popen.pid, signal.SIGKILL)
        finally:
            with _LIVE_LOCK:
                _LIVE.discard(self)
        return popen.returncode

    def __enter__(self) -> ManagedProcess:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def stop_all() -> None:
    """Stop every process this benchmark started and has not stopped yet."""
    with _LIVE_LOCK:
        live = list(_LIVE)
    for process in live:
        process.stop(grace_s=3.0)


class PeakRss:
    """Polls a process tree's RSS in a thread and keeps the highest value seen.

    The tree's members are listed once on entry: walking /proc for descendants on
    every poll would cost the machine more CPU than the reading is worth, and the
    servers measured here do not fork while serving.
    """

    def __init__(self, pid: int, interval_s: float = 0.01) -> None:
        self.pid = pid
        self.interval_s = interval_s
        self.peak = 0
        self._members: list[psutil.Process] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="peak-rss", daemon=True)

    def _sample(self) -> int:
        return int(_sum_over(self._members, lambda member: member.memory_info().rss))

    def _poll(self) -> None:
        # Bounded by the stop event; the daemon flag is only a safety net.
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(self.interval_s)

    def __enter__(self) -> PeakRss:
        self._members = _tree(self.pid)
        self.peak = self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5.0)
        self.peak = max(self.peak, self._sample())
