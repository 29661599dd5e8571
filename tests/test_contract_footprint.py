"""Proof that the contract suite creates nothing outside the businesses it is given.

CI points the suite at shared staging APIs, where other businesses are other people's:
whatever it creates (uploads, invoices, bills and the parties they bring) must land in
``--business-id`` or ``--second-business-id``. The mock here knows a third business the
token MAY act for, so nothing but the suite's own restraint keeps it empty: a check
that sends a create to a business id it made up, copied from the contract's examples, or
edited into a URL or key would leave a trace there. That third business is the one the
slices name as the ``x-business-id`` example (and the one the mutants' proof runs as),
so an example leaking into a generated request is seen too.

The whole default suite runs, through its real command line; then the mock's admin API
(``/__mock/businesses``: per business, counts of uploads, invoices, bills, customers and
vendors) must show the third business exactly as it was before the run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from dayzero_twin.mock_server.app import create_app
from dayzero_twin.mock_server.config import MockConfig
from tests.conftest import LiveMock
from tests.suite_runs import run_suite
from tests.test_contract_suite import PROOF_SECONDS, parse_junit

TOKEN = "dz_footprint_token"
GIVEN = "5e7a1b2c-0000-4000-8000-00000000000a"
SECOND = "5e7a1b2c-0000-4000-8000-00000000000b"
# Not given to the suite, yet the token may act for it: the slices' x-business-id example.
UNTOUCHED = "b5a1c6de-0000-4000-8000-000000000001"
WORLD = f"""\
tokens:
  {TOKEN}: [{GIVEN}, {SECOND}, {UNTOUCHED}]
businesses:
  - id: {GIVEN}
    name: Given Business
  - id: {SECOND}
    name: Second Business
  - id: {UNTOUCHED}
    name: Untouched Business
    customers:
      - {{name: Acme Robotics, email: ap@acmerobotics.com}}
    vendors:
      - {{name: Summit Office Supply, email: orders@summitofficesupply.com}}
"""
PRESIGN_TTL_SECONDS = 5  # short, so the expired-URL check runs instead of being skipped
pytestmark = pytest.mark.timeout(PROOF_SECONDS + 60)


def holdings(base_url: str) -> dict[str, dict[str, Any]]:
    """Counts per business, as the mock's admin API reports them."""
    response = httpx.get(f"{base_url}/__mock/businesses", params={"limit": 0}, timeout=30)
    response.raise_for_status()
    return {item["id"]: item["counts"] for item in response.json()["items"]}


def test_the_suite_creates_nothing_outside_the_given_businesses(tmp_path: Path) -> None:
    world = tmp_path / "world.yaml"
    world.write_text(WORLD)
    config = MockConfig(
        world_file=world, log_requests=False, presign_ttl_seconds=PRESIGN_TTL_SECONDS
    )
    app = create_app(config)
    try:
        with LiveMock(app) as live:
            before = holdings(live.url)
            junit = tmp_path / "suite.xml"
            run = run_suite(
                live.url,
                TOKEN,
                GIVEN,
                "--second-business-id",
                SECOND,
                "--max-expiry-wait",
                str(PRESIGN_TTL_SECONDS + 1),
                "--junit-xml",
                str(junit),
                timeout=PROOF_SECONDS,
            )
            after = holdings(live.url)
    finally:
        app.state.service.close()
    failures, passed, _ = parse_junit(junit) if junit.exists() else ([], [], [])
    # The suite must really have run, and created what it may, where it may.
    assert run.returncode == 0 and not failures, (
        f"exit {run.returncode}; {[f.test for f in failures]}\n{run.stdout[-3000:]}"
    )
    assert len(passed) > 150, run.stdout[-3000:]
    assert after[GIVEN]["invoices"] > before[GIVEN]["invoices"], (before, after)
    assert after[SECOND]["uploads"] > before[SECOND]["uploads"], (before, after)
    assert after[UNTOUCHED] == before[UNTOUCHED], (
        f"the suite created in {UNTOUCHED}, a business it was not given: "
        f"{before[UNTOUCHED]} -> {after[UNTOUCHED]}"
    )
    assert set(after) == set(before) == {GIVEN, SECOND, UNTOUCHED}
