"""``--workers N``: independent checks at the same time, never more than the bound.

The bound is what keeps a real API from being flooded, so it is measured where it
matters, on the wire: a loopback server counts the requests in flight while the suite
runs against it with several workers. The order the scheduler keeps (alone checks first,
on one worker, nothing else running; then the long checks first) is checked on the
scheduler itself, with stand-in workers.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import threading
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from dayzero_twin.contract_tests import cli, parallel
from dayzero_twin.contract_tests.checks.test_concurrency import PARALLEL
from dayzero_twin.contract_tests.settings import (
    DEFAULT_WORKERS,
    LATE_ANSWER_SECONDS,
    MAX_WORKERS,
    Settings,
    random_other_business,
)
from tests.inflight import COUNTER_PATH, DELAY_SECONDS
from tests.mutants.__main__ import PREFIX
from tests.mutants.catalogue import BUSINESS, MUTANTS, TOKEN
from tests.mutants.catalogue_workers import WORKER_MUTANTS
from tests.suite_runs import run_suite
from tests.test_contract_suite import served

WORKERS = 3
SUITE_SECONDS = 300
# Long checks (each schemathesis operation), each one request at a time; with them, the
# check that sends PARALLEL imports at once would overlap them but for the alone rule.
LONG = "test_operation"
EXAMPLES = 5
EXITFIRST_MUTANT = "drop-required-field"
RULE_NUMBERS = "CONTRACT §3.1 finalized invoice numbers are unique within the business"


def counted(base_url: str, method: str = "GET") -> Any:
    """The in-flight counter of ``tests.inflight`` (``DELETE``: start a new count)."""
    request = urllib.request.Request(base_url + COUNTER_PATH, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def test_requests_in_flight_never_exceed_the_bound() -> None:
    def run(base_url: str, selection: str) -> Any:
        counted(base_url, "DELETE")
        done = run_suite(
            base_url,
            TOKEN,
            BUSINESS,
            "--workers",
            str(WORKERS),
            "-k",
            selection,
            "--max-examples",
            str(EXAMPLES),
            timeout=SUITE_SECONDS,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return counted(base_url)

    with served("tests.inflight") as base_url:
        # Checks of one request at a time each: WORKERS of them side by side, never more.
        # The bound is met, not merely never approached — by different checks.
        assert run(base_url, LONG)["most"] == WORKERS
        # With the check that sends PARALLEL imports at once on purpose: it runs alone,
        # so nothing else is in flight beside its burst.
        assert run(base_url, f"{LONG} or parallel")["most"] <= max(WORKERS, PARALLEL)


def test_exitfirst_over_workers_is_a_broken_contract_not_an_error() -> None:
    """``-x`` stops the workers (xdist: "Interrupted"); the status must still be 1."""
    mutant = next(m for m in MUTANTS if m.name == EXITFIRST_MUTANT)
    with served() as root_url:
        done = run_suite(
            f"{root_url}{PREFIX}{mutant.name}",
            TOKEN,
            BUSINESS,
            "--workers",
            "2",
            "-x",
            "-k",
            mutant.select,
            "--max-examples",
            str(EXAMPLES),
            timeout=SUITE_SECONDS,
        )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-3000:]
    assert "stopping after 1 failures" in output and "BREAKS the contract" in output


def test_numbers_repeated_by_imports_on_different_workers_are_caught(tmp_path: Path) -> None:
    """An implementation numbering per connection repeats numbers only across the
    workers' connections: one check at a time it looks faithful; spread over workers,
    the run-wide §3.1 check must still see the repeats. The registry's file goes away
    with the run."""
    mutant = next(m for m in WORKER_MUTANTS if m.name == "numbers-per-connection")

    def run(root_url: str, workers: int) -> subprocess.CompletedProcess[str]:
        return run_suite(
            f"{root_url}{PREFIX}{mutant.name}",
            TOKEN,
            BUSINESS,
            "--workers",
            str(workers),
            "-k",
            mutant.select,
            "--max-examples",
            str(EXAMPLES),
            "-v",
            timeout=SUITE_SECONDS,
            env={**os.environ, "TMPDIR": str(tmp_path)},
        )

    with served() as root_url:
        alone = run(root_url, 1)
        spread = run(root_url, WORKERS)
    assert alone.returncode == 0, alone.stdout[-3000:] + alone.stderr[-3000:]
    output = spread.stdout + spread.stderr
    ran_on = set(re.findall(r"^\[(gw\d+)\] \[ *\d+%\] (?:PASSED|FAILED)", spread.stdout, re.M))
    assert len(ran_on) >= 2, f"the checks did not spread over workers:\n{output[-3000:]}"
    assert spread.returncode == 1, output[-3000:]
    assert f"[{RULE_NUMBERS}]" in output and "is also the number of invoice" in output
    assert not list(tmp_path.glob("dayzero-contract-*")), "the registry outlived the run"


def test_unless_told_workers_follow_how_late_the_answers_come() -> None:
    assert parallel.auto_workers(0.002) == 1  # the mock on loopback: nothing to overlap
    assert parallel.auto_workers(LATE_ANSWER_SECONDS) == DEFAULT_WORKERS
    assert parallel.auto_workers(0.150) == DEFAULT_WORKERS  # a typical staging API


def unset(base_url: str) -> Settings:
    """Settings that leave the number of workers to the suite."""
    return Settings(base_url, TOKEN, BUSINESS, random_other_business())


class Instant(BaseHTTPRequestHandler):
    """Answers every GET at once: an implementation with nothing to overlap."""

    def do_GET(self) -> None:
        body = b'{"items": [], "has_next": false, "next_cursor": null}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test's output is the assertions'."""


def test_unless_told_a_late_implementation_gets_the_default_workers() -> None:
    with served("tests.inflight") as base_url:
        assert cli.answer_seconds(unset(base_url)) >= DELAY_SECONDS
        assert cli.with_workers(unset(base_url)).workers == DEFAULT_WORKERS


def test_unless_told_an_instant_implementation_gets_one_worker() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Instant)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base_url = f"http://127.0.0.1:{server.server_address[1]}"
        assert cli.answer_seconds(unset(base_url)) < LATE_ANSWER_SECONDS
        assert cli.with_workers(unset(base_url)).workers == 1
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_workers_given_are_kept_whatever_the_latency() -> None:
    given = dataclasses.replace(unset("http://127.0.0.1:9"), workers=2)
    assert cli.with_workers(given) is given


def test_workers_over_the_cap_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(
        ["--base-url", "http://127.0.0.1:9", "--token", "t", "--workers", str(MAX_WORKERS + 1)]
    )
    assert code == 2
    assert "--workers" in capsys.readouterr().err


# -- the scheduler, with stand-in workers ---------------------------------------------------


@dataclass(eq=False)
class Worker:
    """What the scheduler uses of an xdist worker: an id, send, shutdown."""

    name: str
    sent: list[int] = field(default_factory=list)
    shutting_down: bool = False

    @property
    def gateway(self) -> Any:
        return SimpleNamespace(id=self.name)

    def send_runtest_some(self, indices: list[int]) -> None:
        self.sent.extend(indices)

    def shutdown(self) -> None:
        self.shutting_down = True


CHECKS = [
    "contract_tests/checks/test_auth.py::test_a",  # 0
    "contract_tests/checks/test_auth.py::test_b",  # 1
    "contract_tests/checks/test_pagination_ends.py::test_c[invoices]",  # 2: alone
    "contract_tests/checks/test_concurrency.py::test_d",  # 3: alone
    "contract_tests/checks/test_schemas.py::test_operation",  # 4: long
    "contract_tests/checks/test_limits.py::test_e",  # 5
]


def started(workers: list[Worker]) -> parallel.AloneFirst:
    scheduler = parallel.AloneFirst(cast(pytest.Config, None))
    for worker in workers:
        scheduler.add_node(worker)
    scheduler.add_node_collection(workers[0], CHECKS)
    scheduler.schedule()
    return scheduler


def test_alone_checks_run_first_on_one_worker_with_nothing_beside_them() -> None:
    lead, other = Worker("gw0"), Worker("gw1")
    scheduler = started([lead, other])
    # The first collection is enough to start; the other worker has not collected yet.
    assert lead.sent == [2, 3] and other.sent == []
    scheduler.add_node_collection(other, CHECKS)
    scheduler.schedule()
    assert other.sent == []
    scheduler.mark_test_complete(lead, 2)
    # The last alone check needs a next one to start: the longest free check.
    assert lead.sent == [2, 3, 4] and other.sent == []
    scheduler.mark_test_complete(lead, 3)
    # Now everyone: each worker holds the check it runs and the next one.
    assert lead.sent == [2, 3, 4, 0] and other.sent == [1, 5]
    assert lead.shutting_down and other.shutting_down  # nothing left to hand out
    for worker, index in ((lead, 4), (other, 1), (lead, 0), (other, 5)):
        scheduler.mark_test_complete(worker, index)
    assert scheduler.tests_finished and not scheduler.has_pending


def test_without_alone_checks_the_long_ones_go_first() -> None:
    workers = [Worker("gw0"), Worker("gw1")]
    scheduler = parallel.AloneFirst(cast(pytest.Config, None))
    for worker in workers:
        scheduler.add_node(worker)
    free = [CHECKS[0], CHECKS[1], CHECKS[4], CHECKS[5]]
    for worker in workers:
        scheduler.add_node_collection(worker, free)
    scheduler.schedule()
    assert workers[0].sent == [2, 0] and workers[1].sent == [1, 3]


def test_a_crashed_workers_checks_go_to_another() -> None:
    lead, other = Worker("gw0"), Worker("gw1")
    scheduler = started([lead, other])
    scheduler.add_node_collection(other, CHECKS)
    # gw0 dies while running the first alone check: it is reported, the next one moves.
    assert scheduler.remove_node(lead) == CHECKS[2]
    assert other.sent == [3, 4]


def test_a_single_check_runs_alone_by_its_name_whatever_its_parameters() -> None:
    walk = "contract_tests/checks/test_read_back.py::test_pages_newest_first_and_cursor_walk"
    assert parallel.is_alone(f"{walk}[invoices]") and parallel.is_alone(f"{walk}[bills]")
    # The other checks of its module do not.
    assert not parallel.is_alone(
        "contract_tests/checks/test_read_back.py::test_default_page_is_at_most_50[bills]"
    )
    assert parallel.is_alone("contract_tests/checks/test_pagination_ends.py::test_c[bills]")
