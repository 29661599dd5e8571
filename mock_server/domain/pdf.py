"""The small but real PDF behind an invoice's ``pdf_url`` (fpdf2, core fonts only).

Core fonts keep the mock free of font files; they cover Latin-1, so other characters
are replaced rather than failing the download. The creation date is the invoice's own
``created_at``, which keeps the bytes reproducible under ``--seed``/``--clock``.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any

# A 10,000-line invoice would take seconds to lay out; the total still covers every line.
MAX_LINES = 200


def _latin1(text: object) -> str:
    """Printable Latin-1 text: accents folded where possible, the rest shown as '?'."""
    value = unicodedata.normalize("NFKC", "" if text is None else str(text))
    value = "".join(" " if unicodedata.category(char)[0] == "C" else char for char in value)
    return value.encode("latin-1", "replace").decode("latin-1")


def _money(cents: int, currency: str | None) -> str:
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{whole:,}.{rest:02d} {currency or ''}".strip()


def _quantity(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def render_invoice(invoice: dict[str, Any], business_name: str) -> bytes:
    """An A4 invoice: header, customer, a row per line item (the first ``MAX_LINES``),
    total and balance due."""
    # fpdf2 takes about a second to import; only a PDF download should pay for it.
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    pdf = FPDF(format="A4")
    pdf.set_creation_date(datetime.fromisoformat(invoice["created_at"].replace("Z", "+00:00")))
    pdf.set_title(_latin1(f"Invoice {invoice.get('number') or 'Draft'}"))
    pdf.set_author(_latin1(business_name))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    currency = invoice.get("currency")

    def end_line(width: float, height: float, text: str, align: str = "L") -> None:
        """A cell that ends its line: the next one starts at the left margin, below."""
        pdf.cell(width, height, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    pdf.set_font("Helvetica", "B", 18)
    end_line(0, 10, _latin1(business_name))
    pdf.set_font("Helvetica", "", 11)
    number = invoice.get("number") or "Draft"
    end_line(0, 7, _latin1(f"Invoice {number}   ({invoice.get('status')})"))
    end_line(0, 7, _latin1(f"Due {invoice.get('due_date') or '-'}"))
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 11)
    end_line(0, 7, "Bill to")
    pdf.set_font("Helvetica", "", 11)
    end_line(0, 6, _latin1(invoice.get("customer_name")))
    end_line(0, 6, _latin1(invoice.get("customer_email")))
    if invoice.get("description"):
        pdf.ln(2)
        pdf.multi_cell(0, 6, _latin1(invoice["description"]), new_x=XPos.LMARGIN,
                       new_y=YPos.NEXT)
    pdf.ln(4)

    widths = (95, 20, 35, 35)
    pdf.set_font("Helvetica", "B", 10)
    for width, title, align in zip(widths, ("Item", "Qty", "Unit price", "Amount"),
                                   "LRRR", strict=True):
        pdf.cell(width, 8, title, border="B", align=align)
    pdf.ln()
    pdf.set_font("Helvetica", "", 10)
    lines = invoice.get("line_items") or []
    for line in lines[:MAX_LINES]:
        text = _latin1(line.get("description"))
        if len(text) > 60:
            text = text[:57] + "..."
        pdf.cell(widths[0], 7, text)
        pdf.cell(widths[1], 7, _quantity(line.get("quantity")), align="R")
        pdf.cell(widths[2], 7, _money(line.get("unit_price") or 0, currency), align="R")
        end_line(widths[3], 7, _money(line.get("amount") or 0, currency), align="R")
    if len(lines) > MAX_LINES:
        end_line(0, 7, f"... and {len(lines) - MAX_LINES:,} more lines")
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(sum(widths[:3]), 8, "Total", align="R")
    end_line(widths[3], 8, _money(invoice.get("total") or 0, currency), align="R")
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(sum(widths[:3]), 8, "Balance due", align="R")
    end_line(widths[3], 8, _money(invoice.get("balance_due") or 0, currency), align="R")
    return bytes(pdf.output())
