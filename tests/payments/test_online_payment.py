"""Online payment against localstripe: held bookings, the signed webhook,
reconciliation, expired holds and refunds."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking.core import utcnow
from booking.extensions import db
from booking.fees.invoices import invoice_of
from booking.notifications.models import OutboxMessage
from booking.payments import service
from booking.payments.models import Payment, Refund, StripeEvent
from booking.reservations.errors import BookingConflict
from booking.reservations.models import Claim
from tests.payments.helpers import (
    AMOUNT_CENTS,
    book,
    book_online,
    pay_at_stripe,
    sign,
    stripe_client,
    webhook_url,
)


@pytest.fixture
def held(stripe_app, tenant, citizen, paid_hall, day):
    booking, payment = book_online(tenant, citizen, paid_hall, day)
    db.session.commit()
    return booking, payment


def _deliver(client, tenant, body: bytes, signature: str):
    return client.post(
        webhook_url(tenant),
        data=body,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _active_claims(booking) -> int:
    ids = [o.id for o in booking.occurrences]
    return db.session.scalar(
        select(func.count()).where(Claim.occurrence_id.in_(ids), Claim.active.is_(True))
    )


def test_online_booking_is_held_with_one_payment_intent(
    held, localstripe, tenant, other_citizen, paid_hall, day
):
    booking, payment = held
    assert booking.status == "held"
    assert payment.amount_cents == AMOUNT_CENTS
    assert payment.status == "requires_payment_method"
    assert payment.client_secret.startswith(payment.intent_id)
    assert timedelta(minutes=29) < payment.expires_at - payment.created_at <= timedelta(minutes=30)
    intent = stripe_client(localstripe).v1.payment_intents.retrieve(payment.intent_id)
    assert intent.amount == AMOUNT_CENTS and intent.currency == "eur"
    assert intent.metadata["booking_id"] == str(booking.id)
    assert intent.metadata["invoice_id"] == str(invoice_of(booking).id)
    # The hold blocks the slot.
    with pytest.raises(BookingConflict):
        book(tenant, other_citizen, paid_hall, day)
    db.session.rollback()
    # Asking again gives the same attempt, not a second PaymentIntent.
    assert service.ensure_payment(tenant, booking, utcnow()).id == payment.id
    assert _count(Payment) == 1


def test_invoice_booking_is_not_held(stripe_app, tenant, citizen, paid_hall, day):
    booking = book(tenant, citizen, paid_hall, day)
    assert booking.status == "confirmed"
    assert _count(Payment) == 0


def test_unknown_payment_method_is_refused_and_nothing_written(
    stripe_app, tenant, citizen, paid_hall, day
):
    from booking.core import ValidationFailed
    from booking.reservations.models import Booking

    with pytest.raises(ValidationFailed):
        book(tenant, citizen, paid_hall, day, payment="cash")
    db.session.rollback()
    assert _count(Booking) == 0


def test_paid_and_signed_webhook_confirms_and_pays_the_invoice(
    held, localstripe, webhooks, client, tenant
):
    booking, payment = held
    assert pay_at_stripe(localstripe, payment).status == "succeeded"
    body, signature = webhooks.wait_for("payment_intent.succeeded", payment.intent_id)
    answer = _deliver(client, tenant, body, signature)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    db.session.expire_all()
    assert booking.status == "confirmed"
    invoice = invoice_of(booking)
    assert invoice.status == "paid" and invoice.paid_cents == AMOUNT_CENTS
    assert invoice.paid_reference == payment.intent_id
    assert payment.status == "succeeded" and payment.succeeded_at is not None
    mail = db.session.scalars(select(OutboxMessage.key)).all()
    assert any(key.startswith(f"booking.confirmed:{booking.id}") for key in mail)
    # The same event again: 200, one payment.
    again = _deliver(client, tenant, body, signature)
    assert again.status_code == 200
    db.session.expire_all()
    assert invoice_of(booking).paid_cents == AMOUNT_CENTS
    assert _count(StripeEvent) == 1


def test_a_resource_needing_approval_is_requested_once_paid(
    stripe_app, localstripe, tenant, citizen, paid_hall, day
):
    paid_hall.requires_approval = True
    db.session.commit()
    booking, payment = book_online(tenant, citizen, paid_hall, day)
    pay_at_stripe(localstripe, payment)
    service.settle(tenant, payment.intent_id)
    assert booking.status == "requested"
    assert invoice_of(booking).status == "paid"


def test_bad_or_missing_signature_is_400_and_changes_nothing(held, client, tenant):
    booking, payment = held
    body = json.dumps(
        {
            "id": "evt_forged",
            "object": "event",
            "type": "payment_intent.succeeded",
            "data": {"object": {"id": payment.intent_id, "object": "payment_intent"}},
        }
    ).encode()
    for signature in (sign(body, secret="whsec_wrong"), "", "t=1,v1=00"):
        answer = _deliver(client, tenant, body, signature)
        assert answer.status_code == 400
        assert answer.get_json()["error"]["code"] == "bad_request"
    empty = _deliver(client, tenant, b"", sign(b""))
    assert empty.status_code == 400
    garbage = _deliver(client, tenant, b"not json", sign(b"not json"))
    assert garbage.status_code == 400
    db.session.expire_all()
    assert booking.status == "held"
    assert _count(StripeEvent) == 0
    assert invoice_of(booking).paid_cents == 0


def test_signed_event_for_an_unpaid_intent_changes_nothing(held, client, tenant):
    """A correctly signed (forged or stale) body saying "succeeded": the
    PaymentIntent is re-read from Stripe, which says it is not paid."""
    booking, payment = held
    body = json.dumps(
        {
            "id": "evt_stale_1",
            "object": "event",
            "type": "payment_intent.succeeded",
            "created": 1,
            "livemode": False,
            "api_version": "2020-08-27",
            "data": {
                "object": {
                    "id": payment.intent_id,
                    "object": "payment_intent",
                    "status": "succeeded",
                    "amount_received": AMOUNT_CENTS,
                }
            },
        }
    ).encode()
    answer = _deliver(client, tenant, body, sign(body))
    assert answer.status_code == 200
    db.session.expire_all()
    assert booking.status == "held"
    assert invoice_of(booking).paid_cents == 0
    assert payment.succeeded_at is None and payment.status == "requires_payment_method"


def test_declined_card_stays_held_with_a_clear_message(
    held, localstripe, tenant, client, login, citizen
):
    from tests.payments.helpers import DECLINED, card_token

    booking, payment = held
    login(citizen)
    answer = client.post(
        f"/{tenant.slug}/bookings/{booking.id}/pay",
        json={"token": card_token(localstripe, DECLINED)},
    )
    assert answer.status_code == 200
    assert "Karte wurde abgelehnt" in answer.get_json()["message"]
    db.session.expire_all()
    assert booking.status == "held"
    assert payment.status == "requires_payment_method"
    assert invoice_of(booking).paid_cents == 0
    page = client.get(f"/{tenant.slug}/bookings/{booking.id}/payment")
    assert "Die letzte Zahlung wurde abgelehnt" in page.get_data(as_text=True)


def test_lost_webhook_is_settled_by_reconcile(held, localstripe, tenant):
    booking, payment = held
    pay_at_stripe(localstripe, payment)  # the webhook is never handed to the app
    assert booking.status == "held"
    counts = service.reconcile(utcnow())
    assert counts["succeeded"] == 1
    db.session.expire_all()
    assert booking.status == "confirmed"
    assert invoice_of(booking).status == "paid"
    assert service.reconcile(utcnow())["checked"] == 0  # nothing pending any more


def test_unpaid_hold_expires_and_the_slot_is_bookable_again(
    held, localstripe, tenant, other_citizen, paid_hall, day
):
    booking, payment = held
    early = service.expire_holds(payment.created_at + timedelta(minutes=29))
    assert early["expired"] == 0
    counts = service.expire_holds(payment.created_at + timedelta(minutes=31))
    assert counts["expired"] == 1
    db.session.expire_all()
    assert booking.status == "expired"
    assert _active_claims(booking) == 0
    assert invoice_of(booking).status == "cancelled"
    assert payment.status == "canceled"
    assert (
        stripe_client(localstripe).v1.payment_intents.retrieve(payment.intent_id).status
        == "canceled"
    )
    keys = db.session.scalars(select(OutboxMessage.key)).all()
    assert f"payment.expired:{booking.id}" in keys
    again = book(tenant, other_citizen, paid_hall, day)
    assert again.status == "confirmed"


def test_refund_goes_through_stripe_and_shows_on_the_invoice(held, localstripe, tenant):
    booking, payment = held
    pay_at_stripe(localstripe, payment)
    service.settle(tenant, payment.intent_id)
    refund = service.refund(tenant, payment, 10000, "deposit")
    assert refund.stripe_refund_id.startswith("re_")
    assert refund.amount_cents == 10000 and refund.status == "succeeded"
    invoice = invoice_of(booking)
    assert invoice.refunded_cents == 10000
    assert invoice.status == "partly_refunded"
    stripe_refund = stripe_client(localstripe).v1.refunds.retrieve(refund.stripe_refund_id)
    assert stripe_refund.amount == 10000
    from booking.core import ValidationFailed

    with pytest.raises(ValidationFailed):
        service.refund(tenant, payment, AMOUNT_CENTS, "staff")  # more than is left
    assert _count(Refund) == 1


def test_staff_return_the_deposit_of_an_online_payment_through_stripe(
    held, localstripe, tenant, clerk
):
    booking, payment = held
    pay_at_stripe(localstripe, payment)
    service.settle(tenant, payment.intent_id)
    invoice = invoice_of(booking)
    service.refund_invoice(tenant, clerk, invoice, 10000, "deposit", None)
    (refund,) = db.session.scalars(select(Refund)).all()
    assert (refund.amount_cents, refund.reason, refund.status) == (10000, "deposit", "succeeded")
    assert stripe_client(localstripe).v1.refunds.retrieve(refund.stripe_refund_id).amount == 10000
    assert invoice.refunded_cents == 10000


def test_failed_event_after_success_changes_nothing(held, localstripe, webhooks, client, tenant):
    """Events in any order: a late payment_failed for a paid intent."""
    booking, payment = held
    pay_at_stripe(localstripe, payment)
    body, signature = webhooks.wait_for("payment_intent.succeeded", payment.intent_id)
    assert _deliver(client, tenant, body, signature).status_code == 200
    late = json.dumps(
        {
            "id": "evt_late_failure",
            "object": "event",
            "type": "payment_intent.payment_failed",
            "data": {"object": {"id": payment.intent_id, "object": "payment_intent"}},
        }
    ).encode()
    assert _deliver(client, tenant, late, sign(late)).status_code == 200
    db.session.expire_all()
    assert booking.status == "confirmed"
    assert invoice_of(booking).paid_cents == AMOUNT_CENTS


def test_payment_at_the_last_minute_is_not_expired(held, localstripe, tenant):
    booking, payment = held
    pay_at_stripe(localstripe, payment)  # no webhook reached us yet
    counts = service.expire_holds(payment.created_at + timedelta(minutes=31))
    assert counts == {"expired": 0, "paid": 1}
    db.session.expire_all()
    assert booking.status == "confirmed"
    assert _active_claims(booking) == 1


def test_webhook_of_another_tenant_changes_nothing(held, localstripe, client, make_tenant):
    """Tenant B's URL with B's secret naming tenant A's intent: unknown there."""
    from booking.payments import secrets

    booking, payment = held
    pay_at_stripe(localstripe, payment)
    other = make_tenant("andere")
    other.stripe_webhook_secret_encrypted = secrets.encrypt("whsec_andere")
    db.session.commit()
    body = json.dumps(
        {
            "id": "evt_cross",
            "object": "event",
            "type": "payment_intent.succeeded",
            "data": {"object": {"id": payment.intent_id, "object": "payment_intent"}},
        }
    ).encode()
    # Signed with the default secret: B has its own, so it is refused.
    assert _deliver(client, other, body, sign(body)).status_code == 400
    answer = _deliver(client, other, body, sign(body, secret="whsec_andere"))
    assert answer.status_code == 200
    db.session.expire_all()
    assert booking.status == "held"
    assert invoice_of(booking).paid_cents == 0


def test_unknown_tenant_webhook_is_404(stripe_app, client):
    assert client.post("/gibt-es-nicht/payments/stripe/webhook", data=b"{}").status_code == 404


def test_zero_hold_minutes_expire_at_the_next_run(stripe_app, tenant, citizen, paid_hall, day):
    tenant.payment_hold_minutes = 0
    db.session.commit()
    booking, payment = book_online(tenant, citizen, paid_hall, day)
    assert payment.expires_at == payment.created_at
    assert service.expire_holds(payment.created_at)["expired"] == 1
    assert booking.status == "expired"


def test_online_without_stripe_keys_is_422_and_nothing_written(
    app, tenant, citizen, paid_hall, day
):
    from booking.core import ValidationFailed
    from booking.reservations.models import Booking

    app.config.update(STRIPE_SECRET_KEY="", STRIPE_WEBHOOK_SECRET="")
    with pytest.raises(ValidationFailed) as raised:
        book_online(tenant, citizen, paid_hall, day)
    assert "payment" in raised.value.details["fields"]
    db.session.rollback()
    assert _count(Booking) == 0
    body = b'{"id": "evt_1"}'
    answer = app.test_client().post(
        webhook_url(tenant), data=body, headers={"Stripe-Signature": sign(body)}
    )
    assert answer.status_code == 400


def test_webhook_logs_neither_secret_nor_signature(
    held, localstripe, webhooks, client, tenant, caplog
):
    import logging

    from tests.payments.conftest import WEBHOOK_SECRET

    _booking, payment = held
    pay_at_stripe(localstripe, payment)
    body, signature = webhooks.wait_for("payment_intent.succeeded", payment.intent_id)
    with caplog.at_level(logging.DEBUG):
        assert _deliver(client, tenant, body, signature).status_code == 200
        _deliver(client, tenant, body, sign(body, secret="whsec_wrong"))
    assert WEBHOOK_SECRET not in caplog.text
    assert signature.split("v1=")[1] not in caplog.text
    assert "settled: succeeded" in caplog.text


def test_payment_for_a_booking_no_longer_held_is_refunded(held, localstripe, tenant):
    """Paid after the hold was released (the Stripe cancel had failed): the
    slot may be someone else's, so the money goes back through Stripe."""
    booking, payment = held
    pay_at_stripe(localstripe, payment)
    service.expire_booking(tenant, booking, utcnow())  # released, intent not cancelled
    service.settle(tenant, payment.intent_id)
    assert booking.status == "expired"
    refund = db.session.scalars(select(Refund)).one()
    assert refund.amount_cents == AMOUNT_CENTS and refund.reason == "late_payment"
    assert stripe_client(localstripe).v1.refunds.retrieve(refund.stripe_refund_id).amount == (
        AMOUNT_CENTS
    )
    service.settle(tenant, payment.intent_id)  # again: nothing more
    assert _count(Refund) == 1


def _paid(localstripe, tenant, citizen, hall, day):
    booking, payment = book_online(tenant, citizen, hall, day)
    pay_at_stripe(localstripe, payment)
    service.settle(tenant, payment.intent_id)
    assert booking.status == "confirmed"
    return booking, payment


def test_cancelling_a_paid_booking_refunds_through_stripe(
    stripe_app, localstripe, tenant, citizen, paid_hall, day
):
    from booking.reservations import service as reservations

    booking, _payment = _paid(localstripe, tenant, citizen, paid_hall, day)
    reservations.cancel_booking(tenant, citizen, booking)
    refund = db.session.scalars(select(Refund)).one()
    assert refund.amount_cents == AMOUNT_CENTS and refund.reason == "cancellation"
    assert stripe_client(localstripe).v1.refunds.retrieve(refund.stripe_refund_id).amount == (
        AMOUNT_CENTS
    )
    invoice = invoice_of(booking)
    assert invoice.refunded_cents == AMOUNT_CENTS and invoice.status == "refunded"


def test_cancellation_charge_is_kept_and_the_rest_refunded(
    stripe_app, localstripe, tenant, citizen, paid_hall, day
):
    from booking.reservations import service as reservations
    from tests.payments.helpers import DEPOSIT_CENTS, FEE_CENTS

    paid_hall.cancellation_policy = [{"days_before": 0, "percent": 50}]
    db.session.commit()
    booking, _payment = _paid(localstripe, tenant, citizen, paid_hall, day)
    reservations.cancel_booking(tenant, citizen, booking)
    refund = db.session.scalars(select(Refund)).one()
    assert refund.amount_cents == FEE_CENTS // 2 + DEPOSIT_CENTS
    assert invoice_of(booking).status == "partly_refunded"


def test_cancelling_a_held_booking_cancels_its_payment_intent(held, localstripe, tenant, citizen):
    from booking.reservations import service as reservations

    booking, payment = held
    reservations.cancel_booking(tenant, citizen, booking)
    assert booking.status == "cancelled"
    assert payment.status == "canceled"
    assert (
        stripe_client(localstripe).v1.payment_intents.retrieve(payment.intent_id).status
        == "canceled"
    )
    assert _count(Refund) == 0


def test_rejecting_a_held_booking_cancels_its_payment_intent(held, localstripe, tenant, clerk):
    from booking.reservations import service as reservations

    booking, payment = held
    reservations.reject_booking(tenant, clerk, booking, reason="Doppelt")
    assert booking.status == "rejected"
    assert payment.status == "canceled"
    assert _active_claims(booking) == 0
    assert invoice_of(booking).status == "cancelled"


def test_payment_actions_are_audited_with_labels(held, localstripe, tenant, citizen):
    from booking.audit.labels import ACTION_LABELS, OBJECT_LABELS
    from booking.audit.models import AuditEntry

    booking, payment = held
    pay_at_stripe(localstripe, payment)
    service.settle(tenant, payment.intent_id)
    service.refund(tenant, payment, 5000, "deposit")
    other, unpaid = book_online(
        tenant,
        citizen,
        booking.resource,
        booking.occurrences[0].start_at.date() + timedelta(days=7),
    )
    service.expire_holds(unpaid.expires_at + timedelta(seconds=1))
    recorded = db.session.execute(select(AuditEntry.action, AuditEntry.object_type)).all()
    assert {"booking.paid", "payment.refund", "booking.expire"} <= {a for a, _ in recorded}
    assert all(action in ACTION_LABELS for action, _ in recorded)
    assert all(kind in OBJECT_LABELS for _, kind in recorded)
    assert other.status == "expired"


def test_jobs_run_through_the_runner(held, localstripe, tenant):
    """Both jobs are registered under API.md's ids and run as jobs do."""
    from booking.jobs import registry, runner

    booking, payment = held
    pay_at_stripe(localstripe, payment)
    run = runner.run_job(registry.get("payments.reconcile"))
    assert run.outcome == "ok", run.error
    assert run.counts["succeeded"] == 1
    db.session.expire_all()
    assert booking.status == "confirmed"
    expire = runner.run_job(registry.get("payments.expire_holds"))
    assert expire.outcome == "ok", expire.error
