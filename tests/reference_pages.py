"""Read the field lists of the published reference pages in docs/reference/.

The pages are Markdown written by DayZero's docs generator; each documented field is a
bullet such as ``- `id` (string · required) — Invoice UUID.``, nested two spaces per
level. Parsing them (rather than transcribing them by hand) keeps the comparison with
the slices honest: a field the slices drop or mistype cannot hide behind a stale copy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "docs" / "reference"

_FIELD = re.compile(
    r"^(?P<indent> *)- `(?P<name>[^`]+)` \((?P<spec>[^)]*)\)"
    r"(?: → `(?P<ref>[^`]+)`)?(?: — (?P<description>.*))?$"
)
_SCHEMA = re.compile(r"^Schema: `(?P<name>[^`]+)`$")
_RESPONSE = re.compile(r"^### (?P<status>\d{3}) — (?P<description>.+)$")


@dataclass
class DocumentedField:
    """One bullet of a reference page."""

    name: str
    types: frozenset[str]
    format: str | None
    item_type: str | None
    required: bool
    description: str | None
    children: list[DocumentedField] = field(default_factory=list)
    child_schema: str | None = None


@dataclass
class DocumentedSchema:
    name: str
    fields: list[DocumentedField]


@dataclass
class ReferencePage:
    """What one page documents about its operation."""

    method: str
    path: str
    summary: str
    tag: str
    operation_id: str
    description: str
    request: DocumentedSchema
    responses: dict[str, str]
    response_schemas: dict[str, DocumentedSchema]


def _parse_spec(spec: str) -> tuple[frozenset[str], str | None, str | None, bool]:
    parts = [part.strip() for part in spec.split("·")]
    types = frozenset(t.strip() for t in parts[0].split("|"))
    required = "required" in parts[1:]
    rest = [p for p in parts[1:] if p != "required"]
    fmt = item_type = None
    for part in rest:
        if "array" in types:
            item_type = part
        else:
            fmt = part
    return types, fmt, item_type, required


def _parse_fields(lines: list[str]) -> list[DocumentedField]:
    roots: list[DocumentedField] = []
    for line in lines:
        match = _FIELD.match(line)
        if not match:
            continue
        types, fmt, item_type, required = _parse_spec(match["spec"])
        documented = DocumentedField(
            name=match["name"],
            types=types,
            format=fmt,
            item_type=item_type,
            required=required,
            description=match["description"],
            child_schema=match["ref"],
        )
        if len(match["indent"]) == 0:
            roots.append(documented)
        else:
            roots[-1].children.append(documented)
    return roots


def _sections(text: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = "preamble"
    for line in text.splitlines():
        if line.startswith("## ") or line.startswith("### "):
            current = line.lstrip("# ").strip()
        sections.setdefault(current, []).append(line)
    return sections


def _schema_of(lines: list[str]) -> DocumentedSchema:
    name = next(m["name"] for line in lines if (m := _SCHEMA.match(line)))
    return DocumentedSchema(name=name, fields=_parse_fields(lines))


def parse_reference_page(path: Path) -> ReferencePage:
    """Parse one reference page into the facts the slices must repeat."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    method, route = lines[0].removeprefix("# ").split(" ", 1)
    summary = next(line[2:] for line in lines if line.startswith("> "))
    tag = re.search(r"\*\*Tag:\*\* (\S+)", text)[1]
    operation_id = re.search(r"\*\*Operation ID:\*\* `([^`]+)`", text)[1]
    sections = _sections(text)
    description = "\n".join(sections["Description"][1:]).strip()
    responses: dict[str, str] = {}
    response_schemas: dict[str, DocumentedSchema] = {}
    for title, body in sections.items():
        match = _RESPONSE.match("### " + title)
        if match:
            responses[match["status"]] = match["description"]
            if any(_SCHEMA.match(line) for line in body):
                response_schemas[match["status"]] = _schema_of(body)
    return ReferencePage(
        method=method.lower(),
        path=route,
        summary=summary,
        tag=tag,
        operation_id=operation_id,
        description=description,
        request=_schema_of(sections["Request body"]),
        responses=responses,
        response_schemas=response_schemas,
    )


def reference_pages() -> list[ReferencePage]:
    return [parse_reference_page(p) for p in sorted(REFERENCE_DIR.glob("create-bulk-*.md"))]
