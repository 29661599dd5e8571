"""The documented size limits, and the file just inside the row limit.

Shared by the limit checks and the differential run (which sends the same file to both
implementations), so both test the very same edge.
"""

from __future__ import annotations

from dayzero_twin.contract_tests.support.csvfile import raw_csv
from dayzero_twin.contract_tests.support.datagen import RunMarks

# CONTRACT §3 "At most 10,000 data rows."
MAX_ROWS = 10_000
LINES_PER_INVOICE = 100
MIB = 1024 * 1024
# CONTRACT §2 "Files over 10 MiB are refused with 413".
LIMIT_BYTES = 10 * MIB


def full_file(kind: str, marks: RunMarks) -> tuple[bytes, int]:
    """Exactly 10,000 data rows with blank lines among them; and how many items they make."""
    tag = marks.tag()
    if kind == "invoices":
        header = ["invoice_ref", "customer_email", "due_date", "item_description", "unit_price"]
        email = marks.email("limit")
        lines = [
            [f"{tag}-{index // LINES_PER_INVOICE}", email, "2026-11-22", f"{tag} {index}", "1"]
            for index in range(MAX_ROWS)
        ]
        created = MAX_ROWS // LINES_PER_INVOICE
    else:
        header = ["vendor_name", "amount", "description"]
        vendor = marks.vendor_name("Limit Vendor")
        lines = [[vendor, "1", f"{tag} {index}"] for index in range(MAX_ROWS)]
        created = MAX_ROWS
    text = raw_csv([header, *lines])
    # Blank lines are skipped, not counted: three of them keep the file at 10,000 rows.
    first, _, rest = text.partition(b"\n")
    return first + b"\n\n" + rest.replace(b"\n", b"\n\n", 2), created
