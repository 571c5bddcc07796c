"""Invoice screens: a booking's invoice as a printable page and as a PDF
(its booker, clerks, admins), the clerks' list of open and overdue invoices
with sums, the mark-paid form and the CSV export for the cash office, and
the admins' screen for the bank details and due days.

Routes hang on existing blueprints (``reservations`` for the booking's
invoice, ``staff`` for the list, ``admin`` for the bank details), so URLs
stay under their sections. Thin: parse, check access, call
``fees.invoices``, commit once (``booking.transaction``), render."""

from __future__ import annotations

from datetime import date

from flask import (
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from booking import transaction
from booking.accounts.access import current_actor, is_admin, role_required
from booking.admin.views import bp as admin_bp
from booking.audit import service as audit
from booking.core import Conflict, NotFound, ValidationFailed, utcnow
from booking.fees import invoices, pdf
from booking.fees.invoice_forms import BankDetailsForm, MarkPaidForm, RefundForm
from booking.fees.models import Invoice
from booking.forms import flash_error, show_errors
from booking.payments import service as payments
from booking.payments.stripe_client import keys_of
from booking.reservations.models import Booking
from booking.reservations.staff_views import staff_bp
from booking.reservations.views import booking_number, get_booking
from booking.reservations.views import bp as reservations_bp

FILTER_LABELS = {
    "unpaid": _l("offen"),
    "overdue": _l("überfällig"),
    "paid": _l("bezahlt"),
    "cancelled": _l("storniert"),
    "refunded": _l("erstattet"),
    "partly_refunded": _l("teilweise erstattet"),
}


def _today() -> date:
    return invoices.local_date(g.tenant, utcnow())


def _invoice_of_visible_booking(booking_id: int) -> tuple[Booking, Invoice]:
    """The booking's invoice for someone who may see it; 404 otherwise (also
    for a caretaker of the hall, and for a booking that costs nothing)."""
    booking = get_booking(booking_id)
    actor = current_actor()
    if not invoices.can_view_invoice(actor, booking):
        raise NotFound(_("Nicht gefunden."))
    invoice = invoices.invoice_of(booking)
    if invoice is None:
        raise NotFound(_("Diese Buchung kostet nichts; es gibt keinen Gebührenbescheid."))
    return booking, invoice


@reservations_bp.route("/bookings/<int:booking_id>/invoice")
@login_required
def invoice_page(booking_id: int):
    booking, invoice = _invoice_of_visible_booking(booking_id)
    response = Response(
        render_template(
            "booking/invoices/invoice.html",
            booking=booking,
            invoice=invoice,
            outstanding=invoices.outstanding_cents(invoice),
            overdue=invoices.is_overdue(invoice, _today()),
            recipient=invoices.recipient_of(booking),
            iban=pdf.grouped_iban(g.tenant.iban) if g.tenant.iban else None,
            refund_form=_refund_form(invoice),
        )
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@reservations_bp.route("/bookings/<int:booking_id>/invoice.pdf")
@login_required
def invoice_pdf(booking_id: int):
    booking, invoice = _invoice_of_visible_booking(booking_id)
    body = pdf.render(
        g.tenant, invoice, booking_number=booking_number(booking), resource=booking.resource.name
    )
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'inline; filename="Gebuehrenbescheid-{invoice.number}.pdf"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- invoices without a booking (cemetery cases) ------------------------------------------


def visible_case_invoice(invoice_id: int) -> Invoice:
    """An invoice without a booking for staff and the account it names; 404
    for anyone else, another tenant's invoice and a booking's invoice."""
    invoice = invoices.get_invoice(g.tenant, invoice_id)
    if invoice.booking_id is not None or not invoices.can_view_case_invoice(
        current_actor(), invoice
    ):
        raise NotFound(_("Nicht gefunden."))
    return invoice


def online_payable(invoice: Invoice) -> bool:
    """The account the invoice names may pay it online: open, something
    outstanding, Stripe set up for the municipality."""
    actor = current_actor()
    return (
        invoice.status == "open"
        and invoices.outstanding_cents(invoice) > 0
        and invoice.user_id is not None
        and getattr(actor, "id", None) == invoice.user_id
        and keys_of(g.tenant).configured
    )


@reservations_bp.route("/invoices/<int:invoice_id>")
@login_required
def case_invoice_page(invoice_id: int):
    invoice = visible_case_invoice(invoice_id)
    response = Response(
        render_template(
            "booking/invoices/invoice.html",
            booking=None,
            invoice=invoice,
            outstanding=invoices.outstanding_cents(invoice),
            overdue=invoices.is_overdue(invoice, _today()),
            recipient=invoices.invoice_recipient(invoice),
            iban=pdf.grouped_iban(g.tenant.iban) if g.tenant.iban else None,
            refund_form=_refund_form(invoice),
            pay_online=online_payable(invoice),
        )
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@reservations_bp.route("/invoices/<int:invoice_id>.pdf")
@login_required
def case_invoice_pdf(invoice_id: int):
    invoice = visible_case_invoice(invoice_id)
    body = pdf.render(g.tenant, invoice, booking_number=None, resource=None)
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'inline; filename="Gebuehrenbescheid-{invoice.number}.pdf"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def invoice_url(invoice: Invoice) -> str:
    """The page of ``invoice``: its booking's invoice page, else its own."""
    if invoice.booking_id is not None:
        return url_for("reservations.invoice_page", booking_id=invoice.booking_id)
    return url_for("reservations.case_invoice_page", invoice_id=invoice.id)


# --- clerks: the list, mark paid, the export ----------------------------------------------


def _filter() -> str:
    status = request.args.get("status", "unpaid")
    if status not in invoices.LIST_FILTERS:
        abort(400)
    return status


@staff_bp.route("/invoices")
@role_required("clerk", "admin")
def invoice_list():
    status = _filter()
    today = _today()
    items = invoices.list_invoices(g.tenant, status, today)
    return render_template(
        "booking/invoices/list.html",
        items=items,
        status=status,
        filters=FILTER_LABELS,
        sums=invoices.sums(items, today),
        today=today,
        outstanding=invoices.outstanding_cents,
        is_overdue=invoices.is_overdue,
        recipient=invoices.invoice_recipient,
        form=MarkPaidForm(paid_on=today),
    )


@staff_bp.route("/invoices.csv")
@role_required("clerk", "admin")
def invoice_csv():
    status = _filter()
    today = _today()
    body = invoices.csv_export(invoices.list_invoices(g.tenant, status, today), today)
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="bescheide-{g.tenant.slug}-{status}-{today.isoformat()}.csv"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _refund_form(invoice: Invoice) -> RefundForm | None:
    """For staff, while something paid can still be given back; the deposit
    is proposed."""
    refundable = invoice.paid_cents - invoice.refunded_cents
    if refundable <= 0 or not invoices.can_manage_invoices(current_actor(), g.tenant):
        return None
    form = RefundForm()
    if not form.amount.data:
        form.amount.set_cents(min(invoice.deposit_cents, refundable) or refundable)
    return form


@staff_bp.route("/invoices/<int:invoice_id>/refund", methods=["POST"])
@role_required("clerk", "admin")
def invoice_refund(invoice_id: int):
    invoice = invoices.get_invoice(g.tenant, invoice_id)
    form = RefundForm()
    back = invoice_url(invoice)
    if not form.validate() or form.amount.cents is None:
        transaction.fail()
        flash(_("Bitte einen Betrag in Euro angeben, z. B. 12,50."), "error")
        return redirect(back)
    try:
        payments.refund_invoice(
            g.tenant,
            current_actor(),
            invoice,
            form.amount.cents,
            form.reason.data,
            form.reference.data or None,
            utcnow(),
        )
    except (ValidationFailed, Conflict) as error:
        flash_error(error)
        return redirect(back)
    flash(_("Die Erstattung ist erfasst."), "success")
    return redirect(back)


@staff_bp.route("/invoices/<int:invoice_id>/mark-paid", methods=["POST"])
@role_required("clerk", "admin")
def invoice_mark_paid(invoice_id: int):
    invoice = invoices.get_invoice(g.tenant, invoice_id)
    form = MarkPaidForm()
    back = url_for("staff.invoice_list", status=request.args.get("status", "unpaid"))
    if not form.validate():
        transaction.fail()
        flash(_("Bitte ein gültiges Zahlungsdatum angeben."), "error")
        return redirect(back)
    try:
        paid_on = invoices.parse_paid_on(form.paid_on.data.isoformat(), _today())
        invoices.mark_paid(
            g.tenant, current_actor(), invoice, paid_on, form.reference.data, utcnow()
        )
    except (ValidationFailed, Conflict) as error:
        flash_error(error)
        return redirect(back)
    flash(_("Bescheid %(number)s ist als bezahlt erfasst.", number=invoice.number), "success")
    return redirect(back)


# --- admins: bank details and due days --------------------------------------------------


BANK_FIELDS = ("bank_account_holder", "iban", "bic", "bank_name", "payment_due_days")


@admin_bp.route("/bank", methods=["GET", "POST"])
@role_required("admin")
def bank_details():
    tenant = g.tenant
    form = BankDetailsForm(obj=tenant)
    if request.method == "POST" and form.validate():
        before = {name: getattr(tenant, name) for name in BANK_FIELDS}
        try:
            invoices.set_bank_details(
                tenant,
                holder=form.bank_account_holder.data,
                iban=form.iban.data,
                bic=form.bic.data,
                bank_name=form.bank_name.data,
                due_days=form.payment_due_days.data,
            )
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            after = {name: getattr(tenant, name) for name in BANK_FIELDS}
            if before != after:
                audit.record(
                    tenant,
                    current_actor(),
                    "tenant.bank_details",
                    tenant,
                    before=before,
                    after=after,
                )
            flash(_("Die Bankverbindung ist gespeichert."), "success")
            return redirect(url_for("admin.bank_details"))
    elif request.method == "POST":
        transaction.fail()
    page = render_template(
        "booking/invoices/bank.html", form=form, is_admin=is_admin(current_actor(), tenant)
    )
    return page, 422 if request.method == "POST" else 200  # shown again: with its errors


STATUS_LABELS = {
    "open": _l("offen"),
    "paid": _l("bezahlt"),
    "cancelled": _l("storniert"),
    "refunded": _l("erstattet"),
    "partly_refunded": _l("teilweise erstattet"),
}


@reservations_bp.app_template_global("invoice_status_label")
def invoice_status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


@reservations_bp.app_template_global("visible_invoice")
def visible_invoice(booking: Booking) -> Invoice | None:
    """The booking's invoice for a page that links to it, when the signed-in
    person may see it."""
    if not invoices.can_view_invoice(current_actor(), booking):
        return None
    return invoices.invoice_of(booking)
