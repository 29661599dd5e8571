"""The storage budget: what is evicted, what never is, what the log and health say.

The policy is the one ``mock_server/storage/budget.py`` documents; both stores must
follow it alike, so most checks run on memory and on SQLite.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dayzero_twin.mock_server.app import MockApp
from dayzero_twin.mock_server.storage.budget import (
    Budget,
    entities_to_evict,
    uploads_to_evict,
)
from dayzero_twin.mock_server.storage.store import MemoryStore, SqliteStore, Store
from dayzero_twin.mock_server.storage.uploads import Upload

A = "b5a1c6de-0000-4000-8000-000000000001"
B = "b5a1c6de-0000-4000-8000-000000000002"
HEADERS = {"Authorization": "Bearer dz_mock_token", "x-business-id": A}
SMALL = Budget(max_entities_per_business=10, max_uploads_per_business=3,
               max_upload_bytes_per_business=100)


def entities(prefix: str, count: int) -> list[dict]:
    return [{"id": f"{prefix}-{i}", "n": i} for i in range(count)]


def upload(key: str, size: int) -> tuple[Upload, bytes]:
    return Upload(A, key, key, "text/csv", size), b"x" * size


@pytest.fixture(params=["memory", "sqlite"])
def make_store(request: pytest.FixtureRequest,
               tmp_path: Path) -> Iterator[Callable[[Budget], Store]]:
    opened: list[Store] = []

    def make(budget: Budget) -> Store:
        store = (MemoryStore(budget) if request.param == "memory"
                 else SqliteStore(tmp_path / f"data{len(opened)}", budget))
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


def ids(store: Store, kind: str, business: str = A) -> list[str]:
    return [item["id"] for item in store.page(kind, business, 1000, True, None).items]


def test_eviction_counts() -> None:
    assert entities_to_evict(held=10, fresh=4, limit=10) == 0
    assert entities_to_evict(held=12, fresh=4, limit=10) == 2
    assert entities_to_evict(held=20, fresh=15, limit=10) == 5  # the import itself stays
    assert entities_to_evict(held=15, fresh=15, limit=10) == 0
    assert entities_to_evict(held=10**6, fresh=1, limit=0) == 0  # 0: no limit
    oldest = [("a", 40), ("b", 40), ("c", 40)]
    assert uploads_to_evict(oldest, 4, 160, SMALL) == [("a", 40), ("b", 40)]  # bytes decide
    assert uploads_to_evict(oldest, 4, 90, SMALL) == [("a", 40)]  # the count decides
    assert uploads_to_evict(oldest, 3, 100, SMALL) == []


def test_oldest_entities_of_either_kind_go_first(make_store: Callable[[Budget], Store]) -> None:
    store = make_store(SMALL)
    store.commit("invoices", A, entities("i1", 4), [], 4, 1)
    store.commit("bills", A, entities("b1", 4), [], None, 2)
    store.commit("invoices", B, entities("other", 9), [], 9, 3)  # another business's budget
    store.commit("invoices", A, entities("i2", 4), [], 8, 4)
    assert ids(store, "invoices") == ["i2-3", "i2-2", "i2-1", "i2-0", "i1-3", "i1-2"]
    assert ids(store, "bills") == ["b1-3", "b1-2", "b1-1", "b1-0"]
    assert store.get("invoices", A, "i1-0") is None and store.get("invoices", A, "i1-2")
    assert store.count("invoices", A) == 6 and len(ids(store, "invoices", B)) == 9
    figures = store.figures()
    assert figures["businesses"][A]["entities_kept"] == 10
    assert figures["businesses"][A]["entities_evicted"] == 2
    assert figures["entities_kept"] == 19 and figures["budget"] == SMALL.as_dict()


def test_an_import_larger_than_the_budget_keeps_all_of_its_own_rows(
        make_store: Callable[[Budget], Store]) -> None:
    store = make_store(SMALL)
    store.commit("bills", A, entities("old", 5), [], None, 1)
    store.commit("invoices", A, entities("big", 15), [], 15, 2)
    assert len(ids(store, "invoices")) == 15 and ids(store, "bills") == []
    store.commit("invoices", A, entities("next", 1), [], 16, 3)
    assert ids(store, "invoices")[:2] == ["next-0", "big-14"]
    assert store.count("invoices", A) == 10


def test_a_cursor_walk_still_visits_each_kept_entity_once(
        make_store: Callable[[Budget], Store]) -> None:
    store = make_store(Budget(max_entities_per_business=7))
    for file in range(6):
        store.commit("invoices", A, entities(f"f{file}", 3), [], None, file)
    seen, bound = [], None
    for _ in range(20):
        page = store.page("invoices", A, 2, True, bound)
        seen += [item["id"] for item in page.items]
        if page.older_than is None:
            break
        bound = page.older_than
    assert seen == ids(store, "invoices") and len(seen) == 7 == len(set(seen))


def test_uploads_least_recently_used_go_never_the_fresh_one(
        make_store: Callable[[Budget], Store]) -> None:
    store = make_store(SMALL)
    for key in ("u1", "u2", "u3"):
        store.put_upload(*upload(key, 10), 1)
    store.commit("invoices", A, entities("from-u1", 1), [], None, 2, used_key="u1")
    store.put_upload(*upload("u4", 10), 3)  # four uploads: u2 is now the least recent
    assert [store.get_upload(A, key) is not None for key in ("u1", "u2", "u3", "u4")] == [
        True, False, True, True]
    store.put_upload(*upload("huge", 500), 4)  # alone over the byte budget: kept, alone
    assert store.get_upload(A, "huge") == b"x" * 500
    assert all(store.get_upload(A, key) is None for key in ("u1", "u3", "u4"))
    figures = store.figures()["businesses"][A]
    assert (figures["uploads_kept"], figures["upload_bytes_held"]) == (1, 500)
    assert (figures["uploads_evicted"], figures["upload_bytes_evicted"]) == (4, 40)


def test_one_warning_per_business_per_eviction_burst(make_store: Callable[[Budget], Store],
                                                     caplog: pytest.LogCaptureFixture) -> None:
    store = make_store(SMALL)
    with caplog.at_level(logging.WARNING, logger="dayzero.mock.storage"):
        for round_ in range(8):
            store.commit("invoices", A, entities(f"r{round_}", 3), [], None, round_)
        assert len(caplog.records) == 1 and A in caplog.records[0].getMessage()
        store.reset(A)  # a reset ends the burst
        for round_ in range(8):
            store.commit("invoices", A, entities(f"s{round_}", 3), [], None, round_)
        store.commit("invoices", B, entities("b", 11), [], None, 9)  # B's budget is its own
    assert [A in record.getMessage() for record in caplog.records] == [True, True]
    assert store.figures()["businesses"][A]["entities_evicted"] == 28


def test_sqlite_keeps_its_figures_across_a_restart(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path, SMALL)
    store.commit("invoices", A, entities("a", 8), [], 8, 1)
    store.put_upload(*upload("u1", 30), 2)
    store.close()
    store = SqliteStore(tmp_path, SMALL)
    store.commit("invoices", A, entities("b", 4), [], 12, 3)
    assert store.count("invoices", A) == 10 and store.get("invoices", A, "a-1") is None
    assert store.figures()["businesses"][A]["upload_bytes_held"] == 30
    store.close()


def disk_bytes(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())


def test_sqlite_reset_gives_the_disk_space_back(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path, Budget(max_uploads_per_business=0,
                                         max_upload_bytes_per_business=0))
    for round_ in range(20):
        store.put_upload(*upload(f"u{round_}", 50_000), round_)
        store.commit("invoices", A, [{"id": f"{round_}-{i}", "pad": "p" * 500}
                                     for i in range(200)], [], None, round_)
    full = disk_bytes(tmp_path)
    assert full > 2_000_000
    store.reset(None)
    emptied = disk_bytes(tmp_path)
    assert list((tmp_path / "blobs").iterdir()) == []
    assert emptied < full / 10, (full, emptied)
    store.close()


# --- through HTTP ----------------------------------------------------------------------


@pytest.fixture
def budgeted(mock_app: Callable[..., MockApp]) -> Iterator[TestClient]:
    app = mock_app(max_entities_per_business=6, journal_max_bytes=64 * 1024)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_an_evicted_entity_reads_as_the_documented_404(budgeted: TestClient) -> None:
    first = budgeted.post("/api/v1/bills/bulk", headers=HEADERS,
                          json={"s3_key": "samples/bills-6.csv"}).json()["items"]
    second = budgeted.post("/api/v1/bills/bulk", headers=HEADERS,
                           json={"s3_key": "samples/bills-6.csv"}).json()["items"]
    gone = budgeted.get(f"/api/v1/bills/{first[0]['id']}", headers=HEADERS)
    assert gone.status_code == 404 and "not found" in gone.json()["detail"].lower()
    assert budgeted.get(f"/api/v1/bills/{second[0]['id']}", headers=HEADERS).status_code == 200
    storage = budgeted.get("/__mock/health").json()["storage"]
    assert storage["budget"]["max_entities_per_business"] == 6
    assert (storage["entities_kept"], storage["entities_evicted"]) == (6, 6)


def test_the_journal_is_bounded_in_bytes(budgeted: TestClient) -> None:
    big = "v" * 200_000
    for _ in range(30):
        budgeted.get("/api/v1/bills", headers={**HEADERS, "x-padding": big})
    journal = budgeted.get("/__mock/health").json()["journal"]
    assert 0 < journal["bytes"] <= journal["max_bytes"] == 64 * 1024
    entries = budgeted.get("/__mock/journal", params={"limit": 500}).json()["items"]
    assert 1 <= len(entries) < 30
    padding = entries[0]["request"]["headers"]["x-padding"]
    assert padding.endswith("...(truncated)") and len(padding) < 5000
