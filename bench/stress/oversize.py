"""Uploads far over 10 MiB: a 413 before the body is in, and no memory growth to match.

A raw-socket client sends the request head and then the body in chunks, looking for an
answer before each chunk. A server that refuses early answers while the client is still
sending: the client records how many bytes it got out before the 413 came. A server that
reads everything first answers only at the end, and the check fails. Meanwhile a sampler
thread reads the mock's resident memory (psutil, from outside), so buffering the body in
memory shows up as growth near the body size.

Both ways of announcing a body are tried: a ``Content-Length`` that is too large (the
server can refuse from the header alone) and ``Transfer-Encoding: chunked`` (it has to
count while it streams), on ``POST /api/v1/upload/direct`` and on the presigned ``PUT``.

Run as ``python -m bench.stress.oversize [--repeat 3 --size-mib 256]``.
"""

from __future__ import annotations

import argparse
import select
import socket
import sys
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from bench.stress.harness import Api, MockProcess

MIB = 1024 * 1024
LIMIT = 10 * MIB
BOUNDARY = "stress-boundary-7f3a"
# Filler that looks like CSV rows, so a parser that inspects content has work to do.
_LINE = b"ap@acmerobotics.com,Acme,2027-01-31,USD,x,Widget,1,10.00\r\n"


@dataclass(frozen=True)
class StreamResult:
    """How a streamed request ended."""

    status: int | None  # None: no HTTP answer at all
    body: bytes
    sent: int  # body bytes the client got out before the answer (or the end)
    total: int  # body bytes the client meant to send
    seconds: float

    @property
    def refused_early(self) -> bool:
        return self.status is not None and self.sent < self.total


def _filler(size: int) -> bytes:
    repeat = _LINE * (size // len(_LINE) + 1)
    return repeat[:size]


def _read_response(sock: socket.socket, timeout: float) -> tuple[int | None, bytes]:
    """Status and body of one HTTP/1.1 response; ``(None, b"")`` when none arrives."""
    sock.settimeout(timeout)
    data = bytearray()
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, rest = bytes(data).partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/"):
            return None, b""
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        body = bytearray(rest)
        while len(body) < length:
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            body += chunk
    except (ConnectionError, TimeoutError):
        if not data.startswith(b"HTTP/"):
            return None, b""
        head, _, rest = bytes(data).partition(b"\r\n\r\n")
        body = bytearray(rest)
    return int(head.split(b" ", 2)[1]), bytes(body)


def stream_request(
    url: str,
    *,
    method: str = "POST",
    headers: dict[str, str] | None = None,
    total: int,
    chunked: bool,
    multipart: bool,
    content_type: str = "text/csv",
    chunk_size: int = 256 * 1024,
    timeout: float = 60.0,
) -> StreamResult:
    """Send ``total`` body bytes to ``url`` in chunks, stopping as soon as an answer arrives.

    With ``multipart`` the bytes are the ``file`` field of a form; ``chunked`` announces
    no length at all, otherwise ``Content-Length`` says the whole size up front.
    """
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    preamble = epilogue = b""
    if multipart:
        preamble = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; "
                    f"filename=\"big.csv\"\r\nContent-Type: text/csv\r\n\r\n").encode()
        epilogue = f"\r\n--{BOUNDARY}--\r\n".encode()
        content_type = f"multipart/form-data; boundary={BOUNDARY}"
    lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}",
             f"Content-Type: {content_type}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    else:
        lines.append(f"Content-Length: {len(preamble) + total + len(epilogue)}")

    def frame(data: bytes) -> bytes:
        return f"{len(data):x}\r\n".encode() + data + b"\r\n" if chunked and data else data

    started = time.monotonic()
    sent = 0
    piece = _filler(chunk_size)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        try:
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + frame(preamble))
            sock.settimeout(5.0)  # a server that stops reading makes sendall block: stop then
            while sent < total:
                readable, _, _ = select.select([sock], [], [], 0)
                if readable:
                    break
                data = piece[: min(chunk_size, total - sent)]
                sock.sendall(frame(data))
                sent += len(data)
            else:
                sock.sendall(frame(epilogue) + (b"0\r\n\r\n" if chunked else b""))
        except (ConnectionError, TimeoutError):
            pass  # the server closed or stopped reading: its answer, if any, is waiting
        status, body = _read_response(sock, timeout)
    return StreamResult(status, body, sent, total, time.monotonic() - started)


class PeakRss:
    """Samples a process's resident memory every few ms; ``peak - baseline`` is the growth."""

    def __init__(self, mock: MockProcess, interval: float = 0.005) -> None:
        self.mock = mock
        self.interval = interval
        self.baseline = mock.rss_bytes()
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self.mock.rss_bytes())
            except Exception:  # the process may be gone; the caller sees that elsewhere
                return
            self._stop.wait(self.interval)

    @property
    def growth(self) -> int:
        return self.peak - self.baseline

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def presigned_url(api: Api) -> str:
    response = api.client.post("/api/v1/upload", headers=api.headers(),
                               json={"filename": "big.csv", "content_type": "text/csv"})
    if response.status_code != 200:
        raise AssertionError(f"POST /api/v1/upload: {response.status_code} {response.text}")
    return response.json()["upload_url"]


def oversize_attempts(mock: MockProcess, api: Api, size: int) -> list[tuple[str, StreamResult,
                                                                            int]]:
    """Every way of sending ``size`` bytes once: (label, result, peak RSS growth)."""
    results = []
    for label, chunked, presigned in (
        ("direct, Content-Length", False, False),
        ("direct, chunked", True, False),
        ("presigned PUT, Content-Length", False, True),
        ("presigned PUT, chunked", True, True),
    ):
        url = presigned_url(api) if presigned else f"{mock.base_url}/api/v1/upload/direct"
        headers = {} if presigned else api.headers()
        with PeakRss(mock) as rss:
            result = stream_request(url, method="PUT" if presigned else "POST", headers=headers,
                                    total=size, chunked=chunked, multipart=not presigned)
        results.append((label, result, rss.growth))
    return results


def json_body_growth(mock: MockProcess, api: Api, size: int) -> tuple[StreamResult, int]:
    """A ``size``-byte JSON document to a bulk operation: not an upload, so no 413 is
    promised; measured so the README can say what a huge body costs the mock."""
    with PeakRss(mock) as rss:
        result = stream_request(f"{mock.base_url}/api/v1/invoices/bulk", headers=api.headers(),
                                total=size, chunked=False, multipart=False,
                                content_type="application/json")
    return result, rss.growth


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stress.oversize", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--size-mib", type=int, default=256, help="body size per attempt")
    parser.add_argument("--json-mib", type=int, default=64,
                        help="size of the (informational) huge JSON body")
    args = parser.parse_args(argv)

    problems: list[str] = []
    attempts = refused = 0
    max_sent = max_growth = 0
    with MockProcess() as mock, Api(mock.base_url) as api:
        for _ in range(args.repeat):
            for label, result, growth in oversize_attempts(mock, api, args.size_mib * MIB):
                attempts += 1
                max_sent, max_growth = max(max_sent, result.sent), max(max_growth, growth)
                print(f"  {label:<32} {result.status} after {result.sent / MIB:7.1f} of "
                      f"{result.total / MIB:.0f} MiB, {result.seconds:5.2f}s, "
                      f"RSS +{growth / MIB:.1f} MiB")
                refused += result.status == 413 and result.refused_early
                if result.status != 413 or not result.refused_early:
                    problems.append(f"{label}: {result.status} after {result.sent} bytes "
                                    f"{result.body[:200]!r}")
                if growth > 3 * LIMIT:
                    problems.append(f"{label}: RSS grew by {growth / MIB:.1f} MiB")
        json_result, json_growth = json_body_growth(mock, api, args.json_mib * MIB)
        alive = mock.alive()
    print(f"  (not an upload) {args.json_mib} MiB JSON body to POST /api/v1/invoices/bulk: "
          f"{json_result.status} after {json_result.sent / MIB:.1f} MiB sent, answer "
          f"{len(json_result.body) / MIB:.1f} MiB, RSS +{json_growth / MIB:.1f} MiB")
    for problem in problems:
        print("PROBLEM", problem)
    print(f"oversize uploads: {attempts} attempts of {args.size_mib} MiB, {refused} refused with "
          f"413 before the body was in; at most {max_sent / MIB:.1f} MiB sent, peak RSS growth "
          f"{max_growth / MIB:.1f} MiB, {len(problems)} problems, mock alive: {alive}")
    return 1 if problems or not alive else 0


if __name__ == "__main__":
    sys.exit(main())
