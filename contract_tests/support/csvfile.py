"""A CSV file the suite writes, kept as data so the oracle can read what was written.

``rows`` hold the cells by canonical column name, exactly as written (padding included);
the layout options (BOM, CRLF, header spelling, blank lines, quoting) change only the
bytes, never the meaning, which is what CONTRACT §3 promises.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

BOM = "\ufeff"


@dataclass(frozen=True)
class CsvFile:
    """Header and data rows plus the byte-level layout they are written with."""

    columns: tuple[str, ...]
    rows: tuple[dict[str, str], ...]
    header: tuple[str, ...] | None = None  # as written; default: the canonical names
    bom: bool = False
    crlf: bool = False
    quote_all: bool = False
    blank_lines_before: frozenset[int] = field(default_factory=frozenset)
    trailing_newline: bool = True

    def with_layout(self, **changes: object) -> CsvFile:
        return replace(self, **changes)  # type: ignore[arg-type]

    def data_row_number(self, index: int) -> int:
        """The contract's row number of ``rows[index]``: data rows count from 1, blank lines not."""
        return index + 1

    def to_bytes(self) -> bytes:
        end = "\r\n" if self.crlf else "\n"
        buffer = io.StringIO()
        writer = csv.writer(
            buffer,
            lineterminator=end,
            quoting=csv.QUOTE_ALL if self.quote_all else csv.QUOTE_MINIMAL,
        )
        writer.writerow(self.header or self.columns)
        for index, row in enumerate(self.rows):
            if index in self.blank_lines_before:
                buffer.write(end)
            writer.writerow([row.get(column, "") for column in self.columns])
        text = buffer.getvalue()
        if not self.trailing_newline:
            text = text.removesuffix(end)
        return ((BOM if self.bom else "") + text).encode("utf-8")


def raw_csv(lines: Sequence[Sequence[str]], end: str = "\n") -> bytes:
    """Bytes of a CSV written cell by cell, for files the data model cannot express."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=end).writerows(lines)
    return buffer.getvalue().encode("utf-8")
