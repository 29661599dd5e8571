"""(c) ``dayzero-contract diff``: the mock against itself (two instances, same seed)
agrees; against every mutant of the catalogue it finds a difference, where the broken
rule shows.

The proof over the catalogue runs the scenario once against the faithful mock (a fresh
app, like each mutant's) and compares every mutant's run with that recording: the
reference side is not re-run per mutant. Mutants run a few at a time; the catalogue is
iterated, so a mutant added to it is proven here too (or this test says it went unseen).
"""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from dayzero_twin.contract_tests.cli import main
from dayzero_twin.contract_tests.diff.compare import Difference, differences
from dayzero_twin.contract_tests.diff.files import Files
from dayzero_twin.contract_tests.diff.scenario import Plan, Target, observations
from dayzero_twin.contract_tests.mock_process import running_mock
from tests.mutants.__main__ import FAITHFUL, PREFIX
from tests.mutants.catalogue import BUSINESS, MUTANTS, SECOND_BUSINESS, TOKEN, Mutant
from tests.test_contract_suite import served
from tests.variants.catalogue import VARIANTS, Variant

# Mutant runs at a time: the server is one process, so more would only queue there.
WORKERS = 2
SEED = 0
TIMEOUT = 60.0
pytestmark = pytest.mark.timeout(600)

# Where each mutant of today's catalogue must show: a fragment of a difference line (the
# step, and the field where it makes sense). Mutants added later are held to "some
# difference" until they are named here.
WHERE = {
    "drop-required-field": ".customer_id: ",
    "created-200": "file, finalize=false: status: 201 vs 200",
    "server-error": "list limit=1000: status: 200 vs 500",
    "limit-not-validated": "list limit=0: status: 422 vs 200",
    "presign-csv-only": "presign, content_type text/plain: status: 200 vs 422",
    "wrong-content-type": "header content-type",
    "date-format": ".due_date: ",
    "accept-missing-token": "no token: status: 401",
    "bare-token": "token without Bearer: status: 401",
    "no-www-authenticate": "header www-authenticate",
    "422-before-401": "no token and bad business id: status: 401 vs 422",
    "no-403": "business not the token's: status: 403",
    "header-loc": "bad business id: body.detail[0].loc",
    "flag-not-validated": "flag not a boolean: status: 422",
    "empty-key": "empty s3_key: status: 422",
    "body-loc": "missing s3_key: body.detail[0].loc",
    "not-json-400": "body not JSON: status: 422 vs 400",
    "half-even": ".amount: ",
    "bom-kept": "bulk hard file",
    "quantity-ignored": ".quantity: ",
    "balance-due": ".balance_due: ",
    "finalize-ignored": "finalize=true",
    "approve-ignored": "approve=true",
    "numbers-repeat": ".number: ",
    "order-reversed": "bulk simple file",
    "grouping-ignored": "bulk hard file",
    "created-1970": "not made during the run",
    "business-unsigned": "single-part edit of the upload URL: body.not refused with 403",
    "key-unsigned": "single-part edit of the upload URL: body.not refused with 403",
    "content-type-unsigned": "single-part edit of the upload URL: body.not refused with 403",
    "signature-unchecked": "single-part edit of the upload URL: body.not refused with 403",
    "upload-path-unchecked": "single-part edit of the upload URL: body.not refused with 403",
    "stamps-off-own-clock": "created_at: '<recent>' vs '<not made during the run",
    "has-next-in-bulk": "file, finalize=false: body.has_next: False vs True",
    "partial-import": "list limit=5 after the refusals",
    "error-rows": "invalid cells: body.errors[0].row",
    "foreign-key": "s3_key of the second business: status: 400",
    "created-unreadable": "GET the first created: status: 200 vs 404",
    "unknown-id-200": "GET an unknown id: status: 404 vs 200",
    "malformed-id-500": "GET a malformed id: status: 404 vs 500",
    "oldest-first": "list limit=2: body.items",
    "cursor-repeats": "list limit=2, next page",
    "malformed-cursor": "list malformed cursor: status: 400",
    "tampered-url": "single-part edit of the upload URL",
    "unput-key": "before its PUT: status: 400",
    "put-needs-auth": "PUT to the upload URL: status: 200 vs 401",
    "oversize": "upload 10 MiB + 1 byte: status: 413",
    "parties-leak": "naming that customer differently",
    "key-business-ignored": "with its business edited: status: 400",
    "list-leaks-tenant": "'<business>' vs '<second business>'",
    "kinds-share-ids": "GET its id as bills: status: 404 vs 200",
    "bulk-paged": "60-row file",
    "default-page-20": "list without limit",
    "has-next-when-full": "full last page: body.has_next: False vs True",
    "row-limit-off-by-one": "exactly 10,000 data rows: status: 201 vs 400",
    "put-limit-off-by-one": "PUT of exactly 10 MiB: status: 200 vs 413",
    "lenient-amounts": "lenient spellings: body.errors",
    "lenient-dates": "lenient spellings: body.errors",
    "numbers-not-trimmed": "padded, quoted cells: status: 201 vs 400",
    "expiry-unsigned": "single-part edit of the upload URL",
    "numbers-race": "at once: body.distinct numbers",
}


@pytest.fixture(scope="module")
def root_url() -> Iterator[str]:
    with served() as url:
        yield url


@pytest.fixture(scope="module")
def plan() -> Plan:
    return Plan(Files.build(SEED), TIMEOUT, large_files=True, second_business=True)


def target(root_url: str, name: str) -> Target:
    return Target(root_url + PREFIX + name, TOKEN, BUSINESS, SECOND_BUSINESS)


@pytest.fixture(scope="module")
def found(root_url: str, plan: Plan) -> dict[str, list[Difference] | str]:
    """Every mutant's differences from one recorded run of the faithful mock (or why
    its run could not complete: that mutant's test fails, not the whole proof)."""
    start = time.monotonic()
    reference = observations(target(root_url, FAITHFUL), plan)

    def run(mutant: Mutant) -> list[Difference] | str:
        try:
            return differences(reference, observations(target(root_url, mutant.name), plan))
        except httpx.HTTPError as error:
            return f"the scenario could not complete: {error!r}"

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = dict(zip((m.name for m in MUTANTS), pool.map(run, MUTANTS), strict=True))
    print(
        f"diff over {len(MUTANTS)} mutants ({len(reference)} steps each), {WORKERS} at a "
        f"time: {time.monotonic() - start:.1f} s"
    )
    return results


def test_where_names_every_mutant_of_the_catalogue() -> None:
    """A new mutant says where diff must show it, so a difference found by accident (an id
    shifted by an earlier step) cannot stand for the one its broken rule makes."""
    assert set(WHERE) == {mutant.name for mutant in MUTANTS}


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda mutant: mutant.name)
def test_diff_finds_every_mutant(mutant: Mutant, found: dict[str, list[Difference] | str]) -> None:
    result = found[mutant.name]
    assert not isinstance(result, str), result
    lines = [difference.line() for difference in result]
    assert lines, f"diff sees no difference for {mutant.name} ({mutant.breaks})"
    where = WHERE.get(mutant.name)
    assert where is None or any(where in line for line in lines), "\n".join(lines)


# -- faithful variants: legal choices the masking must accept --------------------------

# diff compares with the mock, not with the contract: where a variant's legal choice is
# one the issue asks diff to report (fields present, messages, values, content types),
# it differs, and only there. Every other variant must agree.
REPORTED_CHOICES = {
    "extra-fields": re.compile(r"x_variant"),
    "other-messages": re.compile(r"\.(detail|message|msg)$"),
    "envelope-numbers": re.compile(r"^body\.limit"),
    "plain-undocumented": re.compile(r"^(header content-type|body type)$"),
    "other-keys-and-urls": re.compile(r"\.detail$"),
}
MORE = "..."  # compare.py's "and N more in this step"


@pytest.fixture(scope="module")
def variant_differences(plan: Plan) -> Iterator[dict[str, list[Difference]]]:
    with served("tests.variants") as root:
        reference = observations(target(root, FAITHFUL), plan)
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            runs = pool.map(lambda v: observations(target(root, v.name), plan), VARIANTS)
            yield {
                variant.name: differences(reference, run)
                for variant, run in zip(VARIANTS, runs, strict=True)
            }


def test_reported_choices_name_only_variants() -> None:
    assert set(REPORTED_CHOICES) <= {variant.name for variant in VARIANTS}


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda variant: variant.name)
def test_diff_masks_what_a_faithful_variant_may_choose(
    variant: Variant, variant_differences: dict[str, list[Difference]]
) -> None:
    allowed = REPORTED_CHOICES.get(variant.name)
    beyond = [
        difference.line()
        for difference in variant_differences[variant.name]
        if difference.where != MORE and not (allowed and allowed.search(difference.where))
    ]
    assert not beyond, "\n".join(beyond)


# -- the command line -------------------------------------------------------------------


@pytest.fixture(scope="module")
def mock_url() -> Iterator[str]:
    with running_mock(("--seed", "7")) as url:
        yield url


def reference_args(base: str) -> list[str]:
    return ["--base-url", base, "--token", TOKEN, "--business-id", BUSINESS]


def test_mock_agrees_with_itself(mock_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with running_mock(("--seed", "7")) as other:
        start = time.monotonic()
        code = main(
            [
                "diff",
                *reference_args(mock_url),
                "--second-business-id",
                SECOND_BUSINESS,
                "--against-url",
                other,
            ]
        )
        seconds = time.monotonic() - start
    err = capsys.readouterr().err
    assert code == 0, err
    assert "agree" in err and TOKEN not in err
    print(f"diff of two mocks, both sides at once: {seconds:.1f} s")


def test_the_issues_syntax_finds_a_mutant(
    mock_url: str, root_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    against = root_url + PREFIX + "header-loc"
    report, junit = tmp_path / "diff.md", tmp_path / "diff.xml"
    code = main(
        [
            "diff",
            *reference_args(mock_url),
            "--against-url",
            against,
            "--report",
            str(report),
            "--junit-xml",
            str(junit),
        ]
    )
    err = capsys.readouterr().err
    assert code == 1, err
    assert any(
        line.startswith("[CONTRACT §1 order 2: 422]") and "loc" in line for line in err.splitlines()
    ), err
    text = report.read_text(encoding="utf-8")
    assert "## CONTRACT §1 order 2: 422" in text and TOKEN not in text
    cases = {
        case.get("name"): case.find("failure") is not None
        for case in ET.parse(junit).getroot().iter("testcase")
    }
    assert cases["CONTRACT §1 order 2: 422"] and not cases["CONTRACT §1 order 1: 401"], cases


def test_group_options_reach_diff(
    mock_url: str, root_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``dayzero-contract --base-url A ... diff --against-url B``: the group's options
    are the reference side's."""
    against = root_url + PREFIX + "no-www-authenticate"
    code = main(
        [*reference_args(mock_url), "diff", "--large-files", "false", "--against-url", against]
    )
    err = capsys.readouterr().err
    assert code == 1, err
    assert "[CONTRACT §1 order 1: 401]" in err and "www-authenticate" in err
    assert f"{mock_url} and {against} differ" in err


def test_an_option_given_twice_differently_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(
        [
            "--base-url",
            "http://127.0.0.1:9",
            "diff",
            "--base-url",
            "http://127.0.0.1:10",
            "--token",
            TOKEN,
            "--business-id",
            BUSINESS,
            "--against-url",
            "http://127.0.0.1:11",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "--base-url given twice" in err, err


def test_a_suite_option_before_diff_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """``--report`` before ``diff`` is the suite's coverage report: diff would ignore it."""
    code = main(
        [
            "--report",
            "x.md",
            "diff",
            *reference_args("http://127.0.0.1:9"),
            "--against-url",
            "http://127.0.0.1:11",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "--report before diff would be ignored" in err, err


def test_diff_needs_the_reference(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("CONTRACT_BASE_URL", "CONTRACT_TOKEN", "CONTRACT_BUSINESS_ID"):
        monkeypatch.delenv(name, raising=False)
    code = main(["diff", "--against-url", "http://127.0.0.1:11"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "--base-url [CONTRACT_BASE_URL]" in err, err
