"""The booking form offers online payment where the municipality has Stripe
keys; choosing it holds the booking and leads to the payment page."""

from __future__ import annotations

from sqlalchemy import select

from booking.extensions import db
from booking.reservations.models import Booking
from tests.reservations.screens.helpers import form_data, hidden_fields


def _url(tenant, hall) -> str:
    return f"/{tenant.slug}/halls/{hall.id}/book"


def test_online_choice_goes_through_preview_to_the_payment_page(
    stripe_app, client, login, citizen, tenant, paid_hall, day
):
    login(citizen)
    form = client.get(_url(tenant, paid_hall)).get_data(as_text=True)
    assert 'name="payment"' in form and "Sofort online mit Karte" in form
    preview = client.post(_url(tenant, paid_hall), data=form_data(day, payment="online"))
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    done = client.post(_url(tenant, paid_hall), data=hidden_fields(page) | {"action": "confirm"})
    booking = db.session.scalars(select(Booking)).one()
    assert booking.status == "held"
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/{tenant.slug}/bookings/{booking.id}/pay")


def test_invoice_is_the_default(stripe_app, client, login, citizen, tenant, paid_hall, day):
    login(citizen)
    preview = client.post(_url(tenant, paid_hall), data=form_data(day))
    page = preview.get_data(as_text=True)
    client.post(_url(tenant, paid_hall), data=hidden_fields(page) | {"action": "confirm"})
    assert db.session.scalars(select(Booking)).one().status == "confirmed"


def test_unknown_choice_is_422_and_nothing_written(
    stripe_app, client, login, citizen, tenant, paid_hall, day
):
    login(citizen)
    answer = client.post(
        _url(tenant, paid_hall), data=form_data(day, payment="bar", action="confirm")
    )
    assert answer.status_code == 422
    assert db.session.scalars(select(Booking)).first() is None


def test_no_online_choice_without_stripe_keys(app, client, login, citizen, tenant, paid_hall, day):
    app.config.update(STRIPE_SECRET_KEY="", STRIPE_PUBLISHABLE_KEY="")
    login(citizen)
    form = client.get(_url(tenant, paid_hall)).get_data(as_text=True)
    assert 'name="payment"' not in form
    # A forged choice is ignored: the booking is paid by invoice.
    preview = client.post(_url(tenant, paid_hall), data=form_data(day, payment="online"))
    page = preview.get_data(as_text=True)
    client.post(
        _url(tenant, paid_hall),
        data=hidden_fields(page) | {"action": "confirm", "payment": "online"},
    )
    assert db.session.scalars(select(Booking)).one().status == "confirmed"
