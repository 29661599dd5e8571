"""The pytest plugin: settings, fixtures, rule selection and failure evidence.

``dayzero-contract`` registers this module together with a :class:`ContractRun` that
carries the settings it built (``pytest.main(args, plugins=[plugin, run])``). Loaded on
its own (``pytest -p dayzero_twin.contract_tests.plugin``), the module offers every
option of :mod:`contract_tests.options` as ``--contract-<name>`` (each also read from
its ``CONTRACT_*`` variable) and builds the :class:`ContractRun` itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import click
import pytest

from dayzero_twin.contract_tests import options
from dayzero_twin.contract_tests.settings import Settings, collecting
from dayzero_twin.contract_tests.support.assertions import Registry
from dayzero_twin.contract_tests.support.client import Api, describe_exchange
from dayzero_twin.contract_tests.support.datagen import RunMarks
from dayzero_twin.contract_tests.support.rules import ContractViolation

STANDALONE = "pytest -p dayzero_twin.contract_tests.plugin"


@dataclass(frozen=True)
class ContractRun:
    """One run's settings and rule selection; registered as a plugin, it puts itself in
    pytest's config stash before anything else configures, for the hooks and fixtures."""

    settings: Settings
    rules: Sequence[str] = ()

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[RUN_KEY] = self


RUN_KEY = pytest.StashKey[ContractRun]()
API_KEY = pytest.StashKey[Api]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contract", "DayZero bulk-import contract suite")
    for option in options.SUITE_OPTIONS:
        where = f" [{option.envvar}]" if option.envvar else ""
        group.addoption(
            options.plugin_flag(option),
            dest=f"contract_{option.name}",
            action="append" if option.multiple else "store",
            metavar=option.metavar or option.type.name.upper(),
            help=f"{option.help}{where}",
        )


def run_from_options(config: pytest.Config) -> ContractRun:
    """The run described by ``--contract-*`` options and ``CONTRACT_*`` variables."""
    given = {
        option.name: config.getoption(f"contract_{option.name}")
        for option in options.SUITE_OPTIONS
        if option.name
    }
    try:
        values = options.parse(given, STANDALONE)
        settings = options.settings_from(values, options.plugin_flag)
    except click.ClickException as error:
        if isinstance(error, click.BadParameter) and isinstance(error.param, click.Option):
            error.param_hint = f"'{options.plugin_flag(error.param)}'"  # as the user spelled it
        raise pytest.UsageError(f"contract suite: {error.format_message()}") from None
    return ContractRun(settings, options.rules_from(values))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "rule(*labels): the contract rules a test checks")
    config.addinivalue_line("markers", "schemathesis: property-based schema checks")
    if RUN_KEY not in config.stash and not config.option.help:
        config.stash[RUN_KEY] = run_from_options(config)


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session) -> Any:
    """Check modules that build a schemathesis schema at import read the settings then."""
    with collecting(session.config.stash[RUN_KEY].settings):
        return (yield)


def rules_of(item: pytest.Item) -> list[str]:
    return [label for mark in item.iter_markers("rule") for label in mark.args]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = [text.lower() for text in config.stash[RUN_KEY].rules]
    if not wanted:
        return
    selected: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    for item in items:
        labels = " | ".join(rules_of(item)).lower()
        (selected if any(text in labels for text in wanted) else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def settings(pytestconfig: pytest.Config) -> Settings:
    return pytestconfig.stash[RUN_KEY].settings


@pytest.fixture(scope="session")
def api(settings: Settings, pytestconfig: pytest.Config) -> Iterator[Api]:
    client = Api(settings)
    pytestconfig.stash[API_KEY] = client
    yield client
    client.close()


@pytest.fixture(scope="session")
def marks() -> RunMarks:
    return RunMarks()


@pytest.fixture(scope="session")
def registry() -> Registry:
    return Registry()


@pytest.fixture(autouse=True)
def _fresh_exchange_log(pytestconfig: pytest.Config) -> None:
    client = pytestconfig.stash.get(API_KEY, None)
    if client is not None:
        client.log.clear()


# -- reporting --------------------------------------------------------------------------


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Every test lists the rules it checks in the JUnit report (``checks`` properties)."""
    item.user_properties.extend(("checks", label) for label in rules_of(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    _name_by_operation(item, report)
    if report.when != "call" or not report.failed or call.excinfo is None:
        return report
    violation = _find_violation(call.excinfo.value)
    for label in [violation.rule] if violation else rules_of(item):
        # JUnit reads properties from the teardown report, which copies the item's.
        item.user_properties.append(("rule", label))
    evidence = _evidence(item, violation)
    if violation is not None:
        # A broken rule is a finding about the implementation, not a bug of the suite:
        # the rule, what was wrong and the exchange say it all; a traceback would not.
        where = f"{report.location[0]}:{(report.location[1] or 0) + 1} ({item.name})"
        report.longrepr = f"{violation}\n  checked by {where}\n\n{evidence}".rstrip()
    elif evidence:
        report.longrepr = f"{report.longrepr}\n\n{evidence}"
    return report


def _name_by_operation(item: pytest.Item, report: pytest.TestReport) -> None:
    """schemathesis gives all its items one node id; put the operation in the reports
    (JUnit included) so ``test_operation[POST /api/v1/invoices/bulk]`` stands apart."""
    head, _, last = report.nodeid.rpartition("::")
    if head and item.name.startswith(last + "["):
        report.nodeid = f"{head}::{item.name}"


def _find_violation(error: BaseException) -> ContractViolation | None:
    if isinstance(error, ContractViolation):
        return error
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            found = _find_violation(inner)
            if found:
                return found
    return None


def _evidence(item: pytest.Item, violation: ContractViolation | None) -> str:
    """The request as curl and the response, unless schemathesis already showed its own."""
    client = item.config.stash.get(API_KEY, None)
    if client is None:
        return ""
    response = violation.response if violation and violation.response is not None else None
    if response is None and not item.get_closest_marker("schemathesis") and client.log:
        response = client.log[-1]
    if response is None:
        return ""
    return "request and response:\n" + describe_exchange(response, client.settings.token)
