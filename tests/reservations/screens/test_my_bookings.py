"""'Meine Buchungen', cancelling (whole booking or one date) through the
confirmation page, and the .ics download."""

from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from booking.extensions import db
from booking.reservations import service as bookings
from booking.reservations.models import Claim
from tests.reservations.screens.conftest import local
from tests.reservations.screens.helpers import text


def active_claims(booking) -> int:
    ids = [o.id for o in booking.occurrences]
    return len(
        db.session.scalars(
            select(Claim).where(Claim.occurrence_id.in_(ids), Claim.active.is_(True))
        ).all()
    )


def test_my_bookings_lists_mine_with_status_and_actions(
    client, sign_in, tenant, hall, book_hours, citizen, other_citizen, booking
):
    book_hours(other_citizen, hall, 10, 12, title="Ottos Termin")
    sign_in(citizen)
    page = text(client.get(f"/{tenant.slug}/bookings/mine"))
    assert "Geburtstag Carla" in page
    assert "Ottos Termin" not in page
    assert '<span class="status status-confirmed">bestätigt</span>' in page
    assert f"/bookings/{booking.id}.ics" in page
    assert f"/bookings/{booking.id}/cancel" in page
    assert "<table" not in page  # cards: nothing scrolls sideways on a phone


def test_cancel_asks_first_then_releases_the_slot(
    client, sign_in, tenant, hall, citizen, other_citizen, booking, day
):
    sign_in(citizen)
    url = f"/{tenant.slug}/bookings/{booking.id}/cancel"
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "wirklich stornieren" in text(confirm)
    assert booking.status == "confirmed"  # the GET changed nothing

    response = client.post(url, data={"reason": "Fällt aus"})
    assert response.status_code == 302
    db.session.refresh(booking)
    assert booking.status == "cancelled"
    assert active_claims(booking) == 0
    # The slot is free again: someone else can book it now.
    again = bookings.create_booking(
        tenant, other_citizen, hall, local(day, 18), local(day, 22), "Nachmieter"
    )
    assert again.booking.status == "confirmed"


def test_cancel_one_date_of_a_series(client, sign_in, tenant, hall, book_hours, citizen, day):
    series = book_hours(citizen, hall, recurrence={"freq": "weekly", "count": 3})
    second = series.occurrences[1]
    sign_in(citizen)
    mine = text(client.get(f"/{tenant.slug}/bookings/mine"))
    url = f"/{tenant.slug}/bookings/{series.id}/occurrences/{second.id}/cancel"
    assert url in mine
    assert "Die anderen Termine der Buchung bleiben bestehen." in text(client.get(url))
    assert client.post(url).status_code == 302
    db.session.refresh(series)
    db.session.refresh(second)
    assert second.cancelled_at is not None
    assert series.status == "confirmed"
    assert [o.cancelled_at is None for o in series.occurrences] == [True, False, True]
    week = text(
        client.get(
            f"/{tenant.slug}/halls/{hall.id}/week?start={(day + timedelta(weeks=1)).isoformat()}"
        )
    )
    assert "status-busy" not in week
    assert "Keine Belegung" in week


@pytest.mark.parametrize("who", ["other_citizen", "other_admin"])
def test_strangers_cannot_cancel(client, sign_in, tenant, booking, request, who):
    sign_in(request.getfixturevalue(who))
    assert client.post(f"/{tenant.slug}/bookings/{booking.id}/cancel").status_code == 404
    occurrence = booking.occurrences[0]
    url = f"/{tenant.slug}/bookings/{booking.id}/occurrences/{occurrence.id}/cancel"
    assert client.post(url).status_code == 404
    db.session.refresh(booking)
    assert booking.status == "confirmed"


def test_the_caretaker_sees_but_cannot_cancel(client, sign_in, tenant, booking, caretaker):
    sign_in(caretaker)
    assert client.get(f"/{tenant.slug}/bookings/{booking.id}").status_code == 200
    assert client.post(f"/{tenant.slug}/bookings/{booking.id}/cancel").status_code == 403
    db.session.refresh(booking)
    assert booking.status == "confirmed"


def test_staff_cancel_with_reason_is_in_the_history(client, sign_in, tenant, booking, clerk):
    sign_in(clerk)
    client.post(f"/{tenant.slug}/bookings/{booking.id}/cancel", data={"reason": "Wasserschaden"})
    page = text(client.get(f"/{tenant.slug}/bookings/{booking.id}"))
    assert "Verlauf" in page
    assert "Wasserschaden" in page
    assert "Sven Clerk" in page


def test_the_owner_sees_no_history(client, sign_in, tenant, booking, citizen):
    sign_in(citizen)
    page = text(client.get(f"/{tenant.slug}/bookings/{booking.id}"))
    assert "Verlauf" not in page
    assert "Geburtstag Carla" in page


# --- .ics ----------------------------------------------------------------------


def download(client, tenant, booking) -> Calendar:
    response = client.get(f"/{tenant.slug}/bookings/{booking.id}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert ".ics" in response.headers["Content-Disposition"]
    return Calendar.from_ical(response.get_data())


def events(calendar: Calendar) -> list:
    return [c for c in calendar.walk() if c.name == "VEVENT"]


def test_ics_has_one_event_per_date_with_stable_uids(
    client, sign_in, tenant, hall, book_hours, citizen
):
    series = book_hours(citizen, hall, title="Chorprobe", recurrence={"count": 3})
    sign_in(citizen)
    found = events(download(client, tenant, series))
    assert len(found) == 3
    for event, occurrence in zip(found, series.occurrences, strict=True):
        assert str(event["UID"]) == f"occurrence-{occurrence.id}@{tenant.slug}.kommunalbuchung"
        assert int(event["SEQUENCE"]) == 0
        assert event.get("DTSTAMP") is not None
        assert event.get("LAST-MODIFIED") is not None
        assert str(event["STATUS"]) == "CONFIRMED"
        assert event.decoded("DTSTART") == occurrence.start_at
        assert event.decoded("DTEND") == occurrence.end_at
        assert str(event["SUMMARY"]) == "Chorprobe"
        assert str(event["LOCATION"]) == "Dorfgemeinschaftshaus, Hauptstraße 1, 12345 Musterhausen"


def test_ics_marks_a_cancelled_date_and_raises_its_sequence(
    client, sign_in, tenant, hall, book_hours, citizen
):
    series = book_hours(citizen, hall, recurrence={"count": 2})
    sign_in(citizen)
    first = series.occurrences[0]
    client.post(f"/{tenant.slug}/bookings/{series.id}/occurrences/{first.id}/cancel")
    found = events(download(client, tenant, series))
    assert [str(e["STATUS"]) for e in found] == ["CANCELLED", "CONFIRMED"]
    assert [int(e["SEQUENCE"]) for e in found] == [1, 0]


def test_ics_of_a_request_is_tentative_and_has_no_personal_data(
    client, sign_in, tenant, sports_hall, book_hours, citizen, club
):
    request_ = book_hours(citizen, sports_hall, organisation=club)
    sign_in(citizen)
    body = client.get(f"/{tenant.slug}/bookings/{request_.id}.ics").get_data(as_text=True)
    (event,) = events(Calendar.from_ical(body))
    assert str(event["STATUS"]) == "TENTATIVE"
    for private in (citizen.email, citizen.name, club.name, "ORGANIZER", "ATTENDEE"):
        assert private not in body
