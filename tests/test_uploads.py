"""Key naming, presigned URL signatures and blob files of mock_server.uploads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from dayzero_twin.mock_server.domain.errors import Forbidden
from dayzero_twin.mock_server.storage.uploads import (
    BlobDir,
    Presigner,
    derive_secret,
    make_key,
    safe_name,
)

BUSINESS = "b5a1c6de-0000-4000-8000-000000000001"
UPLOAD_ID = "5d0b4b0a-5ae1-4c00-bd1b-4d7c674064d6"
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(("name", "safe"), [
    ("invoices.csv", "invoices.csv"),
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\me\\bills 2026.csv", "bills_2026.csv"),
    ("..", "upload.csv"),
    ("", "upload.csv"),
    ("\x00\n", "upload.csv"),
    ("facture été.csv", "facture_t_.csv"),
    ("x" * 500, "x" * 100),
])
def test_safe_names(name: str, safe: str) -> None:
    assert safe_name(name) == safe


def test_key_shape() -> None:
    assert make_key(BUSINESS, UPLOAD_ID, "../a b.csv") == f"uploads/{BUSINESS}/{UPLOAD_ID}/a_b.csv"


def signed() -> tuple[Presigner, str, dict[str, str]]:
    presigner = Presigner(derive_secret(1), 60)
    key = make_key(BUSINESS, UPLOAD_ID, "f.csv")
    url = presigner.url("http://127.0.0.1:1", BUSINESS, key, "text/csv", NOW)
    parts = urlsplit(url)
    assert parts.path == f"/__mock/uploads/{UPLOAD_ID}"
    return presigner, parts.path, dict(parse_qsl(parts.query))


def test_verify_roundtrip_and_expiry_boundary() -> None:
    presigner, path, query = signed()
    upload = presigner.verify(path, query, NOW + timedelta(seconds=60))
    assert (upload.business_id, upload.key, upload.content_type) == (
        BUSINESS, query["key"], "text/csv")
    with pytest.raises(Forbidden, match="expired"):
        presigner.verify(path, query, NOW + timedelta(seconds=61))


def test_other_secret_or_seed_refuses() -> None:
    _, path, query = signed()
    for secret in (derive_secret(2), b"x"):
        with pytest.raises(Forbidden, match="signature"):
            Presigner(secret, 60).verify(path, query, NOW)


def test_a_validly_signed_key_of_another_shape_is_refused() -> None:
    presigner = Presigner(b"s", 60)
    for key in ("samples/invoices.csv", f"uploads/{BUSINESS}/../../x", "uploads/x/y/z"):
        url = presigner.url("http://h", BUSINESS, key, "text/csv", NOW)
        parts = urlsplit(url)
        with pytest.raises(Forbidden):
            presigner.verify(parts.path, dict(parse_qsl(parts.query)), NOW)


def test_non_ascii_signature_is_refused_not_crashing() -> None:
    presigner, path, query = signed()
    query["signature"] = "\udcff" + query["signature"][1:]
    with pytest.raises(Forbidden):
        presigner.verify(path, query, NOW)


def test_blob_dir_names_files_by_hash(tmp_path: Path) -> None:
    blobs = BlobDir(tmp_path / "blobs")
    blobs.write(BUSINESS, "../../../outside", b"data")
    assert blobs.read(BUSINESS, "../../../outside") == b"data"
    assert blobs.read("other", "../../../outside") is None
    files = list((tmp_path / "blobs").iterdir())
    assert len(files) == 1 and len(files[0].name) == 64
    assert not (tmp_path / "outside").exists()
    blobs.delete(BUSINESS, "../../../outside")
    assert list((tmp_path / "blobs").iterdir()) == []
