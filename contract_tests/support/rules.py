"""How a broken rule is reported: every failure names the rule it checks.

A rule is a short label that points into the contract, e.g. ``CONTRACT §3.1 amount`` or
``schema: InvoiceResponse``. Tests carry the rules they check as a ``rule`` marker (so
``--rule`` can select them and the JUnit report can show them) and fail through
:func:`require`, whose message starts with the rule and which keeps the HTTP exchange
that proves the violation, for the plugin to render as a curl command and a response
excerpt.
"""

from __future__ import annotations

from typing import Any, NoReturn

import httpx
import pytest


class ContractViolation(AssertionError):
    """The implementation broke ``rule``; ``response`` (if any) is the evidence."""

    def __init__(self, rule: str, detail: str, response: httpx.Response | None = None) -> None:
        super().__init__(f"[{rule}] {detail}")
        self.rule = rule
        self.detail = detail
        self.response = response


def require(condition: Any, rule: str, detail: str, response: httpx.Response | None = None) -> None:
    """Fail with a :class:`ContractViolation` unless ``condition`` holds."""
    __tracebackhide__ = True
    if not condition:
        fail(rule, detail, response)


def fail(rule: str, detail: str, response: httpx.Response | None = None) -> NoReturn:
    """Fail with a :class:`ContractViolation`; as ``if not ...: fail(...)`` it also tells
    the type checker what a JSON value is once the rule holds."""
    __tracebackhide__ = True
    raise ContractViolation(rule, detail, response)


def rule(*labels: str) -> pytest.MarkDecorator:
    """Mark a test with the contract rules it checks."""
    return pytest.mark.rule(*labels)


def excerpt(value: Any, limit: int = 300) -> str:
    """A one-line, bounded ``repr`` for failure messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
