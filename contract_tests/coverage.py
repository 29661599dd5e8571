"""Contract coverage: for each rule of the contract, did this run hold, break or skip it?

The rules are read from the contract itself (never from a server): each numbered section
of ``docs/CONTRACT.md`` and each documented fact of the two reference pages (the
authentication, each request field, each status, each response field). A check covers
the rules its ``rule`` marker labels cite — ``CONTRACT §3.1 …`` covers §3.1 and the
response fields it names; the schemathesis check of a bulk operation covers every fact of
that operation's reference page. Verdicts:

* **broken** — a covering check failed on this rule (the rule its failure names, or, for
  a failure that names none, every rule of the check);
* **held** — covering checks ran and none failed on it;
* **not checked** — no covering check ran, with the reasons (skips such as "needs a
  second business" or "large-file checks are off", or "not selected").

Besides the sections and facts, every rule label the checks cite (``CONTRACT §2 keys
belong to the business that uploaded them``, …) is a rule of its own, so a fine-grained
rule whose only check was skipped shows as not checked even when its section held.

Loaded with ``-p dayzero_twin.contract_tests.coverage``; ``--contract-report FILE``
writes the table as Markdown. The verdicts are printed at the end of the run and, when
JUnit XML is written, added to it as test-suite properties ``coverage <rule>``.

``dayzero-contract`` hands pytest a :class:`CoverageRequest` instead (its ``--report FILE``
option, ``CONTRACT_REPORT``), so settings never travel as command-line text.
"""

from __future__ import annotations

import importlib.resources
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from dayzero_twin.contract_tests import parallel

PAGES = {
    "invoices": ("reference/create-bulk-invoices.md", "POST /api/v1/invoices/bulk", "§3.1"),
    "bills": ("reference/create-bulk-bills.md", "POST /api/v1/bills/bulk", "§3.2"),
}
SECTION = re.compile(r"^#{2,3} (\d+(?:\.\d+)?)\.? (.+)$")
FIELD = re.compile(r"^(\s*)- `([^`]+)` \(([^)]*)\)")
STATUS = re.compile(r"^### (\d{3}) — (.+)$")
CITED = re.compile(r"§(\d+(?:\.\d+)?)(?:\s*[–-]\s*§(\d+(?:\.\d+)?))?")
VIOLATION = re.compile(r"^\[([^\]]+)\] ", re.MULTILINE)
OPERATION = re.compile(r"\[(GET|POST|PUT) (/api/v1/[^\]]*)\]")
SECTIONS_OF_OPERATION = (("/upload", ("2",)), ("/bulk", ("1", "4")), ("/api/v1/", ("5",)))
HELD, BROKEN, NOT_CHECKED = "held", "broken", "not checked"


@dataclass
class Rule:
    """One documented fact or section, and what the run found about it."""

    id: str
    text: str
    passed: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    skipped: dict[str, str] = field(default_factory=dict)  # test -> reason

    @property
    def verdict(self) -> str:
        if self.failed:
            return BROKEN
        return HELD if self.passed else NOT_CHECKED

    def why(self) -> str:
        if self.failed:
            return "failed: " + ", ".join(sorted(self.failed))
        if self.passed:
            return f"{len(self.passed)} check(s) passed"
        reasons = sorted(set(self.skipped.values()))
        return "; ".join(reasons) if reasons else "no check covers it in this run"


def _doc(name: str) -> str:
    return (importlib.resources.files("dayzero_twin.docs") / name).read_text(encoding="utf-8")


def contract_rules() -> list[Rule]:
    """Every numbered section of CONTRACT.md, then every fact of the reference pages."""
    rules = [
        Rule(f"CONTRACT §{m.group(1)}", m.group(2).strip())
        for line in _doc("CONTRACT.md").splitlines()
        if (m := SECTION.match(line))
    ]
    for kind, (page, operation, _) in PAGES.items():
        rules.extend(_page_rules(kind, operation, _doc(page)))
    return rules


def _page_rules(kind: str, operation: str, text: str) -> Iterator[Rule]:
    yield Rule(f"reference {kind}: authentication", f"{operation}: Bearer token, x-business-id")
    part, parents = "", [""]
    for line in text.splitlines():
        if line.startswith("## "):
            part = line[3:].strip()
        if status := STATUS.match(line):
            part = f"status {status.group(1)}"
            yield Rule(f"reference {kind}: status {status.group(1)}", status.group(2))
            continue
        match = FIELD.match(line)
        if not match or part not in ("Request body", "status 201", "status 422"):
            continue
        depth = len(match.group(1)) // 2
        parents = [*parents[: depth + 1], match.group(2)]
        path = ".".join(name for name in parents[1:] if name)
        where = "request" if part == "Request body" else part
        yield Rule(f"reference {kind}: {where} field {path}", match.group(3))


@dataclass
class Check:
    """What the coverage needs to know of one test item."""

    labels: list[str]
    name: str


def _check(item: pytest.Item) -> Check:
    return Check([label for mark in item.iter_markers("rule") for label in mark.args], item.name)


def _reported(report: pytest.TestReport) -> Check:
    """The check of a report, from what the plugin put in it (``checks`` properties): the
    report is all the controller of a run spread over workers ever sees of a test."""
    labels = [str(value) for name, value in report.user_properties if name == "checks"]
    return Check(labels, report.nodeid.rpartition("::")[2])


class ContractCoverage:
    """The pytest plugin object: collects outcomes per rule, reports verdicts."""

    def __init__(self, config: pytest.Config, report_path: str | None) -> None:
        self.config = config
        self.report_path = report_path
        self.documented = contract_rules()
        self.labelled: dict[str, Rule] = {}  # each check label is a rule of its own too

    @property
    def rules(self) -> list[Rule]:
        """The contract's sections and facts, then every check label met in this run."""
        return [*self.documented, *(self.labelled[label] for label in sorted(self.labelled))]

    # -- which rules a check covers ----------------------------------------------------

    def covered(self, check: Check, labels: Iterable[str] | None = None) -> list[Rule]:
        labels = list(check.labels if labels is None else labels)
        sections: set[str] = set()
        for label in labels:
            for start, end in CITED.findall(label):
                sections.add(start)
                if end:
                    sections.update(str(n) for n in range(int(start) + 1, int(float(end)) + 1))
        operation = OPERATION.search(check.name)
        schema_check = any(label.startswith("schema") for label in labels)
        route = operation.group(2) if operation and schema_check else None
        if route is not None:
            sections.update(next(s for prefix, s in SECTIONS_OF_OPERATION if prefix in route))
        words = {w.lower() for label in labels for w in re.findall(r"[A-Za-z_]+|\d{3}", label)}
        out = [self.labelled.setdefault(label, Rule(label, "check label")) for label in labels]
        for rule in self.documented:
            if rule.id.startswith("CONTRACT §"):
                if rule.id.removeprefix("CONTRACT §") in sections:
                    out.append(rule)
                continue
            kind, _, fact = rule.id.removeprefix("reference ").partition(": ")
            page_operation, page_section = PAGES[kind][1], PAGES[kind][2]
            if (route is not None and page_operation.endswith(route)) or self._names(
                fact, words, labels, page_section
            ):
                out.append(rule)
        return out

    @staticmethod
    def _names(fact: str, words: set[str], labels: list[str], section: str) -> bool:
        """A label cites this page fact: its field (or status) for this kind, or for both."""
        own = any(section in label for label in labels) or not any(
            s in label for label in labels for s in ("§3.1", "§3.2")
        )
        if not own:
            return False
        if fact.startswith("status ") and " field " not in fact:
            return fact.split()[1] in words
        if fact == "authentication":
            return "bearer" in words or "401" in words
        leaf = fact.rsplit(" field ", 1)[-1].rsplit(".", 1)[-1].lower()
        return leaf in words and leaf not in {"items", "detail"}

    # -- hooks ---------------------------------------------------------------------------

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        for item in items:
            self._not_selected(item.nodeid, _check(item))

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """A worker of a distributed run is done: what it deselected (every worker
        deselects the same checks, and ``_not_selected`` counts each once)."""
        for entry in parallel.deselected_of(node):
            self._not_selected(entry["nodeid"], Check(list(entry["labels"]), entry["name"]))

    def _not_selected(self, test: str, check: Check) -> None:
        for rule in self.covered(check):
            rule.skipped.setdefault(test, "not selected (-k / --rule)")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        check = _reported(report)
        test = report.nodeid
        if report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else "skipped"
            for rule in self.covered(check):
                rule.skipped[test] = str(reason).removeprefix("Skipped: ")
        elif report.failed:
            violated = VIOLATION.findall(str(report.longrepr))
            for rule in self.covered(check, violated[:1] or None):
                rule.failed.add(test)
        elif report.when == "call":
            for rule in self.covered(check):
                rule.passed.add(test)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        from _pytest.junitxml import xml_key

        xml = self.config.stash.get(xml_key, None)
        if xml is not None:
            for rule in self.rules:
                xml.add_global_property(f"coverage {rule.id}", f"{rule.verdict}: {rule.why()}")
        if self.report_path:
            Path(self.report_path).write_text(self.markdown(), encoding="utf-8")

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        counts: dict[str, int] = defaultdict(int)
        for rule in self.rules:
            counts[rule.verdict] += 1
        write = terminalreporter.write_line
        terminalreporter.section("contract coverage")
        for rule in self.rules:
            if rule.verdict != HELD or self.config.option.verbose > 0:
                write(f"{rule.verdict.upper():12} {rule.id} — {rule.why()}")
        write(
            f"{len(self.rules)} rules: {counts[HELD]} held, {counts[BROKEN]} broken, "
            f"{counts[NOT_CHECKED]} not checked"
            + (f"; report in {self.report_path}" if self.report_path else "")
        )

    def markdown(self) -> str:
        lines = [
            "# Contract coverage",
            "",
            "| rule | what it says | verdict | why |",
            "|---|---|---|---|",
        ]
        for rule in self.rules:
            text = rule.text.replace("|", "\\|")
            lines.append(f"| {rule.id} | {text} | {rule.verdict} | {rule.why()} |")
        return "\n".join(lines) + "\n"


class CoverageRequest:
    """What ``dayzero-contract`` hands pytest as a plugin object: coverage on, with the
    Markdown report written to ``report_path`` (if any)."""

    def __init__(self, report_path: str | None) -> None:
        self.report_path = report_path

    def pytest_configure(self, config: pytest.Config) -> None:
        config.pluginmanager.register(
            ContractCoverage(config, self.report_path), "contract-coverage"
        )


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("contract").addoption(
        "--contract-report",
        metavar="FILE",
        help="write the contract coverage (each rule: held / broken / not checked) as Markdown",
    )


def pytest_configure(config: pytest.Config) -> None:
    # A worker of a distributed run reports to the controller, which keeps the coverage.
    if config.option.help or parallel.is_worker(config):
        return
    plugin = ContractCoverage(config, config.getoption("--contract-report"))
    config.pluginmanager.register(plugin, "contract-coverage")
