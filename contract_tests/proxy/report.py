"""Reports of what the judge found: JUnit XML (one test case per rule that was judged
broken, plus one passing case when nothing was) and a Markdown page for people.

Everything in them comes from :class:`~.judge.Violation`, which is redacted when made.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from dayzero_twin.contract_tests.proxy.judge import Violation

SUITE = "contract-proxy"


def by_rule(violations: Sequence[Violation]) -> dict[str, list[Violation]]:
    grouped: dict[str, list[Violation]] = {}
    for violation in violations:
        grouped.setdefault(violation.rule, []).append(violation)
    return grouped


def junit_xml(violations: Sequence[Violation], judged: int, source: str) -> bytes:
    grouped = by_rule(violations)
    suite = ET.Element(
        "testsuite",
        name=SUITE,
        tests=str(max(1, len(grouped))),
        failures=str(len(grouped)),
        errors="0",
        skipped="0",
    )
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", name="source", value=source)
    ET.SubElement(properties, "property", name="judged_exchanges", value=str(judged))
    if not grouped:
        ET.SubElement(suite, "testcase", classname=SUITE, name="no violation")
    for rule, found in grouped.items():
        case = ET.SubElement(suite, "testcase", classname=SUITE, name=rule)
        props = ET.SubElement(case, "properties")
        ET.SubElement(props, "property", name="rule", value=rule)
        failure = ET.SubElement(
            case, "failure", message=f"[{rule}] {found[0].detail}"[:1000], type="ContractViolation"
        )
        failure.text = "\n\n".join(
            f"{v.method} {v.target} -> {v.status}: {v.detail}\n$ {v.curl}\n{v.response_excerpt}"
            for v in found[:20]
        ) + (f"\n\n... and {len(found) - 20} more" if len(found) > 20 else "")
    ET.indent(suite)
    return bytes(ET.tostring(suite, encoding="utf-8", xml_declaration=True))


def markdown(violations: Sequence[Violation], judged: int, exchanges: int, source: str) -> str:
    grouped = by_rule(violations)
    lines = [
        "# Contract proxy report",
        "",
        f"Source: {source}. Exchanges seen: {exchanges}; judged (documented operations): "
        f"{judged}; violations: {len(violations)} of {len(grouped)} rule(s).",
        "",
    ]
    if not grouped:
        lines.append("No violation: every judged exchange kept the contract.")
    for rule, found in grouped.items():
        lines += [f"## {rule}", "", f"{len(found)} exchange(s).", ""]
        for violation in found[:10]:
            lines += [
                f"- `{violation.method} {violation.target}` -> {violation.status} "
                f"({violation.at}): {violation.detail}",
                "",
                "  ```sh",
                f"  {violation.curl}",
                "  ```",
                "",
            ]
        if len(found) > 10:
            lines.append(f"... and {len(found) - 10} more.\n")
    return "\n".join(lines) + "\n"


def write_reports(
    violations: Sequence[Violation],
    judged: int,
    exchanges: int,
    source: str,
    junit: str | None,
    report: str | None,
) -> list[str]:
    written = []
    if junit:
        Path(junit).write_bytes(junit_xml(violations, judged, source))
        written.append(junit)
    if report:
        Path(report).write_text(markdown(violations, judged, exchanges, source), encoding="utf-8")
        written.append(report)
    return written
