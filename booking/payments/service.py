"""Online payment with Stripe PaymentIntents.

The flow (one that Stripe documents and localstripe carries end to end):
the server creates a PaymentIntent when an online booking is made (the
booking is ``held``, its claims block the slot), the payment page collects
the card with Stripe.js' card element and calls ``confirmCardPayment`` with
the client secret (3-D Secure in Stripe's dialog), and the booking is settled
only from what Stripe itself says when asked: ``settle`` re-reads the
PaymentIntent, whether a webhook, the reconciliation job or the return to
the status page asked for it. A webhook body is never trusted.

One ``Payment`` row per PaymentIntent we created; while a booking has a
pending one, no second is created (localstripe ignores idempotency keys, so
this must hold in our database). Settling locks the payment row, so a
webhook and the reconciliation job at the same moment record one payment.

Plain functions over ``db.session``: flush, never commit."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import stripe
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from booking.accounts.access import is_staff
from booking.accounts.models import User
from booking.audit import service as audit
from booking.core import Conflict, Forbidden, NotFound, ValidationFailed, utcnow
from booking.extensions import db
from booking.fees import invoices
from booking.fees.models import Invoice
from booking.notifications.service import notify
from booking.payments.models import Payment, Refund, StripeEvent
from booking.payments.stripe_client import NotConfigured, client_for
from booking.reservations import engine
from booking.reservations import notifications as booking_mail
from booking.reservations.models import CLAIMING_STATUSES, Booking
from booking.resources.policy import policy_of
from booking.tenants.models import Tenant

log = logging.getLogger(__name__)

PAYMENT_METHODS = ("invoice", "online")
# Stripe's PaymentIntent statuses after which nothing changes any more.
FINAL_STATUSES = frozenset({"succeeded", "canceled"})
HANDLED_EVENTS = frozenset(
    {
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.canceled",
        "payment_intent.requires_action",
        "payment_intent.processing",
    }
)


class PaymentUnavailable(Conflict):
    """Stripe could not be reached or refused the request."""


def checked_method(value: Any) -> str:
    if value is None:
        return "invoice"
    if value not in PAYMENT_METHODS:
        raise ValidationFailed(
            _l("Unbekannte Zahlungsart."),
            {"payment": [_l("Erlaubt sind „invoice“ und „online“.")]},
        )
    return value


def hold_minutes(tenant: Tenant) -> int:
    if tenant.payment_hold_minutes is not None:
        return tenant.payment_hold_minutes
    return int(current_app.config.get("PAYMENT_HOLD_MINUTES", 30))


def amount_of(invoice: Invoice) -> int:
    """What is paid online: the fee and the deposit, in cents."""
    return invoices.outstanding_cents(invoice)


def _client(tenant: Tenant) -> stripe.StripeClient:
    try:
        return client_for(tenant)
    except NotConfigured:
        raise ValidationFailed(
            _l("Online-Zahlung ist für diese Gemeinde nicht eingerichtet."),
            {"payment": [_l("Bitte wählen Sie die Zahlung per Rechnung.")]},
        ) from None


def _stripe_failed(error: stripe.StripeError) -> PaymentUnavailable:
    # Stripe's message may name the request, never card data; the key is not in it.
    log.warning("stripe request failed: %s (%s)", type(error).__name__, error.code or "-")
    return PaymentUnavailable(
        _l("Der Zahlungsdienst ist gerade nicht erreichbar. Bitte versuchen Sie es später.")
    )


def _latest_payment(tenant_id: int, of: Any, *, pending: bool) -> Payment | None:
    """The latest payment matching ``of`` (of a booking, of an invoice);
    ``pending``: only one that may still succeed."""
    query = select(Payment).where(Payment.tenant_id == tenant_id, of)
    if pending:
        query = query.where(Payment.status.not_in(FINAL_STATUSES))
    return db.session.scalar(query.order_by(Payment.id.desc()).limit(1))


def pending_payment(booking: Booking) -> Payment | None:
    """The booking's latest payment that may still succeed."""
    return _latest_payment(booking.tenant_id, Payment.booking_id == booking.id, pending=True)


def payment_of(booking: Booking) -> Payment | None:
    """The booking's latest payment (any status)."""
    return _latest_payment(booking.tenant_id, Payment.booking_id == booking.id, pending=False)


def start_online_payment(
    tenant: Tenant, booking: Booking, invoice: Invoice, now: datetime
) -> Payment:
    """Hold ``booking`` for its payment: a PaymentIntent over the invoice's
    fee and deposit (EUR, cents), one ``Payment`` row, ``held`` until now +
    the hold time. A booking that has a pending payment keeps it."""
    existing = pending_payment(booking)
    if existing is not None:
        return existing
    amount = amount_of(invoice)
    if amount <= 0:
        raise ValidationFailed(_l("Diese Buchung kostet nichts; es ist nichts zu bezahlen."))
    client = _client(tenant)
    try:
        intent = client.v1.payment_intents.create(
            params={
                "amount": amount,
                "currency": invoice.currency.lower(),
                "payment_method_types": ["card"],
                "metadata": {
                    "tenant": tenant.slug,
                    "tenant_id": str(tenant.id),
                    "booking_id": str(booking.id),
                    "invoice_id": str(invoice.id),
                },
            }
        )
    except stripe.StripeError as error:
        raise _stripe_failed(error) from None
    expires_at = now + timedelta(minutes=hold_minutes(tenant))
    payment = Payment(
        tenant_id=tenant.id,
        invoice_id=invoice.id,
        booking_id=booking.id,
        provider="stripe",
        intent_id=intent.id,
        client_secret=intent.client_secret,
        amount_cents=amount,
        currency=invoice.currency,
        status=intent.status,
        expires_at=expires_at,
        created_at=now,
        updated_at=now,
    )
    db.session.add(payment)
    booking.status = "held"
    booking.payment_method = "online"
    booking.updated_at = now
    db.session.flush()
    return payment


# --- invoices without a booking (a cemetery case) ---------------------------------------


def is_case_invoice(invoice: Invoice) -> bool:
    """An invoice that bills no booking (subject ``cemetery``): paid online
    without any hold or booking status."""
    return invoice.booking_id is None and invoice.subject != "booking"


def pending_invoice_payment(invoice: Invoice) -> Payment | None:
    """The invoice's latest payment that may still succeed."""
    return _latest_payment(invoice.tenant_id, Payment.invoice_id == invoice.id, pending=True)


def invoice_payment_of(invoice: Invoice) -> Payment | None:
    """The invoice's latest payment (any status)."""
    return _latest_payment(invoice.tenant_id, Payment.invoice_id == invoice.id, pending=False)


def start_invoice_payment(tenant: Tenant, invoice: Invoice, now: datetime) -> Payment:
    """A PaymentIntent over what is still outstanding on an invoice without a
    booking, one ``Payment`` row (no hold, no expiry, no booking status). An
    invoice with a pending payment keeps it; two tabs at once: the invoice's
    row lock lets one create it. 422 for a booking's invoice, 409 when the
    invoice is not open or nothing is owed."""
    if invoice.tenant_id != tenant.id:
        raise NotFound(_l("Nicht gefunden."))
    if not is_case_invoice(invoice):
        raise ValidationFailed(_l("Dieser Bescheid wird mit seiner Buchung bezahlt."))
    db.session.execute(select(Invoice.id).where(Invoice.id == invoice.id).with_for_update())
    existing = pending_invoice_payment(invoice)
    if existing is not None:
        return existing
    if invoice.status != "open":
        raise Conflict(_l("Der Bescheid ist nicht mehr offen."))
    amount = amount_of(invoice)
    if amount <= 0:
        raise Conflict(_l("Auf diesen Bescheid ist nichts mehr zu zahlen."))
    client = _client(tenant)
    try:
        intent = client.v1.payment_intents.create(
            params={
                "amount": amount,
                "currency": invoice.currency.lower(),
                "payment_method_types": ["card"],
                "metadata": {
                    "tenant": tenant.slug,
                    "tenant_id": str(tenant.id),
                    "invoice_id": str(invoice.id),
                    "subject": invoice.subject,
                },
            }
        )
    except stripe.StripeError as error:
        raise _stripe_failed(error) from None
    payment = Payment(
        tenant_id=tenant.id,
        invoice_id=invoice.id,
        booking_id=None,
        provider="stripe",
        intent_id=intent.id,
        client_secret=intent.client_secret,
        amount_cents=amount,
        currency=invoice.currency,
        status=intent.status,
        expires_at=None,
        created_at=now,
        updated_at=now,
    )
    db.session.add(payment)
    db.session.flush()
    return payment


def invoice_status_message(payment: Payment | None, invoice: Invoice) -> str:
    """What the status page of an invoice without a booking says."""
    if payment is not None and payment.succeeded_at is not None:
        return str(_l("Die Zahlung ist eingegangen. Vielen Dank."))
    if invoice.status == "paid":
        return str(_l("Der Bescheid ist bezahlt."))
    if invoice.status == "cancelled":
        return str(_l("Der Bescheid ist storniert; es ist nichts zu bezahlen."))
    if payment is None:
        return str(_l("Für diesen Bescheid ist keine Online-Zahlung begonnen."))
    if payment.status == "processing":
        return str(_l("Die Zahlung wird bearbeitet. Bitte laden Sie die Seite gleich neu."))
    if payment.status == "requires_action":
        return str(_l("Die Zahlung wartet auf Ihre Bestätigung (3-D Secure)."))
    if getattr(payment, "declined", False):
        return str(
            _l(
                "Die letzte Zahlung wurde abgelehnt. Bitte versuchen Sie es mit einer "
                "anderen Karte erneut."
            )
        )
    return str(_l("Die Zahlung ist noch nicht eingegangen."))


def _settle_case(tenant: Tenant, payment: Payment, invoice: Invoice, received: int, now) -> Payment:
    """A succeeded payment of an invoice without a booking: recorded on the
    invoice; paid meanwhile otherwise (a clerk recorded the transfer) or
    cancelled, the money goes back through Stripe at once."""
    if invoice.status != "open" or invoices.outstanding_cents(invoice) <= 0:
        log.warning(
            "tenant %s: payment %s succeeded for an invoice no longer open; refunded",
            tenant.slug,
            payment.id,
        )
        db.session.flush()
        _refund_at_stripe(tenant, payment, received, "late_payment", now)
        return payment
    before = {"status": invoice.status, "paid_cents": invoice.paid_cents}
    intent_id = payment.intent_id
    invoices.record_payment(invoice, received, invoices.local_date(tenant, now), intent_id, now)
    audit.record(
        tenant,
        None,
        "invoice.paid_online",
        invoice,
        before=before,
        after={"status": invoice.status, "payment": intent_id, "amount_cents": received},
        now=now,
    )
    db.session.flush()
    return payment


def payment_json(payment: Payment) -> dict[str, Any]:
    """``payment`` in a booking's API answer while it is held (API.md)."""
    return {
        "provider": payment.provider,
        "payment_intent_id": payment.intent_id,
        "client_secret": payment.client_secret,
        "status": payment.status,
        "expires_at": payment.expires_at.isoformat() if payment.expires_at else None,
    }


def booking_payment_json(booking: Booking) -> dict[str, Any] | None:
    if booking.status != "held":
        return None
    payment = pending_payment(booking) or payment_of(booking)
    return payment_json(payment) if payment is not None else None


def ensure_payment(tenant: Tenant, booking: Booking, now: datetime) -> Payment:
    """The held booking's pending payment; a new attempt (PaymentIntent)
    only when the last one can no longer succeed (cancelled at Stripe)."""
    # Two tabs at once: the booking's row lock lets one create the attempt.
    db.session.execute(select(Booking.id).where(Booking.id == booking.id).with_for_update())
    payment = pending_payment(booking)
    if payment is not None:
        return payment
    invoice = invoices.invoice_of(booking)
    if invoice is None:
        raise ValidationFailed(_l("Diese Buchung kostet nichts; es ist nichts zu bezahlen."))
    return start_online_payment(tenant, booking, invoice, now)


CARD_DECLINED = _l(
    "Die Karte wurde abgelehnt. Bitte verwenden Sie eine andere Karte "
    "oder wenden Sie sich an Ihre Bank."
)
AUTH_FAILED = _l("Die Bestätigung der Zahlung (3-D Secure) ist fehlgeschlagen.")


def submit_card(
    tenant: Tenant, payment: Payment, token_id: str, now: datetime | None = None
) -> tuple[Payment, str | None]:
    """Confirm ``payment`` with the card Stripe.js tokenised in the browser
    (the token only; card data never reaches us). Returns the payment (its
    status as Stripe answered: ``succeeded``, ``requires_action`` for 3-D
    Secure in the browser, or ``requires_payment_method`` after a decline)
    and a message for the payer when the card was refused."""
    now = now or utcnow()
    if not isinstance(token_id, str) or not token_id.startswith("tok_") or len(token_id) > 255:
        raise ValidationFailed(_l("Die Kartendaten fehlen."), {"token": [_l("Ungültig.")]})
    client = _client(tenant)
    message = None
    try:
        token = client.v1.tokens.retrieve(token_id)
        card = getattr(token, "card", None)
        card_id = getattr(card, "id", None)
        if not card_id:
            raise ValidationFailed(_l("Die Kartendaten fehlen."), {"token": [_l("Ungültig.")]})
        client.v1.payment_intents.update(payment.intent_id, params={"payment_method": card_id})
        client.v1.payment_intents.confirm(payment.intent_id)
    except stripe.CardError as error:
        log.info("tenant %s: card refused for payment %s (%s)", tenant.slug, payment.id, error.code)
        message = str(CARD_DECLINED)
    except stripe.InvalidRequestError as error:
        log.info("tenant %s: payment %s not confirmed (%s)", tenant.slug, payment.id, error.code)
        raise ValidationFailed(_l("Die Zahlung konnte nicht bestätigt werden.")) from None
    except stripe.StripeError as error:
        raise _stripe_failed(error) from None
    settled = settle(tenant, payment.intent_id, now)  # re-read from Stripe
    return settled or payment, message


def status_message(payment: Payment | None, booking: Booking) -> str:
    """What the status page says, from our records (German source)."""
    if booking.status == "expired":
        return str(_l("Die Zeit für die Zahlung ist abgelaufen; die Reservierung ist aufgehoben."))
    if payment is not None and payment.succeeded_at is not None:
        if booking.status == "requested":
            return str(_l("Die Zahlung ist eingegangen. Die Verwaltung prüft Ihre Anfrage."))
        return str(_l("Die Zahlung ist eingegangen. Ihre Buchung ist bestätigt."))
    if payment is None:
        return str(_l("Für diese Buchung ist keine Online-Zahlung offen."))
    if payment.status == "processing":
        return str(_l("Die Zahlung wird bearbeitet. Bitte laden Sie die Seite gleich neu."))
    if payment.status == "requires_action":
        return str(_l("Die Zahlung wartet auf Ihre Bestätigung (3-D Secure)."))
    if getattr(payment, "declined", False):
        return str(
            _l(
                "Die letzte Zahlung wurde abgelehnt. Bitte versuchen Sie es mit einer "
                "anderen Karte erneut."
            )
        )
    return str(_l("Die Zahlung ist noch nicht eingegangen."))


# --- settling ----------------------------------------------------------------------


def _locked_payment(tenant: Tenant, intent_id: str) -> Payment | None:
    return db.session.scalar(
        select(Payment)
        .where(Payment.tenant_id == tenant.id, Payment.intent_id == intent_id)
        .with_for_update()
    )


def _booking_of(payment: Payment) -> Booking | None:
    if payment.booking_id is None:
        return None
    return db.session.get(Booking, payment.booking_id)


def _touch(booking: Booking, now: datetime) -> None:
    booking.updated_at = now
    for occ in booking.active_occurrences:
        occ.sequence = (occ.sequence or 0) + 1
        occ.updated_at = now


def settle(tenant: Tenant, intent_id: str, now: datetime | None = None) -> Payment | None:
    """Bring our records in line with what Stripe says about ``intent_id``
    (re-read from Stripe, whatever anyone told us): paid → the invoice
    records it once and the held booking is confirmed (requested where the
    resource needs approval), the applicant is told; an invoice without a
    booking (a cemetery case) records the payment (``_settle_case``); not
    paid → nothing but the payment's status changes. ``None`` for an intent we did not create."""
    now = now or utcnow()
    payment = _locked_payment(tenant, intent_id)
    if payment is None:
        return None
    if payment.succeeded_at is not None:
        return payment  # recorded before: a duplicate or a late event
    try:
        intent = _client(tenant).v1.payment_intents.retrieve(intent_id)
    except stripe.StripeError as error:
        raise _stripe_failed(error) from None
    payment.status = intent.status
    payment.updated_at = now
    # Not stored (no column): whether Stripe refused the last attempt, for the status page.
    payment.declined = getattr(intent, "last_payment_error", None) is not None
    if intent.status != "succeeded":
        db.session.flush()
        return payment
    received = int(getattr(intent, "amount_received", None) or intent.amount)
    payment.succeeded_at = now
    invoice = payment.invoice
    booking = _booking_of(payment)
    if booking is None and payment.booking_id is None and is_case_invoice(invoice):
        return _settle_case(tenant, payment, invoice, received, now)
    if invoice.status == "cancelled" or booking is None or booking.status != "held":
        # Paid after the hold ran out (or the booking ended, its slot maybe
        # someone else's): the money goes back through Stripe at once.
        log.warning(
            "tenant %s: payment %s succeeded for a booking no longer held; refunded",
            tenant.slug,
            payment.id,
        )
        db.session.flush()
        _refund_at_stripe(tenant, payment, received, "late_payment", now)
        return payment
    invoices.record_payment(invoice, received, invoices.local_date(tenant, now), intent_id, now)
    before = {"status": booking.status}
    booking.status = "requested" if policy_of(booking.resource).requires_approval else "confirmed"
    _touch(booking, now)
    audit.record(
        tenant,
        None,
        "booking.paid",
        booking,
        before=before,
        after={"status": booking.status, "payment": intent_id, "amount_cents": received},
        now=now,
    )
    db.session.flush()
    booking_mail.booking_created(tenant, booking)  # confirmed, or the request received
    return payment


def record_event(tenant: Tenant, event_id: str, event_type: str, now: datetime) -> bool:
    """Store a webhook event id once; ``False`` when it was seen before."""
    seen = db.session.scalar(select(StripeEvent.id).where(StripeEvent.event_id == event_id))
    if seen is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(
                StripeEvent(
                    tenant_id=tenant.id, event_id=event_id, type=event_type[:100], received_at=now
                )
            )
    except IntegrityError:  # the unique constraint: another delivery won
        return False
    return True


def handle_event(tenant: Tenant, event: Any, now: datetime | None = None) -> str:
    """A verified webhook event: stored once, then the PaymentIntent it
    names is re-read from Stripe. Returns what happened (for the log)."""
    now = now or utcnow()
    if not record_event(tenant, event.id, event.type, now):
        return "duplicate"
    if event.type not in HANDLED_EVENTS:
        return "ignored"
    data = getattr(getattr(event, "data", None), "object", None)
    intent_id = getattr(data, "id", None)
    if not isinstance(intent_id, str) or not intent_id.startswith("pi_"):
        return "ignored"
    payment = settle(tenant, intent_id, now)
    return "unknown intent" if payment is None else f"settled: {payment.status}"


# --- jobs -----------------------------------------------------------------------------


def reconcile(now: datetime | None = None) -> dict[str, int]:
    """``payments.reconcile``: ask Stripe about every pending payment."""
    from booking.transaction import checkpoint

    now = now or utcnow()
    counts = {"checked": 0, "succeeded": 0, "failed": 0}
    pending = db.session.execute(
        select(Payment.tenant_id, Payment.intent_id)
        .where(Payment.status.not_in(FINAL_STATUSES), Payment.succeeded_at.is_(None))
        .order_by(Payment.id)
    ).all()
    for tenant_id, intent_id in pending:
        tenant = db.session.get(Tenant, tenant_id)
        try:
            payment = settle(tenant, intent_id, now)
        except (PaymentUnavailable, ValidationFailed):
            counts["failed"] += 1
            db.session.rollback()
            continue
        counts["checked"] += 1
        if payment is not None and payment.succeeded_at is not None:
            counts["succeeded"] += 1
        checkpoint()
    return counts


def _cancel_intent(tenant: Tenant, payment: Payment) -> None:
    try:
        intent = client_for(tenant).v1.payment_intents.cancel(payment.intent_id)
    except (stripe.StripeError, NotConfigured) as error:
        log.info(
            "tenant %s: payment %s not cancelled at Stripe (%s)",
            tenant.slug,
            payment.id,
            type(error).__name__,
        )
        return
    payment.status = intent.status


def expire_holds(now: datetime | None = None) -> dict[str, int]:
    """``payments.expire_holds``: held bookings whose payment time ran out
    become ``expired``, their claims are released, the invoice is cancelled,
    the PaymentIntent cancelled at Stripe where it still can be, and the
    applicant is told. A payment that went through meanwhile settles first."""
    from booking.transaction import checkpoint

    now = now or utcnow()
    counts = {"expired": 0, "paid": 0}
    due = db.session.execute(
        select(Payment.id, Payment.tenant_id, Payment.intent_id)
        .join(Booking, Booking.id == Payment.booking_id)
        .where(
            Booking.status == "held",
            Payment.succeeded_at.is_(None),
            Payment.expires_at <= now,
        )
        .order_by(Payment.id)
    ).all()
    for payment_id, tenant_id, intent_id in due:
        tenant = db.session.get(Tenant, tenant_id)
        try:
            payment = settle(tenant, intent_id, now)  # paid at the last minute?
        except (PaymentUnavailable, ValidationFailed):
            payment = db.session.get(Payment, payment_id)
        if payment.succeeded_at is not None:
            counts["paid"] += 1
            checkpoint()
            continue
        booking = _booking_of(payment)
        if booking is None or booking.status != "held":
            continue
        if pending_payment(booking) not in (None, payment):
            continue  # a newer attempt holds it
        _cancel_intent(tenant, payment)
        expire_booking(tenant, booking, now)
        counts["expired"] += 1
        checkpoint()
    return counts


def expire_booking(tenant: Tenant, booking: Booking, now: datetime) -> None:
    """A held booking whose payment did not come: expired, the slot free."""
    before = {"status": booking.status}
    engine.release_claims(booking.occurrences)
    invoices.cancel_booking_invoice(booking, now)
    booking.status = "expired"
    _touch(booking, now)
    audit.record(
        tenant, None, "booking.expire", booking, before=before, after={"status": "expired"}, now=now
    )
    db.session.flush()
    person = booking.user
    if person is not None:
        notify(
            "payment_expired",
            person.email,
            tenant,
            key=f"payment.expired:{booking.id}",
            locale=person.locale,
            booking=booking,
            person=person,
            place=booking_mail.place(booking.resource),
        )


# --- refunds --------------------------------------------------------------------------


def _refunded_cents(payment: Payment) -> int:
    return sum(
        r.amount_cents
        for r in db.session.scalars(select(Refund).where(Refund.payment_id == payment.id))
        if r.status != "failed"
    )


def follow_cancellation(
    tenant: Tenant, booking: Booking, refund_cents: int, now: datetime
) -> Refund | None:
    """The hook after dates of a booking paid online were cancelled: what the
    cancellation policy gives back (``CancellationBill.refund_cents``) goes
    back through Stripe; a booking cancelled or rejected while still held
    has its PaymentIntent cancelled instead."""
    if booking.payment_method != "online":
        return None
    pending = pending_payment(booking)
    ended = booking.status not in CLAIMING_STATUSES  # cancelled or rejected
    if ended and pending is not None and pending.succeeded_at is None:
        _cancel_intent(tenant, pending)
    if refund_cents <= 0:
        return None
    paid = db.session.scalar(
        select(Payment)
        .where(
            Payment.tenant_id == tenant.id,
            Payment.booking_id == booking.id,
            Payment.succeeded_at.is_not(None),
        )
        .order_by(Payment.id.desc())
        .limit(1)
    )
    if paid is None:
        return None
    amount = min(refund_cents, paid.amount_cents - _refunded_cents(paid))
    if amount <= 0:
        return None
    return refund(tenant, paid, amount, "cancellation", now)


def _refund_at_stripe(
    tenant: Tenant, payment: Payment, amount_cents: int, reason: str, now: datetime
) -> Refund:
    """Stripe refunds ``amount_cents`` of ``payment``; the row is Stripe's answer."""
    try:
        answer = _client(tenant).v1.refunds.create(
            params={
                "payment_intent": payment.intent_id,
                "amount": amount_cents,
                "metadata": {"tenant": tenant.slug, "reason": reason[:40]},
            }
        )
    except stripe.StripeError as error:
        raise _stripe_failed(error) from None
    row = Refund(
        tenant_id=tenant.id,
        payment_id=payment.id,
        stripe_refund_id=answer.id,
        amount_cents=int(answer.amount),
        status=answer.status or "pending",
        reason=reason[:40],
        created_at=now,
    )
    db.session.add(row)
    db.session.flush()
    booking = _booking_of(payment)
    audit.record(
        tenant,
        None,
        "payment.refund",
        booking if booking is not None else payment,
        after={
            "payment": payment.intent_id,
            "refund": row.stripe_refund_id,
            "amount_cents": row.amount_cents,
            "status": row.status,
            "reason": row.reason,
        },
        now=now,
    )
    return row


def refund(
    tenant: Tenant, payment: Payment, amount_cents: int, reason: str, now: datetime | None = None
) -> Refund:
    """Give back ``amount_cents`` of a succeeded payment through Stripe,
    recorded from Stripe's answer (its id, amount, status), and on the invoice."""
    now = now or utcnow()
    if payment.tenant_id != tenant.id:
        raise ValidationFailed(_l("Unbekannte Zahlung."))
    if payment.succeeded_at is None:
        raise Conflict(_l("Die Zahlung ist nicht eingegangen; es gibt nichts zu erstatten."))
    refunded = _refunded_cents(payment)
    if amount_cents <= 0 or refunded + amount_cents > payment.amount_cents:
        raise ValidationFailed(
            _l("Der Betrag ist höher als das, was noch erstattet werden kann."),
            {
                "amount_cents": [
                    _l("Höchstens %(cents)s Cent.", cents=payment.amount_cents - refunded)
                ]
            },
        )
    row = _refund_at_stripe(tenant, payment, amount_cents, reason, now)
    if row.status != "failed":
        invoices.record_refund(payment.invoice, row.amount_cents, now)
    return row


REFUND_REASONS = ("deposit", "staff")


def refund_invoice(
    tenant: Tenant,
    actor: User,
    invoice: Invoice,
    amount_cents: int,
    reason: str,
    reference: str | None,
    now: datetime | None = None,
) -> Invoice:
    """Staff give money back on ``invoice``: the deposit after the event
    (``reason="deposit"``) or part of what was paid (``"staff"``). Paid
    online: through Stripe, recorded from its answer. Paid by transfer: the
    clerk records the transfer back (``reference``). Never more than was paid
    and not yet given back. Audited."""
    now = now or utcnow()
    if invoice.tenant_id != tenant.id:
        raise NotFound(_l("Nicht gefunden."))
    if not is_staff(actor, tenant):
        raise Forbidden(_l("Nur die Verwaltung kann Erstattungen erfassen."))
    if reason not in REFUND_REASONS:
        raise ValidationFailed(
            _l("Bitte prüfen Sie die Angaben."), {"reason": [_l("Unbekannter Anlass.")]}
        )
    refundable = invoice.paid_cents - invoice.refunded_cents
    if amount_cents <= 0 or amount_cents > refundable:
        raise ValidationFailed(
            _l("Erstattet werden kann höchstens, was bezahlt und noch nicht erstattet ist."),
            {"amount": [_l("Höchstens %(cents)s Cent.", cents=max(refundable, 0))]},
        )
    before = {"refunded_cents": invoice.refunded_cents, "status": invoice.status}
    paid_online = db.session.scalar(
        select(Payment)
        .where(Payment.invoice_id == invoice.id, Payment.succeeded_at.is_not(None))
        .order_by(Payment.id.desc())
        .limit(1)
    )
    if paid_online is not None:
        refund(tenant, paid_online, amount_cents, reason, now)
    else:
        invoices.record_refund(invoice, amount_cents, now)
    audit.record(
        tenant,
        actor,
        "invoice.refund",
        invoice.booking if invoice.booking is not None else invoice,
        before=before,
        after={
            "refunded_cents": invoice.refunded_cents,
            "status": invoice.status,
            "amount_cents": amount_cents,
            "reason": reason,
            "via": "stripe" if paid_online is not None else "transfer",
        },
        reason=reference,
        now=now,
    )
    return invoice
