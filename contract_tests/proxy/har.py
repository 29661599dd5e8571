"""HAR 1.2 recordings of exchanges (already redacted by the proxy) and reading them back.

Bodies are kept as text when they are UTF-8, else base64 (HAR's ``encoding`` field);
an upload's multipart body is kept whole, so a recording can be judged like live
traffic, oracle included. The ``_token`` field (a HAR extension, leading underscore as
the spec allows) carries the proxy's opaque token label, never a token.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from dayzero_twin.contract_tests.proxy.exchange import Exchange

CREATOR = {"name": "dayzero-contract proxy", "version": "1"}


class HarError(ValueError):
    """The file is not a HAR recording this tool can read."""


def _content(data: bytes, mime: str) -> dict[str, Any]:
    try:
        return {"size": len(data), "mimeType": mime, "text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {
            "size": len(data),
            "mimeType": mime,
            "text": base64.b64encode(data).decode(),
            "encoding": "base64",
        }


def _headers(headers: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in headers]


def _header(headers: Sequence[tuple[str, str]], name: str) -> str:
    return next((v for k, v in headers if k.lower() == name), "")


def entry(exchange: Exchange) -> dict[str, Any]:
    url = exchange.base_url + exchange.target
    query = urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query, keep_blank_values=True)
    millis = (exchange.finished - exchange.started).total_seconds() * 1000
    request: dict[str, Any] = {
        "method": exchange.method,
        "url": url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": _headers(exchange.request_headers),
        "queryString": [{"name": k, "value": v} for k, v in query],
        "headersSize": -1,
        "bodySize": len(exchange.request_body),
    }
    if exchange.request_body:
        mime = _header(exchange.request_headers, "content-type")
        posted = _content(exchange.request_body, mime)
        request["postData"] = {"mimeType": mime, "text": posted["text"]}
        if "encoding" in posted:
            request["postData"]["_encoding"] = posted["encoding"]
    return {
        "startedDateTime": exchange.started.isoformat(),
        "time": millis,
        "request": request,
        "response": {
            "status": exchange.status,
            "statusText": "",
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": _headers(exchange.response_headers),
            "content": _content(
                exchange.response_body, _header(exchange.response_headers, "content-type")
            ),
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": len(exchange.response_body),
        },
        "cache": {},
        "timings": {"send": 0, "wait": millis, "receive": 0},
        "_token": exchange.token,
        "_bodyComplete": exchange.body_complete,
    }


HEAD = '{"log": {"version": "1.2", "creator": ' + json.dumps(CREATOR) + ', "entries": ['
TAIL = "]}}"


class HarWriter:
    """A HAR 1.2 file written entry by entry, so a recording costs no memory however
    long the session: the head, then one entry per line (each after the first starting
    with the comma that separates it), flushed as it is written, and the closing
    ``]}}`` on :meth:`close`.

    A proxy that dies before closing leaves every entry written so far on whole lines
    and no closing brackets: not valid JSON, but :func:`load_har` reads it, up to its
    last whole line, and says it was not closed (the OS keeps what was flushed when the
    process is killed; a machine crash may lose the last entries)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file = self.path.open("w", encoding="utf-8")
        self._file.write(HEAD)
        self._file.flush()
        self.entries = 0

    def add(self, exchange: Exchange) -> None:
        """Append one (already redacted) exchange."""
        line = json.dumps(entry(exchange), ensure_ascii=False)
        self._file.write(("\n," if self.entries else "\n") + line)
        self._file.flush()
        self.entries += 1

    def close(self) -> None:
        if not self._file.closed:
            self._file.write("\n" + TAIL + "\n")
            self._file.close()


def write_har(path: str | Path, exchanges: Iterable[Exchange]) -> None:
    """A whole recording at once (the same format :class:`HarWriter` streams)."""
    writer = HarWriter(path)
    try:
        for exchange in exchanges:
            writer.add(exchange)
    finally:
        writer.close()


def _bytes(text: str | None, encoding: str | None) -> bytes:
    if not text:
        return b""
    return base64.b64decode(text) if encoding == "base64" else text.encode("utf-8")


@dataclass(frozen=True)
class Recording:
    """The exchanges of a HAR file, and whether the file was closed (a proxy that was
    killed leaves it unclosed; its whole entries are still read)."""

    exchanges: list[Exchange]
    closed: bool = True


def load_har(path: str | Path) -> Recording:
    """A HAR file, or the whole lines of one :class:`HarWriter` never closed. Raises
    :class:`HarError`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, ValueError) as error:
        raise HarError(f"{path}: not readable ({type(error).__name__}: {error})") from error
    try:
        document = json.loads(text)
        entries = document["log"]["entries"]
        return Recording([_exchange(item) for item in entries])
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        if text.startswith(HEAD) and not text.rstrip().endswith(TAIL):
            return Recording(_unclosed(text), closed=False)
        raise HarError(
            f"{path}: not a readable HAR 1.2 file ({type(error).__name__}: {error})"
        ) from error


def _unclosed(text: str) -> list[Exchange]:
    """The whole entry lines after the head; a last line cut short is left out."""
    found = []
    for line in text[len(HEAD) :].splitlines():
        if not line.strip():
            continue
        try:
            found.append(_exchange(json.loads(line.removeprefix(","))))
        except (ValueError, KeyError, TypeError, AttributeError):
            break
    return found


def read_har(path: str | Path) -> list[Exchange]:
    """The exchanges of a HAR file, in its order. Raises :class:`HarError`."""
    return load_har(path).exchanges


def _exchange(item: dict[str, Any]) -> Exchange:
    request, response = item["request"], item["response"]
    parts = urllib.parse.urlsplit(request["url"])
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    started = datetime.fromisoformat(item["startedDateTime"].replace("Z", "+00:00"))
    posted = request.get("postData") or {}
    content = response.get("content") or {}
    return Exchange(
        method=request["method"],
        target=target,
        request_headers=tuple((h["name"], h["value"]) for h in request.get("headers") or []),
        request_body=_bytes(posted.get("text"), posted.get("_encoding") or posted.get("encoding")),
        status=int(response["status"]),
        response_headers=tuple((h["name"], h["value"]) for h in response.get("headers") or []),
        response_body=_bytes(content.get("text"), content.get("encoding")),
        started=started,
        finished=started + timedelta(milliseconds=float(item.get("time") or 0)),
        token=item.get("_token"),
        body_complete=bool(item.get("_bodyComplete", True)),
        base_url=f"{parts.scheme}://{parts.netloc}",
    )
