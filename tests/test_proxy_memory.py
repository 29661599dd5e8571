"""The checking proxy stays bounded when left running all day, and fast without changing
a verdict.

Memory: what the judge remembers (uploads by count and bytes, entities, pages, tokens)
is least-recently-used and bounded by :class:`ProxyConfig`; violations are counted
exactly but detailed only for the first ones of each rule; the HAR recording is written
to disk entry by entry and stays readable after a crash. A bulk 201 for an upload the
judge forgot is reported as not judged, never as a violation. Speed: exchanges are
judged by a worker off the response path, in order, and none is dropped when its
queue is full; the compiled (jsonschema-rs) schema check agrees with the pure-Python
one on valid and broken bodies of every response schema.
"""

from __future__ import annotations

import asyncio
import copy
import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from dayzero_twin.contract_tests.mock_process import MOCK_BUSINESS, MOCK_TOKEN, running_mock
from dayzero_twin.contract_tests.proxy.app import ProxyState
from dayzero_twin.contract_tests.proxy.config import ProxyConfig
from dayzero_twin.contract_tests.proxy.exchange import Exchange
from dayzero_twin.contract_tests.proxy.har import HEAD, HarWriter, load_har
from dayzero_twin.contract_tests.proxy.judge import (
    NOT_REMEMBERED,
    Judge,
    Violation,
    _validator,
    operations,
)
from dayzero_twin.contract_tests.proxy.memory import Lru, LruSet
from dayzero_twin.contract_tests.proxy.serve import running_proxy
from dayzero_twin.contract_tests.proxy.worker import STOPPED, JudgeWorker

pytestmark = pytest.mark.timeout(300)
AUTH = {"Authorization": f"Bearer {MOCK_TOKEN}", "x-business-id": MOCK_BUSINESS}
NOW = datetime(2026, 11, 30, tzinfo=UTC)
SETTLE_SECONDS = 60


def csv_file(rows: int, tag: int) -> bytes:
    lines = ["customer_email,customer_name,due_date,item_description,quantity,unit_price"]
    lines += [
        f"c{tag}-{i}@example.com,Customer {tag} {i},2026-03-01,item {i},2,{10 + i}.25"
        for i in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


# -- the containers ---------------------------------------------------------------------


def test_lru_bounds_count_and_bytes_and_evicts_least_recent() -> None:
    forgotten: list[str] = []
    memory: Lru[str, bytes] = Lru(3, max_bytes=10, size=len, on_evict=forgotten.append)
    memory["a"], memory["b"], memory["c"] = b"1", b"22", b"333"
    assert memory["a"] == b"1"  # a is now the most recent
    memory["d"] = b"4"
    assert list(memory) == ["c", "a", "d"] and forgotten == ["b"]
    memory["e"] = b"55555"
    assert memory.bytes <= 10 and forgotten == ["b", "c"]
    memory["huge"] = b"x" * 11
    assert "huge" not in memory and forgotten[-1] == "huge"
    members: LruSet[int] = LruSet(2)
    for n in range(5):
        members.add(n)
    assert set(members) == {3, 4}


def violating(status: int = 401) -> Exchange:
    return Exchange(
        method="GET",
        target="/api/v1/invoices",
        request_headers=(("x-business-id", MOCK_BUSINESS),),
        request_body=b"",
        status=status,
        response_headers=(("content-type", "application/json"),),
        response_body=json.dumps({"detail": "no"}).encode(),
        started=NOW,
        finished=NOW,
    )


def test_violations_counted_exactly_details_bounded() -> None:
    judge = Judge(ProxyConfig(details_per_rule=3))
    for _ in range(50):
        judge.judge(violating())
    rule = "CONTRACT §1 401 carries WWW-Authenticate: Bearer"
    assert judge.findings.counts == {rule: 50}
    assert len(judge.violations) == 3


# -- the recording ----------------------------------------------------------------------


def test_har_streams_and_an_unclosed_file_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "r.har"
    writer = HarWriter(path)
    for status in (401, 200, 404):
        writer.add(violating(status))
    # Not closed (the proxy was killed): every whole line is read, a cut one is not.
    text = path.read_text()
    assert text.startswith(HEAD)
    path.write_text(text + '\n,{"startedDateTime": "2026-')
    recording = load_har(path)
    assert not recording.closed
    assert [e.status for e in recording.exchanges] == [401, 200, 404]
    path.write_text(text)
    writer.close()  # the file object still points at the original inode's end
    closed = load_har(path)
    assert closed.closed and [e.status for e in closed.exchanges] == [401, 200, 404]
    assert json.loads(path.read_text())["log"]["version"] == "1.2"


# -- a long session through a live proxy ------------------------------------------------


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    with running_mock() as url:
        yield url


def upload(client: httpx.Client, data: bytes) -> str:
    response = client.post(
        "/api/v1/upload/direct", headers=AUTH, files={"file": ("a.csv", data, "text/csv")}
    )
    assert response.status_code == 200, response.text
    key = response.json()["s3_key"]
    assert isinstance(key, str)
    return key


def test_many_uploads_stay_within_bounds(mock_url: str, tmp_path: Path) -> None:
    """Uploads past the bounds: the remembered bytes never exceed the bound, a bulk call
    on a forgotten file is "not judged" (not a violation), one on a remembered file is
    checked by the oracle, and the HAR on disk holds every exchange."""
    config = ProxyConfig(max_uploads=4, max_upload_bytes=6_000, queue_exchanges=2)
    har = tmp_path / "session.har"
    state = ProxyState(config, record=har)
    keys = []
    with running_proxy(mock_url, state) as (url, _), httpx.Client(base_url=url) as client:
        for tag in range(30):
            keys.append(upload(client, csv_file(rows=10 + tag % 7, tag=tag)))
            assert state.settle(SETTLE_SECONDS)
            with state.judge.lock:
                assert state.judge.uploads.bytes <= config.max_upload_bytes
                assert len(state.judge.uploads) <= config.max_uploads
        for key in (keys[0], keys[-1]):
            created = client.post("/api/v1/invoices/bulk", headers=AUTH, json={"s3_key": key})
            assert created.status_code == 201, created.text
        assert state.settle(SETTLE_SECONDS)
        listed = client.get("/__proxy/violations").json()
    assert listed["pending"] == 0
    assert listed["violation_count"] == 0, listed["violations"]
    assert listed["not_judged"][NOT_REMEMBERED]["count"] == 1
    assert keys[0] in listed["not_judged"][NOT_REMEMBERED]["examples"][0]
    assert listed["oracle_checked"] == 1
    recording = load_har(har)
    assert recording.closed and len(recording.exchanges) == 32 == state.judge.exchanges


def test_full_queue_waits_and_drops_nothing(mock_url: str) -> None:
    """A queue of one exchange: concurrent requests wait for room; all are judged."""
    state = ProxyState(ProxyConfig(queue_exchanges=1, queue_bytes=1))
    with running_proxy(mock_url, state) as (url, _):

        async def burst() -> None:
            async with httpx.AsyncClient(base_url=url) as client:
                answers = await asyncio.gather(
                    *(client.get("/api/v1/invoices", headers=AUTH) for _ in range(40))
                )
            assert {a.status_code for a in answers} == {200}

        asyncio.run(burst())
        assert state.settle(SETTLE_SECONDS)
    assert state.judge.exchanges == state.judge.judged == 40
    assert state.judge.violations == []


# -- the fast schema check keeps the verdicts --------------------------------------------


def _examples() -> Iterator[tuple[str, int, Any]]:
    for operation in operations():
        for status, spec in (operation.spec.get("responses") or {}).items():
            content = ((spec.get("content") or {}).get("application/json")) or {}
            found = [content["example"]] if "example" in content else []
            found += [e.get("value") for e in (content.get("examples") or {}).values()]
            for example in found:
                yield operation.operation_id, int(status), example


def _broken(value: Any) -> Iterator[Any]:
    """Each leaf replaced by wrong values, each key dropped, one at a time."""
    if isinstance(value, dict):
        for key in value:
            dropped = {k: v for k, v in value.items() if k != key}
            yield dropped
            for bad in _broken(value[key]):
                yield {**value, key: bad}
    elif isinstance(value, list):
        for index, item in enumerate(value[:2]):
            for bad in _broken(item):
                copied = copy.copy(value)
                copied[index] = bad
                yield copied
    else:
        yield from (None, 12345, "not-a-date", "2026-02-30", "x" * 3, -1.5, [], True)


def test_fast_schema_check_keeps_the_verdicts() -> None:
    """The verdict is the pure-Python validator's on every body; the fast check never
    accepts a body it refuses (the other way round, e.g. a ``uri`` the Python checker
    leaves unchecked, the Python validator has the last word)."""
    compared = refused = 0
    for operation_id, status, example in _examples():
        check = _validator(operation_id, status)
        if check is None:
            continue
        for body in [example, *_broken(example)]:
            exact = check.exact.is_valid(body)
            if check.fast.is_valid(body):
                assert exact, (operation_id, status, body)
            assert (check.first_error(body) is None) == exact, (operation_id, status, body)
            compared += 1
            refused += not exact
    assert compared > 1000 and refused > 500, (compared, refused)


# -- the worker survives and stops -------------------------------------------------------


class BrokenRecorder(HarWriter):
    """A recording that fails on each entry with an error that is not an OSError."""

    def add(self, exchange: Exchange) -> None:
        raise TypeError("not serialisable")


def test_a_failing_recording_neither_stops_the_worker_nor_hangs_the_stop(
    mock_url: str, tmp_path: Path
) -> None:
    """Past a queue of two, a dead worker would hold every response (backpressure): each
    of ten requests is answered, each failure counted as not judged, the stop returns."""
    state = ProxyState(ProxyConfig(queue_exchanges=2))
    state.worker.recorder = BrokenRecorder(tmp_path / "broken.har")
    with running_proxy(mock_url, state) as (url, _):
        with httpx.Client(base_url=url, timeout=SETTLE_SECONDS) as client:
            for _ in range(10):
                assert client.get("/api/v1/invoices", headers=AUTH).status_code == 200
        assert state.settle(SETTLE_SECONDS)
    assert state.judge.findings.not_judged == {"the proxy failed after judging (TypeError)": 10}
    assert load_har(tmp_path / "broken.har").closed


class StuckJudge(Judge):
    """A judge that does not come back from its first exchange until released."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def judge(self, exchange: Exchange) -> list[Violation]:
        self.release.wait(SETTLE_SECONDS)
        return super().judge(exchange)


def test_stopping_waits_drain_seconds_at_most_and_counts_what_is_left() -> None:
    """A stuck judgment does not hold the stop: the exchanges still queued are counted as
    not judged, and a put after the stop too, instead of waiting for ever."""
    judge = StuckJudge()
    worker = JudgeWorker(judge, ProxyConfig(drain_seconds=0.2, queue_exchanges=3))
    for _ in range(3):
        worker.put(violating())
    stopping = threading.Thread(target=worker.close)
    stopping.start()
    stopping.join(SETTLE_SECONDS / 2)
    try:
        assert not stopping.is_alive()
        worker.put(violating())
        assert judge.findings.not_judged == {STOPPED: 3}
    finally:
        judge.release.set()
        stopping.join(SETTLE_SECONDS)


def test_connections_past_max_connections_are_answered_503(mock_url: str) -> None:
    """Each request in flight keeps up to keep_bytes of each body; max_connections bounds
    how many: beyond it uvicorn answers 503 at once rather than keeping more."""
    state = ProxyState(ProxyConfig(max_connections=2))
    with running_proxy(mock_url, state) as (url, _):
        address = urlsplit(url)
        idle = [socket.create_connection((address.hostname, address.port)) for _ in range(2)]
        try:
            statuses = set()
            for _ in range(50):  # until the server has accepted both idle connections
                with httpx.Client(base_url=url, timeout=SETTLE_SECONDS) as client:
                    statuses.add(client.get("/api/v1/invoices", headers=AUTH).status_code)
                if 503 in statuses:
                    break
                threading.Event().wait(0.05)
            assert 503 in statuses
        finally:
            for sock in idle:
                sock.close()
        for _ in range(50):  # until the server has seen them closed
            with httpx.Client(base_url=url, timeout=SETTLE_SECONDS) as client:
                status = client.get("/api/v1/invoices", headers=AUTH).status_code
            if status == 200:
                break
            threading.Event().wait(0.05)
        assert status == 200
