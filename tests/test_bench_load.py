"""Both load generators against a loopback server that records what it was sent.

The figures of ``make bench`` are only as true as the load behind them: every request
must be complete and counted, and with ``--distinct-files`` every body must be sent in
turn, or a run said to defeat the mock's memo would quietly repeat one file.
"""

from __future__ import annotations

import shutil
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench.load import run_load
from bench.loadresult import LoadRequest

BODIES = tuple(f'{{"s3_key": "uploads/k{index}.csv"}}'.encode() for index in range(5))


class _Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as both generators expect
    seen: Counter[bytes]
    lock: threading.Lock

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with self.lock:
            self.seen[body] += 1
        self.send_response(201)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[tuple[str, Counter[bytes]]]:
    handler = type("Recorder", (_Recorder,), {"seen": Counter(), "lock": threading.Lock()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v1/bills/bulk", handler.seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


TOOLS = [
    "python",
    pytest.param("wrk", marks=pytest.mark.skipif(shutil.which("wrk") is None,
                                                 reason="wrk is not installed")),
]


@pytest.mark.parametrize("tool", TOOLS)
def test_every_alternate_body_is_sent_and_every_response_counted(
    tool: str, recorder: tuple[str, Counter[bytes]], tmp_path: Path
) -> None:
    url, seen = recorder
    request = LoadRequest(url=url, body=BODIES[0], headers={"Content-Type": "application/json"},
                          connections=2, duration_s=1.0, alternates=BODIES[1:])
    result = run_load(request, tool, tmp_path)
    assert result.statuses.get(201, 0) >= 20 and result.unexpected() == 0
    assert set(seen) == set(BODIES)
    # In turn, not at random: no body is sent much more often than another.
    assert max(seen.values()) - min(seen.values()) <= 2 * request.connections


@pytest.mark.parametrize("tool", TOOLS)
def test_a_single_body_is_repeated(
    tool: str, recorder: tuple[str, Counter[bytes]], tmp_path: Path
) -> None:
    url, seen = recorder
    request = LoadRequest(url=url, body=BODIES[0], headers={}, connections=2, duration_s=1.0)
    result = run_load(request, tool, tmp_path)
    assert set(seen) == {BODIES[0]} and result.unexpected() == 0
