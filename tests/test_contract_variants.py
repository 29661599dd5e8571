"""Proof that the contract suite asks no more than the contract: it passes every variant.

A faithful variant (``tests/variants``) is the mock making another legal choice where
the contract leaves room: optional fields absent, extra fields, other messages, offsets,
numbers, cursors, keys and URLs (opaque, or S3-style), envelopes, latency, gzip,
undocumented bodies in plain text, strict booleans, a server clock 20 minutes ahead.
The suite runs against each (its ``select``-ed checks, with few generated examples,
like a mutant) and must pass: a failure is a check that asserts something no sentence
of the contract says. Skips are allowed (a variant may make a check inapplicable, e.g.
keys that do not spell the business id).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pytest

from tests.test_contract_suite import SuiteRun, outcome, run_jobs, served, suite_argv
from tests.variants.catalogue import VARIANTS, Variant

PREFIX = "/m/"


@pytest.fixture(scope="module")
def variant_runs() -> dict[str, SuiteRun]:
    started = time.monotonic()
    with served("tests.variants") as root_url, tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        jobs = [
            {
                "name": v.name,
                "log": str(folder / f"{v.name}.log"),
                "argv": suite_argv(
                    f"{root_url}{PREFIX}{v.name}", folder / f"{v.name}.xml", v.select
                ),
            }
            for v in VARIANTS
        ]
        codes = run_jobs(jobs)
        seconds = time.monotonic() - started
        return {
            name: outcome(code, folder / f"{name}.xml", folder / f"{name}.log", seconds)
            for name, code in codes.items()
        }


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.name for v in VARIANTS])
def test_variant_keeps_the_contract(variant_runs: dict[str, SuiteRun], variant: Variant) -> None:
    run = variant_runs[variant.name]
    assert run.code == 0 and not run.failures, (
        f"{variant.name} ({variant.choice}) is legal, yet the suite failed it:\n{run.summary()}"
    )
    assert run.passed, f"{variant.name}: no check ran ({variant.select!r})\n{run.summary()}"


def test_enough_variants() -> None:
    assert len(VARIANTS) >= 8
    assert len({variant.name for variant in VARIANTS}) == len(VARIANTS)
