"""One owner per ``--data-dir``, and host faults at start-up as one clear line.

Each refusal is checked the way a user meets it: ``python -m dayzero_twin.mock_server``
in a child process, a non-zero exit, one line on stderr that says what is wrong, and no
Python traceback. Every child is bounded by a timeout; servers listen on loopback only.

A read-only directory cannot be made with ``chmod`` here: the tests run as root, which
ignores permission bits. The honest read-only case is a read-only *mount*: the mock runs
inside a private mount namespace (``unshare -m``) where its data directory is bind-
mounted read-only, so every write fails with EROFS exactly as on a read-only volume. The
test is skipped where mount namespaces are not permitted.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bench.stress.csvgen import new_marker, valid_csv
from bench.stress.harness import Api, MockProcess
from dayzero_twin.mock_server.storage.errors import DataDirError, DataDirLocked
from dayzero_twin.mock_server.storage.lock import LOCK_NAME
from dayzero_twin.mock_server.storage.store import DB_NAME, SqliteStore

A = "b5a1c6de-0000-4000-8000-000000000001"
MOCK = [sys.executable, "-m", "dayzero_twin.mock_server", "--host", "127.0.0.1", "--port", "0",
        "--quiet"]


def refused(data_dir: Path, prefix: tuple[str, ...] = ()) -> str:
    """Start a mock on ``data_dir`` that must refuse: its single stderr line."""
    result = subprocess.run([*prefix, *MOCK, "--data-dir", str(data_dir)], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_second_mock_on_the_same_directory_refuses_and_names_the_first(
        tmp_path: Path) -> None:
    data = tmp_path / "data"
    with MockProcess(data_dir=data) as first:
        line = refused(data)
        assert f"pid {first.pid} on {socket.gethostname()}" in line, line
        assert "in use by another mock" in line and str(data) in line
        assert first.alive()  # the refusal left the owner alone
        assert (data / LOCK_NAME).read_text().startswith(f"pid {first.pid} ")


def test_a_sigkilled_owner_does_not_block_the_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    marker = new_marker("dd")
    with MockProcess(data_dir=data) as first, Api(first.base_url) as api:
        created = api.bulk("bills", api.upload_key(valid_csv("bills", 3, marker))).json()
        first.kill()  # SIGKILL: no cleanup, the lock file stays with the dead pid in it
        assert not first.alive()
    assert (data / LOCK_NAME).exists()
    with MockProcess(data_dir=data) as second, Api(second.base_url) as api:
        for bill in created["items"]:
            assert api.client.get(f"/api/v1/bills/{bill['id']}",
                                  headers=api.headers()).status_code == 200


def test_the_lock_is_per_open_store_and_released_on_close(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path)
    with pytest.raises(DataDirLocked, match=f"pid {os.getpid()} "):
        SqliteStore(tmp_path)
    store.close()
    SqliteStore(tmp_path).close()


def test_a_corrupt_database_is_one_line(tmp_path: Path) -> None:
    SqliteStore(tmp_path).close()
    (tmp_path / DB_NAME).write_bytes(b"this is not SQLite, just garbage\n" * 200)
    line = refused(tmp_path)
    assert "is not a usable mock database" in line and DB_NAME in line, line


def test_a_database_of_another_shape_is_refused(tmp_path: Path) -> None:
    import sqlite3

    with sqlite3.connect(tmp_path / DB_NAME) as db:
        db.execute("CREATE TABLE entities (something TEXT)")
    with pytest.raises(DataDirError, match="not a usable mock database"):
        SqliteStore(tmp_path)
    SqliteStore(tmp_path / "elsewhere").close()  # the failed open left no lock behind


def test_a_file_where_the_directory_should_be(tmp_path: Path) -> None:
    path = tmp_path / "data"
    path.write_text("a file, not a directory")
    assert "is not a directory" in refused(path)
    assert "cannot be created" in refused(path / "below")


def _read_only_prefix(data: Path) -> tuple[str, ...]:
    """A command prefix that runs a program with ``data`` mounted read-only, or skip."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("unshare(1) is not installed")
    script = ('mount --make-rprivate / && mount --bind "$0" "$0" && '
              'mount -o remount,bind,ro "$0" && exec "$@"')
    prefix = (unshare, "-m", "sh", "-c", script, str(data))
    probe = subprocess.run([*prefix, "touch", str(data / "probe")], capture_output=True,
                           text=True, timeout=30, check=False)
    if "Read-only file system" not in probe.stderr:
        pytest.skip(f"no read-only bind mount here: {probe.stderr.strip()[:200]}")
    return prefix


@pytest.mark.parametrize("state", ["empty", "used before"])
def test_a_read_only_directory_is_one_line(tmp_path: Path, state: str) -> None:
    data = tmp_path / "data"
    data.mkdir()
    if state == "used before":
        SqliteStore(data).close()
    line = refused(data, _read_only_prefix(data))
    assert "is not writable (read-only file system)" in line and str(data) in line, line
