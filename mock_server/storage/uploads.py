"""Upload keys, presigned-URL signatures and the blob files behind ``--data-dir``.

An ``s3_key`` is only ever a dictionary key (``uploads/<business>/<upload id>/<name>``):
it is never joined into a filesystem path, so no key, however crafted, can reach a file
outside the data directory. On disk a blob is named by the SHA-256 of its business and
key instead.

A presigned URL is stateless: ``/__mock/uploads/<upload id>?business=…&key=…&expires=…
&content_type=…&signature=…`` where the signature is HMAC-SHA256 over those values.
Nothing is stored until the PUT arrives, so an un-PUT key is simply unknown, and the URL
stays valid across restarts as long as the secret does (it derives from the seed).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

from dayzero_twin.mock_server.domain.errors import Forbidden

DEFAULT_CONTENT_TYPE = "text/csv"
UPLOAD_ROUTE = "/__mock/uploads/"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+", re.ASCII)
_MAX_NAME = 100
_KEY = re.compile(r"uploads/([0-9a-f-]{36})/([0-9a-f-]{36})/[A-Za-z0-9._-]+", re.ASCII)


@dataclass(frozen=True, slots=True)
class Upload:
    """What is known about a stored file besides its bytes."""

    business_id: str
    key: str
    filename: str
    content_type: str
    size: int


def safe_name(filename: str) -> str:
    """The last path segment of ``filename`` reduced to ``[A-Za-z0-9._-]``, for the key."""
    base = re.split(r"[/\\]", filename)[-1]
    name = _UNSAFE.sub("_", base).strip("._")[:_MAX_NAME]
    return name or "upload.csv"


def make_key(business_id: str, upload_id: str, filename: str) -> str:
    return f"uploads/{business_id}/{upload_id}/{safe_name(filename)}"


def derive_secret(seed: int) -> bytes:
    """The signing secret when none is configured: from the seed, so URLs repeat."""
    return hashlib.sha256(f"dayzero-mock-presign:{seed}".encode()).digest()


class Presigner:
    """Signs and checks presigned upload URLs; time is the mock's clock, in whole seconds."""

    def __init__(self, secret: bytes, ttl_seconds: int) -> None:
        self._secret = secret
        self.ttl_seconds = ttl_seconds

    def _signature(self, business_id: str, key: str, expires: str, content_type: str) -> str:
        message = "\n".join((business_id, key, expires, content_type)).encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def url(self, base_url: str, business_id: str, key: str, content_type: str,
            now: datetime) -> str:
        expires = str(int(now.timestamp()) + self.ttl_seconds)
        segments = key.split("/")
        upload_id = segments[2] if len(segments) > 2 else "-"
        query = urlencode({
            "business": business_id,
            "key": key,
            "expires": expires,
            "content_type": content_type,
            "signature": self._signature(business_id, key, expires, content_type),
        })
        return f"{base_url}{UPLOAD_ROUTE}{upload_id}?{query}"

    def verify(self, upload_path: str, query: Mapping[str, str], now: datetime) -> Upload:
        """The upload a PUT may store, or ``Forbidden`` for anything tampered or expired.

        ``upload_path`` is the request path (``/__mock/uploads/<id>``) or just the id.
        The returned ``Upload`` has ``size`` 0 and the signed content type.
        """
        try:
            business_id, key = query["business"], query["key"]
            expires, content_type = query["expires"], query["content_type"]
            signature = query["signature"]
        except KeyError as exc:
            raise Forbidden(f"presigned URL is missing its {exc.args[0]!r} parameter") from None
        expected = self._signature(business_id, key, expires, content_type)
        if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
            raise Forbidden("presigned URL signature does not match")
        match = _KEY.fullmatch(key)
        upload_id = upload_path.rstrip("/").rsplit("/", 1)[-1]
        if match is None or match.group(1) != business_id or match.group(2) != upload_id:
            raise Forbidden("presigned URL does not match its upload path")
        if not (expires.isascii() and expires.isdigit()) or int(now.timestamp()) > int(expires):
            raise Forbidden("presigned URL has expired; request a new one")
        return Upload(business_id, key, safe_name(key), content_type, 0)


class BlobDir:
    """Blob bytes as files under ``root``, named by a hash: keys never touch the path."""

    def __init__(self, root: Path) -> None:
        self._root = root
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, business_id: str, key: str) -> Path:
        digest = hashlib.sha256(f"{business_id}\n{key}".encode()).hexdigest()
        return self._root / digest

    def write(self, business_id: str, key: str, data: bytes) -> None:
        """Write via a temporary file and rename, so a kill never leaves half a blob."""
        handle, temporary = tempfile.mkstemp(dir=self._root, prefix=".partial-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, self._path(business_id, key))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def read(self, business_id: str, key: str) -> bytes | None:
        try:
            return self._path(business_id, key).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, business_id: str, key: str) -> None:
        self._path(business_id, key).unlink(missing_ok=True)

    def clear(self) -> None:
        """Delete every blob, interrupted partial writes and orphans included."""
        for path in self._root.iterdir():
            if path.is_file():
                path.unlink(missing_ok=True)
