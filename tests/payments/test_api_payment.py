"""POST /bookings with "payment": "online" and the "payment" object while held."""

from __future__ import annotations

from booking.extensions import db
from booking.reservations.models import Booking
from tests.payments.helpers import pay_at_stripe
from tests.times import at, iso


def _body(hall, day, **extra):
    return {
        "resource_id": hall.id,
        "start": iso(at(day, "18:00")),
        "end": iso(at(day, "22:00")),
        "title": "Geburtstag",
        **extra,
    }


def test_online_booking_answer_carries_the_payment(
    stripe_app, api, citizen, clerk, tenant, paid_hall, day, localstripe
):
    answer = api(citizen, tenant).post("/bookings", json=_body(paid_hall, day, payment="online"))
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["status"] == "held"
    payment = body["payment"]
    assert payment["provider"] == "stripe"
    assert payment["payment_intent_id"].startswith("pi_")
    assert payment["client_secret"].startswith(payment["payment_intent_id"])
    assert payment["status"] == "requires_payment_method"
    assert payment["expires_at"].endswith("+01:00") or payment["expires_at"].endswith("+02:00")
    again = api(citizen, tenant).get(f"/bookings/{body['id']}").get_json()
    assert again["payment"] == payment
    # Staff see the payment, not the payer's client secret.
    staff_view = api(clerk, tenant).get(f"/bookings/{body['id']}").get_json()
    assert staff_view["payment"]["client_secret"] is None
    # Once paid, the answer has no payment any more.
    booking = db.session.get(Booking, body["id"])
    from booking.payments import service

    pay_at_stripe(localstripe, service.payment_of(booking))
    service.settle(tenant, payment["payment_intent_id"])
    db.session.commit()
    paid = api(citizen, tenant).get(f"/bookings/{body['id']}").get_json()
    assert paid["status"] == "confirmed" and "payment" not in paid


def test_invoice_is_the_default_and_has_no_payment(
    stripe_app, api, citizen, tenant, paid_hall, day
):
    body = api(citizen, tenant).post("/bookings", json=_body(paid_hall, day)).get_json()
    assert body["status"] == "confirmed" and "payment" not in body


def test_unknown_payment_is_422_and_nothing_written(
    stripe_app, api, citizen, tenant, paid_hall, day
):
    for value, status in (("cash", 422), ("", 422), (1, 400), (True, 400)):
        answer = api(citizen, tenant).post("/bookings", json=_body(paid_hall, day, payment=value))
        assert answer.status_code == status, value
        assert "payment" in answer.get_json()["error"]["details"]["fields"]
    assert db.session.query(Booking).count() == 0


def test_quote_starts_no_payment(stripe_app, api, citizen, tenant, paid_hall, day):
    from booking.payments.models import Payment

    answer = api(citizen, tenant).post(
        "/bookings/quote", json=_body(paid_hall, day, payment="online")
    )
    assert answer.status_code == 200
    assert db.session.query(Payment).count() == 0
