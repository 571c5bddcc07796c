"""Online payment pages, the Stripe webhook and the admin screen for the
municipality's Stripe keys. Thin: the work is in ``payments.service``."""

from __future__ import annotations

import contextlib
import logging
from urllib.parse import urlsplit

import stripe
from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from booking import transaction
from booking.accounts.access import current_actor, is_admin, requires
from booking.audit import service as audit
from booking.core import ValidationFailed, utcnow
from booking.errors import error_json
from booking.extensions import csrf, limiter
from booking.fees import invoices
from booking.fees.models import Invoice
from booking.payments import secrets
from booking.payments import service as payments
from booking.payments.forms import StripeKeysForm
from booking.payments.stripe_client import js_url, keys_of
from booking.reservations.models import Booking
from booking.tenants.service import get_scoped
from booking.web import CSP, raw_body

log = logging.getLogger(__name__)

bp = Blueprint("payments", __name__, url_prefix="/<tenant>")
admin_bp = Blueprint("payments_admin", __name__, url_prefix="/<tenant>/admin/payments")

# Stripe signs the payload with a timestamp; older deliveries are refused.
WEBHOOK_TOLERANCE_SECONDS = 300


# --- webhook ---------------------------------------------------------------------------


@bp.post("/payments/stripe/webhook")
@csrf.exempt
@limiter.exempt
@raw_body
def stripe_webhook():
    """A Stripe event: the signature checked on the raw body with the
    municipality's webhook secret, the event id stored once, then the
    PaymentIntent re-read from Stripe (the body's contents decide nothing)."""
    payload = request.get_data(cache=False)
    signature = request.headers.get("Stripe-Signature", "")
    secret = keys_of(g.tenant).webhook_secret
    if not secret:
        return error_json(
            400, "bad_request", _("Für diese Gemeinde ist kein Webhook eingerichtet.")
        )
    if not payload or not signature:
        return error_json(400, "bad_request", _("Signatur oder Inhalt fehlen."))
    try:
        event = stripe.Webhook.construct_event(
            payload, signature, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
        )
    except stripe.SignatureVerificationError:
        log.info("tenant %s: webhook with a bad signature refused", g.tenant.slug)
        return error_json(400, "bad_request", _("Die Signatur ist ungültig."))
    except ValueError:
        return error_json(400, "bad_request", _("Der Inhalt ist kein gültiges Ereignis."))
    try:
        outcome = payments.handle_event(g.tenant, event, utcnow())
    except payments.PaymentUnavailable:
        # Not stored: Stripe delivers the event again (and reconcile catches it).
        return error_json(503, "unavailable", _("Der Zahlungsdienst ist nicht erreichbar."))
    log.info("tenant %s: webhook %s %s: %s", g.tenant.slug, event.id, event.type, outcome)
    return jsonify({"received": True})


# --- the payer's pages ---------------------------------------------------------------------


def _own_booking(booking_id: int) -> Booking:
    """The signed-in person's own booking, else 404 (also another tenant's)."""
    booking = get_scoped(Booking, g.tenant, booking_id)
    if booking.user_id != current_user.id:
        abort(404)
    return booking


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def payment_page_csp(stripe_js: str) -> str:
    """The app's CSP with exactly the Stripe.js origin added to
    ``script-src``, ``frame-src`` and ``connect-src`` (this page only)."""
    origin = _origin(stripe_js)
    directives = [d.strip() for d in CSP.split(";") if d.strip()]
    out = []
    for directive in directives:
        name = directive.split()[0]
        if name in ("script-src", "connect-src"):
            directive = f"{directive} {origin}"
        out.append(directive)
    out.append(f"frame-src {origin}")
    return "; ".join(out)


@bp.get("/bookings/<int:booking_id>/pay")
@transaction.writes  # a new attempt (PaymentIntent) when the last one was cancelled
@login_required
def pay(booking_id: int):
    booking = _own_booking(booking_id)
    if booking.status != "held":
        return redirect(url_for("payments.status", booking_id=booking.id))
    payment = payments.ensure_payment(g.tenant, booking, utcnow())
    keys = keys_of(g.tenant)
    stripe_js = js_url()
    response = render_template(
        "booking/payments/pay.html",
        booking=booking,
        payment=payment,
        invoice=payment.invoice,
        publishable_key=keys.publishable_key,
        stripe_js=stripe_js,
    )
    return response, 200, {"Content-Security-Policy": payment_page_csp(stripe_js)}


@bp.post("/bookings/<int:booking_id>/pay")
@raw_body  # JSON from payment.js; the CSRF token comes in X-CSRFToken
@login_required
def submit(booking_id: int):
    """The card token from Stripe.js (JSON ``{"token": "tok_…"}``): the
    PaymentIntent is confirmed on the server; the answer says what the page
    does next (3-D Secure in the browser, or the status page)."""
    booking = _own_booking(booking_id)
    status_url = url_for("payments.status", booking_id=booking.id)
    if booking.status != "held":
        return jsonify({"status": "done", "next": status_url})
    payment = payments.pending_payment(booking)
    if payment is None:
        return error_json(409, "conflict", _("Für diese Buchung ist keine Zahlung offen."))
    return _card_answer(payment, status_url)


def _card_answer(payment, status_url: str):
    """Confirm ``payment`` with the card token the page sent and say what
    the page does next (3-D Secure in the browser, or the status page)."""
    body = request.get_json(silent=True)
    token = body.get("token") if isinstance(body, dict) else None
    try:
        payment, message = payments.submit_card(g.tenant, payment, token, utcnow())
    except ValidationFailed as error:
        return error_json(422, "validation_failed", str(error.message))
    except payments.PaymentUnavailable as error:
        return error_json(503, "unavailable", str(error.message))
    return jsonify(
        {
            "status": payment.status,
            "message": message,
            "client_secret": payment.client_secret if payment.status == "requires_action" else None,
            "next": status_url,
        }
    )


@bp.get("/bookings/<int:booking_id>/payment")
@transaction.writes  # settles from Stripe
@login_required
def status(booking_id: int):
    """Where the payer lands: our records, brought up to date by asking
    Stripe (never by what the browser says)."""
    booking = _own_booking(booking_id)
    payment = payments.payment_of(booking)
    if payment is not None and booking.status == "held" and payment.succeeded_at is None:
        # On failure the page shows what we know; the webhook or reconcile follow.
        with contextlib.suppress(payments.PaymentUnavailable, ValidationFailed):
            payment = payments.settle(g.tenant, payment.intent_id, utcnow()) or payment
    return render_template(
        "booking/payments/status.html",
        booking=booking,
        payment=payment,
        invoice=invoices.invoice_of(booking),
        message=payments.status_message(payment, booking),
    )


# --- invoices without a booking (a cemetery case) -------------------------------------------


def _own_invoice(invoice_id: int) -> Invoice:
    """An invoice without a booking addressed to the signed-in account, else
    404 (also another tenant's, another person's and a booking's invoice).
    Staff see it on its page; paying is the recipient's."""
    invoice = get_scoped(Invoice, g.tenant, invoice_id)
    if (
        not payments.is_case_invoice(invoice)
        or invoice.user_id is None
        or invoice.user_id != current_user.id
    ):
        abort(404)
    return invoice


@bp.get("/invoices/<int:invoice_id>/pay")
@transaction.writes  # creates the PaymentIntent
@login_required
def invoice_pay(invoice_id: int):
    invoice = _own_invoice(invoice_id)
    if invoice.status != "open" or invoices.outstanding_cents(invoice) <= 0:
        return redirect(url_for("payments.invoice_status", invoice_id=invoice.id))
    payment = payments.start_invoice_payment(g.tenant, invoice, utcnow())
    keys = keys_of(g.tenant)
    stripe_js = js_url()
    response = render_template(
        "booking/payments/invoice_pay.html",
        invoice=invoice,
        payment=payment,
        publishable_key=keys.publishable_key,
        stripe_js=stripe_js,
    )
    return response, 200, {"Content-Security-Policy": payment_page_csp(stripe_js)}


@bp.post("/invoices/<int:invoice_id>/pay")
@raw_body  # JSON from payment.js; the CSRF token comes in X-CSRFToken
@login_required
def invoice_submit(invoice_id: int):
    """The card token for an invoice without a booking (as ``submit``)."""
    invoice = _own_invoice(invoice_id)
    status_url = url_for("payments.invoice_status", invoice_id=invoice.id)
    if invoice.status != "open":
        return jsonify({"status": "done", "next": status_url})
    payment = payments.pending_invoice_payment(invoice)
    if payment is None:
        return error_json(409, "conflict", _("Für diesen Bescheid ist keine Zahlung offen."))
    return _card_answer(payment, status_url)


@bp.get("/invoices/<int:invoice_id>/payment")
@transaction.writes  # settles from Stripe
@login_required
def invoice_status(invoice_id: int):
    """Where the payer lands: our records, brought up to date from Stripe."""
    invoice = _own_invoice(invoice_id)
    payment = payments.invoice_payment_of(invoice)
    if payment is not None and payment.succeeded_at is None and invoice.status == "open":
        with contextlib.suppress(payments.PaymentUnavailable, ValidationFailed):
            payment = payments.settle(g.tenant, payment.intent_id, utcnow()) or payment
    return render_template(
        "booking/payments/invoice_status.html",
        invoice=invoice,
        payment=payment,
        message=payments.invoice_status_message(payment, invoice),
    )


# --- admin: the municipality's Stripe keys ---------------------------------------------------


def _render_keys(form: StripeKeysForm):
    tenant = g.tenant
    return render_template(
        "booking/payments/keys.html",
        form=form,
        secret_set=bool(
            secrets.reveal(tenant.stripe_secret_key_encrypted, "stripe secret key", tenant.slug)
        ),
        webhook_set=bool(
            secrets.reveal(
                tenant.stripe_webhook_secret_encrypted, "stripe webhook secret", tenant.slug
            )
        ),
        webhook_url=url_for("payments.stripe_webhook", _external=True),
    )


@admin_bp.get("/stripe")
@requires(is_admin)
def keys():
    form = StripeKeysForm(formdata=None, publishable_key=g.tenant.stripe_publishable_key)
    return _render_keys(form)


@admin_bp.post("/stripe")
@requires(is_admin)
def save_keys():
    form = StripeKeysForm()
    if not form.validate_on_submit():
        return _render_keys(form), 422
    tenant = g.tenant
    before = _key_state(tenant)
    tenant.stripe_publishable_key = (form.publishable_key.data or "").strip() or None
    if form.clear_secret_key.data:
        tenant.stripe_secret_key_encrypted = None
    elif form.secret_key.data:
        tenant.stripe_secret_key_encrypted = secrets.encrypt(form.secret_key.data.strip())
    if form.clear_webhook_secret.data:
        tenant.stripe_webhook_secret_encrypted = None
    elif form.webhook_secret.data:
        tenant.stripe_webhook_secret_encrypted = secrets.encrypt(form.webhook_secret.data.strip())
    after = _key_state(tenant)
    # Never the secrets themselves: whether they are set, and when they changed.
    after["secret_key_changed"] = bool(form.secret_key.data or form.clear_secret_key.data)
    after["webhook_secret_changed"] = bool(
        form.webhook_secret.data or form.clear_webhook_secret.data
    )
    audit.record(tenant, current_actor(), "tenant.stripe_keys", tenant, before=before, after=after)
    flash(_("Die Zahlungseinstellungen sind gespeichert."), "success")
    return redirect(url_for("payments_admin.keys"))


def _key_state(tenant) -> dict:
    return {
        "publishable_key": tenant.stripe_publishable_key,
        "secret_key": "gesetzt" if tenant.stripe_secret_key_encrypted else "nicht gesetzt",
        "webhook_secret": "gesetzt" if tenant.stripe_webhook_secret_encrypted else "nicht gesetzt",
    }
