"""The invoice (Gebührenbescheid) as a PDF, with fpdf2.

DejaVu Sans is shipped in ``static/fonts/`` (its licence beside it), so
umlauts, „quotes“ and € render on any machine, not only where the Debian
package ``fonts-dejavu-core`` is installed. Texts are German: the
Gebührenbescheid is an official German document."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from babel.dates import format_date
from babel.numbers import format_currency
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from booking.fees.invoices import invoice_recipient, outstanding_cents
from booking.fees.models import Invoice
from booking.tenants.models import Tenant

FONTS = Path(__file__).resolve().parents[2] / "static" / "fonts"
FONT = "DejaVu"
LOCALE = "de_DE"
LINE = 6


def _money(cents: int, currency: str = "EUR") -> str:
    return format_currency(Decimal(cents) / 100, currency, locale=LOCALE)


def _date(day) -> str:
    return format_date(day, format="long", locale=LOCALE)


def grouped_iban(iban: str) -> str:
    """``DE02120300000000202051`` → ``DE02 1203 0000 0000 2020 51``."""
    compact = iban.replace(" ", "")
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


class _Invoice(FPDF):
    def __init__(self, tenant: Tenant, invoice: Invoice) -> None:
        super().__init__(format="A4")
        self.tenant_name = tenant.name
        self.number = invoice.number
        self.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_margins(20, 20, 20)
        self.set_auto_page_break(True, margin=20)
        self.set_title(f"Gebührenbescheid {invoice.number}")
        self.set_author(tenant.name)
        self.set_creator("Kommunalbuchung")

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(FONT, "", 8)
        self.cell(
            0,
            5,
            f"{self.tenant_name} · Gebührenbescheid {self.number} · Seite {self.page_no()}",
            align="C",
        )

    def line_text(self, text: str, *, size: int = 10, bold: bool = False) -> None:
        self.set_font(FONT, "B" if bold else "", size)
        self.multi_cell(0, LINE, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def pair(self, label: str, value: str, *, bold: bool = False) -> None:
        self.set_font(FONT, "B" if bold else "", 10)
        self.cell(55, LINE, label)
        self.multi_cell(0, LINE, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def amounts(self, rows: list[tuple[str, int, bool]]) -> None:
        """A table of ``(label, cents, bold)`` rows, amounts right-aligned."""
        self.set_font(FONT, "", 10)
        with self.table(
            col_widths=(130, 40),
            text_align=("LEFT", "RIGHT"),
            first_row_as_headings=True,
            borders_layout="HORIZONTAL_LINES",
            line_height=LINE,
            padding=1,
        ) as table:
            heading = table.row()
            heading.cell("Posten")
            heading.cell("Betrag")
            for label, cents, bold in rows:
                row = table.row()
                style = FontFace(emphasis="BOLD") if bold else None
                row.cell(label, style=style)
                row.cell(_money(cents), style=style)


def render(
    tenant: Tenant, invoice: Invoice, *, booking_number: str | None, resource: str | None
) -> bytes:
    """The invoice as PDF bytes: municipality, recipient (with the address
    of an invoice without a booking), number, dates, the booking (or
    "Friedhof" for a cemetery case), items, total, deposit, what is paid and
    open, bank details and the payment reference."""
    pdf = _Invoice(tenant, invoice)
    pdf.add_page()
    pdf.line_text(tenant.name, size=16, bold=True)
    if tenant.contact_email:
        pdf.line_text(tenant.contact_email, size=9)
    pdf.ln(8)
    pdf.line_text("Empfänger", size=9)
    pdf.line_text(invoice_recipient(invoice) or "–", size=11, bold=True)
    if invoice.booking_id is None and invoice.recipient_address:
        pdf.line_text(invoice.recipient_address, size=10)
    pdf.ln(8)
    title = "Gebührenbescheid"
    if invoice.status == "cancelled":
        title += " (storniert)"
    pdf.line_text(title, size=14, bold=True)
    pdf.ln(2)
    pdf.pair("Bescheidnummer", invoice.number, bold=True)
    pdf.pair("Datum", _date(invoice.issued_on))
    pdf.pair("Fällig am", _date(invoice.due_date))
    if booking_number is not None:
        pdf.pair("Buchung", f"{booking_number} – {resource}")
    elif invoice.subject == "cemetery":
        pdf.pair("Betreff", "Friedhofsgebühren")
    pdf.ln(6)
    rows = [(item["label"], item["amount_cents"], False) for item in invoice.items]
    rows.append(("Gebühr gesamt", invoice.total_cents, True))
    if invoice.deposit_cents:
        rows.append(
            ("Kaution (wird nach der Veranstaltung erstattet)", invoice.deposit_cents, False)
        )
    rows.append(("Zu zahlen", invoice.total_cents + invoice.deposit_cents, True))
    if invoice.paid_cents:
        rows.append(("Bereits bezahlt", invoice.paid_cents, False))
    if invoice.refunded_cents:
        rows.append(("Erstattet", invoice.refunded_cents, False))
    if invoice.paid_cents or invoice.refunded_cents:
        rows.append(("Noch offen", outstanding_cents(invoice), True))
    pdf.amounts(rows)
    pdf.ln(8)
    pdf.line_text("Bankverbindung", size=11, bold=True)
    if tenant.iban:
        pdf.pair("Kontoinhaber", tenant.bank_account_holder or tenant.name)
        pdf.pair("IBAN", grouped_iban(tenant.iban))
        if tenant.bic:
            pdf.pair("BIC", tenant.bic)
        if tenant.bank_name:
            pdf.pair("Bank", tenant.bank_name)
    else:
        pdf.line_text("Die Bankverbindung teilt Ihnen die Gemeinde mit.")
    pdf.pair("Verwendungszweck", invoice.payment_reference, bold=True)
    pdf.ln(6)
    pdf.line_text(
        f"Bitte überweisen Sie den Betrag bis zum {_date(invoice.due_date)} unter Angabe "
        "des Verwendungszwecks.",
        size=9,
    )
    return bytes(pdf.output())
