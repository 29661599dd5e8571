"""The pytest plugin: settings, fixtures, rule selection and failure evidence.

``dayzero-contract`` registers this module together with a :class:`ContractRun` that
carries the settings it built (``pytest.main(args, plugins=[plugin, run])``). Loaded on
its own (``pytest -p dayzero_twin.contract_tests.plugin``), the module offers every
option of :mod:`contract_tests.options` as ``--contract-<name>`` (each also read from
its ``CONTRACT_*`` variable) and builds the :class:`ContractRun` itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import click
import pytest

from dayzero_twin.contract_tests import options, parallel
from dayzero_twin.contract_tests.settings import Settings, collecting
from dayzero_twin.contract_tests.support.assertions import Registry
from dayzero_twin.contract_tests.support.client import Api, describe_exchange
from dayzero_twin.contract_tests.support.datagen import RunMarks
from dayzero_twin.contract_tests.support.rules import ContractViolation
from dayzero_twin.contract_tests.support.shared_registry import SharedStore

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

    def as_input(self) -> dict[str, Any]:
        """The run as plain data, for xdist workers (:mod:`contract_tests.parallel`)."""
        return {"settings": asdict(self.settings), "rules": list(self.rules)}

    @classmethod
    def from_input(cls, data: dict[str, Any]) -> ContractRun:
        return cls(Settings(**data["settings"]), tuple(data["rules"]))


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


@pytest.hookimpl(wrapper=True)
def pytest_cmdline_main(config: pytest.Config) -> Any:
    """Loaded on its own, the plugin spreads the run over ``--contract-workers`` workers
    (none given: one check at a time) unless pytest's own ``-n`` says otherwise
    (``dayzero-contract`` passes ``-n``)."""
    if _standalone(config) and config.getoption("numprocesses", None) is None:
        workers = run_from_options(config).settings.workers or 1
        if workers > 1:
            config.option.numprocesses = workers
    return (yield)


def _standalone(config: pytest.Config) -> bool:
    """Loaded by pytest itself, in the controlling process, with xdist at hand."""
    plugins = config.pluginmanager.get_plugins()
    return not (
        parallel.is_worker(config)
        or config.option.help
        or not config.pluginmanager.hasplugin("xdist")
        or any(isinstance(plugin, ContractRun) for plugin in plugins)
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "rule(*labels): the contract rules a test checks")
    config.addinivalue_line("markers", "schemathesis: property-based schema checks")
    if config.option.help:
        return
    if RUN_KEY not in config.stash:
        given = parallel.worker_input(config)
        config.stash[RUN_KEY] = (
            ContractRun.from_input(given) if given is not None else run_from_options(config)
        )
    if not parallel.is_worker(config):
        config.pluginmanager.register(OperationNames(), "contract-operation-names")
    if parallel.distributing(config):
        config.pluginmanager.register(
            parallel.Distribution(config.stash[RUN_KEY].as_input()), "contract-distribution"
        )


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session) -> Any:
    """Check modules that build a schemathesis schema at import read the settings then."""
    with collecting(session.config.stash[RUN_KEY].settings):
        return (yield)


def rules_of(item: pytest.Item) -> list[str]:
    return [label for mark in item.iter_markers("rule") for label in mark.args]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        # Every test lists the rules it checks in its reports (``checks`` properties): the
        # JUnit report shows them, and the coverage report reads them (also from workers).
        item.user_properties.extend(("checks", label) for label in rules_of(item))
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


def pytest_deselected(items: Sequence[pytest.Item]) -> None:
    """A worker's deselection is not seen by the controller, whose coverage needs it."""
    if items and parallel.is_worker(items[0].config):
        parallel.record_deselected(
            items[0].config,
            [
                {"nodeid": item.nodeid, "name": item.name, "labels": rules_of(item)}
                for item in items
            ],
        )


class OperationNames:
    """schemathesis gives all its items one node id; this puts the operation in their
    reports (JUnit and coverage included), so ``test_operation[POST
    /api/v1/invoices/bulk]`` stands apart. Registered where reports are read, never on an
    xdist worker, which requires a report to keep its item's node id: its controller
    renames the report when it gets it."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        head, _, last = report.nodeid.rpartition("::")
        name = report.location[2]
        if head and name.startswith(last + "[") and not last.endswith("]"):
            report.nodeid = f"{head}::{name}"


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
def registry(pytestconfig: pytest.Config) -> Iterator[Registry]:
    """The run's ids and invoice numbers: in memory one check at a time, the file the
    controller made when spread over workers, so each sees the others' imports."""
    shared = parallel.registry_file(pytestconfig)
    if shared is None:
        yield Registry()
        return
    store = SharedStore(shared)
    try:
        yield Registry(ids=store.ids, numbers=store.numbers)
    finally:
        store.close()


@pytest.fixture(autouse=True)
def _fresh_exchange_log(pytestconfig: pytest.Config) -> None:
    client = pytestconfig.stash.get(API_KEY, None)
    if client is not None:
        client.log.clear()


# -- reporting --------------------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
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
