"""A club's page lists the club's bookings to its members (upcoming, past,
cancelled apart); a person outside the club gets a 404, as before."""

from __future__ import annotations

import html
import re

from booking.accounts import service
from booking.extensions import db
from booking.reservations import service as bookings
from tests.accounts.helpers import add_member
from tests.times import at, workday


def page_text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def setup_club(tenant, make_user, make_resource):
    manager, member = make_user(name="Mara Managerin"), make_user(name="Max Mitglied")
    club = service.create_organisation(tenant, manager, name="TSV Musterhausen")
    add_member(club, manager, member)
    hall = make_resource("Sporthalle", observe_holidays=False)
    day = workday()
    training = bookings.create_booking(
        tenant,
        manager,
        hall,
        at(day, "18:00"),
        at(day, "20:00"),
        "Training",
        organisation=club,
        recurrence={"count": 2},
    ).booking
    fest = bookings.create_booking(
        tenant, manager, hall, at(day, "10:00"), at(day, "12:00"), "Sommerfest", organisation=club
    ).booking
    private = bookings.create_booking(
        tenant, manager, hall, at(day, "13:00"), at(day, "14:00"), "Privat"
    ).booking
    bookings.cancel_booking(tenant, manager, fest)
    db.session.commit()
    return club, manager, member, training, fest, private


def test_members_see_the_clubs_bookings(client, login, tenant, make_user, make_resource):
    club, manager, member, training, _fest, _private = setup_club(tenant, make_user, make_resource)
    login(member)
    response = client.get(f"/{tenant.slug}/organisations/{club.id}")
    assert response.status_code == 200
    page = page_text(response)
    assert "Buchungen der Organisation" in page
    assert (
        page.index("Training") < page.index("Storniert oder abgelehnt") < page.index("Sommerfest")
    )
    assert "Privat" not in page  # the manager's own booking is not the club's
    assert "2 Termine, ab" in page
    # A plain member cannot open the booking's page, so it is not linked.
    assert f'/bookings/{training.id}"' not in response.get_data(as_text=True)
    client.post("/account/logout")
    login(manager)
    body = client.get(f"/{tenant.slug}/organisations/{club.id}").get_data(as_text=True)
    assert f'/bookings/{training.id}"' in body
    assert "<table" in body  # the members' table, not the bookings
    assert body.count('class="booking-card"') == 2


def test_outsiders_and_other_municipalities_get_404(
    client, login, tenant, make_tenant, make_user, make_resource
):
    club, *_ = setup_club(tenant, make_user, make_resource)
    other = make_tenant("andersdorf", name="Gemeinde Andersdorf")
    for user in (make_user(), make_user(tenant=other, roles=("admin",))):
        client.post("/account/logout")
        login(user)
        response = client.get(f"/{tenant.slug}/organisations/{club.id}")
        assert response.status_code == 404
        assert "Training" not in response.get_data(as_text=True)
