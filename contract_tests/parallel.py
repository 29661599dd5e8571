"""Independent checks at the same time, bounded: ``--workers N`` (``CONTRACT_WORKERS``).

Run one after another, a default run sends about 1,250 requests in a row, so an
implementation that answers each 150 ms late (a typical staging API) takes minutes.
Unless told, ``dayzero-contract`` picks N from how late the implementation answers
(:func:`auto_workers`): against one that answers at once there is nothing to overlap.
Checks are independent of each other (each creates its own parties and files, marked
per run), so up to N of them run at once, each in its own pytest-xdist worker process:
its own fixtures, Hypothesis state and exchange log, exactly as in a sequential run.

What bounds the load: every check sends one request at a time, so N checks at a time
are at most N requests in flight, and ``--workers`` stops at
:data:`~contract_tests.settings.MAX_WORKERS`. The one check that sends several requests
at once on purpose (the parallel finalizing imports, ``PARALLEL`` of them) is among the
*alone* checks below, so nothing else is in flight then.

Alone checks (:data:`ALONE_MODULES`, :data:`ALONE_CHECKS`) run first, one at a time, in
the order collected, with no other check running, because:

* their verdict needs the business to change only by their own hand — two list pages
  compared, a walk to the very last page, a walk page by page over the newest entities
  (with a legal offset-style cursor, an entity created between two pages shifts the
  next page onto items already seen);
* the parallel imports are the one deliberate burst.

First rather than last: the 10,000-row files of the limit checks must come after every
walk to the end of the lists (they would put the end out of reach); they are free checks
collected last, so they still come after.

The scheduler that keeps this order is :class:`AloneFirst` (xdist's
``pytest_xdist_make_scheduler``); the run's settings reach the workers through xdist's
``workerinput``, never as command-line text, and what the workers deselected comes back
through ``workeroutput`` for the coverage report.

The run-wide uniqueness checks (ids, invoice numbers) must see every worker's imports:
the controller creates the run's shared registry file in a temporary directory of its
own, names it to the workers in ``workerinput`` too, and removes the directory when the
run ends (:mod:`contract_tests.support.shared_registry`).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from dayzero_twin.contract_tests.settings import DEFAULT_WORKERS, LATE_ANSWER_SECONDS
from dayzero_twin.contract_tests.support import shared_registry

# Module file names whose checks run alone (see the module docstring), in no particular
# order: they run in the order collected.
ALONE_MODULES = frozenset({"test_pagination_ends.py", "test_concurrency.py"})
# Single checks that run alone, as ``<module file>::<function>`` (any parameters).
ALONE_CHECKS = frozenset({"test_read_back.py::test_pages_newest_first_and_cursor_walk"})
# Modules of few checks of many requests each (schemathesis: one check per operation, a
# whole chain of links): started first, so the run lasts about as long as the longest.
LONG_MODULES = frozenset({"test_schemas.py", "test_stateful.py"})
# What a worker holds at once: the check it runs and the next one (xdist starts a check
# only once it knows the next, for fixture teardown). More would only unbalance them.
DEPTH = 2
# Keys of xdist's workerinput / workeroutput dictionaries.
RUN_INPUT = "dayzero_contract_run"
REGISTRY_INPUT = "dayzero_contract_registry"
DESELECTED_OUTPUT = "dayzero_contract_deselected"


def module_of(nodeid: str) -> str:
    """The file name of the module a check is in, from its node id."""
    return nodeid.split("::", 1)[0].rsplit("/", 1)[-1]


def check_of(nodeid: str) -> str:
    """``<module file>::<function>`` of a check, from its node id (parameters dropped)."""
    function = nodeid.split("::", 1)[-1].split("[", 1)[0]
    return f"{module_of(nodeid)}::{function}"


def is_alone(nodeid: str) -> bool:
    """Whether the check with this node id runs alone (by its file or by its name)."""
    return module_of(nodeid) in ALONE_MODULES or check_of(nodeid) in ALONE_CHECKS


def auto_workers(answer_seconds: float) -> int:
    """Workers for an implementation that answers in ``answer_seconds``: the default
    when there is waiting to overlap, else one (see ``LATE_ANSWER_SECONDS``)."""
    return DEFAULT_WORKERS if answer_seconds >= LATE_ANSWER_SECONDS else 1


def pytest_args(workers: int) -> list[str]:
    """pytest's options that run a suite with ``workers`` worker processes.

    The workers build their configuration from the command line alone, so the suite's
    plugin is named there too (the calling process has it registered already).
    """
    if workers <= 1:
        return []
    return ["-p", "xdist", "-n", str(workers), "-p", "dayzero_twin.contract_tests.plugin"]


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def distributing(config: pytest.Config) -> bool:
    """True in the controlling process of a run spread over xdist workers."""
    return (
        not is_worker(config)
        and config.pluginmanager.hasplugin("xdist")
        and config.getoption("dist", "no") != "no"
        and not config.getoption("collectonly", False)
    )


def worker_input(config: pytest.Config) -> Any:
    """What the controller sent this worker about the run, or ``None`` outside a worker."""
    workerinput: Mapping[str, Any] = getattr(config, "workerinput", {})
    return workerinput.get(RUN_INPUT)


def registry_file(config: pytest.Config) -> Path | None:
    """On a worker: the run's shared registry file; ``None`` outside a worker."""
    workerinput: Mapping[str, Any] = getattr(config, "workerinput", {})
    given = workerinput.get(REGISTRY_INPUT)
    return None if given is None else Path(given)


def record_deselected(config: pytest.Config, entries: Sequence[Mapping[str, Any]]) -> None:
    """On a worker: keep what was deselected for the controller's coverage report."""
    output: dict[str, Any] | None = getattr(config, "workeroutput", None)
    if output is not None:
        output.setdefault(DESELECTED_OUTPUT, []).extend(entries)


def deselected_of(node: Any) -> list[dict[str, Any]]:
    """On the controller: what a finished worker deselected."""
    output: Mapping[str, Any] = getattr(node, "workeroutput", None) or {}
    return list(output.get(DESELECTED_OUTPUT, ()))


class Distribution:
    """The controller's side of a distributed run: hands each worker the run and the
    shared registry file, and the scheduler its order. Registered by the plugin only
    when xdist distributes; owns the registry's directory until the run is over."""

    def __init__(self, run_input: Mapping[str, Any]) -> None:
        self.run_input = dict(run_input)
        self.failures = 0
        self.directory = Path(tempfile.mkdtemp(prefix="dayzero-contract-"))
        self.registry_file = shared_registry.create(self.directory)

    def pytest_unconfigure(self) -> None:
        # After every worker has stopped (the controller waits for them in its run loop).
        shutil.rmtree(self.directory, ignore_errors=True)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.failures += report.failed

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """``-x``: xdist stops the workers by raising Interrupted, pytest's exit status 2
        — which would say the suite could not run. Run one after another, the same stop
        is status 1, the implementation broke the contract; so it is here too."""
        maxfail = session.config.getoption("maxfail", 0)
        stopped = session.exitstatus == pytest.ExitCode.INTERRUPTED
        if stopped and maxfail and self.failures >= maxfail:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[RUN_INPUT] = self.run_input
        node.workerinput[REGISTRY_INPUT] = str(self.registry_file)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> AloneFirst:
        return AloneFirst(config, log)


class AloneFirst:
    """xdist scheduling: first the alone checks, in the order collected, on one worker
    while the others wait; then the free checks, the long ones first
    (:data:`LONG_MODULES`), each to whichever worker has room (:data:`DEPTH`).
    Implements xdist's ``Scheduling`` protocol."""

    def __init__(self, config: pytest.Config, log: Any = None) -> None:
        self.config = config
        self.log = log
        self.queues: dict[Any, list[int]] = {}
        self.collections: dict[Any, list[str]] = {}
        self.collection: list[str] | None = None
        self.free: list[int] = []
        self.alone: list[int] = []  # not yet sent
        self.alone_open: set[int] = set()  # not yet done
        self.lead: Any = None  # the worker that runs the alone checks

    # -- the protocol's questions -------------------------------------------------------

    @property
    def nodes(self) -> list[Any]:
        return list(self.queues)

    @property
    def collection_is_completed(self) -> bool:
        # The first worker's collection is enough to start: the alone checks run while
        # the other workers are still starting, and each joins once it has collected.
        return bool(self.collections)

    @property
    def tests_finished(self) -> bool:
        if not self.collection_is_completed or self.free or self.alone_open:
            return False
        return all(len(queue) < DEPTH for queue in self.queues.values())

    @property
    def has_pending(self) -> bool:
        return bool(self.free or self.alone_open or any(self.queues.values()))

    # -- the protocol's events ----------------------------------------------------------

    def add_node(self, node: Any) -> None:
        self.queues[node] = []

    def add_node_collection(self, node: Any, collection: Sequence[str]) -> None:
        first = next(iter(self.collections.values()), None)
        if first is not None and list(collection) != first:
            self._note(f"{node.gateway.id} collected other checks than the first worker")
            node.shutdown()
            return
        self.collections[node] = list(collection)

    def mark_test_complete(self, node: Any, item_index: int, duration: float = 0) -> None:
        self.queues[node].remove(item_index)
        self.alone_open.discard(item_index)
        self._advance()

    def mark_test_pending(self, item: str) -> None:
        assert self.collection is not None
        self._requeue([self.collection.index(item)])
        self._advance()

    def remove_pending_tests_from_node(self, node: Any, indices: Sequence[int]) -> None:
        raise NotImplementedError("AloneFirst does not steal work")

    def remove_node(self, node: Any) -> str | None:
        """A node is gone: at its end, or crashed (its remaining checks go to others)."""
        pending = self.queues.pop(node)
        if node is self.lead:
            self.lead = None
        if not pending or self.collection is None:
            return None
        self.alone_open.discard(pending[0])  # it crashed: reported, not run again
        self._requeue(pending[1:])
        self._advance()
        return self.collection[pending[0]]

    def schedule(self) -> None:
        if self.collection is None:
            self.collection = next(iter(self.collections.values()))
            for index, nodeid in enumerate(self.collection):
                (self.alone if is_alone(nodeid) else self.free).append(index)
            self.alone_open = set(self.alone)
            self.free.sort(key=self._rank)
        self._advance()

    # -- the order ----------------------------------------------------------------------

    def _rank(self, index: int) -> tuple[int, int]:
        assert self.collection is not None
        return (0 if module_of(self.collection[index]) in LONG_MODULES else 1, index)

    def _advance(self) -> None:
        if self.collection is None:
            return
        running = [
            node for node in self.queues if node in self.collections and not node.shutting_down
        ]
        if self.alone_open:
            self._advance_alone(running)
            return
        for node in running:
            room = DEPTH - len(self.queues[node])
            if room > 0 and self.free:
                self._send(node, self.free[:room])
                del self.free[:room]
        if not self.free:  # each runs what it holds, then stops
            for node in running:
                node.shutdown()

    def _advance_alone(self, running: list[Any]) -> None:
        """The alone checks on one worker; the others get nothing meanwhile."""
        if self.lead is None:
            if not running:
                return
            self.lead = running[0]
        if self.alone:
            self._send(self.lead, self.alone)
            self.alone = []
        queue = self.queues[self.lead]
        # A worker starts a check once it knows the next: the last alone one needs one.
        if len(queue) == 1 and queue[0] in self.alone_open and not self.lead.shutting_down:
            if self.free:
                self._send(self.lead, [self.free.pop(0)])
            else:
                self.lead.shutdown()

    def _send(self, node: Any, indices: list[int]) -> None:
        self.queues[node].extend(indices)
        node.send_runtest_some(list(indices))

    def _requeue(self, indices: Sequence[int]) -> None:
        assert self.collection is not None
        for index in indices:
            (self.alone if index in self.alone_open else self.free).append(index)
        self.free.sort(key=self._rank)
        self.alone.sort()

    def _note(self, message: str) -> None:
        if self.log is not None:
            self.log(message)
