"""The run's ids and invoice numbers, shared by every xdist worker of one run.

CONTRACT §1 "every created entity has a new id" and §3.1 "finalized invoice numbers are
unique within the business" are rules over the whole run, but with ``--workers N`` each
check runs in its own worker process: a registry per process would let an implementation
hand the same number to imports made on two workers. So the workers share one SQLite
file that the controller creates in a directory of its own for the run, names to the
workers through xdist's ``workerinput`` and removes when the run ends
(:mod:`contract_tests.parallel`). A run one check at a time keeps the in-memory set and
dict: nothing to share.

Why SQLite: it is in the standard library, needs no server process beside the run, and
its transactions hold across processes. Each check-and-record is one transaction, so two
workers claiming the same id or number at once cannot both win: :meth:`SharedSet.claim`
is a single ``INSERT``, :meth:`SharedMapping.setdefault` an ``INSERT`` then a ``SELECT``
under ``BEGIN IMMEDIATE`` (the write lock is taken first, so no reader can turn writer
midway and fail). Write-ahead logging lets readers go on while one worker writes; a
busy worker waits for the lock (``BUSY_SECONDS``) instead of failing. Nothing is synced
to disk: the file is thrown away at the end of the run, so only atomicity matters.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, MutableMapping, MutableSet
from pathlib import Path
from typing import Any

FILE_NAME = "registry.sqlite3"
# How long a worker waits for another's write lock: far above the microseconds a write
# holds it, so only a hung process would make a check fail on it.
BUSY_SECONDS = 30.0
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS ids (member TEXT PRIMARY KEY) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS numbers (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
)


def create(directory: Path) -> Path:
    """The controller's part: an empty registry file in ``directory``, in WAL mode
    (a property of the file, kept for every later connection); its path."""
    path = directory / FILE_NAME
    connection = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        for statement in _SCHEMA:
            connection.execute(statement)
    finally:
        connection.close()
    return path


class SharedStore:
    """One process's connection to the run's registry file, and the set of ids and the
    mapping of numbers over it. Safe to use from several threads of the process."""

    def __init__(self, path: Path) -> None:
        # Autocommit (isolation_level=None): every statement is its own transaction
        # unless BEGIN says otherwise; the lock keeps a BEGIN..COMMIT of one thread whole.
        self._connection = sqlite3.connect(
            path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False
        )
        self._connection.execute("PRAGMA synchronous=OFF")
        self._lock = threading.Lock()
        self.ids = SharedSet(self)
        self.numbers = SharedMapping(self)

    def rows(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[Any]:
        """The rows of a query (fetched under the lock: the connection is shared)."""
        with self._lock:
            return self._connection.execute(sql, parameters).fetchall()

    def change(self, sql: str, parameters: tuple[Any, ...] = ()) -> int:
        """Run a statement, its own transaction; how many rows it changed."""
        with self._lock:
            return self._connection.execute(sql, parameters).rowcount

    def setdefault(self, key: str, default: str) -> str:
        """The value of ``key`` in ``numbers``, ``default`` stored first if none was."""
        with self._lock:
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                self._connection.execute(
                    "INSERT INTO numbers (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING",
                    (key, default),
                )
                row = self._connection.execute(
                    "SELECT value FROM numbers WHERE key = ?", (key,)
                ).fetchone()
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")
        return str(row[0])

    def close(self) -> None:
        with self._lock:
            self._connection.close()


class SharedSet(MutableSet[str]):
    """The ids created in the run, as a set every worker sees."""

    def __init__(self, store: SharedStore) -> None:
        self._store = store

    def claim(self, member: str) -> bool:
        """Add ``member``; whether it was new — one statement, so one winner."""
        added = self._store.change(
            "INSERT INTO ids (member) VALUES (?) ON CONFLICT DO NOTHING", (member,)
        )
        return added == 1

    def add(self, value: str) -> None:
        self.claim(value)

    def discard(self, value: str) -> None:
        self._store.change("DELETE FROM ids WHERE member = ?", (value,))

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, str):
            return False
        return bool(self._store.rows("SELECT 1 FROM ids WHERE member = ?", (value,)))

    def __iter__(self) -> Iterator[str]:
        return iter([str(row[0]) for row in self._store.rows("SELECT member FROM ids")])

    def __len__(self) -> int:
        return int(self._store.rows("SELECT count(*) FROM ids")[0][0])


class SharedMapping(MutableMapping[str, str]):
    """Invoice number -> the id of the invoice that has it, as a mapping every worker sees."""

    def __init__(self, store: SharedStore) -> None:
        self._store = store

    def setdefault(self, key: str, default: str | None = None) -> str:
        """Atomic across processes: of two workers storing one key at once, both get
        the value of the one that came first."""
        if default is None:
            raise TypeError("the registry maps numbers to ids: a default id is required")
        return self._store.setdefault(key, default)

    def __getitem__(self, key: str) -> str:
        rows = self._store.rows("SELECT value FROM numbers WHERE key = ?", (key,))
        if not rows:
            raise KeyError(key)
        return str(rows[0][0])

    def __setitem__(self, key: str, value: str) -> None:
        self._store.change(
            "INSERT INTO numbers (key, value) VALUES (?, ?) "
            "ON CONFLICT DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def __delitem__(self, key: str) -> None:
        if self._store.change("DELETE FROM numbers WHERE key = ?", (key,)) == 0:
            raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter([str(row[0]) for row in self._store.rows("SELECT key FROM numbers")])

    def __len__(self) -> int:
        return int(self._store.rows("SELECT count(*) FROM numbers")[0][0])
