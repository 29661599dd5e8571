"""A write the data directory cannot take: a documented status, a message that says so,
and nothing half-stored.

Three faults, each injected where it really happens:

- SQLite's own "database or disk is full" (SQLITE_FULL), produced for real by capping
  the database with ``PRAGMA max_page_count`` while an import inserts its rows;
- an I/O error at ``COMMIT``, after every row of the file was inserted, through a
  connection wrapper (the one fault here that needs a stand-in: a disk that fails on
  demand is not available to a test);
- ``OSError(ENOSPC)`` from the blob write of an upload.

Bulk operations answer 400 (``{"detail", "errors": []}``, CONTRACT §1: the only
documented code for "well formed but not importable"); uploads answer 413, the only
documented refusal of an upload's bytes. In every case the file is all or nothing: the
read-back operations, invoice numbers and created customers show no trace of it, and
the next import continues where the last stored one ended.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dayzero_twin.mock_server.app import MockApp
from dayzero_twin.mock_server.storage.store import SqliteStore

A = "b5a1c6de-0000-4000-8000-000000000001"
HEADERS = {"Authorization": "Bearer dz_mock_token", "x-business-id": A}
NEW_CUSTOMER_CSV = (
    "customer_email,customer_name,due_date,currency,item_description,quantity,unit_price\n"
    "new.person@example.com,New Person,2026-12-15,USD,Work,1,10\n"
)


class FailingCommit:
    """An ``sqlite3.Connection`` whose ``COMMIT`` fails with a disk I/O error once."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self.failed = False

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if sql == "COMMIT" and not self.failed:
            self.failed = True
            raise sqlite3.OperationalError("disk I/O error")
        return self._db.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


@pytest.fixture
def on_disk(mock_app: Callable[..., MockApp], tmp_path: Path) -> Iterator[TestClient]:
    app = mock_app(data_dir=tmp_path / "data")
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def store_of(client: TestClient) -> SqliteStore:
    store = client.app.state.service._store  # type: ignore[attr-defined]
    assert isinstance(store, SqliteStore)
    return store


def bulk(client: TestClient, key: str) -> Any:
    return client.post("/api/v1/invoices/bulk", headers=HEADERS,
                       json={"s3_key": key, "finalize": True})


def state(client: TestClient) -> tuple[int, list[str]]:
    listed = client.get("/api/v1/invoices", params={"limit": 1000}, headers=HEADERS).json()
    customers = [c["email"] for c in client.get("/__mock/world").json()["businesses"][0]
                 ["customers"]]
    return listed["total"], customers


def assert_refused_cleanly(response: Any, reason: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["errors"] == []
    assert "could not store this import" in body["detail"] and reason in body["detail"]
    assert "nothing of it was kept" in body["detail"]


def test_disk_full_while_inserting_is_a_400_and_nothing_is_kept(on_disk: TestClient) -> None:
    stored = len(bulk(on_disk, "samples/invoices.csv").json()["items"])
    before = state(on_disk)
    db = store_of(on_disk)._db
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages + 2}")  # room for a few rows, not 2,000

    assert_refused_cleanly(bulk(on_disk, "samples/invoices-2000.csv"), "disk full")
    assert state(on_disk) == before

    db.execute("PRAGMA max_page_count = 1073741823")
    created = bulk(on_disk, "samples/invoices-3.csv").json()
    # No gap left by the refused file: numbering continues after the stored one.
    assert [item["number"] for item in created["items"]] == [
        f"INV-{n:06d}" for n in range(stored + 1, stored + 4)]


def test_an_io_error_at_commit_is_a_400_and_rolls_the_whole_file_back(
        on_disk: TestClient) -> None:
    key = on_disk.post("/api/v1/upload/direct", headers=HEADERS,
                       files={"file": ("new.csv", NEW_CUSTOMER_CSV, "text/csv")}).json()["s3_key"]
    before = state(on_disk)
    store = store_of(on_disk)
    failing = store._db = FailingCommit(store._db)  # type: ignore[assignment]

    assert_refused_cleanly(bulk(on_disk, key), "disk I/O error")
    assert failing.failed
    assert state(on_disk) == before  # neither the invoice nor its new customer
    assert "new.person@example.com" not in before[1]

    created = bulk(on_disk, key).json()["items"]
    assert created[0]["number"] == "INV-000001"
    assert "new.person@example.com" in state(on_disk)[1]


def test_an_upload_that_cannot_be_written_is_a_413(on_disk: TestClient,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    store = store_of(on_disk)

    def no_space(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store._blobs, "write", no_space)
    response = on_disk.post("/api/v1/upload/direct", headers=HEADERS,
                            files={"file": ("a.csv", NEW_CUSTOMER_CSV, "text/csv")})
    assert response.status_code == 413, response.text
    assert "could not store this upload (disk full" in response.json()["detail"]
    assert on_disk.get("/__mock/health").json()["storage"]["uploads_kept"] == 0
