"""Both stores behave alike: paging, atomic commits, reset, uploads; SQLite persists."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from dayzero_twin.mock_server.domain.world import Party
from dayzero_twin.mock_server.storage.store import MemoryStore, SqliteStore, Store
from dayzero_twin.mock_server.storage.uploads import Upload

A = "b5a1c6de-0000-4000-8000-000000000001"
B = "b5a1c6de-0000-4000-8000-000000000002"
ROOT = Path(__file__).resolve().parent.parent


def entities(prefix: str, count: int) -> list[dict]:
    return [{"id": f"{prefix}-{i}", "n": i} for i in range(count)]


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    opened = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "data")
    yield opened
    opened.close()


def walk(store: Store, kind: str, business: str, limit: int) -> list[str]:
    seen: list[str] = []
    older, bound = True, None
    for _ in range(1000):
        page = store.page(kind, business, limit, older, bound)
        seen.extend(item["id"] for item in page.items)
        if page.older_than is None:
            return seen
        bound = page.older_than
    raise AssertionError("walk did not end")


def test_newest_first_and_later_rows_of_a_file_first(store: Store) -> None:
    store.commit("invoices", A, entities("f1", 3), [], None, 0)
    store.commit("invoices", A, entities("f2", 2), [], None, 0)
    page = store.page("invoices", A, 10, True, None)
    assert [item["id"] for item in page.items] == ["f2-1", "f2-0", "f1-2", "f1-1", "f1-0"]
    assert page.total == 5 and page.older_than is None and page.newer_than is None


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 50])
def test_cursor_walk_visits_every_entity_once(store: Store, limit: int) -> None:
    for file in range(5):
        store.commit("invoices", A, entities(f"f{file}", 3), [], None, 0)
    assert walk(store, "invoices", A, limit) == [f"f{f}-{i}" for f in range(4, -1, -1)
                                                 for i in range(2, -1, -1)]


def test_walk_is_exactly_once_while_entities_are_created(store: Store) -> None:
    store.commit("bills", A, entities("old", 10), [], None, 0)
    first = store.page("bills", A, 4, True, None)
    store.commit("bills", A, entities("new", 5), [], None, 0)
    seen = [item["id"] for item in first.items]
    bound = first.older_than
    while bound is not None:
        page = store.page("bills", A, 4, True, bound)
        seen.extend(item["id"] for item in page.items)
        bound = page.older_than
    assert seen == [f"old-{i}" for i in range(9, -1, -1)]
    # A fresh walk starts at the newest again.
    assert walk(store, "bills", A, 4)[:5] == [f"new-{i}" for i in range(4, -1, -1)]


def test_prev_pages_walk_back(store: Store) -> None:
    store.commit("invoices", A, entities("e", 7), [], None, 0)
    pages = []
    older, bound = True, None
    while True:
        page = store.page("invoices", A, 3, older, bound)
        pages.append([item["id"] for item in page.items])
        if page.older_than is None:
            break
        bound = page.older_than
    back = store.page("invoices", A, 3, False, page.newer_than)
    assert [item["id"] for item in back.items] == pages[-2]
    assert back.newer_than is not None and back.older_than is not None


def test_empty_pages_past_either_end_point_back(store: Store) -> None:
    store.commit("invoices", A, entities("e", 2), [], None, 0)
    past_old = store.page("invoices", A, 5, True, 1)
    assert past_old.items == [] and past_old.older_than is None
    assert past_old.newer_than is not None
    assert store.page("invoices", A, 5, False, past_old.newer_than).items
    past_new = store.page("invoices", A, 5, False, 99)
    assert past_new.items == [] and past_new.newer_than is None
    assert [i["id"] for i in store.page("invoices", A, 5, True, past_new.older_than).items] == [
        "e-1", "e-0"]


def test_tenants_and_kinds_are_isolated(store: Store) -> None:
    store.commit("invoices", A, entities("a", 2), [Party("c1", "C", "c@x.com")], 2, 0)
    assert store.page("invoices", B, 10, True, None).items == []
    assert store.page("bills", A, 10, True, None).items == []
    assert store.get("invoices", B, "a-0") is None and store.get("invoices", A, "a-0")
    assert store.parties("customers", B) == [] and store.last_number(B) == 0
    assert store.parties("vendors", A) == []


def test_parties_numbers_and_id_position(store: Store) -> None:
    store.commit("invoices", A, entities("a", 1), [Party("c1", "C1", "c1@x.com")], 3, 17)
    store.commit("bills", A, entities("b", 1), [Party("v1", "V1", None)], None, 20)
    store.commit("invoices", A, entities("c", 1), [Party("c2", "C2", "c2@x.com")], None, 25)
    assert [p.id for p in store.parties("customers", A)] == ["c1", "c2"]
    assert store.parties("vendors", A) == [Party("v1", "V1", None)]
    assert store.last_number(A) == 3 and store.id_position == 25


def test_uploads_per_business(store: Store) -> None:
    upload = Upload(A, "uploads/k/1/f.csv", "f.csv", "text/csv", 3)
    store.put_upload(upload, b"abc", 1)
    assert store.get_upload(A, upload.key) == b"abc"
    assert store.get_upload(B, upload.key) is None
    store.put_upload(upload, b"xyz", 2)
    assert store.get_upload(A, upload.key) == b"xyz"


def test_reset_one_business_or_all(store: Store) -> None:
    for business in (A, B):
        store.commit("invoices", business, entities(business, 2), [Party("c", "C", "c@x")], 2,
                     5)
        store.put_upload(Upload(business, "k", "f", "text/csv", 1), b"x", 5)
    store.reset(A)
    assert store.count("invoices", A) == 0 and store.parties("customers", A) == []
    assert store.last_number(A) == 0 and store.get_upload(A, "k") is None
    assert store.count("invoices", B) == 2 and store.get_upload(B, "k") == b"x"
    store.reset(None)
    assert store.count("invoices", B) == 0 and store.get_upload(B, "k") is None
    assert store.id_position == 5


def test_counts_follow_commits_and_resets(store: Store) -> None:
    assert store.count("invoices", A) == 0 and store.count("invoices", B) == 0
    store.commit("invoices", A, entities("a", 3), [], 3, 1)
    store.commit("invoices", B, entities("b", 2), [], 2, 2)
    store.commit("bills", A, entities("c", 4), [], None, 3)
    assert [store.count(kind, business) for kind, business in
            (("invoices", A), ("invoices", B), ("bills", A))] == [3, 2, 4]
    store.reset(B)
    store.commit("invoices", A, entities("d", 1), [], 4, 4)
    assert store.count("invoices", A) == 4 and store.count("invoices", B) == 0
    store.reset(None)
    assert store.count("invoices", A) == 0 and store.count("bills", A) == 0


def test_sqlite_commit_is_all_or_nothing(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path)
    store.commit("invoices", A, entities("ok", 1), [], 1, 3)
    assert store.count("invoices", A) == 1  # counted now, so the failure below must not add
    duplicate = [*entities("x", 3), {"id": "x-0", "n": 9}]
    with pytest.raises(sqlite3.IntegrityError):
        store.commit("invoices", A, duplicate, [Party("c", "C", "c@x")], 5, 9)
    assert store.count("invoices", A) == 1 and store.parties("customers", A) == []
    assert store.last_number(A) == 1
    store.commit("invoices", A, entities("later", 1), [], 2, 10)
    assert store.count("invoices", A) == 2
    store.close()


def test_sqlite_survives_reopen(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path)
    store.commit("invoices", A, entities("a", 3), [Party("c1", "C1", "c1@x.com")], 7, 42)
    store.put_upload(Upload(A, "uploads/../../etc/passwd", "p", "text/csv", 2), b"hi", 43)
    store.close()
    again = SqliteStore(tmp_path)
    assert [item["id"] for item in again.page("invoices", A, 10, True, None).items] == [
        "a-2", "a-1", "a-0"]
    assert again.last_number(A) == 7 and again.id_position == 43
    assert again.parties("customers", A) == [Party("c1", "C1", "c1@x.com")]
    assert again.get_upload(A, "uploads/../../etc/passwd") == b"hi"
    # Blobs live under hashed names inside the data directory, whatever the key says.
    assert all(path.parent == tmp_path / "blobs" for path in (tmp_path / "blobs").iterdir())
    again.commit("invoices", A, entities("b", 1), [], None, 44)
    assert again.page("invoices", A, 1, True, None).items[0]["id"] == "b-0"
    again.close()


def test_sqlite_commit_survives_sigkill(tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        from pathlib import Path
        from dayzero_twin.mock_server.storage.store import SqliteStore
        store = SqliteStore(Path({str(tmp_path)!r}))
        store.commit("invoices", {A!r}, [{{"id": f"k-{{i}}"}} for i in range(500)], [], 500, 9)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    result = subprocess.run([sys.executable, "-c", script], timeout=60, check=False)
    assert result.returncode == -signal.SIGKILL
    store = SqliteStore(tmp_path)
    assert store.count("invoices", A) == 500 and store.last_number(A) == 500
    store.close()
