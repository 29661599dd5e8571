"""What can go wrong with the host's storage, as exceptions the layers above can name.

The HTTP layer and the CLI must not need to know about ``sqlite3`` or ``errno`` to
answer a fault clearly, so the stores translate them here: a data directory that
cannot be used at start-up (the CLI prints the one-line message and exits non-zero),
and a write that could not be stored (the service answers a documented status and
nothing of the write is kept).
"""

from __future__ import annotations

import errno
import sqlite3


class StorageError(Exception):
    """Base of the storage faults; ``str()`` is one line meant for a person."""


class DataDirError(StorageError):
    """The data directory cannot be used: missing rights, corrupt, or owned by another
    process. Raised only while opening a store, before anything is served."""


class DataDirLocked(DataDirError):
    """Another live process holds the data directory's lock."""


class StoreWriteFailed(StorageError):
    """A write could not be stored (disk full, I/O error); the store kept none of it.

    ``reason`` is the short cause (``"disk full"``, ``"disk I/O error"``…) that the
    service puts into the client's message.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def describe(error: BaseException) -> str:
    """A short, single-line cause for an ``OSError`` or ``sqlite3.Error``."""
    if isinstance(error, OSError):
        if error.errno == errno.ENOSPC:
            return "disk full (No space left on device)"
        if error.errno == errno.EROFS:
            return "read-only file system"
        text = error.strerror or str(error)
    else:
        text = str(error)
        if isinstance(error, sqlite3.OperationalError) and "full" in text:
            return f"disk full ({text})"
    return " ".join(text.split()) or type(error).__name__
