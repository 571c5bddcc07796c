"""The cancel page shows what cancelling costs before the user confirms;
confirming corrects the invoice."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest

from booking.extensions import db
from booking.tenants.localtime import tenant_zone
from tests.fees.invoicing import FEE_CENTS, book, invoice, make_paid_hall


@pytest.fixture
def paid_hall(make_resource):
    return make_paid_hall(make_resource)


def page_text(response) -> str:
    text = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return html.unescape(re.sub(r"\s+", " ", text))


def test_cancel_page_shows_the_charge_before_confirming(client, login, tenant, citizen, paid_hall):
    soon = datetime.now(UTC).astimezone(tenant_zone(tenant)).date() + timedelta(days=6)
    booking = book(tenant, citizen, paid_hall, soon)
    db.session.commit()
    login(citizen)
    page = page_text(client.get(f"/{tenant.slug}/bookings/{booking.id}/cancel"))
    assert "Kosten der Stornierung" in page
    assert "Stornogebühr 45,00 €" in page  # 50 % of 90,00 €
    assert "50 % von 90,00 €" in page
    assert "Danach zu zahlen (Gebühr und Kaution) 45,00 €" in page
    assert invoice(booking).total_cents == FEE_CENTS  # nothing changed yet
    response = client.post(f"/{tenant.slug}/bookings/{booking.id}/cancel", data={"reason": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert invoice(booking).total_cents == FEE_CENTS // 2


def test_cancel_page_of_an_early_cancellation_is_free(
    client, login, tenant, citizen, paid_hall, day
):
    booking = book(tenant, citizen, paid_hall, day)
    db.session.commit()
    login(citizen)
    page = page_text(client.get(f"/{tenant.slug}/bookings/{booking.id}/cancel"))
    assert "keine – die Stornierung ist kostenfrei" in page
    assert "Danach zu zahlen (Gebühr und Kaution) 0,00 €" in page


def test_cancel_page_of_a_paid_booking_shows_the_refund(
    client, login, tenant, citizen, paid_hall, day
):
    from booking.fees import invoices

    booking = book(tenant, citizen, paid_hall, day)
    invoices.record_payment(invoice(booking), FEE_CENTS + 10000, day, "SEPA", datetime.now(UTC))
    db.session.commit()
    login(citizen)
    page = page_text(client.get(f"/{tenant.slug}/bookings/{booking.id}/cancel"))
    assert "Sie erhalten zurück 190,00 €" in page


def test_cancel_page_of_a_free_booking_has_no_costs(
    client, login, tenant, citizen, make_resource, day
):
    booking = book(tenant, citizen, make_resource("Gratis"), day)
    db.session.commit()
    login(citizen)
    page = page_text(client.get(f"/{tenant.slug}/bookings/{booking.id}/cancel"))
    assert "Kosten der Stornierung" not in page
