"""Path traversal: no file name or s3_key reaches outside the mock's own store.

The mock runs with its working directory deep inside a temporary "jail" whose other
folders hold a perfectly importable CSV (``outside/secret.csv``, with a marker of its
own) and a fake ``passwd``. Upload file names and ``s3_key`` values built to climb out
(``../``, absolute paths, URL-encoded and doubled dots, backslashes, NUL bytes, full-width
slashes, the data directory's own file names) must never write there, never read from
there, and never resolve to anything but the uploader's own blobs. Checked in memory and
with ``--data-dir``, by snapshotting the jail before and after.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.stress.csvgen import count_by_marker, new_marker, valid_csv
from bench.stress.harness import BUSINESS_A, BUSINESS_B, Api, MockProcess


class Jail:
    """The temporary tree around the mock; everything outside ``data`` must stay as it was."""

    def __init__(self, root: Path, with_data_dir: bool) -> None:
        self.root = root
        self.outside = root / "outside"
        self.data = root / "data" if with_data_dir else None
        self.cwd = root / "cwd" / "a" / "b"
        self.cwd.mkdir(parents=True)
        self.outside.mkdir()
        self.secret_marker = new_marker("secret")
        self.secret = self.outside / "secret.csv"
        self.secret.write_bytes(valid_csv("invoices", 2, self.secret_marker))
        (self.outside / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
        self.stray = Path("/tmp") / f"dz-traversal-{uuid.uuid4().hex}"  # must never appear

    def snapshot(self) -> dict[str, tuple[int, int]]:
        """Every file and folder outside the data dir: path -> (size, mtime)."""
        seen = {}
        for path in self.root.rglob("*"):
            if self.data is not None and (path == self.data or self.data in path.parents):
                continue
            stat = path.stat()
            seen[str(path.relative_to(self.root))] = (stat.st_size, stat.st_mtime_ns)
        return seen


@pytest.fixture(scope="module", params=["memory", "data-dir"])
def jailed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[Jail, MockProcess, Api]]:
    jail = Jail(tmp_path_factory.mktemp(f"jail-{request.param}"), request.param == "data-dir")
    with MockProcess(data_dir=jail.data, cwd=jail.cwd) as mock, Api(mock.base_url) as api:
        yield jail, mock, api
        assert mock.alive()


def hostile_names(jail: Jail) -> list[str]:
    outside = jail.outside
    return [
        "../../outside/pwned.csv",
        "../../../../../../../../.." + str(outside / "deep.csv"),
        str(outside / "absolute.csv"),
        "..\\..\\outside\\backslash.csv",
        "%2e%2e%2f%2e%2e%2foutside%2fencoded.csv",
        "..%252f..%252foutside%252fdouble-encoded.csv",
        "....//....//outside//dots.csv",
        "../../outside/nul\x00.csv",
        "..／..／outside／fullwidth.csv",
        "~/home.csv",
        str(jail.stray / "stray.csv"),
        "/dev/null",
        "/proc/self/environ",
        "..",
        ".",
        "/",
        "a" * 5000 + ".csv",
    ]


def hostile_keys(jail: Jail, own_key: str) -> list[str]:
    secret = str(jail.secret)
    keys = [
        "../../outside/secret.csv",
        secret,
        "file://" + secret,
        "%2e%2e/%2e%2e/outside/secret.csv",
        "..%2f..%2foutside%2fsecret.csv",
        "..\\..\\outside\\secret.csv",
        "../../../../../../../../.." + secret,
        f"uploads/{BUSINESS_A}/../../../outside/secret.csv",
        f"uploads/{BUSINESS_A}/x/../../../../../../../../..{secret}",
        own_key + "/../../../../outside/secret.csv",
        own_key + "\x00../../outside/secret.csv",
        "samples/../../outside/secret.csv",
        "samples/..%2f..%2foutside%2fsecret.csv",
        "/etc/passwd",
        "../../../../../../../../../etc/passwd",
        "samples/../../../../../../etc/passwd",
        str(jail.outside / "passwd"),
        "\x00",
        "/proc/self/environ",
        "C:\\Windows\\win.ini",
        "~/.bashrc",
    ]
    if jail.data is not None:  # the store's own files, by every spelling
        for path in jail.data.rglob("*"):
            keys += [str(path), path.name, str(path.relative_to(jail.root)),
                     "../../" + str(path.relative_to(jail.root))]
    return keys


def test_hostile_file_names_stay_inside_the_store(jailed: tuple[Jail, MockProcess, Api]
                                                  ) -> None:
    jail, _, api = jailed
    before = jail.snapshot()
    for name in hostile_names(jail):
        marker = new_marker("name")
        response = api.upload(valid_csv("invoices", 2, marker), name)
        if response.status_code != 200:  # refusing a name is fine, if it says why
            assert 400 <= response.status_code < 500 and response.json()["detail"], (
                name, response.status_code, response.text)
            continue
        key = response.json()["s3_key"]
        imported = api.bulk("invoices", key)
        assert imported.status_code == 201, (name, key, imported.text[:300])
        assert [item["description"] for item in imported.json()["items"]] == [marker] * 2

        presigned = api.client.post("/api/v1/upload", headers=api.headers(),
                                    json={"filename": name})
        if presigned.status_code == 200:
            put = api.client.put(presigned.json()["upload_url"],
                                 content=valid_csv("bills", 1, marker))
            assert put.status_code in (200, 201, 204), (name, put.status_code, put.text)
            imported = api.bulk("bills", presigned.json()["s3_key"])
            assert imported.status_code == 201, (name, imported.text[:300])
        else:
            assert 400 <= presigned.status_code < 500, (name, presigned.text)
    assert jail.snapshot() == before, "files outside the data dir were created or changed"
    assert not jail.stray.exists()


def test_hostile_keys_resolve_to_nothing(jailed: tuple[Jail, MockProcess, Api]) -> None:
    jail, _, api = jailed
    own_key = api.upload_key(valid_csv("bills", 1, new_marker("own")))
    before = jail.snapshot()
    for key in hostile_keys(jail, own_key):
        for kind in ("invoices", "bills"):
            response = api.bulk(kind, key)
            assert response.status_code == 400, (key, response.status_code, response.text[:300])
            body = response.json()
            assert body["detail"], body
            assert "root:x:0:0" not in response.text and "PATH=" not in response.text
    assert count_by_marker(api.walk("invoices"))[jail.secret_marker] == 0
    assert jail.snapshot() == before


def test_keys_resolve_only_to_the_uploaders_blobs(jailed: tuple[Jail, MockProcess, Api]
                                                  ) -> None:
    _, _, api = jailed
    marker = new_marker("tenant")
    key_a = api.upload_key(valid_csv("bills", 1, marker), "mine.csv", business=BUSINESS_A)
    key_b = api.upload_key(valid_csv("bills", 1, marker), "mine.csv", business=BUSINESS_B)
    assert key_a != key_b
    swapped = [key_a.replace(BUSINESS_A, BUSINESS_B), key_b.replace(BUSINESS_B, BUSINESS_A)]
    for key, business in [(key_a, BUSINESS_B), (key_b, BUSINESS_A),
                          (swapped[0], BUSINESS_A), (swapped[0], BUSINESS_B),
                          (swapped[1], BUSINESS_A), (swapped[1], BUSINESS_B)]:
        response = api.bulk("bills", key, business=business)
        assert response.status_code == 400, (key, business, response.text[:300])
    assert count_by_marker(api.walk("bills", business=BUSINESS_A))[marker] == 0
    assert count_by_marker(api.walk("bills", business=BUSINESS_B))[marker] == 0
    assert api.bulk("bills", key_a, business=BUSINESS_A).status_code == 201
