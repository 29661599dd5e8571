"""Reports of what the judge found: JUnit XML (one test case per rule that was judged
broken, plus one passing case when nothing was) and a Markdown page for people.

Everything in them comes from :class:`~.judge.Findings`: exact counts per rule, the
details (redacted when made) of the first ones of each, and the exchanges that could
not be judged, with the reason, so a gap in the judging is never silent.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from dayzero_twin.contract_tests.proxy.judge import Findings

SUITE = "contract-proxy"
SHOWN = 10


def junit_xml(findings: Findings, judged: int, source: str) -> bytes:
    counts = findings.counts
    suite = ET.Element(
        "testsuite",
        name=SUITE,
        tests=str(max(1, len(counts))),
        failures=str(len(counts)),
        errors="0",
        skipped="0",
    )
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", name="source", value=source)
    ET.SubElement(properties, "property", name="judged_exchanges", value=str(judged))
    for reason, count in findings.not_judged.items():
        ET.SubElement(properties, "property", name=f"not judged: {reason}", value=str(count))
    if not counts:
        ET.SubElement(suite, "testcase", classname=SUITE, name="no violation")
    for rule, count in counts.items():
        found = findings.details.get(rule, [])
        case = ET.SubElement(suite, "testcase", classname=SUITE, name=rule)
        props = ET.SubElement(case, "properties")
        ET.SubElement(props, "property", name="rule", value=rule)
        ET.SubElement(props, "property", name="count", value=str(count))
        first = found[0].detail if found else ""
        failure = ET.SubElement(
            case, "failure", message=f"[{rule}] {first}"[:1000], type="ContractViolation"
        )
        failure.text = "\n\n".join(
            f"{v.method} {v.target} -> {v.status}: {v.detail}\n$ {v.curl}\n{v.response_excerpt}"
            for v in found
        ) + (f"\n\n... and {count - len(found)} more" if count > len(found) else "")
    ET.indent(suite)
    return bytes(ET.tostring(suite, encoding="utf-8", xml_declaration=True))


def markdown(findings: Findings, judged: int, exchanges: int, source: str) -> str:
    counts = findings.counts
    lines = [
        "# Contract proxy report",
        "",
        f"Source: {source}. Exchanges seen: {exchanges}; judged (documented operations): "
        f"{judged}; violations: {findings.total} of {len(counts)} rule(s).",
        "",
    ]
    if not counts:
        lines.append("No violation: every judged exchange kept the contract.")
    for rule, count in counts.items():
        found = findings.details.get(rule, [])
        lines += [f"## {rule}", "", f"{count} exchange(s).", ""]
        for violation in found[:SHOWN]:
            lines += [
                f"- `{violation.method} {violation.target}` -> {violation.status} "
                f"({violation.at}): {violation.detail}",
                "",
                "  ```sh",
                f"  {violation.curl}",
                "  ```",
                "",
            ]
        if count > SHOWN:
            lines.append(f"... and {count - SHOWN} more.\n")
    if findings.not_judged:
        lines += ["", "## Not judged", ""]
        for reason, count in findings.not_judged.items():
            examples = findings.not_judged_examples.get(reason, [])
            lines.append(f"- not judged: {reason}: {count} exchange(s)")
            lines += [f"  - `{example}`" for example in examples[:SHOWN]]
    return "\n".join(lines) + "\n"


def write_reports(
    findings: Findings,
    judged: int,
    exchanges: int,
    source: str,
    junit: str | None,
    report: str | None,
) -> list[str]:
    written = []
    if junit:
        Path(junit).write_bytes(junit_xml(findings, judged, source))
        written.append(junit)
    if report:
        Path(report).write_text(markdown(findings, judged, exchanges, source), encoding="utf-8")
        written.append(report)
    return written
