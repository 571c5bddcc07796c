"""A person's own data: the JSON download, and deleting the account."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from booking.accounts import service
from booking.core import utcnow
from booking.extensions import db
from booking.feeds import tokens as feeds
from booking.feeds.models import FeedToken
from booking.reservations import service as bookings
from booking.reservations.models import Booking, Claim
from booking.resources import service as resources
from tests.accounts.helpers import add_member
from tests.conftest import PASSWORD


def book(tenant, user, hall, start, hours=2, title="Probe", now=None):
    result = bookings.create_booking(
        tenant, user, hall, start, start + timedelta(hours=hours), title, now=now or utcnow()
    )
    db.session.commit()
    return result.booking


def test_the_download_holds_ones_own_data_and_nobody_elses(
    client, login, make_user, tenant, make_resource
):
    me, other = make_user(name="Carla"), make_user(name="Otto")
    hall = make_resource("Bürgerhaus")
    soon = utcnow() + timedelta(days=20)
    book(tenant, me, hall, soon, title="Mein Geburtstag")
    book(tenant, other, hall, soon + timedelta(days=1), title="Ottos Feier")
    club = service.create_organisation(tenant, other, name="TSV")
    add_member(club, other, me)
    service.create_api_token(me, "Skript")
    feeds.create_feed(tenant, me, "mine", now=utcnow())
    feeds.create_feed(tenant, other, "mine", now=utcnow())
    db.session.commit()

    assert client.get("/account/data.json").status_code == 302  # sign in first
    login(me)
    response = client.get("/account/data.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    assert data["account"]["email"] == me.email
    assert [b["title"] for b in data["bookings"]] == ["Mein Geburtstag"]
    assert data["organisations"] == [{"municipality": tenant.slug, "name": "TSV", "manager": False}]
    assert data["api_tokens"][0]["name"] == "Skript"
    assert [(f["municipality"], f["scope"]) for f in data["calendar_subscriptions"]] == [
        (tenant.slug, "mine")
    ]
    assert "token_hash" not in response.get_data(as_text=True)
    assert "Ottos Feier" not in response.get_data(as_text=True)


def test_deleting_the_account_cancels_what_is_to_come_and_anonymises_the_past(
    client, login, make_user, tenant, make_resource
):
    me = make_user(name="Carla")
    hall = make_resource("Bürgerhaus")
    now = utcnow()
    past = book(
        tenant, me, hall, now - timedelta(days=30), title="Alt", now=now - timedelta(days=40)
    )
    coming = book(tenant, me, hall, now + timedelta(days=10), title="Bald")
    _, plain = feeds.create_feed(tenant, me, "mine", now=now)
    db.session.commit()
    email = me.email
    login(me)

    response = client.post(
        "/account/delete", data={"delete-password": "falsch-falsch", "delete-sure": "y"}
    )
    assert response.status_code == 200 and "Das Passwort stimmt nicht" in response.get_data(
        as_text=True
    )
    response = client.post("/account/delete", data={"delete-password": PASSWORD})
    assert response.status_code == 200  # not ticked: nothing happens
    assert service.find_user(email) is not None

    response = client.post(
        "/account/delete", data={"delete-password": PASSWORD, "delete-sure": "y"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert service.find_user(email) is None
    assert client.get("/account/profile").status_code == 302
    coming, past = db.session.get(Booking, coming.id), db.session.get(Booking, past.id)
    assert coming.status == "cancelled"
    assert (
        db.session.scalar(select(func.count()).select_from(Claim).where(Claim.active.is_(True)))
        == 1
    )  # only the past date still counts for the hall's statistics
    for booking in (coming, past):
        assert booking.user_id is None and booking.title == "[anonymisiert]"
    assert resources.get_resource(tenant, hall.id) is not None
    assert db.session.scalar(select(func.count()).select_from(FeedToken)) == 0
    assert client.get(f"/{tenant.slug}/feeds/{plain}.ics").status_code == 404


def test_the_last_admin_cannot_delete_their_account(client, login, make_user, tenant):
    admin = make_user(tenant=tenant, roles=["admin"])
    login(admin)
    response = client.post(
        "/account/delete", data={"delete-password": PASSWORD, "delete-sure": "y"}
    )
    assert response.status_code == 200
    assert "letzte Person mit Administrationsrechten" in response.get_data(as_text=True)
    assert service.find_user(admin.email) is not None
    make_user(tenant=tenant, roles=["admin"])  # a second admin
    response = client.post(
        "/account/delete", data={"delete-password": PASSWORD, "delete-sure": "y"}
    )
    assert response.status_code == 302
    assert service.find_user(admin.email) is None


def test_deleting_needs_a_signed_in_person(client):
    assert client.post("/account/delete", data={"delete-password": PASSWORD}).status_code == 302


def test_a_clubs_bookings_stay_when_the_member_who_made_them_leaves(
    client, login, make_user, tenant, make_resource
):
    manager, me = make_user(name="Vera"), make_user(name="Carla")
    club = service.create_organisation(tenant, manager, name="TSV")
    add_member(club, manager, me)
    hall = make_resource("Sporthalle")
    start = utcnow() + timedelta(days=10)
    training = bookings.create_booking(
        tenant, me, hall, start, start + timedelta(hours=2), "Training", organisation=club
    ).booking
    db.session.commit()
    login(me)
    response = client.post(
        "/account/delete", data={"delete-password": PASSWORD, "delete-sure": "y"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    training = db.session.get(Booking, training.id)
    assert training.status == "confirmed" and training.title == "Training"
    assert training.user_id is None and training.organisation_id == club.id
