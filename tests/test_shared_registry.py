"""The registry the workers of one run share: one winner per id and per number, also
when several processes claim them at the same moment; and its file lives only as long
as the run (created by the controller, named to the workers, removed at the end)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import httpx
import pytest

from dayzero_twin.contract_tests import parallel
from dayzero_twin.contract_tests.support.assertions import Registry
from dayzero_twin.contract_tests.support.rules import ContractViolation
from dayzero_twin.contract_tests.support.shared_registry import SharedStore, create

PROCESSES = 6
ROUNDS = 40  # every process claims the same keys, starting each round together
PER_ROUND = 5
KEYS = ROUNDS * PER_ROUND
RACE_SECONDS = 60


def _race(path: str, name: str, start: Any, results: Any) -> None:
    """One process: each round, wait for the others, then claim the round's ids and
    numbers as they do."""
    store = SharedStore(Path(path))
    ids, owners = [], []
    for round_ in range(ROUNDS):
        start.wait()
        for n in range(round_ * PER_ROUND, (round_ + 1) * PER_ROUND):
            ids.append(store.ids.claim(f"id-{n}"))
            owners.append(store.numbers.setdefault(f"INV-{n}", name))
    store.close()
    results.put((name, ids, owners))


def test_processes_racing_for_the_same_ids_and_numbers_have_one_winner_each(
    tmp_path: Path,
) -> None:
    path = create(tmp_path)
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(PROCESSES), context.Queue()
    names = [f"p{n}" for n in range(PROCESSES)]
    processes = [
        context.Process(target=_race, args=(str(path), name, start, results)) for name in names
    ]
    for process in processes:
        process.start()
    got = {}
    try:
        for _ in names:
            name, ids, owners = results.get(timeout=RACE_SECONDS)
            got[name] = (ids, owners)
    finally:
        for process in processes:
            process.join(timeout=RACE_SECONDS)
            if process.is_alive():
                process.kill()
    assert all(process.exitcode == 0 for process in processes)
    for n in range(KEYS):
        claimed = [name for name in names if got[name][0][n]]
        assert len(claimed) == 1, f"id-{n} claimed as new by {claimed}"
        owners = {got[name][1][n] for name in names}
        assert len(owners) == 1 and owners <= set(names), f"INV-{n} owned by {owners}"
    # The races were real ones: not one process ahead of the others all along.
    winners = {got[name][1][n] for name in names for n in range(KEYS)}
    assert len(winners) > 1, winners
    store = SharedStore(path)
    assert len(store.ids) == KEYS and len(store.numbers) == KEYS
    store.close()


def _response() -> httpx.Response:
    return httpx.Response(201, request=httpx.Request("POST", "http://test/api/v1/invoices/bulk"))


def test_a_registry_sees_what_another_process_recorded(tmp_path: Path) -> None:
    path = create(tmp_path)
    first, second = SharedStore(path), SharedStore(path)
    try:
        mine = Registry(ids=first.ids, numbers=first.numbers)
        theirs = Registry(ids=second.ids, numbers=second.numbers)
        mine.new_id("a", _response(), "first import")
        mine.new_number("INV-1", "a", _response(), "first import")
        theirs.new_number("INV-1", "a", _response(), "read again")  # the same invoice: fine
        with pytest.raises(ContractViolation, match=r"§3\.1 finalized invoice numbers"):
            theirs.new_number("INV-1", "b", _response(), "second import")
        with pytest.raises(ContractViolation, match="every created entity has a new id"):
            theirs.new_id("a", _response(), "second import")
        theirs.new_id("b", _response(), "second import")
        assert set(first.ids) == {"a", "b"} and dict(first.numbers) == {"INV-1": "a"}
    finally:
        first.close()
        second.close()


def test_a_registry_in_memory_catches_the_same() -> None:
    registry = Registry()
    registry.new_id("a", _response(), "first import")
    registry.new_number("INV-1", "a", _response(), "first import")
    with pytest.raises(ContractViolation, match=r"§3\.1 finalized invoice numbers"):
        registry.new_number("INV-1", "b", _response(), "second import")
    with pytest.raises(ContractViolation, match="every created entity has a new id"):
        registry.new_id("a", _response(), "second import")


def test_the_mapping_behaves_as_a_mapping(tmp_path: Path) -> None:
    store = SharedStore(create(tmp_path))
    try:
        store.numbers["INV-1"] = "a"
        store.numbers["INV-1"] = "b"
        assert store.numbers["INV-1"] == "b" and store.numbers.get("INV-2") is None
        del store.numbers["INV-1"]
        with pytest.raises(KeyError):
            del store.numbers["INV-1"]
        store.ids.add("a")
        store.ids.add("a")
        store.ids.discard("b")
        assert "a" in store.ids and "b" not in store.ids and len(store.ids) == 1
    finally:
        store.close()


def test_the_controller_names_the_file_to_each_worker_and_removes_it_at_the_end() -> None:
    distribution = parallel.Distribution({"settings": {}, "rules": []})
    try:
        node = type("Node", (), {"workerinput": {}})()
        distribution.pytest_configure_node(node)
        named = Path(node.workerinput[parallel.REGISTRY_INPUT])
        assert named == distribution.registry_file and named.is_file()
        worker = type("Config", (), {"workerinput": node.workerinput})()
        assert parallel.registry_file(worker) == named
    finally:
        distribution.pytest_unconfigure()
    assert not distribution.directory.exists()
