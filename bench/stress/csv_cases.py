"""Hostile CSV files for the two bulk operations, each with the outcome the contract implies.

A case says what the mock must answer: ``created`` (the file is valid, a 201 with exactly
``rows`` entities), ``refused`` (a 400 whose ``detail`` says what is wrong, and when a
cell is at fault, an ``errors`` entry naming its column), or ``either`` (the contract
does not decide, e.g. NUL bytes or lone ``\\r`` line ends: a 400 with a detail, or a 201
that holds every row). Never a 5xx, a 413/422 or a hang.

Every case carries a unique marker in its ``description`` cells, so the stored state
can be checked afterwards: a refused file left nothing behind, a created one is whole.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from hypothesis import strategies as st

from bench.stress.csvgen import CURRENCIES, HEADERS, bill_row, invoice_row, new_marker, to_csv
from bench.stress.harness import Kind

Expect = Literal["created", "refused", "either"]
FIVE_MB = 5 * 1024 * 1024
MANY_COLUMNS = 30_000
FORMULAS = ("=cmd|' /C calc'!A0", "=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(1,2)",
            "\t=1+1", "=1+1")
# The required columns and a cell value in each that can never parse.
UNPARSABLE = {
    "invoices": {"due_date": "2027-02-30", "unit_price": "12.345", "quantity": "0"},
    "bills": {"amount": "-5", "due_on": "31/12/2027", "type": "monthly", "currency": "XYZ"},
}
REQUIRED = {"invoices": ("customer_email", "due_date", "item_description", "unit_price"),
            "bills": ("vendor_name", "amount")}
TEXT_COLUMN = {"invoices": "item_description", "bills": "bill_number"}


@dataclass(frozen=True)
class CsvCase:
    """One file to upload and bulk-import, and what the contract says must happen."""

    label: str
    kind: Kind
    content: bytes
    expect: Expect
    marker: str
    rows: int  # entities a 201 must create
    error_column: str | None = None  # a 400 must name this column in ``errors``

    def __repr__(self) -> str:  # Hypothesis prints failing examples; keep them readable
        head = self.content[:120]
        return (f"CsvCase({self.label!r}, {self.kind}, expect={self.expect}, rows={self.rows}, "
                f"{len(self.content)} bytes starting {head!r})")


def judge(case: CsvCase, status: int, body: Any) -> list[str]:
    """What is wrong with the mock's answer to ``case``; empty when it is right."""
    problems: list[str] = []
    allowed = {"created": {201}, "refused": {400}, "either": {201, 400}}[case.expect]
    if status not in allowed:
        return [f"{case.label}: status {status}, expected {sorted(allowed)}; body {body!r:.300}"]
    if not isinstance(body, dict):
        return [f"{case.label}: body is not a JSON object: {body!r:.300}"]
    if status == 400:
        detail = body.get("detail")
        if not isinstance(detail, str) or not detail.strip():
            problems.append(f"{case.label}: 400 without a readable detail: {body!r:.300}")
        errors = body.get("errors") or []
        if not isinstance(errors, list):
            problems.append(f"{case.label}: errors is not a list: {errors!r:.300}")
            errors = []
        for error in errors:
            if not (isinstance(error, dict) and str(error.get("message", "")).strip()):
                problems.append(f"{case.label}: row error without a message: {error!r:.200}")
        if case.error_column is not None and not any(
            isinstance(e, dict) and e.get("column") == case.error_column for e in errors
        ):
            problems.append(f"{case.label}: 400 does not name column {case.error_column!r}: "
                            f"{body!r:.400}")
    else:
        items = body.get("items")
        if not isinstance(items, list) or len(items) != case.rows:
            count = len(items) if isinstance(items, list) else items
            problems.append(f"{case.label}: 201 with {count} items, the file has {case.rows}")
        elif any(item.get("description") != case.marker for item in items):
            problems.append(f"{case.label}: 201 items lost the file's description")
    return problems


# --- valid rows, drawn by Hypothesis -------------------------------------------------------

# Cell text: any printable Unicode but NUL and surrogates (NUL has a case of its own); a
# leading letter keeps required text cells non-blank after the contract's trimming.
_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=40,
).map(lambda text: "x" + text)


def _money(positive: bool) -> st.SearchStrategy[str]:
    """Major units with 0–2 decimals, every spelling the contract allows (1250, 1250.5)."""

    def render(cents: int, style: str) -> str:
        whole, frac = divmod(cents, 100)
        if style == "short" and frac % 10 == 0:
            return f"{whole}.{frac // 10}"
        if style == "whole" and frac == 0:
            return str(whole)
        return f"{whole}.{frac:02d}"

    cents = st.integers(min_value=1 if positive else 0, max_value=10**10)
    return st.builds(render, cents, st.sampled_from(("full", "short", "whole")))


_DATE = st.dates(min_value=date(1000, 1, 1)).map(date.isoformat)
_CURRENCY = st.sampled_from(CURRENCIES).flatmap(
    lambda code: st.sampled_from((code, code.lower(), code.title(), "")))


@st.composite
def _invoice_row(draw: st.DrawFn, marker: str, index: int) -> list[str]:
    return [
        f"fz{index}.{draw(st.integers(0, 10**6))}@example.com",
        draw(st.one_of(st.just(""), _TEXT)),
        draw(_DATE),
        draw(_CURRENCY),
        marker,
        draw(_TEXT),
        draw(st.sampled_from(("", "1", "2", "0.5", "3.25", "10"))),
        draw(_money(positive=False)),
    ]


@st.composite
def _bill_row(draw: st.DrawFn, marker: str, index: int) -> list[str]:
    return [
        f"Fuzz vendor {index} {draw(st.integers(0, 10**6))}",
        draw(st.sampled_from(("", f"v{index}@example.com"))),
        draw(_money(positive=True)),
        draw(_CURRENCY),
        draw(st.one_of(st.just(""), _TEXT)),
        marker,
        draw(st.one_of(st.just(""), _DATE)),
        draw(st.one_of(st.just(""), _DATE)),
        draw(st.sampled_from(("", "one_time", "recurring"))),
    ]


@st.composite
def valid_rows(draw: st.DrawFn, kind: Kind, marker: str) -> list[list[str]]:
    """1–6 rows the contract says must import; each row is one entity."""
    count = draw(st.integers(min_value=1, max_value=6))
    make = _invoice_row if kind == "invoices" else _bill_row
    return [draw(make(marker, i)) for i in range(count)]


# --- mutations: each takes a valid file apart in one documented way ------------------------

Mutation = Callable[[Kind, list[str], list[list[str]], str, random.Random], CsvCase]


def _case(label: str, kind: Kind, text: str | bytes, expect: Expect, marker: str, rows: int,
          error_column: str | None = None) -> CsvCase:
    content = text.encode("utf-8") if isinstance(text, str) else text
    return CsvCase(label, kind, content, expect, marker, rows, error_column)


def m_valid(kind: Kind, header: list[str], rows: list[list[str]], marker: str,
            rnd: random.Random) -> CsvCase:
    line_end = rnd.choice(("\r\n", "\n"))
    return _case("valid", kind, to_csv(header, rows, line_end), "created", marker, len(rows))


def m_utf8_bom(kind: Kind, header: list[str], rows: list[list[str]], marker: str,
               rnd: random.Random) -> CsvCase:
    return _case("utf8 BOM", kind, "\ufeff" + to_csv(header, rows), "created", marker, len(rows))


def m_header_spelling(kind: Kind, header: list[str], rows: list[list[str]], marker: str,
                      rnd: random.Random) -> CsvCase:
    spelled = [f" {name.upper()} " if rnd.random() < 0.5 else name.title() for name in header]
    return _case("header case and spaces", kind, to_csv(spelled, rows), "created", marker,
                 len(rows))


def m_blank_lines(kind: Kind, header: list[str], rows: list[list[str]], marker: str,
                  rnd: random.Random) -> CsvCase:
    lines = to_csv(header, rows, "\n").split("\n")
    spaced = "\n".join(line + "\n" * rnd.randint(0, 2) for line in lines)
    return _case("blank lines", kind, spaced, "created", marker, len(rows))


def m_unknown_columns(kind: Kind, header: list[str], rows: list[list[str]], marker: str,
                      rnd: random.Random) -> CsvCase:
    extra = rnd.randint(1, 3000)
    wide_header = header + [f"extra_{i}" for i in range(extra)]
    wide_rows = [row + ["v"] * extra for row in rows]
    return _case("unknown columns", kind, to_csv(wide_header, wide_rows), "created",
                 marker, len(rows))


def m_formula(kind: Kind, header: list[str], rows: list[list[str]], marker: str,
              rnd: random.Random) -> CsvCase:
    column = header.index(TEXT_COLUMN[kind])
    for row in rows:
        row[column] = rnd.choice(FORMULAS)
    return _case("formula-looking cells", kind, to_csv(header, rows), "created", marker,
                 len(rows))


def m_invalid_utf8(kind: Kind, header: list[str], rows: list[list[str]], marker: str,
                   rnd: random.Random) -> CsvCase:
    data = to_csv(header, rows).encode("utf-8")
    cut = rnd.randint(len(data) // 2, len(data) - 1)
    bad = rnd.choice((b"\xff", b"\xc3\x28", b"\xe2\x82", b"\xed\xa0\x80", b"\xc0\xaf"))
    return _case("invalid UTF-8", kind, data[:cut] + bad + data[cut:], "refused", marker,
                 len(rows))


def m_utf16(kind: Kind, header: list[str], rows: list[list[str]], marker: str,
            rnd: random.Random) -> CsvCase:
    codec = rnd.choice(("utf-16", "utf-16-le", "utf-16-be"))
    content = to_csv(header, rows).encode(codec)
    if codec != "utf-16":  # utf-16 writes its own BOM; the others get one by hand
        content = "\ufeff".encode(codec) + content
    return _case(f"{codec} with BOM", kind, content, "refused", marker, len(rows))


def m_nul(kind: Kind, header: list[str], rows: list[list[str]], marker: str,
          rnd: random.Random) -> CsvCase:
    column = header.index(TEXT_COLUMN[kind])
    row = rnd.choice(rows)
    row[column] = row[column] + "\x00" * rnd.randint(1, 3) + "tail"
    return _case("NUL bytes", kind, to_csv(header, rows), "either", marker, len(rows))


def m_lone_cr(kind: Kind, header: list[str], rows: list[list[str]], marker: str,
              rnd: random.Random) -> CsvCase:
    return _case("lone CR line ends", kind, to_csv(header, rows, "\r"), "either", marker,
                 len(rows))


def m_duplicate_header(kind: Kind, header: list[str], rows: list[list[str]], marker: str,
                       rnd: random.Random) -> CsvCase:
    column = rnd.choice(REQUIRED[kind])
    index = header.index(column)
    doubled = [*header, column]
    doubled_rows = [[*row, row[index]] for row in rows]
    return _case("duplicate header names", kind, to_csv(doubled, doubled_rows), "either",
                 marker, len(rows))


def m_drop_required(kind: Kind, header: list[str], rows: list[list[str]], marker: str,
                    rnd: random.Random) -> CsvCase:
    column = rnd.choice(REQUIRED[kind])
    index = header.index(column)
    cut_header = header[:index] + header[index + 1:]
    cut_rows = [row[:index] + row[index + 1:] for row in rows]
    return _case(f"missing column {column}", kind, to_csv(cut_header, cut_rows), "refused",
                 marker, len(rows))


def m_blank_required(kind: Kind, header: list[str], rows: list[list[str]], marker: str,
                     rnd: random.Random) -> CsvCase:
    column = rnd.choice(REQUIRED[kind])
    rnd.choice(rows)[header.index(column)] = rnd.choice(("", "   "))
    return _case(f"blank {column}", kind, to_csv(header, rows), "refused", marker, len(rows),
                 error_column=column)


def m_unparsable(kind: Kind, header: list[str], rows: list[list[str]], marker: str,
                 rnd: random.Random) -> CsvCase:
    column, value = rnd.choice(sorted(UNPARSABLE[kind].items()))
    rnd.choice(rows)[header.index(column)] = value
    return _case(f"unparsable {column}={value!r}", kind, to_csv(header, rows), "refused",
                 marker, len(rows), error_column=column)


def m_random_bytes(kind: Kind, header: list[str], rows: list[list[str]], marker: str,
                   rnd: random.Random) -> CsvCase:
    noise = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 4096)))
    return _case("random bytes", kind, b"\xff" + noise, "refused", marker, len(rows))


def m_header_only(kind: Kind, header: list[str], rows: list[list[str]], marker: str,
                  rnd: random.Random) -> CsvCase:
    return _case("header only", kind, to_csv(header, [], rnd.choice(("\n", "\r\n", ""))),
                 "refused", marker, 0)


def m_empty(kind: Kind, header: list[str], rows: list[list[str]], marker: str,
            rnd: random.Random) -> CsvCase:
    return _case("empty", kind, rnd.choice((b"", b"\n", b"\r\n\r\n", b"\xef\xbb\xbf", b"   ")),
                 "refused", marker, 0)


def m_unbalanced_quote(kind: Kind, header: list[str], rows: list[list[str]], marker: str,
                       rnd: random.Random) -> CsvCase:
    # The quote swallows the rest of the file into one cell: that row lacks its other cells.
    text = to_csv(header, rows) + '"unterminated,' + ",".join(["x"] * len(header))
    return _case("unbalanced quote", kind, text, "refused", marker, len(rows))


MUTATIONS: tuple[Mutation, ...] = (
    m_valid, m_utf8_bom, m_header_spelling, m_blank_lines, m_unknown_columns, m_formula,
    m_invalid_utf8, m_utf16, m_nul, m_lone_cr, m_duplicate_header, m_drop_required,
    m_blank_required, m_unparsable, m_random_bytes, m_header_only, m_empty, m_unbalanced_quote,
)


@st.composite
def csv_cases(draw: st.DrawFn, kind: Kind) -> CsvCase:
    """A valid file drawn by Hypothesis, then taken apart by one mutation."""
    marker = new_marker("fz")
    header = list(HEADERS[kind])
    rows = draw(valid_rows(kind, marker))
    mutation = draw(st.sampled_from(MUTATIONS))
    rnd = random.Random(draw(st.integers(0, 2**32 - 1)))
    return mutation(kind, header, rows, marker, rnd)


# --- the named monsters: big, wide and odd files, built once each --------------------------

def named_cases(kind: Kind) -> list[CsvCase]:
    """One deterministic case per hostile shape the brief lists, for ``kind``."""
    header = list(HEADERS[kind])
    rnd = random.Random(6)

    def base(count: int = 3) -> tuple[str, list[list[str]]]:
        marker = new_marker("nm")
        make = invoice_row if kind == "invoices" else bill_row
        return marker, [make(i, marker) for i in range(count)]

    cases: list[CsvCase] = []
    for mutation in MUTATIONS:
        marker, rows = base()
        cases.append(mutation(kind, header, rows, marker, rnd))

    marker, rows = base(1)
    rows[0][header.index(TEXT_COLUMN[kind])] = "y" * FIVE_MB
    cases.append(_case("a single 5 MB line", kind, to_csv(header, rows), "either", marker, 1))

    marker, rows = base(1)
    cases.append(_case("one 5 MB line and no newline", kind, "z" * FIVE_MB, "refused", marker, 0))

    marker, rows = base(2)
    wide_header = header + [f"c{i}" for i in range(MANY_COLUMNS)]
    wide_rows = [row + [""] * MANY_COLUMNS for row in rows]
    cases.append(_case(f"{MANY_COLUMNS} columns", kind, to_csv(wide_header, wide_rows),
                       "either", marker, 2))

    marker, rows = base(2)
    cases.append(_case(f"{MANY_COLUMNS} commas in one row", kind,
                       to_csv(header, rows) + "," * MANY_COLUMNS + "\n", "either", marker, 2))
    return cases
