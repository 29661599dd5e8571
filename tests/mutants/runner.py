"""``python -m tests.mutants.runner WORKERS``: run many suite invocations cheaply, by fork.

Starting ``python -m dayzero_twin.contract_tests`` costs about two CPU-seconds of imports (pytest,
schemathesis, Hypothesis, Faker) before any check runs; forty mutants would pay that
forty times. This runner pays it once, then forks one child per job, and each child runs
exactly what ``dayzero-contract`` runs (``dayzero_twin.contract_tests.cli.main``) with the
job's arguments: a separate process per run, as before, only without the start-up.

Protocol: one JSON job per stdin line, ``{"name", "argv", "log"}``; after stdin closes,
jobs run ``WORKERS`` at a time and each finished one is reported as ``DONE <name>
<exit code>`` on stdout, the child's output being in ``log``.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any

from dayzero_twin.contract_tests import cli  # main(argv) -> exit status; __main__ takes none
from dayzero_twin.contract_tests.support import datagen, fuzzing


def warm() -> None:
    """Import and build, before forking, what every child would otherwise redo."""
    import schemathesis  # noqa: F401

    import dayzero_twin.contract_tests.plugin  # noqa: F401 - imported for its side effect: loaded once

    fuzzing.contract_document()
    datagen.faker_for(0)


def child(job: dict[str, Any]) -> None:
    """Become the suite run of ``job``; never returns."""
    code = 3
    try:
        log = os.open(job["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        code = cli.main(job["argv"])
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 2
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def main(argv: list[str] | None = None) -> int:
    workers = int((argv or sys.argv[1:] or ["2"])[0])
    warm()
    queue = [json.loads(line) for line in sys.stdin if line.strip()]
    running: dict[int, dict[str, Any]] = {}
    while queue or running:
        while queue and len(running) < workers:
            job = queue.pop(0)
            sys.stdout.flush()
            pid = os.fork()
            if pid == 0:
                child(job)
            running[pid] = job
        pid, status = os.wait()
        job = running.pop(pid)
        print(f"DONE {job['name']} {os.waitstatus_to_exitcode(status)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
