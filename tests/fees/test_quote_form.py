"""The booking form's preview shows the itemised fee and the deposit before
anyone commits; the applicant chooses the customer category there; the
booking's page shows the fee; a clerk corrects the category (audited, the
fee follows)."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from booking.accounts import service as accounts
from booking.audit.models import AuditEntry
from booking.extensions import db
from booking.fees import invoices
from booking.fees import service as fees
from booking.fees.schedule import load_schedule
from booking.reservations import service as bookings
from booking.reservations.models import Booking, Claim, Occurrence
from tests.fees.helpers import span
from tests.reservations.screens.helpers import count, form_data, hidden_fields

HALL_RULES = [rule.to_dict() for rule in load_schedule().for_kind("hall").rules]


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True)).replace("\xa0", " ")


def book_url(tenant, resource) -> str:
    return f"/{tenant.slug}/halls/{resource.id}/book"


def nothing_written() -> tuple[int, ...]:
    return count(Booking), count(Occurrence), count(Claim)


@pytest.fixture
def hall(make_resource, tenant):
    hall = make_resource("Bürgerhaus", capacity=200)
    fees.set_fee_rules(tenant, None, hall, HALL_RULES)
    db.session.commit()
    return hall


def test_the_form_offers_the_customer_category(client, login, tenant, citizen, hall):
    login(citizen)
    page = page_text(client.get(book_url(tenant, hall)))
    assert 'name="category"' in page and "Kundengruppe" in page
    assert "örtlichen Verein buchen" in page  # the help text


def test_preview_shows_items_and_deposit_and_writes_nothing(
    client, login, tenant, citizen, hall, day
):
    login(citizen)
    response = client.post(book_url(tenant, hall), data=form_data(day))
    assert response.status_code == 200
    page = page_text(response)
    assert "260,00 €" in page  # a day at 200 € and cleaning at 60 €
    assert "Nutzungsentgelt: 1 Tag à 200,00 €: 200,00 €" in page
    assert "Reinigungspauschale: 60,00 €" in page
    assert "Kaution: 200,00 €" in page
    assert nothing_written() == (0, 0, 0)


def test_preview_follows_the_chosen_category_and_the_booking_keeps_it(
    client, login, tenant, citizen, hall, day
):
    login(citizen)
    response = client.post(book_url(tenant, hall), data=form_data(day, category="external"))
    page = page_text(response)
    assert "360,00 €" in page and "auswärtig" in page
    done = client.post(book_url(tenant, hall), data=hidden_fields(page) | {"action": "confirm"})
    assert done.status_code == 302
    booking = db.session.scalars(select(Booking)).one()
    assert booking.customer_category == "external"
    detail = page_text(client.get(done.headers["Location"]))
    assert "360,00 €" in detail and "Kaution: 300,00 €" in detail


def test_local_club_without_a_club_is_refused_on_the_field(
    client, login, tenant, citizen, hall, day
):
    login(citizen)
    response = client.post(book_url(tenant, hall), data=form_data(day, category="local_club"))
    assert response.status_code == 422
    page = page_text(response)
    assert "nur für Buchungen eines örtlichen Vereins" in page
    assert 'id="category-error"' in page
    assert nothing_written() == (0, 0, 0)


def test_a_club_books_as_local_club_by_default(client, login, tenant, citizen, hall, day):
    club = accounts.create_organisation(tenant, citizen, name="TSV Musterhausen")
    db.session.commit()
    login(citizen)
    response = client.post(book_url(tenant, hall), data=form_data(day, organisation=str(club.id)))
    page = page_text(response)
    assert "örtlicher Verein" in page and "110,00 €" in page  # 80 € flat and 30 € cleaning


def test_a_free_booking_says_kostenlos(client, login, tenant, citizen, make_resource, day):
    room = make_resource("Jugendraum", "room")
    login(citizen)
    page = page_text(client.post(book_url(tenant, room), data=form_data(day)))
    assert "kostenlos" in page and "Kaution" not in page


@pytest.fixture
def booking(tenant, citizen, hall, day):
    start, end = span(day, "18:00", "22:00")
    made = bookings.create_booking(tenant, citizen, hall, start, end, "Feier").booking
    db.session.commit()
    return made


def category_url(tenant, booking) -> str:
    return f"/{tenant.slug}/bookings/{booking.id}/category"


def test_clerk_corrects_the_category_and_the_fee_follows(client, login, tenant, clerk, booking):
    login(clerk)
    page = page_text(client.get(f"/{tenant.slug}/bookings/{booking.id}"))
    assert "Kundengruppe korrigieren" in page and "260,00 €" in page
    response = client.post(category_url(tenant, booking), data={"category": "commercial"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).customer_category == "commercial"
    page = page_text(client.get(response.headers["Location"]))
    assert "530,00 €" in page  # 450 € a day and 80 € cleaning
    (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "booking.category"))
    assert entry.before["category"] == "resident" and entry.after["category"] == "commercial"
    # The fee notice follows: a correction item takes it to the new fee.
    invoice = invoices.invoice_of(db.session.get(Booking, booking.id))
    assert invoice.total_cents == 53000 and invoice.customer_category == "commercial"
    assert sum(item["amount_cents"] for item in invoice.items) == 53000
    assert invoice.items[-1]["label"].startswith("Berichtigung")


def test_the_applicant_cannot_correct_the_category(client, login, tenant, citizen, booking):
    login(citizen)
    assert "Kundengruppe korrigieren" not in page_text(
        client.get(f"/{tenant.slug}/bookings/{booking.id}")
    )
    response = client.post(category_url(tenant, booking), data={"category": "local_club"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).customer_category == "resident"


def test_an_unknown_category_changes_nothing(client, login, tenant, clerk, booking):
    login(clerk)
    response = client.post(category_url(tenant, booking), data={"category": "vip"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).customer_category == "resident"
    assert "Bitte eine Kundengruppe wählen" in page_text(client.get(response.headers["Location"]))


def test_another_municipality_s_clerk_gets_404(client, login, make_tenant, make_user, booking):
    other = make_tenant("nachbarort")
    their_clerk = make_user(tenant=other, roles=("clerk",))
    login(their_clerk)
    response = client.post(
        f"/{other.slug}/bookings/{booking.id}/category", data={"category": "external"}
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).customer_category == "resident"
