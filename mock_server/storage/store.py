"""Per-business state: invoices, bills, created customers/vendors, uploads, counters.

Two implementations with one interface: ``MemoryStore`` (the default) and
``SqliteStore`` (``--data-dir``: SQLite in WAL mode for records, ``BlobDir`` files for
upload bytes). Each bulk import is one ``commit_*`` call and, on SQLite, one
transaction holding the entities, the customers/vendors it created, the invoice
number counter and the id position: a SIGKILL leaves either all of a file or none.

Entities carry a store-wide, ever-increasing sequence number in creation order (file
order within one import). Listing is newest first by that number; a page is bounded by
a sequence number rather than an offset, which is what lets a cursor walk visit every
entity exactly once even while new ones are created between pages.

The world's seeded customers and vendors are not stored: the service combines them
with ``parties()``, so a reset brings them back exactly as they were.

Both keep to a ``Budget`` (``storage/budget.py``): past it, a business's oldest
entities and least recently used uploads are evicted, never what the write itself
created. ``SqliteStore`` owns its directory through an OS lock (``storage/lock.py``)
and turns host faults into ``storage/errors.py``'s exceptions: a directory it cannot
use at start-up, and a write it could not store (rolled back whole).

Not thread-safe by itself: ``MockService`` serialises every call under its lock.
"""

from __future__ import annotations

import bisect
import contextlib
import sqlite3
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from dayzero_twin.mock_server.domain.kinds import KINDS
from dayzero_twin.mock_server.domain.world import Party
from dayzero_twin.mock_server.storage.budget import (
    Budget,
    Ledger,
    UploadShelf,
    Usage,
    entities_to_evict,
    uploads_to_evict,
)
from dayzero_twin.mock_server.storage.errors import (
    DataDirError,
    StoreWriteFailed,
    describe,
)
from dayzero_twin.mock_server.storage.lock import DataDirLock
from dayzero_twin.mock_server.storage.uploads import BlobDir, Upload

ENTITY_KINDS = tuple(kind.name for kind in KINDS)
PARTY_KIND = {kind.name: kind.party_kind for kind in KINDS}

Entity = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Page:
    """Entities newest first, and the bounds of the neighbouring pages (None: no page)."""

    items: list[Entity]
    total: int
    older_than: int | None  # the next page holds entities with seq below this
    newer_than: int | None  # the previous page holds entities with seq above this


class Store(ABC):
    """The interface both stores implement; listing is built on three primitives."""

    ledger: Ledger

    @abstractmethod
    def _fetch(self, kind: str, business_id: str, older: bool, bound: int | None,
               limit: int) -> list[tuple[int, Entity]]:
        """Up to ``limit`` entities below ``bound`` newest first (``older``), or above it
        oldest first; ``bound`` None means no bound."""

    @abstractmethod
    def _exists(self, kind: str, business_id: str, older: bool, bound: int) -> bool:
        """Whether any entity lies strictly below (``older``) or above ``bound``."""

    @abstractmethod
    def count(self, kind: str, business_id: str) -> int: ...

    @abstractmethod
    def get(self, kind: str, business_id: str, entity_id: str) -> Entity | None: ...

    @abstractmethod
    def parties(self, kind: str, business_id: str) -> list[Party]:
        """Customers or vendors created by imports, in creation order."""

    @abstractmethod
    def last_number(self, business_id: str) -> int:
        """The last invoice number handed out in the business (0: none yet)."""

    @abstractmethod
    def commit(self, kind: str, business_id: str, entities: list[Entity], parties: list[Party],
               last_number: int | None, id_position: int, used_key: str | None = None) -> None:
        """Store one import's entities and new parties atomically, in file order, then
        evict past the budget; ``used_key``, the upload imported, counts as just used.
        ``StoreWriteFailed`` when it could not be stored: then nothing of it was."""

    @abstractmethod
    def put_upload(self, upload: Upload, data: bytes, id_position: int) -> None:
        """Store an upload (replacing one of the same key), then evict past the budget;
        ``StoreWriteFailed`` when it could not be stored."""

    @abstractmethod
    def get_upload(self, business_id: str, key: str) -> bytes | None: ...

    @abstractmethod
    def uploads(self, business_id: str) -> list[Upload]:
        """The business's stored uploads, newest first (the admin API's view of them)."""

    @abstractmethod
    def save_id_position(self, id_position: int) -> None:
        """Record ids handed out without another write (a presigned URL's upload id)."""

    @property
    @abstractmethod
    def id_position(self) -> int:
        """How many ids had been handed out when the store was last written."""

    @abstractmethod
    def reset(self, business_id: str | None) -> None:
        """Forget what imports and uploads created: in one business, or in all."""

    @abstractmethod
    def close(self) -> None:
        """Release files and connections."""

    @abstractmethod
    def usage(self) -> dict[str, Usage]:
        """What each business holds now (businesses holding nothing may be left out)."""

    def figures(self) -> dict[str, Any]:
        """The budget, what is kept and what was evicted, for ``/__mock/health``."""
        return self.ledger.figures(self.usage())

    def page(self, kind: str, business_id: str, limit: int, older: bool,
             bound: int | None) -> Page:
        """One page of a newest-first walk starting past ``bound`` in either direction."""
        rows = self._fetch(kind, business_id, older, bound, limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        if not older:
            rows.reverse()
        if rows:
            newest, oldest = rows[0][0], rows[-1][0]
        elif bound is None:
            return Page([], self.count(kind, business_id), None, None)
        else:
            # An empty page past either end still points back towards the entities.
            newest, oldest = (bound - 1, bound) if older else (bound, bound + 1)
        has_older = more if older else self._exists(kind, business_id, True, oldest)
        has_newer = self._exists(kind, business_id, False, newest) if older else more
        return Page(
            items=[entity for _, entity in rows],
            total=self.count(kind, business_id),
            older_than=oldest if has_older else None,
            newer_than=newest if has_newer else None,
        )


_EVICTED: Entity = {}  # what an evicted slot holds until the next compaction
_COMPACT_AFTER = 4096


@dataclass
class _Series:
    """One business's entities of one kind, in sequence order.

    Eviction takes from the front; rather than shifting the lists on every eviction,
    ``start`` marks the first live slot and the dead prefix is cut off in one go once
    it is both large and most of the list, so eviction costs O(1) amortized.
    """

    seqs: list[int] = field(default_factory=list)
    items: list[Entity] = field(default_factory=list)
    by_id: dict[str, Entity] = field(default_factory=dict)
    start: int = 0

    def __len__(self) -> int:
        return len(self.seqs) - self.start

    def older_than(self, seq: int) -> int:
        """How many live entities have a sequence number below ``seq``."""
        return bisect.bisect_left(self.seqs, seq, lo=self.start) - self.start

    def evict_oldest(self, count: int) -> None:
        start, end = self.start, self.start + count
        by_id = self.by_id
        for entity in self.items[start:end]:
            del by_id[entity["id"]]
        self.items[start:end] = [_EVICTED] * count
        self.start = end
        if self.start >= _COMPACT_AFTER and self.start * 2 >= len(self.seqs):
            del self.seqs[:self.start]
            del self.items[:self.start]
            self.start = 0


class MemoryStore(Store):
    """Everything in dictionaries; gone when the process ends."""

    def __init__(self, budget: Budget | None = None) -> None:
        self._budget = budget or Budget()
        self.ledger = Ledger(self._budget)
        self._series: dict[tuple[str, str], _Series] = {}
        self._held: dict[str, int] = {}
        self._parties: dict[tuple[str, str], list[Party]] = {}
        self._numbers: dict[str, int] = {}
        self._uploads: dict[str, UploadShelf] = {}
        self._seq = 0
        self._id_position = 0

    def _get_series(self, kind: str, business_id: str) -> _Series:
        return self._series.get((kind, business_id)) or _Series()

    def _fetch(self, kind: str, business_id: str, older: bool, bound: int | None,
               limit: int) -> list[tuple[int, Entity]]:
        series = self._get_series(kind, business_id)
        first = series.start
        if older:
            end = (len(series.seqs) if bound is None
                   else bisect.bisect_left(series.seqs, bound, lo=first))
            start = max(first, end - limit)
            pairs = zip(series.seqs[start:end], series.items[start:end], strict=True)
            return list(pairs)[::-1]
        start = first if bound is None else bisect.bisect_right(series.seqs, bound, lo=first)
        end = start + limit
        return list(zip(series.seqs[start:end], series.items[start:end], strict=True))

    def _exists(self, kind: str, business_id: str, older: bool, bound: int) -> bool:
        series = self._get_series(kind, business_id)
        if older:
            return bisect.bisect_left(series.seqs, bound, lo=series.start) > series.start
        return bisect.bisect_right(series.seqs, bound, lo=series.start) < len(series.seqs)

    def count(self, kind: str, business_id: str) -> int:
        return len(self._get_series(kind, business_id))

    def get(self, kind: str, business_id: str, entity_id: str) -> Entity | None:
        return self._get_series(kind, business_id).by_id.get(entity_id)

    def parties(self, kind: str, business_id: str) -> list[Party]:
        return list(self._parties.get((kind, business_id), ()))

    def last_number(self, business_id: str) -> int:
        return self._numbers.get(business_id, 0)

    def commit(self, kind: str, business_id: str, entities: list[Entity], parties: list[Party],
               last_number: int | None, id_position: int, used_key: str | None = None) -> None:
        series = self._series.setdefault((kind, business_id), _Series())
        first = self._seq + 1
        self._seq += len(entities)
        series.seqs.extend(range(first, first + len(entities)))
        series.items.extend(entities)
        series.by_id.update((entity["id"], entity) for entity in entities)
        if parties:
            self._parties.setdefault((PARTY_KIND[kind], business_id), []).extend(parties)
        if last_number is not None:
            self._numbers[business_id] = last_number
        self._id_position = max(self._id_position, id_position)
        shelf = self._uploads.get(business_id)
        if used_key is not None and shelf is not None:
            shelf.touch(used_key)
        held = self._held[business_id] = self._held.get(business_id, 0) + len(entities)
        self._evict_entities(business_id, held, len(entities))

    def _evict_entities(self, business_id: str, held: int, fresh: int) -> None:
        """The business's oldest entities, of either kind, past the budget."""
        count = entities_to_evict(held, fresh, self._budget.max_entities_per_business)
        if not count:
            self.ledger.settled(business_id, "entities")
            return
        live = [series for kind in ENTITY_KINDS
                if (series := self._series.get((kind, business_id))) is not None and series]
        remaining = count
        while remaining:
            # Merge the kinds by age: take the run of one kind older than the other's head.
            live.sort(key=lambda series: series.seqs[series.start])
            first = live[0]
            run = (first.older_than(live[1].seqs[live[1].start]) if len(live) > 1
                   else len(first))
            take = min(run, remaining)
            first.evict_oldest(take)
            remaining -= take
            live = [series for series in live if series]
        self._held[business_id] = held - count
        self.ledger.entities_evicted(business_id, count)

    def put_upload(self, upload: Upload, data: bytes, id_position: int) -> None:
        shelf = self._uploads.setdefault(upload.business_id, UploadShelf())
        shelf.put(upload, data)
        self._id_position = max(self._id_position, id_position)
        count, size = shelf.evict(self._budget, upload.key)
        if count:
            self.ledger.uploads_evicted(upload.business_id, count, size)
        else:
            self.ledger.settled(upload.business_id, "uploads")

    def get_upload(self, business_id: str, key: str) -> bytes | None:
        shelf = self._uploads.get(business_id)
        return shelf.get(key) if shelf is not None else None

    def uploads(self, business_id: str) -> list[Upload]:
        shelf = self._uploads.get(business_id)
        return shelf.newest_first() if shelf is not None else []

    def save_id_position(self, id_position: int) -> None:
        self._id_position = max(self._id_position, id_position)

    @property
    def id_position(self) -> int:
        return self._id_position

    def reset(self, business_id: str | None) -> None:
        self.ledger.forget(business_id)
        if business_id is None:
            self._series.clear()
            self._parties.clear()
            self._numbers.clear()
            self._uploads.clear()
            self._held.clear()
            return
        for table in (self._series, self._parties):
            for key in [key for key in table if key[1] == business_id]:
                del table[key]
        self._numbers.pop(business_id, None)
        self._uploads.pop(business_id, None)
        self._held.pop(business_id, None)

    def close(self) -> None:
        """Nothing to release: the state simply goes with the object."""

    def usage(self) -> dict[str, Usage]:
        usage = {business: Usage(entities=held) for business, held in self._held.items()}
        for business, shelf in self._uploads.items():
            found = usage.setdefault(business, Usage())
            found.uploads, found.upload_bytes = len(shelf), shelf.size
        return usage


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS entities (
    kind TEXT NOT NULL, business TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL,
    body BLOB NOT NULL, PRIMARY KEY (kind, business, seq)) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS entities_by_id ON entities (kind, business, id);
CREATE INDEX IF NOT EXISTS entities_by_age ON entities (business, seq);
CREATE TABLE IF NOT EXISTS parties (
    kind TEXT NOT NULL, business TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL,
    name TEXT NOT NULL, email TEXT, PRIMARY KEY (kind, business, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS numbers (business TEXT PRIMARY KEY, last INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS uploads (
    business TEXT NOT NULL, key TEXT NOT NULL, filename TEXT NOT NULL,
    content_type TEXT NOT NULL, size INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (business, key));
"""
# Every column the store reads: a database of another shape is refused at start-up.
_PROBES = (
    "SELECT name, value FROM meta",
    "SELECT kind, business, seq, id, body FROM entities",
    "SELECT kind, business, seq, id, name, email FROM parties",
    "SELECT business, last FROM numbers",
    "SELECT business, key, filename, content_type, size, used FROM uploads",
)
DB_NAME = "mock.sqlite3"
_WRITE_FAULTS = (sqlite3.DatabaseError, OSError)  # IntegrityError is a bug: re-raised


def _write_failed(error: Exception) -> StoreWriteFailed | Exception:
    """``StoreWriteFailed`` for a host fault, the error itself for a programming error."""
    if isinstance(error, sqlite3.IntegrityError | sqlite3.ProgrammingError):
        return error
    return StoreWriteFailed(describe(error))


class SqliteStore(Store):
    """Records in ``<data_dir>/mock.sqlite3`` (WAL), upload bytes in ``<data_dir>/blobs``.

    ``synchronous=NORMAL`` in WAL mode loses nothing committed when the *process* dies
    (SIGKILL included); only an OS crash or power cut could drop the last commits,
    which is an acceptable trade for a mock that commits on every import.

    SQLite's automatic checkpoint copies the WAL into the database inside whichever
    commit crosses 1,000 pages, and a quick import may commit on the event loop. That
    stays: measured at 4,000 commits a second it costs at most 16 ms, while a background
    checkpoint thread, tried instead, never caught up with the writer (the WAL grew past
    170 MB and rewinding it stalled commits for 180 ms).

    Disk policy: the budget applies as in memory, evicted rows are deleted in the
    import's own transaction and evicted blobs right after it; SQLite reuses the freed
    pages, so the file stops growing at about the budget's size rather than shrinking.
    ``reset`` gives the space back: it deletes the blob files and rewrites the database
    (``VACUUM``, then a WAL truncation).

    Opening raises ``DataDirError`` with a one-line reason for a directory that cannot
    be used (another owner, not writable, not a directory, not a mock database).
    """

    def __init__(self, data_dir: Path, budget: Budget | None = None,
                 busy_timeout: float = 5.0) -> None:
        self._budget = budget or Budget()
        self.ledger = Ledger(self._budget)
        if data_dir.exists() and not data_dir.is_dir():
            raise DataDirError(f"data directory {data_dir} is not a directory")
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DataDirError(f"data directory {data_dir} cannot be created "
                               f"({describe(error)})") from None
        self._lock = DataDirLock(data_dir)
        self._lock.acquire()
        try:
            self._open(data_dir, busy_timeout)
        except BaseException:
            self._lock.release()
            raise

    def _open(self, data_dir: Path, busy_timeout: float) -> None:
        path = data_dir / DB_NAME
        try:
            self._blobs = BlobDir(data_dir / "blobs")
        except OSError as error:
            raise DataDirError(f"data directory {data_dir} is not writable "
                               f"({describe(error)})") from None
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                                   timeout=busy_timeout)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
            self._db.executescript(_SCHEMA)
            for probe in _PROBES:
                self._db.execute(f"{probe} LIMIT 0").fetchall()
            self._id_position = self._meta("id_position")
            self._held: dict[str, int] = dict(self._db.execute(
                "SELECT business, COUNT(*) FROM entities GROUP BY business").fetchall())
            self._upload_usage: dict[str, Usage] = {
                business: Usage(uploads=count, upload_bytes=size)
                for business, count, size in self._db.execute(
                    "SELECT business, COUNT(*), SUM(size) FROM uploads GROUP BY business")}
        except sqlite3.Error as error:
            self._db.close()
            raise DataDirError(_open_failure(path, error)) from None
        # COUNT(*) walks the index of a business's entities on every list page; this
        # process is the database's only writer, so counting once and adding is exact.
        self._counts: dict[tuple[str, str], int] = {}

    def _migrate(self) -> None:
        """Add the ``uploads.used`` column to a database written before it existed."""
        columns = [row[1] for row in self._db.execute("PRAGMA table_info(uploads)")]
        if columns and "used" not in columns:
            self._db.execute("ALTER TABLE uploads ADD COLUMN used INTEGER NOT NULL DEFAULT 0")

    def _meta(self, name: str) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return int(row[0]) if row else 0

    def _set_meta(self, name: str, value: int) -> None:
        self._db.execute("INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) "
                         "DO UPDATE SET value = max(value, excluded.value)", (name, value))

    def _fetch(self, kind: str, business_id: str, older: bool, bound: int | None,
               limit: int) -> list[tuple[int, Entity]]:
        if older:
            sql = ("SELECT seq, body FROM entities WHERE kind = ? AND business = ? AND seq < ? "
                   "ORDER BY seq DESC LIMIT ?")
            edge = bound if bound is not None else 2**62
        else:
            sql = ("SELECT seq, body FROM entities WHERE kind = ? AND business = ? AND seq > ? "
                   "ORDER BY seq ASC LIMIT ?")
            edge = bound if bound is not None else -1
        rows = self._db.execute(sql, (kind, business_id, edge, limit)).fetchall()
        return [(seq, orjson.loads(body)) for seq, body in rows]

    def _exists(self, kind: str, business_id: str, older: bool, bound: int) -> bool:
        operator = "<" if older else ">"
        sql = (f"SELECT EXISTS (SELECT 1 FROM entities WHERE kind = ? AND business = ? "
               f"AND seq {operator} ?)")
        return bool(self._db.execute(sql, (kind, business_id, bound)).fetchone()[0])

    def count(self, kind: str, business_id: str) -> int:
        counted = self._counts.get((kind, business_id))
        if counted is None:
            counted = self._counts[kind, business_id] = self._db.execute(
                "SELECT COUNT(*) FROM entities WHERE kind = ? AND business = ?",
                (kind, business_id)).fetchone()[0]
        return counted

    def get(self, kind: str, business_id: str, entity_id: str) -> Entity | None:
        row = self._db.execute("SELECT body FROM entities WHERE kind = ? AND business = ? "
                               "AND id = ?", (kind, business_id, entity_id)).fetchone()
        return orjson.loads(row[0]) if row else None

    def parties(self, kind: str, business_id: str) -> list[Party]:
        rows = self._db.execute("SELECT id, name, email FROM parties WHERE kind = ? AND "
                                "business = ? ORDER BY seq", (kind, business_id)).fetchall()
        return [Party(*row) for row in rows]

    def last_number(self, business_id: str) -> int:
        row = self._db.execute("SELECT last FROM numbers WHERE business = ?",
                               (business_id,)).fetchone()
        return int(row[0]) if row else 0

    def commit(self, kind: str, business_id: str, entities: list[Entity], parties: list[Party],
               last_number: int | None, id_position: int, used_key: str | None = None) -> None:
        held = self._held.get(business_id, 0) + len(entities)
        evict = entities_to_evict(held, len(entities), self._budget.max_entities_per_business)
        try:
            with self._transaction():
                first = self._meta("seq") + 1
                self._db.executemany(
                    "INSERT INTO entities (kind, business, seq, id, body) VALUES (?, ?, ?, ?, ?)",
                    [(kind, business_id, first + offset, entity["id"], orjson.dumps(entity))
                     for offset, entity in enumerate(entities)])
                self._set_meta("seq", first + len(entities) - 1)
                party_first = self._meta("party_seq") + 1
                self._db.executemany(
                    "INSERT INTO parties (kind, business, seq, id, name, email) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [(PARTY_KIND[kind], business_id, party_first + offset, party.id, party.name,
                      party.email) for offset, party in enumerate(parties)])
                self._set_meta("party_seq", party_first + len(parties) - 1)
                if last_number is not None:
                    self._db.execute("INSERT INTO numbers (business, last) VALUES (?, ?) "
                                     "ON CONFLICT (business) DO UPDATE SET last = excluded.last",
                                     (business_id, last_number))
                self._set_meta("id_position", id_position)
                if used_key is not None:
                    self._touch(business_id, used_key)
                evicted = self._delete_oldest(business_id, evict) if evict else {}
        except _WRITE_FAULTS as error:
            raise _write_failed(error) from error
        self._id_position = max(self._id_position, id_position)
        if (kind, business_id) in self._counts:
            self._counts[kind, business_id] += len(entities)
        for evicted_kind, count in evicted.items():
            if (evicted_kind, business_id) in self._counts:
                self._counts[evicted_kind, business_id] -= count
        self._held[business_id] = held - evict
        if evict:
            self.ledger.entities_evicted(business_id, evict)
        else:
            self.ledger.settled(business_id, "entities")

    def _delete_oldest(self, business_id: str, count: int) -> dict[str, int]:
        """Delete the business's ``count`` oldest entities; how many of each kind went."""
        edge = self._db.execute("SELECT seq FROM entities WHERE business = ? ORDER BY seq "
                                "LIMIT 1 OFFSET ?", (business_id, count - 1)).fetchone()[0]
        by_kind = dict(self._db.execute(
            "SELECT kind, COUNT(*) FROM entities WHERE business = ? AND seq <= ? GROUP BY kind",
            (business_id, edge)).fetchall())
        self._db.execute("DELETE FROM entities WHERE business = ? AND seq <= ?",
                         (business_id, edge))
        return by_kind

    def _touch(self, business_id: str, key: str) -> None:
        """Mark an upload as just used: ``used`` orders uploads for eviction."""
        used = self._meta("upload_use") + 1
        self._set_meta("upload_use", used)
        self._db.execute("UPDATE uploads SET used = ? WHERE business = ? AND key = ?",
                         (used, business_id, key))

    def put_upload(self, upload: Upload, data: bytes, id_position: int) -> None:
        business = upload.business_id
        usage = self._upload_usage.get(business, Usage())
        try:
            # Bytes first: a kill between the two steps leaves an unreachable file, never a
            # record pointing at missing bytes.
            self._blobs.write(business, upload.key, data)
            with self._transaction():
                old = self._db.execute("SELECT size FROM uploads WHERE business = ? AND key = ?",
                                       (business, upload.key)).fetchone()
                self._db.execute(
                    "INSERT OR REPLACE INTO uploads (business, key, filename, content_type, "
                    "size) VALUES (?, ?, ?, ?, ?)",
                    (business, upload.key, upload.filename, upload.content_type, upload.size))
                self._touch(business, upload.key)
                self._set_meta("id_position", id_position)
                count = usage.uploads + (0 if old else 1)
                size = usage.upload_bytes - (old[0] if old else 0) + upload.size
                oldest = self._db.execute(
                    "SELECT key, size FROM uploads WHERE business = ? AND key != ? "
                    "ORDER BY used", (business, upload.key)).fetchall()
                evicted = uploads_to_evict(oldest, count, size, self._budget)
                self._db.executemany("DELETE FROM uploads WHERE business = ? AND key = ?",
                                     [(business, key) for key, _ in evicted])
        except _WRITE_FAULTS as error:
            raise _write_failed(error) from error
        for key, _ in evicted:
            self._blobs.delete(business, key)
        freed = sum(item_size for _, item_size in evicted)
        self._upload_usage[business] = Usage(uploads=count - len(evicted),
                                             upload_bytes=size - freed)
        self._id_position = max(self._id_position, id_position)
        if evicted:
            self.ledger.uploads_evicted(business, len(evicted), freed)
        else:
            self.ledger.settled(business, "uploads")

    def get_upload(self, business_id: str, key: str) -> bytes | None:
        row = self._db.execute("SELECT 1 FROM uploads WHERE business = ? AND key = ?",
                               (business_id, key)).fetchone()
        return self._blobs.read(business_id, key) if row else None

    def uploads(self, business_id: str) -> list[Upload]:
        rows = self._db.execute("SELECT business, key, filename, content_type, size FROM "
                                "uploads WHERE business = ? ORDER BY rowid DESC",
                                (business_id,)).fetchall()
        return [Upload(*row) for row in rows]

    def save_id_position(self, id_position: int) -> None:
        try:
            with self._transaction():
                self._set_meta("id_position", id_position)
        except _WRITE_FAULTS as error:
            raise _write_failed(error) from error
        self._id_position = max(self._id_position, id_position)

    @property
    def id_position(self) -> int:
        return self._id_position

    def reset(self, business_id: str | None) -> None:
        """Delete the records and blobs, then give the disk space back (``VACUUM``)."""
        where, args = ("", ()) if business_id is None else (" WHERE business = ?",
                                                           (business_id,))
        uploads = self._db.execute(f"SELECT business, key FROM uploads{where}", args).fetchall()
        with self._transaction():
            for table in ("entities", "parties", "numbers", "uploads"):
                self._db.execute(f"DELETE FROM {table}{where}", args)
        self._counts = {key: count for key, count in self._counts.items()
                        if business_id is not None and key[1] != business_id}
        if business_id is None:
            self._held.clear()
            self._upload_usage.clear()
            self._blobs.clear()
        else:
            self._held.pop(business_id, None)
            self._upload_usage.pop(business_id, None)
            for owner, key in uploads:
                self._blobs.delete(owner, key)
        self.ledger.forget(business_id)
        self._db.execute("VACUUM")
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        self._db.close()
        self._lock.release()

    def usage(self) -> dict[str, Usage]:
        usage = {business: Usage(entities=held) for business, held in self._held.items()}
        for business, uploads in self._upload_usage.items():
            found = usage.setdefault(business, Usage())
            found.uploads, found.upload_bytes = uploads.uploads, uploads.upload_bytes
        return usage

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


def _open_failure(path: Path, error: sqlite3.Error) -> str:
    """One line saying why ``path`` could not be opened as the mock's database."""
    text = describe(error)
    if "locked" in text or "busy" in text:
        return f"database {path} is locked by another program ({text}); close it and retry"
    if "readonly" in text or "unable to open" in text or "read-only" in text:
        return f"database {path} is not writable ({text})"
    if isinstance(error, sqlite3.OperationalError) and "no such" not in text:
        return f"database {path} cannot be opened ({text})"
    return (f"{path} is not a usable mock database ({text}); move it away or choose "
            "another --data-dir")


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` on any exception.

    A failed ``COMMIT`` (disk full, I/O error) rolls back too, and so does an error
    after which SQLite has already rolled back by itself: then there is no transaction
    left to roll back, and the original error is the one that propagates.
    """

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        if kind is not None:
            self._rollback()
            return
        try:
            self._db.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        if self._db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")


def open_store(data_dir: Path | None, budget: Budget | None = None) -> Store:
    """SQLite under ``data_dir`` when given, else memory; both kept to ``budget``."""
    return SqliteStore(data_dir, budget) if data_dir is not None else MemoryStore(budget)
