"""``python -m dayzero_twin.contract_tests``: check an implementation against the contract.

Exit status: 0 when the implementation keeps the contract, 1 when it breaks it, 2 when
it cannot be reached or the suite cannot run (with a message saying why).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dayzero_twin.contract_tests.mock_process import (
    MOCK_BUSINESS,
    MOCK_SECOND_BUSINESS,
    MOCK_TOKEN,
    MockStartError,
    running_mock,
)
from dayzero_twin.contract_tests.settings import (
    DEFAULT_MAX_EXAMPLES,
    DEFAULT_MAX_ROWS,
    DEFAULT_SEED,
    env,
)

# Short enough that the expired-upload-URL check runs against a mock the suite starts.
LOCAL_MOCK_PRESIGN_TTL = 5
CHECKS = Path(__file__).resolve().parent / "checks"
# Cheapest first; schemathesis last so the business already holds entities to read back.
TEST_MODULES = (
    "test_auth.py",
    "test_request_validation.py",
    "test_uploads.py",
    "test_csv_import.py",
    "test_unimportable.py",
    "test_read_back.py",
    "test_stateful.py",
    "test_schemas.py",
)
EXIT_KEPT, EXIT_BROKEN, EXIT_ERROR = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m dayzero_twin.contract_tests",
        description="Check an implementation of DayZero's bulk-import API against the contract "
        "in openapi/ and docs/CONTRACT.md. Without --base-url, starts this project's mock and "
        "checks it. It creates real invoices and bills: point it at a SANDBOX business.",
    )
    parser.add_argument(
        "--base-url",
        default=env("base_url"),
        help="implementation under test, e.g. https://sandbox.example.com "
        "[CONTRACT_BASE_URL; default: start the mock]",
    )
    parser.add_argument("--token", default=env("token"), help="API token [CONTRACT_TOKEN]")
    parser.add_argument(
        "--business-id",
        default=env("business_id"),
        help="sandbox business the token may act for [CONTRACT_BUSINESS_ID]",
    )
    parser.add_argument(
        "--other-business-id",
        default=env("other_business_id"),
        help="a business the token may NOT act for "
        "[CONTRACT_OTHER_BUSINESS_ID; default: a random UUID]",
    )
    parser.add_argument(
        "--second-business-id",
        default=env("second_business_id"),
        help="a second business the token MAY act for; enables the "
        "cross-business checks [CONTRACT_SECOND_BUSINESS_ID]",
    )
    parser.add_argument(
        "--junit-xml",
        default=env("junit_xml"),
        metavar="FILE",
        help="write a JUnit XML report [CONTRACT_JUNIT_XML]",
    )
    parser.add_argument(
        "--max-examples",
        type=int,
        default=int(env("max_examples", str(DEFAULT_MAX_EXAMPLES))),
        help="generated requests per operation; CSV property tests run a "
        "quarter as many files [CONTRACT_MAX_EXAMPLES; default %(default)s]",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=int(env("seed", str(DEFAULT_SEED))),
        help="generation seed [CONTRACT_SEED; default %(default)s]",
    )
    parser.add_argument(
        "--max-rows",
        type=int,
        default=int(env("max_rows", str(DEFAULT_MAX_ROWS))),
        help="row cap of generated CSV files [CONTRACT_MAX_ROWS; default %(default)s]",
    )
    parser.add_argument(
        "--max-expiry-wait",
        type=float,
        default=None,
        help="wait for a presigned URL to expire when it lives at most this "
        "many seconds [CONTRACT_MAX_EXPIRY_WAIT]",
    )
    parser.add_argument(
        "-k",
        dest="keyword",
        metavar="EXPR",
        help="only checks whose test name matches EXPR (pytest -k)",
    )
    parser.add_argument(
        "--rule",
        action="append",
        default=[],
        help="only checks whose rule contains this text, e.g. '§3.1' (repeatable)",
    )
    parser.add_argument("-x", "--exitfirst", action="store_true", help="stop at the first failure")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more output")
    return parser


def pytest_args(args: argparse.Namespace, base_url: str) -> list[str]:
    out = [str(CHECKS / name) for name in TEST_MODULES]
    # Checks fail through `require`, not bare asserts: no assertion rewriting (which
    # would recompile every Faker provider module on each run).
    out += [
        "-p",
        "dayzero_twin.contract_tests.plugin",
        "-p",
        "no:cacheprovider",
        "--assert=plain",
        "--contract-base-url",
        base_url,
        "--contract-token",
        args.token,
        "--contract-business-id",
        args.business_id,
        "--contract-max-examples",
        str(args.max_examples),
        "--contract-seed",
        str(args.seed),
        "--contract-max-rows",
        str(args.max_rows),
    ]
    for option, value in (
        ("--contract-other-business-id", args.other_business_id),
        ("--contract-second-business-id", args.second_business_id),
        ("--contract-max-expiry-wait", args.max_expiry_wait),
    ):
        if value is not None:
            out += [option, str(value)]
    for text in args.rule:
        out += ["--contract-rule", text]
    if args.keyword:
        out += ["-k", args.keyword]
    if args.junit_xml:
        out += [
            "--junitxml",
            args.junit_xml,
            "-o",
            "junit_family=xunit1",
            "-o",
            "junit_suite_name=contract",
        ]
    if args.exitfirst:
        out.append("-x")
    out.append("-" + "v" * args.verbose if args.verbose else "-q")
    return out


@contextlib.contextmanager
def target(args: argparse.Namespace) -> Iterator[str]:
    """The base URL to check: the given one, or a freshly started mock's."""
    if args.base_url:
        yield args.base_url.rstrip("/")
        return
    args.token = args.token or MOCK_TOKEN
    args.business_id = args.business_id or MOCK_BUSINESS
    if args.business_id == MOCK_BUSINESS:
        args.second_business_id = args.second_business_id or MOCK_SECOND_BUSINESS
    print("contract: no --base-url; starting the mock (python -m mock_server)", file=sys.stderr)
    # A short upload-URL lifetime lets the expired-URL check run instead of being skipped.
    with running_mock(("--presign-ttl", str(LOCAL_MOCK_PRESIGN_TTL))) as base_url:
        print(f"contract: mock serving on {base_url}", file=sys.stderr)
        yield base_url


def reachable(base_url: str, token: str, business_id: str) -> str | None:
    """``None`` when the implementation answers HTTP at all, else why not."""
    try:
        httpx.get(
            f"{base_url}/api/v1/invoices",
            params={"limit": 1},
            timeout=15.0,
            headers={"Authorization": f"Bearer {token}", "x-business-id": business_id},
        )
    except httpx.HTTPError as error:
        return f"{type(error).__name__}: {error}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.base_url and not (args.token and args.business_id):
        parser.error("--token and --business-id are required with --base-url")
    try:
        with target(args) as base_url:
            problem = reachable(base_url, args.token, args.business_id)
            if problem:
                print(f"contract: cannot reach {base_url}: {problem}", file=sys.stderr)
                return EXIT_ERROR
            code = pytest.main(pytest_args(args, base_url))
    except MockStartError as error:
        print(f"contract: {error}", file=sys.stderr)
        return EXIT_ERROR
    if code == pytest.ExitCode.OK:
        print(f"contract: {base_url} keeps the contract", file=sys.stderr)
        return EXIT_KEPT
    if code == pytest.ExitCode.TESTS_FAILED:
        print(f"contract: {base_url} BREAKS the contract (failures above)", file=sys.stderr)
        return EXIT_BROKEN
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        print("contract: no checks selected (-k / --rule)", file=sys.stderr)
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
