"""The invoice PDF of mock_server.pdf: real, reproducible, robust to odd text."""

from __future__ import annotations

import zlib
from typing import Any

from dayzero_twin.mock_server.domain.pdf import MAX_LINES, render_invoice


def invoice(lines: int = 2, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "created_at": "2026-11-22T10:00:00Z", "number": "INV-000007", "status": "open",
        "due_date": "2026-12-15", "customer_name": "Acme Robotics",
        "customer_email": "ap@acmerobotics.com", "description": "November retainer",
        "currency": "USD", "total": 12345, "balance_due": 12345,
        "line_items": [{"description": f"Item {i}", "quantity": 1.5, "unit_price": 100,
                        "amount": 150} for i in range(lines)],
    }
    data.update(overrides)
    return data


def text_of(pdf: bytes) -> str:
    """The decompressed content streams, enough to find the strings drawn."""
    out, start = [], 0
    while (begin := pdf.find(b"stream\n", start)) != -1:
        end = pdf.find(b"endstream", begin)
        chunk = pdf[begin + 7:end].strip()
        try:
            out.append(zlib.decompress(chunk).decode("latin-1"))
        except zlib.error:
            out.append(chunk.decode("latin-1"))
        start = end + len(b"endstream")
    return "".join(out)


def test_a_real_pdf_with_number_customer_lines_and_total() -> None:
    pdf = render_invoice(invoice(), "Northwind Studio")
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    text = text_of(pdf)
    for expected in ("Northwind Studio", "INV-000007", "Acme Robotics", "Item 1", "123.45 USD"):
        assert expected in text
    assert render_invoice(invoice(), "Northwind Studio") == pdf


def test_drafts_odd_text_and_empty_invoices() -> None:
    text = text_of(render_invoice(invoice(number=None, status="draft",
                                          customer_name="東京 Café\x00 Müller €",
                                          description=None, line_items=None, currency=None),
                                  "Blue Harbor Bakery"))
    assert "Draft" in text and "Caf" in text


def test_long_invoices_are_capped() -> None:
    text = text_of(render_invoice(invoice(lines=10_000), "N"))
    assert f"and {10_000 - MAX_LINES:,} more lines" in text
