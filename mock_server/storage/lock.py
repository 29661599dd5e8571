"""One owner per data directory: an OS lock on ``<data_dir>/mock.lock``.

Two mocks writing one SQLite file would each keep their own counters (sequence
numbers, invoice numbers, entity counts) and hand out duplicates, so the second one
must refuse to start. The lock is ``fcntl.flock`` on a file held open for the store's
life, not a PID file: the kernel drops it when the process ends, however it ends
(SIGKILL and the OOM killer included), so a crashed owner never blocks its restart and
nothing has to guess whether a recorded PID is still alive. The file's one line
(pid, host, start time) is only read to name the holder in the refusal message.

The file is never deleted: unlinking it while another process waits on it would let
two processes lock two different files of the same name.
"""

from __future__ import annotations

import fcntl
import os
import socket
from datetime import UTC, datetime
from pathlib import Path

from dayzero_twin.mock_server.storage.errors import DataDirError, DataDirLocked, describe

LOCK_NAME = "mock.lock"
_MAX_HOLDER_TEXT = 200


class DataDirLock:
    """``acquire()`` once, ``release()`` (or process exit) to let the next owner in."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = data_dir / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise ``DataDirLocked`` naming the holder; never waits."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as error:
            raise DataDirError(f"data directory {self.data_dir} is not writable "
                               f"({describe(error)}): cannot create {LOCK_NAME}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise DataDirLocked(f"data directory {self.data_dir} is in use by another mock "
                                f"({holder}); stop it or choose another --data-dir") from None
        except OSError as error:
            os.close(fd)
            raise DataDirError(f"data directory {self.data_dir} cannot be locked "
                               f"({describe(error)})") from None
        started = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        line = f"pid {os.getpid()} on {socket.gethostname()}, started {started}\n"
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, line.encode(), 0)
        except OSError as error:
            os.close(fd)
            raise DataDirError(f"data directory {self.data_dir} is not writable "
                               f"({describe(error)})") from None
        self._fd = fd

    def release(self) -> None:
        """Unlock and close; harmless when not held."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the only descriptor releases the flock

    @property
    def held(self) -> bool:
        return self._fd is not None


def _read_holder(fd: int) -> str:
    """The holder's line, or a placeholder while it is still being written."""
    try:
        text = os.pread(fd, _MAX_HOLDER_TEXT, 0).decode("utf-8", "replace")
    except OSError:
        text = ""
    text = " ".join(text.split())
    return text or "holder not recorded yet"
