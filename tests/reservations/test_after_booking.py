"""What a citizen or club sees after booking: the booking page (number, fee,
what happens next, dates cancelled / rejected / skipped with why), no .ics
for a booking that ended, and why a date was cancelled."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from booking.core import utcnow
from booking.extensions import db
from booking.reservations import closures, queries, retention
from booking.reservations import service as bookings
from tests.times import at


def page_text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


@pytest.fixture
def hall(make_resource):
    return make_resource("Bürgerhaus", capacity=80, observe_holidays=False)


@pytest.fixture
def series(make_booking, hall, day):
    return make_booking(
        hall, at(day, "18:00"), at(day, "20:00"), title="Training", recurrence={"count": 3}
    )


# --- the reason of a cancelled date --------------------------------------------------


def test_a_clerks_reason_for_one_date_is_stored_on_it(tenant, clerk, series):
    second = series.occurrences[1]
    bookings.cancel_occurrence(tenant, clerk, second, reason="  Wasserschaden  ")
    db.session.commit()
    assert second.cancel_reason == "Wasserschaden"
    assert [o.cancel_reason for o in series.occurrences] == [None, "Wasserschaden", None]


def test_cancel_dates_the_rest_and_the_whole_booking_store_the_reason(
    tenant, clerk, series, make_booking, hall, day
):
    first, second, third = series.occurrences
    bookings.cancel_series_from(tenant, clerk, second, reason="Umbau")
    assert (second.cancel_reason, third.cancel_reason) == ("Umbau", "Umbau")
    other = make_booking(hall, at(day, "10:00"), at(day, "11:00"))
    bookings.cancel_dates(tenant, clerk, [other.occurrences[0]], reason="Sperrung")
    assert other.occurrences[0].cancel_reason == "Sperrung"
    bookings.cancel_booking(tenant, clerk, series, reason="Hallenschaden")
    assert first.cancel_reason == "Hallenschaden"
    assert second.cancel_reason == "Umbau"  # cancelled before, left alone


def test_a_long_reason_fits_the_date_and_stays_whole_in_the_audit(tenant, clerk, series):
    bookings.cancel_occurrence(tenant, clerk, series.occurrences[0], reason="x" * 500)
    db.session.commit()
    assert len(series.occurrences[0].cancel_reason) == 300


def test_a_closure_cancelling_dates_gives_its_reason(tenant, admin, series, hall, day):
    closures.enter_closure(
        tenant,
        admin,
        resource=hall,
        start=at(day, "00:00"),
        end=at(day, "23:00"),
        reason="Wahllokal",
        dates=closures.CANCEL,
    )
    db.session.commit()
    assert series.occurrences[0].cancel_reason == "Wahllokal"
    assert series.occurrences[1].cancel_reason is None


def test_the_club_page_shows_why_one_date_was_cancelled(
    client, login, tenant, citizen, clerk, series
):
    bookings.cancel_occurrence(tenant, clerk, series.occurrences[1], reason="Wasserschaden")
    db.session.commit()
    login(citizen)
    page = page_text(client.get(f"/{tenant.slug}/bookings/{series.id}"))
    assert "Abgesagte Termine" in page
    assert "Grund: Wasserschaden" in page


# --- the booking page -----------------------------------------------------------------


def test_the_booking_page_shows_number_fee_and_next_steps(
    client, login, tenant, citizen, make_resource, make_booking, day
):
    room = make_resource(
        "Clubraum", requires_approval=True, key_handover="Schlüssel beim Hausmeister, Tel. 123"
    )
    booking = make_booking(room, at(day, "18:00"), at(day, "20:00"))
    login(citizen)
    page = page_text(client.get(f"/{tenant.slug}/bookings/{booking.id}"))
    year = booking.created_at.year
    assert f"Buchungsnummer {year}-{booking.id:04d}" in page
    assert "kostenlos" in page
    assert "Die Gemeinde prüft Ihre Anfrage" in page
    assert "Schlüssel beim Hausmeister, Tel. 123" in page
    assert "keine Gebühren" in page


def test_a_part_shows_its_halls_key_handover(
    client, login, tenant, citizen, clerk, make_resource, make_booking, day
):
    hall = make_resource("Bürgerhaus Nord", key_handover="Schlüsselkasten am Eingang")
    part = make_resource("Clubraum", "room", parent=hall)
    booking = make_booking(part, at(day, "18:00"), at(day, "20:00"))
    login(citizen)
    page = page_text(client.get(f"/{tenant.slug}/bookings/{booking.id}"))
    assert "Die Buchung ist bestätigt." in page
    assert "Schlüsselübergabe: Schlüsselkasten am Eingang" in page


@pytest.mark.parametrize("end", ["cancel", "reject"])
def test_an_ended_booking_offers_no_ics_and_refuses_the_download(
    client, login, tenant, citizen, clerk, make_resource, make_booking, day, end
):
    room = make_resource(requires_approval=True)
    booking = make_booking(room, at(day, "18:00"), at(day, "20:00"))
    if end == "cancel":
        bookings.cancel_booking(tenant, citizen, booking)
    else:
        bookings.reject_booking(tenant, clerk, booking, reason="Belegt durch Gemeinde")
    db.session.commit()
    login(citizen)
    page = client.get(f"/{tenant.slug}/bookings/{booking.id}").get_data(as_text=True)
    assert f"/bookings/{booking.id}.ics" not in page
    assert "Wie es weitergeht" not in page
    response = client.get(f"/{tenant.slug}/bookings/{booking.id}.ics")
    assert response.status_code == 410
    assert response.mimetype == "text/html"
    assert "Kein Kalendereintrag" in page_text(response)


def test_a_rejected_booking_lists_its_dates_apart_with_the_reason(
    client, login, tenant, citizen, clerk, make_resource, make_booking, day
):
    room = make_resource(requires_approval=True)
    booking = make_booking(room, at(day, "18:00"), at(day, "20:00"))
    bookings.reject_booking(tenant, clerk, booking, reason="Belegt durch Gemeinde")
    db.session.commit()
    login(citizen)
    page = page_text(client.get(f"/{tenant.slug}/bookings/{booking.id}"))
    assert "Abgelehnte Termine" in page
    assert "Grund: Belegt durch Gemeinde" in page


def test_skipped_dates_of_a_series_stay_visible_with_why(
    client, login, tenant, citizen, series, day
):
    series.skipped = [
        {
            "start": at(day, "18:00").isoformat(),
            "end": at(day, "20:00").isoformat(),
            "reason": "school_holiday",
            "label": "Herbstferien",
        },
        {"start": "kaputt", "end": None, "reason": "conflict"},
    ]
    db.session.commit()
    login(citizen)
    page = page_text(client.get(f"/{tenant.slug}/bookings/{series.id}"))
    assert "Ausgelassene Termine der Serie" in page
    assert "Schulferien: Herbstferien" in page


def test_a_stranger_and_another_municipality_get_404(
    client, login, tenant, make_tenant, make_user, other_citizen, series
):
    other = make_tenant("andersdorf", name="Gemeinde Andersdorf")
    other_admin = make_user("admin@andersdorf.example", tenant=other, roles=("admin",))
    for user in (other_citizen, other_admin):
        client.post("/account/logout")
        login(user)
        assert client.get(f"/{tenant.slug}/bookings/{series.id}").status_code == 404
        assert client.get(f"/{tenant.slug}/bookings/{series.id}.ics").status_code == 404


# --- privacy: the contact phone is the person's ----------------------------------------


def test_the_data_export_holds_the_contact_phone_and_guests(
    client, login, citizen, series, tenant, clerk
):
    series.contact_phone = "0171 2345678"
    series.guests = 25
    bookings.cancel_occurrence(tenant, clerk, series.occurrences[0], reason="Wasserschaden")
    db.session.commit()
    login(citizen)
    (exported,) = client.get("/account/data.json").get_json()["bookings"]
    assert exported["contact_phone"] == "0171 2345678"
    assert exported["guests"] == 25
    assert exported["dates"][0]["cancel_reason"] == "Wasserschaden"


def test_anonymising_clears_the_contact_phone_and_the_dates_reasons(tenant, clerk, series):
    series.contact_phone = "0171 2345678"
    bookings.cancel_occurrence(tenant, clerk, series.occurrences[0], reason="Herr X ist krank")
    db.session.commit()
    assert retention.anonymise([series], utcnow()) == 1
    db.session.commit()
    db.session.expire_all()
    assert series.contact_phone is None
    assert [o.cancel_reason for o in series.occurrences] == [None, None, None]
    assert series.occurrences[0].cancelled_at is not None  # the statistics stay


# --- "My bookings" ---------------------------------------------------------------------


@pytest.fixture
def four_bookings(tenant, citizen, make_booking, hall, day):
    """A later and a sooner one to come, a past one, a cancelled one."""
    later = make_booking(hall, at(day, "10:00"), at(day, "11:00"), title="Später")
    sooner = make_booking(
        hall,
        at(day, "12:00") - timedelta(days=7),
        at(day, "13:00") - timedelta(days=7),
        title="Früher",
    )
    then = utcnow() - timedelta(days=3)
    past = make_booking(
        hall, then, then + timedelta(hours=1), title="Vorbei", now=then - timedelta(days=1)
    )
    gone = make_booking(hall, at(day, "14:00"), at(day, "15:00"), title="Abgesagt")
    bookings.cancel_booking(tenant, citizen, gone)
    db.session.commit()
    return later, sooner, past, gone


def test_my_bookings_upcoming_first_by_date_then_past_then_cancelled_apart(
    client, login, tenant, citizen, four_bookings
):
    later, sooner, past, gone = four_bookings
    grouped = queries.by_time(queries.bookings_of_user(tenant, citizen), utcnow())
    assert grouped.upcoming == [sooner, later]  # by date, not by when booked
    assert grouped.past == [past]
    assert grouped.ended == [gone]
    login(citizen)
    page = page_text(client.get(f"/{tenant.slug}/bookings/mine"))
    order = [page.index(t) for t in ("Anstehend", "Früher", "Später", "Vergangen", "Vorbei")]
    assert order == sorted(order)
    assert page.index("Storniert oder abgelehnt") < page.index("Abgesagt")
    assert page.index("Vorbei") < page.index("Storniert oder abgelehnt")
    assert f"/bookings/{gone.id}.ics" not in page
    assert f"/bookings/{later.id}.ics" in page


def test_a_series_is_one_entry_with_its_dates_folded(client, login, tenant, citizen, series):
    login(citizen)
    body = client.get(f"/{tenant.slug}/bookings/mine").get_data(as_text=True)
    assert body.count("<details>") == 1
    assert body.count('class="booking-card"') == 1
    assert "3 Termine, ab" in page_text(client.get(f"/{tenant.slug}/bookings/mine"))
    assert "<table" not in body
    second = series.occurrences[1]
    assert f"/bookings/{series.id}/occurrences/{second.id}/cancel" in body


def test_a_date_skipped_for_a_clash_is_on_the_series_page(
    client, login, tenant, citizen, other_citizen, make_booking, hall, day
):
    week_two = day + timedelta(weeks=1)
    make_booking(hall, at(week_two, "18:00"), at(week_two, "20:00"), actor=other_citizen)
    series = make_booking(
        hall,
        at(day, "18:00"),
        at(day, "20:00"),
        title="Training",
        recurrence={"count": 3},
        on_conflict="skip",
    )
    assert len(series.occurrences) == 2
    login(citizen)
    page = page_text(client.get(f"/{tenant.slug}/bookings/{series.id}"))
    skipped = page[page.index("Ausgelassene Termine der Serie") :]
    assert f"{week_two.day:02d}.{week_two.month:02d}.{week_two.year}" in skipped
    assert "schon belegt" in skipped
