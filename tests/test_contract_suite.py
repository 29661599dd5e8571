"""Proof that the contract suite works: it passes the faithful mock and catches every mutant.

A check that cannot fail is worse than none. Each mutant in ``tests/mutants`` is the real
mock with one rule broken; the suite runs against it (in a subprocess, only the checks
that matter, via ``-k``) and must fail *in the check meant to catch it*: the JUnit report
has to show a failure of the named test whose message names the rule. The faithful mock
must pass the whole suite, default settings, with nothing failing.

One server process hosts the faithful mock and every mutant (``python -m tests.mutants``);
the suite runs go out a few at a time, so the proof costs far less than their sum.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.mutants.__main__ import FAITHFUL, PREFIX
from tests.mutants.catalogue import BUSINESS, MUTANTS, SECOND_BUSINESS, TOKEN, Mutant

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2  # mutant runs at a time, beside the faithful full run
# The faithful run spreads its checks like a default run, only over fewer workers: the
# mutant runs (each one check at a time) already keep both cores busy beside it.
FAITHFUL_WORKERS = 2
SERVER_START_SECONDS = 30
PROOF_SECONDS = 600  # a bound on hangs, far above the ~1-2 minutes the proof takes
MUTANT_EXAMPLES = "5"
# pytest-timeout's project-wide 300 s would cut the proof short on a loaded machine; its
# own bound on hangs is PROOF_SECONDS.
pytestmark = pytest.mark.timeout(SERVER_START_SECONDS + 2 * PROOF_SECONDS)


@dataclass(frozen=True)
class Failure:
    test: str
    text: str


@dataclass(frozen=True)
class SuiteRun:
    code: int
    failures: tuple[Failure, ...]
    passed: tuple[str, ...]
    skipped: tuple[str, ...]
    output: str
    seconds: float

    def summary(self) -> str:
        lines = [
            f"exit {self.code} ({self.seconds:.1f} s into the proof); {len(self.passed)} passed, "
            f"{len(self.failures)} failed, {len(self.skipped)} skipped"
        ]
        lines += [
            f"  FAILED {f.test}: {f.text.splitlines()[0][:200] if f.text else ''}"
            for f in self.failures
        ]
        lines.append(self.output[-3000:])
        return "\n".join(lines)


@contextmanager
def served(module: str = "tests.mutants") -> Iterator[str]:
    """The process serving every mutant and the faithful mock (or, with
    ``tests.variants``, every faithful variant); its root URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", module],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + SERVER_START_SECONDS
        line = ""
        while time.monotonic() < deadline and not line.startswith("READY"):
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                raise RuntimeError(f"{module} exited with {process.returncode}")
        if not line.startswith("READY"):
            raise RuntimeError(f"{module} did not start")
        yield f"http://127.0.0.1:{line.split()[1]}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def parse_junit(path: Path) -> tuple[list[Failure], list[str], list[str]]:
    failures, passed, skipped = [], [], []
    for case in ET.parse(path).getroot().iter("testcase"):
        test = f"{case.get('classname')}::{case.get('name')}"
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is not None:
            rules = [p.get("value", "") for p in case.iter("property") if p.get("name") == "rule"]
            text = "\n".join([problem.get("message") or "", problem.text or "", *rules])
            failures.append(Failure(test, text))
        elif case.find("skipped") is not None:
            skipped.append(test)
        else:
            passed.append(test)
    return failures, passed, skipped


def suite_argv(base_url: str, junit: Path, select: str | None) -> list[str]:
    """Arguments of ``dayzero-contract``: everything for the faithful mock, only
    the ``select``-ed checks (with fewer generated examples) for a mutant."""
    argv = [
        "--base-url",
        base_url,
        "--token",
        TOKEN,
        "--business-id",
        BUSINESS,
        "--second-business-id",
        SECOND_BUSINESS,
        "--junit-xml",
        str(junit),
    ]
    if select is None:
        return [*argv, "--max-expiry-wait", "6", "--workers", str(FAITHFUL_WORKERS)]
    return [*argv, "-k", select, "--max-examples", MUTANT_EXAMPLES, "--workers", "1"]


def outcome(code: int, junit: Path, log: Path, seconds: float) -> SuiteRun:
    failures, passed, skipped = parse_junit(junit) if junit.exists() else ([], [], [])
    output = log.read_text(errors="replace") if log.exists() else ""
    return SuiteRun(code, tuple(failures), tuple(passed), tuple(skipped), output, seconds)


def run_jobs(jobs: list[dict[str, str | list[str]]]) -> dict[str, int]:
    """Run suite jobs (``name``, ``log``, ``argv``) through the forking runner,
    ``WORKERS`` at a time: each one's exit code, by name."""
    runner = subprocess.run(
        [sys.executable, "-m", "tests.mutants.runner", str(WORKERS)],
        cwd=ROOT,
        input="".join(json.dumps(job) + "\n" for job in jobs),
        capture_output=True,
        text=True,
        timeout=PROOF_SECONDS,
        check=False,
    )
    codes = {
        name: int(code)
        for _, name, code in (
            line.split() for line in runner.stdout.splitlines() if line.startswith("DONE")
        )
    }
    assert len(codes) == len(jobs), (
        f"runner finished {len(codes)} of {len(jobs)}:\n"
        f"{runner.stdout[-2000:]}{runner.stderr[-2000:]}"
    )
    return codes


@pytest.fixture(scope="module")
def runs() -> dict[str, SuiteRun]:
    """Every run of the proof: the faithful mock through the real command line, and each
    mutant through the forking runner, all at the same time."""
    started = time.monotonic()
    with served() as root_url, tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)

        def paths(name: str) -> tuple[Path, Path]:
            return folder / f"{name}.xml", folder / f"{name}.log"

        junit, log = paths(FAITHFUL)
        with log.open("w") as sink:
            faithful = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "dayzero_twin.contract_tests",
                    *suite_argv(f"{root_url}{PREFIX}{FAITHFUL}", junit, None),
                ],
                cwd=ROOT,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        jobs = [
            {
                "name": m.name,
                "log": str(paths(m.name)[1]),
                "argv": suite_argv(f"{root_url}{PREFIX}{m.name}", paths(m.name)[0], m.select),
            }
            for m in MUTANTS
        ]
        try:
            codes = run_jobs(jobs)
            faithful_code = faithful.wait(timeout=PROOF_SECONDS)
        finally:
            if faithful.poll() is None:
                faithful.kill()
                faithful.wait()
        seconds = time.monotonic() - started
        results = {name: outcome(code, *paths(name), seconds) for name, code in codes.items()}
        results[FAITHFUL] = outcome(faithful_code, *paths(FAITHFUL), seconds)
        return results


def test_faithful_mock_keeps_the_contract(runs: dict[str, SuiteRun]) -> None:
    run = runs[FAITHFUL]
    assert run.code == 0 and not run.failures, run.summary()
    assert len(run.passed) > 150, run.summary()
    # With the mock's short URL lifetime, even the expiry check runs: nothing is skipped.
    assert not run.skipped, run.summary()


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_is_caught_by_the_right_check(runs: dict[str, SuiteRun], mutant: Mutant) -> None:
    run = runs[mutant.name]
    assert run.code == 1, f"{mutant.name} ({mutant.breaks}) was not caught:\n{run.summary()}"
    for test_part, text in mutant.catches:
        assert any(test_part in f.test and text in f.text for f in run.failures), (
            f"{mutant.name} ({mutant.breaks}): no failure of a test matching {test_part!r} "
            f"that names {text!r}:\n{run.summary()}"
        )


def test_every_family_has_mutants() -> None:
    families = {mutant.family for mutant in MUTANTS}
    assert families == set(range(1, 8)), families
    assert len(MUTANTS) >= 25
    assert len({mutant.name for mutant in MUTANTS}) == len(MUTANTS)
