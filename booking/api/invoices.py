"""The API's invoices: ``GET /bookings/<id>/invoice`` (its booker, clerks,
admins; 404 when the booking costs nothing) and ``POST
/bookings/<id>/invoice/mark-paid`` (clerks, admins: an offline payment in
full, audited; 409 when already paid, 422 for a bad date)."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_babel import gettext as _

from booking.api.base import api_user, bp, json_body, money_json
from booking.core import Forbidden, NotFound, ValidationFailed, utcnow
from booking.fees import invoices
from booking.fees.models import Invoice
from booking.reservations import queries
from booking.reservations.models import Booking


def invoice_json(invoice: Invoice) -> dict[str, Any]:
    """API.md's invoice: number, status, items, total (money), paid_cents,
    refunded_cents, due_date."""
    return {
        "number": invoice.number,
        "status": invoice.status,
        "items": [
            {"label": item["label"], "amount_cents": item["amount_cents"]} for item in invoice.items
        ],
        "total": money_json(invoice.total_cents, invoice.currency),
        "paid_cents": invoice.paid_cents,
        "refunded_cents": invoice.refunded_cents,
        "due_date": invoice.due_date.isoformat(),
    }


def _visible(booking_id: int) -> tuple[Booking, Invoice | None]:
    booking = queries.get_booking(g.tenant, api_user(), booking_id)
    if not invoices.can_view_invoice(api_user(), booking):
        raise NotFound(_("Nicht gefunden."))
    return booking, invoices.invoice_of(booking)


def _no_invoice() -> NotFound:
    return NotFound(_("Diese Buchung kostet nichts; es gibt keinen Gebührenbescheid."))


@bp.get("/bookings/<int:booking_id>/invoice")
def get_invoice(booking_id: int):
    _booking, invoice = _visible(booking_id)
    if invoice is None:
        raise _no_invoice()
    return invoice_json(invoice)


@bp.post("/bookings/<int:booking_id>/invoice/mark-paid")
def mark_invoice_paid(booking_id: int):
    _booking, invoice = _visible(booking_id)
    if not invoices.can_manage_invoices(api_user(), g.tenant):
        raise Forbidden(_("Dafür fehlt Ihnen die Berechtigung."))
    if invoice is None:
        raise _no_invoice()
    body = json_body()
    now = utcnow()
    paid_on = invoices.parse_paid_on(body.get("paid_on"), invoices.local_date(g.tenant, now))
    reference = body.get("reference")
    if reference is not None and not isinstance(reference, str):
        raise ValidationFailed(
            _("Bitte prüfen Sie die Eingaben."), {"reference": [_("Ein Text, bitte.")]}
        )
    invoices.mark_paid(g.tenant, api_user(), invoice, paid_on, reference, now)
    return invoice_json(invoice)
