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

Not thread-safe by itself: ``MockService`` serialises every call under its lock.
"""

from __future__ import annotations

import bisect
import sqlite3
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from dayzero_twin.mock_server.domain.world import Party
from dayzero_twin.mock_server.storage.uploads import BlobDir, Upload

ENTITY_KINDS = ("invoices", "bills")
PARTY_KIND = {"invoices": "customers", "bills": "vendors"}

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
               last_number: int | None, id_position: int) -> None:
        """Store one import's entities and new parties atomically, in file order."""

    @abstractmethod
    def put_upload(self, upload: Upload, data: bytes, id_position: int) -> None: ...

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


@dataclass
class _Series:
    """One business's entities of one kind, in sequence order."""

    seqs: list[int] = field(default_factory=list)
    items: list[Entity] = field(default_factory=list)
    by_id: dict[str, Entity] = field(default_factory=dict)


class MemoryStore(Store):
    """Everything in dictionaries; gone when the process ends."""

    def __init__(self) -> None:
        self._series: dict[tuple[str, str], _Series] = {}
        self._parties: dict[tuple[str, str], list[Party]] = {}
        self._numbers: dict[str, int] = {}
        self._uploads: dict[tuple[str, str], tuple[Upload, bytes]] = {}
        self._seq = 0
        self._id_position = 0

    def _get_series(self, kind: str, business_id: str) -> _Series:
        return self._series.get((kind, business_id)) or _Series()

    def _fetch(self, kind: str, business_id: str, older: bool, bound: int | None,
               limit: int) -> list[tuple[int, Entity]]:
        series = self._get_series(kind, business_id)
        if older:
            end = len(series.seqs) if bound is None else bisect.bisect_left(series.seqs, bound)
            start = max(0, end - limit)
            pairs = zip(series.seqs[start:end], series.items[start:end], strict=True)
            return list(pairs)[::-1]
        start = 0 if bound is None else bisect.bisect_right(series.seqs, bound)
        end = start + limit
        return list(zip(series.seqs[start:end], series.items[start:end], strict=True))

    def _exists(self, kind: str, business_id: str, older: bool, bound: int) -> bool:
        seqs = self._get_series(kind, business_id).seqs
        if older:
            return bisect.bisect_left(seqs, bound) > 0
        return bisect.bisect_right(seqs, bound) < len(seqs)

    def count(self, kind: str, business_id: str) -> int:
        return len(self._get_series(kind, business_id).seqs)

    def get(self, kind: str, business_id: str, entity_id: str) -> Entity | None:
        return self._get_series(kind, business_id).by_id.get(entity_id)

    def parties(self, kind: str, business_id: str) -> list[Party]:
        return list(self._parties.get((kind, business_id), ()))

    def last_number(self, business_id: str) -> int:
        return self._numbers.get(business_id, 0)

    def commit(self, kind: str, business_id: str, entities: list[Entity], parties: list[Party],
               last_number: int | None, id_position: int) -> None:
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

    def put_upload(self, upload: Upload, data: bytes, id_position: int) -> None:
        self._uploads[(upload.business_id, upload.key)] = (upload, data)
        self._id_position = max(self._id_position, id_position)

    def get_upload(self, business_id: str, key: str) -> bytes | None:
        found = self._uploads.get((business_id, key))
        return found[1] if found else None

    def uploads(self, business_id: str) -> list[Upload]:
        found = [upload for upload, _ in self._uploads.values()
                 if upload.business_id == business_id]
        return found[::-1]

    def save_id_position(self, id_position: int) -> None:
        self._id_position = max(self._id_position, id_position)

    @property
    def id_position(self) -> int:
        return self._id_position

    def reset(self, business_id: str | None) -> None:
        if business_id is None:
            self._series.clear()
            self._parties.clear()
            self._numbers.clear()
            self._uploads.clear()
            return
        for table, position in ((self._series, 1), (self._parties, 1), (self._uploads, 0)):
            for key in [key for key in table if key[position] == business_id]:
                del table[key]
        self._numbers.pop(business_id, None)

    def close(self) -> None:
        """Nothing to release: the state simply goes with the object."""


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS entities (
    kind TEXT NOT NULL, business TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL,
    body BLOB NOT NULL, PRIMARY KEY (kind, business, seq)) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS entities_by_id ON entities (kind, business, id);
CREATE TABLE IF NOT EXISTS parties (
    kind TEXT NOT NULL, business TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL,
    name TEXT NOT NULL, email TEXT, PRIMARY KEY (kind, business, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS numbers (business TEXT PRIMARY KEY, last INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS uploads (
    business TEXT NOT NULL, key TEXT NOT NULL, filename TEXT NOT NULL,
    content_type TEXT NOT NULL, size INTEGER NOT NULL, PRIMARY KEY (business, key));
"""


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
    """

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self._blobs = BlobDir(data_dir / "blobs")
        path = data_dir / "mock.sqlite3"
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._id_position = self._meta("id_position")
        # COUNT(*) walks the index of a business's entities on every list page; this
        # process is the database's only writer, so counting once and adding is exact.
        self._counts: dict[tuple[str, str], int] = {}

    def _meta(self, name: str) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return row[0] if row else 0

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
        return row[0] if row else 0

    def commit(self, kind: str, business_id: str, entities: list[Entity], parties: list[Party],
               last_number: int | None, id_position: int) -> None:
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
        self._id_position = max(self._id_position, id_position)
        if (kind, business_id) in self._counts:
            self._counts[kind, business_id] += len(entities)

    def put_upload(self, upload: Upload, data: bytes, id_position: int) -> None:
        # Bytes first: a kill between the two steps leaves an unreachable file, never a
        # record pointing at missing bytes.
        self._blobs.write(upload.business_id, upload.key, data)
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO uploads (business, key, filename, content_type, size) "
                "VALUES (?, ?, ?, ?, ?)",
                (upload.business_id, upload.key, upload.filename, upload.content_type,
                 upload.size))
            self._set_meta("id_position", id_position)
        self._id_position = max(self._id_position, id_position)

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
        with self._transaction():
            self._set_meta("id_position", id_position)
        self._id_position = max(self._id_position, id_position)

    @property
    def id_position(self) -> int:
        return self._id_position

    def reset(self, business_id: str | None) -> None:
        where, args = ("", ()) if business_id is None else (" WHERE business = ?",
                                                           (business_id,))
        uploads = self._db.execute(f"SELECT business, key FROM uploads{where}", args).fetchall()
        with self._transaction():
            for table in ("entities", "parties", "numbers", "uploads"):
                self._db.execute(f"DELETE FROM {table}{where}", args)
        self._counts = {key: count for key, count in self._counts.items()
                        if business_id is not None and key[1] != business_id}
        for owner, key in uploads:
            self._blobs.delete(owner, key)

    def close(self) -> None:
        self._db.close()

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` on any exception."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        self._db.execute("COMMIT" if kind is None else "ROLLBACK")


def open_store(data_dir: Path | None) -> Store:
    """SQLite under ``data_dir`` when given, else memory."""
    return SqliteStore(data_dir) if data_dir is not None else MemoryStore()
