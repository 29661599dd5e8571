"""``dayzero-contract`` (also ``python -m dayzero_twin.contract_tests``): check an
implementation against the contract.

Exit status: 0 when the implementation keeps the contract, 1 when it breaks it, 2 when
it cannot be reached or the suite cannot run, a bad option included (one line saying
why; never a traceback, and never 1, which would blame the implementation).

The command is a click group whose own options are the suite run's, and which runs the
suite when no subcommand follows them (``invoke_without_command``): ``dayzero-contract
--base-url URL ...`` checks an implementation. Tools that share the suite's reading of
the contract (a recording ``proxy``, ``judge FILE.har``, ``diff``) are subcommands, each
with its options after its name; :func:`suite` then sees ``ctx.invoked_subcommand`` and
leaves the run to it. A subcommand that takes the suite's own options (``diff``: the
reference's URL, token, business) declares them with :func:`options.for_subcommand`, so
they may stand before or after its name (:func:`options.group_or_own`).

The options themselves are declared once, in :mod:`contract_tests.options` (shared with
the pytest plugin); the frozen :class:`~contract_tests.settings.Settings` built from them
goes to pytest as a plugin object, never back through command-line text.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import click
import httpx
import pytest

from dayzero_twin.contract_tests import coverage, options, parallel, plugin
from dayzero_twin.contract_tests.exits import EXIT_BROKEN, EXIT_ERROR, EXIT_KEPT
from dayzero_twin.contract_tests.mock_process import (
    MOCK_BUSINESS,
    MOCK_SECOND_BUSINESS,
    MOCK_TOKEN,
    MockStartError,
    running_mock,
)
from dayzero_twin.contract_tests.settings import Settings

PROG = "dayzero-contract"
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
    *("test_party_all_or_nothing.py", "test_tenancy.py", "test_cell_formats.py", "test_upload_tampering.py", "test_concurrency.py", "test_pagination_ends.py"),  # noqa: E501 - issue 11
    "test_stateful.py",
    "test_schemas.py",
    "test_limits.py",  # issue 11: last, its 10,000-row files would make every later list page full
)
# importlib mode imports each check module under the name its path gives inside
# ``dayzero_twin`` (a namespace package, hence the ini option) and, unlike the default
# prepend mode, puts no folder on sys.path: from a wheel, prepend would add
# site-packages/dayzero_twin there, and our ``openapi`` would shadow PyPI's.
IMPORT_ARGS = ("--import-mode=importlib", "-o", "consider_namespace_packages=true")
# Checks fail through `require`, not bare asserts: no assertion rewriting (which would
# recompile every Faker provider module on each run).
PYTEST_ARGS = ("-p", "no:cacheprovider", "--assert=plain", *IMPORT_ARGS)
# Requests that time the implementation's answers when --workers is not given.
ANSWER_PROBES = 3
# The group's own --help is _help below; subcommands inherit -h/--help from here.
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _help(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """``--help``, after the ``CONTRACT_*`` variables are checked: a bad one would break
    the very run the help describes, so it is reported (exit 2) instead."""
    if not value or ctx.resilient_parsing:
        return
    ctx.command.make_context(ctx.info_name or PROG, [], parent=ctx.parent)
    click.echo(ctx.get_help(), color=ctx.color)
    ctx.exit()


RUN_OPTIONS: tuple[click.Option, ...] = (
    options.junit_xml_option("CONTRACT_JUNIT_XML",
                             "Write a JUnit XML report, each failure naming its rule."),
    options.report_option("CONTRACT_REPORT",
                          "Write the contract coverage (each rule: held, broken or not "
                          "checked, and why) as Markdown; it is printed and in the JUnit XML "
                          "anyway."),
    click.Option(["-k", "keyword"], metavar="EXPR",
                 help="Only checks whose test name matches EXPR (pytest -k)."),
    click.Option(["-x", "--exitfirst"], is_flag=True, help="Stop at the first failure."),
    click.Option(["-v", "--verbose"], count=True, help="More output (repeatable)."),
    click.Option(["-h", "--help"], is_flag=True, expose_value=False, is_eager=True,
                 callback=_help, help="Show this message and exit."),
)


@click.group(invoke_without_command=True, context_settings=CONTEXT, add_help_option=False,
             params=[*options.SUITE_OPTIONS, *RUN_OPTIONS])
@click.pass_context
def suite(ctx: click.Context, /, **values: Any) -> int | None:
    """Check an implementation of DayZero's bulk-import API against the contract in
    openapi/ and docs/CONTRACT.md. Without --base-url, start this project's mock and
    check it.

    It creates real invoices, bills, customers and vendors: point it at a SANDBOX
    business. Exit status: 0 the contract is kept, 1 it is broken, 2 the suite cannot run.
    """
    if ctx.invoked_subcommand is not None:
        return None
    try:
        with target(values) as settings:
            problem = reachable(settings)
            if problem:
                click.echo(f"contract: cannot reach {settings.base_url}: {problem}", err=True)
                return EXIT_ERROR
            settings = with_workers(settings)
            run = plugin.ContractRun(settings, options.rules_from(values))
            covered = coverage.CoverageRequest(values["report"])
            args = [*pytest_args(values), *parallel.pytest_args(settings.workers or 1)]
            code = pytest.main(args, plugins=[plugin, run, covered])
    except MockStartError as error:
        click.echo(f"contract: {error}", err=True)
        return EXIT_ERROR
    return verdict(code, settings.base_url)


def pytest_args(values: Mapping[str, Any]) -> list[str]:
    """pytest's own options for a run: the checks, how they are imported, output."""
    args = [*(str(CHECKS / name) for name in TEST_MODULES), *PYTEST_ARGS]
    if values["keyword"]:
        args += ["-k", values["keyword"]]
    if values["junit_xml"]:
        args += [
            "--junitxml",
            values["junit_xml"],
            "-o",
            "junit_family=xunit1",
            "-o",
            "junit_suite_name=contract",
        ]
    if values["exitfirst"]:
        args.append("-x")
    args.append("-" + "v" * values["verbose"] if values["verbose"] else "-q")
    return args


@contextlib.contextmanager
def target(values: Mapping[str, Any]) -> Iterator[Settings]:
    """The settings of the run: as given, or for a freshly started mock."""
    if values["base_url"]:
        yield options.settings_from(values)
        return
    local = {
        **values,
        "token": values["token"] or MOCK_TOKEN,
        "business_id": values["business_id"] or MOCK_BUSINESS,
    }
    if local["business_id"] == MOCK_BUSINESS:
        local["second_business_id"] = values["second_business_id"] or MOCK_SECOND_BUSINESS
    click.echo(
        "contract: no --base-url; starting the mock (python -m dayzero_twin.mock_server)", err=True
    )
    # A short upload-URL lifetime lets the expired-URL check run instead of being skipped.
    with running_mock(("--presign-ttl", str(LOCAL_MOCK_PRESIGN_TTL))) as base_url:
        click.echo(f"contract: mock serving on {base_url}", err=True)
        yield options.settings_from({**local, "base_url": base_url})


def reachable(settings: Settings) -> str | None:
    """``None`` when the implementation answers HTTP at all, else why not."""
    try:
        httpx.get(
            f"{settings.base_url}/api/v1/invoices",
            params={"limit": 1},
            timeout=15.0,
            headers={
                "Authorization": f"Bearer {settings.token}",
                "x-business-id": settings.business_id,
            },
        )
    except httpx.HTTPError as error:
        return f"{type(error).__name__}: {error}"
    return None


def with_workers(settings: Settings) -> Settings:
    """The settings with their number of workers: as given, else as fast as the
    implementation answers calls for (:func:`parallel.auto_workers`), said in one line."""
    if settings.workers is not None:
        return settings
    answer = answer_seconds(settings)
    workers = parallel.auto_workers(answer)
    click.echo(
        f"contract: {workers} worker(s): the implementation answers in "
        f"{answer * 1000:.0f} ms (--workers N to choose)",
        err=True,
    )
    return dataclasses.replace(settings, workers=workers)


def answer_seconds(settings: Settings) -> float:
    """How long the implementation takes to answer a cheap request, on an open
    connection: the fastest of a few, so neither the connection's set-up nor one
    hiccup counts."""
    timings = []
    with httpx.Client(base_url=settings.base_url, timeout=15.0) as client:
        for _ in range(ANSWER_PROBES):
            started = time.perf_counter()
            try:
                client.get(
                    "/api/v1/invoices",
                    params={"limit": 1},
                    headers={
                        "Authorization": f"Bearer {settings.token}",
                        "x-business-id": settings.business_id,
                    },
                )
            except httpx.HTTPError:
                continue
            timings.append(time.perf_counter() - started)
    return min(timings[1:] or timings or [0.0])


def verdict(code: int | pytest.ExitCode, base_url: str) -> int:
    """The suite's exit status for pytest's, said in one line."""
    if code == pytest.ExitCode.OK:
        click.echo(f"contract: {base_url} keeps the contract", err=True)
        return EXIT_KEPT
    if code == pytest.ExitCode.TESTS_FAILED:
        click.echo(f"contract: {base_url} BREAKS the contract (failures above)", err=True)
        return EXIT_BROKEN
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        click.echo("contract: no checks selected (-k / --rule)", err=True)
    return EXIT_ERROR


def main(argv: Sequence[str] | None = None, prog_name: str = PROG) -> int:
    """The exit status of ``dayzero-contract argv`` (``sys.argv`` when ``None``).

    click's standalone mode is off: it would print a usage banner above a bad option's
    message and exit 1 for some errors (an unreadable file, Ctrl-C at a prompt), and 1
    here says the implementation breaks the contract. Every such error is one line and 2.
    """
    try:
        result = suite.main(args=argv, prog_name=prog_name, standalone_mode=False)
    except click.ClickException as error:
        click.echo(f"Error: {error.format_message()}", err=True)
        return EXIT_ERROR
    except click.Abort:
        return EXIT_ERROR
    return result if isinstance(result, int) else EXIT_KEPT


def _register() -> None:
    """The subcommands that share the suite's reading of the contract."""
    from dayzero_twin.contract_tests.diff.command import diff
    from dayzero_twin.contract_tests.proxy import commands

    suite.add_command(commands.proxy)
    suite.add_command(commands.judge)
    suite.add_command(diff)


_register()
