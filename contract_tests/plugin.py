"""The pytest plugin: settings, fixtures, rule selection and failure evidence.

Loaded with ``-p dayzero_twin.contract_tests.plugin`` (``dayzero-contract`` does that). Every
option also reads a ``CONTRACT_*`` environment variable, so CI can configure the suite
without a command line.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from dayzero_twin.contract_tests import settings as settings_module
from dayzero_twin.contract_tests.settings import Settings, env
from dayzero_twin.contract_tests.support.assertions import Registry
from dayzero_twin.contract_tests.support.client import Api, describe_exchange
from dayzero_twin.contract_tests.support.datagen import RunMarks
from dayzero_twin.contract_tests.support.rules import ContractViolation

API_KEY = pytest.StashKey[Api]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contract", "DayZero bulk-import contract suite")
    group.addoption("--contract-base-url", help="implementation under test [CONTRACT_BASE_URL]")
    group.addoption("--contract-token", help="API token [CONTRACT_TOKEN]")
    group.addoption("--contract-business-id", help="sandbox business [CONTRACT_BUSINESS_ID]")
    group.addoption(
        "--contract-other-business-id",
        help="a business the token may NOT use (default: random) [CONTRACT_OTHER_BUSINESS_ID]",
    )
    group.addoption(
        "--contract-second-business-id",
        help="a second business the token MAY use; without it the cross-business "
        "checks are skipped [CONTRACT_SECOND_BUSINESS_ID]",
    )
    group.addoption(
        "--contract-max-examples",
        type=int,
        help="examples per schemathesis operation [CONTRACT_MAX_EXAMPLES]",
    )
    group.addoption("--contract-seed", type=int, help="generation seed [CONTRACT_SEED]")
    group.addoption(
        "--contract-max-rows", type=int, help="row cap of generated CSV files [CONTRACT_MAX_ROWS]"
    )
    group.addoption("--contract-timeout", type=float, help="HTTP timeout, s [CONTRACT_TIMEOUT]")
    group.addoption(
        "--contract-max-expiry-wait",
        type=float,
        help="longest presigned-URL expiry (s) worth waiting for [CONTRACT_MAX_EXPIRY_WAIT]",
    )
    group.addoption(
        "--contract-rule",
        action="append",
        default=[],
        help="only checks whose rule contains this text (repeatable)",
    )


def _option(config: pytest.Config, name: str, cast: type = str) -> Any:
    value = config.getoption(f"--contract-{name.replace('_', '-')}")
    if value is None:
        text = env(name)
        value = cast(text) if text is not None else None
    return value


def settings_from(config: pytest.Config) -> Settings:
    base_url = _option(config, "base_url")
    token = _option(config, "token")
    business = _option(config, "business_id")
    missing = [
        name
        for name, value in (("base URL", base_url), ("token", token), ("business id", business))
        if not value
    ]
    if missing:
        raise pytest.UsageError(
            f"contract suite: no {', '.join(missing)} given "
            "(options --contract-*, or CONTRACT_* variables)"
        )
    overrides = {
        name: value
        for name, cast in (
            ("max_examples", int),
            ("seed", int),
            ("max_rows", int),
            ("timeout", float),
            ("max_expiry_wait", float),
        )
        if (value := _option(config, name, cast)) is not None
    }
    return Settings(
        base_url=base_url.rstrip("/"),
        token=token,
        business_id=business.lower(),
        other_business_id=(
            _option(config, "other_business_id") or settings_module.random_other_business()
        ).lower(),
        second_business_id=(_option(config, "second_business_id") or "").lower() or None,
        **overrides,
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "rule(*labels): the contract rules a test checks")
    config.addinivalue_line("markers", "schemathesis: property-based schema checks")
    if config.option.help:
        return
    settings_module.activate(settings_from(config))


def rules_of(item: pytest.Item) -> list[str]:
    return [label for mark in item.iter_markers("rule") for label in mark.args]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = [text.lower() for text in config.getoption("--contract-rule")]
    if not wanted:
        return
    selected, deselected = [], []
    for item in items:
        labels = " | ".join(rules_of(item)).lower()
        (selected if any(text in labels for text in wanted) else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def settings() -> Settings:
    return settings_module.active()


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
