"""Where two runs of the scenario disagree, step by step: status, the contract's
headers, then the masked bodies field by field (missing on one side, type, value)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from dayzero_twin.contract_tests.diff.session import Observation
from dayzero_twin.contract_tests.support.rules import excerpt


@dataclass(frozen=True)
class Difference:
    step: str
    rule: str
    where: str
    base: str
    against: str

    def line(self) -> str:
        return f"[{self.rule}] {self.step}: {self.where}: {self.base} vs {self.against}"


# Per step: one broken rule can touch every item of a page; the first few say enough.
MAX_PER_STEP = 10


def differences(base: Sequence[Observation], against: Sequence[Observation]) -> list[Difference]:
    """Step by step (the scenario is the same on both sides, so the steps pair up;
    where one side took a step the other did not, the step lists differ and are reported
    as such from there on)."""
    found: list[Difference] = []
    for one, other in zip(base, against, strict=False):
        if one.step != other.step:
            found.append(Difference(one.step, one.rule, "step", one.step, other.step))
            return found
        if one.untaken is None and other.untaken is None:
            found += _step(one, other)
    if len(base) != len(against):
        longer = base if len(base) > len(against) else against
        extra = longer[min(len(base), len(against))]
        found.append(
            Difference(extra.step, extra.rule, "steps taken", str(len(base)), str(len(against)))
        )
    return found


def _step(one: Observation, other: Observation) -> list[Difference]:
    pairs: list[tuple[str, Any, Any]] = []
    if one.status != other.status:
        pairs.append(("status", one.status, other.status))
    else:
        for name in sorted(set(one.headers) | set(other.headers)):
            if one.headers.get(name) != other.headers.get(name):
                pairs.append((f"header {name}", one.headers.get(name), other.headers.get(name)))
        pairs += _walk(one.body, other.body, "body")
    found = [
        Difference(one.step, one.rule, where, excerpt(a, 120), excerpt(b, 120))
        for where, a, b in pairs[:MAX_PER_STEP]
    ]
    if len(pairs) > MAX_PER_STEP:
        more = f"{len(pairs) - MAX_PER_STEP} more differences in this step"
        found.append(Difference(one.step, one.rule, "...", more, ""))
    return found


MISSING = "<absent>"


def _walk(a: Any, b: Any, path: str) -> Iterator[tuple[str, Any, Any]]:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            yield from _walk(a.get(key, MISSING), b.get(key, MISSING), f"{path}.{key}")
        return
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            yield f"{path} length", len(a), len(b)
        for index, (x, y) in enumerate(zip(a, b, strict=False)):
            yield from _walk(x, y, f"{path}[{index}]")
        return
    if type(a) is not type(b):
        yield f"{path} type", _type(a), _type(b)
    elif a != b:
        yield path, a, b


def _type(value: Any) -> str:
    return "absent" if value == MISSING else type(value).__name__


def markdown(diffs: Sequence[Difference], base: str, against: str, steps: int) -> str:
    lines = [
        "# Differential run",
        "",
        f"Base: {base}. Against: {against}. Steps: {steps}; differences: {len(diffs)}.",
        "",
    ]
    if not diffs:
        lines.append(
            "The two implementations agree on every step (ids and numbers named by order "
            "of appearance, keys, URLs and cursors by type, creation times as recent)."
        )
    by_rule: dict[str, list[Difference]] = {}
    for diff in diffs:
        by_rule.setdefault(diff.rule, []).append(diff)
    for rule, found in by_rule.items():
        lines += [f"## {rule}", ""]
        lines += [f"- {d.step}: `{d.where}`: {d.base} vs {d.against}" for d in found[:50]]
        lines.append("")
    return "\n".join(lines) + "\n"


def junit_xml(diffs: Sequence[Difference], steps: Sequence[Observation], source: str) -> bytes:
    """One test case per rule the scenario exercised: failed where the two differ, so a
    CI run shows which rules still agree as well as which do not."""
    by_rule: dict[str, list[Difference]] = {step.rule: [] for step in steps}
    for diff in diffs:
        by_rule.setdefault(diff.rule, []).append(diff)
    failed = sum(1 for found in by_rule.values() if found)
    suite = ET.Element(
        "testsuite",
        name="diff",
        tests=str(len(by_rule)),
        failures=str(failed),
        errors="0",
        skipped="0",
    )
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", name="source", value=source)
    for rule, found in by_rule.items():
        case = ET.SubElement(suite, "testcase", classname="diff", name=rule)
        if found:
            failure = ET.SubElement(
                case, "failure", message=found[0].line()[:1000], type="Difference"
            )
            failure.text = "\n".join(d.line() for d in found[:50])
    ET.indent(suite)
    return bytes(ET.tostring(suite, encoding="utf-8", xml_declaration=True))
