"""The booking form as people use it: an end at 00:00 is midnight, a
suggested alternative keeps the whole request (series, club, note, guests)
and is offered for every clashing date of a series."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from booking.accounts import service as accounts
from booking.extensions import db
from booking.reservations import service as bookings
from booking.reservations.models import Booking
from tests.reservations.screens.helpers import form_data, hidden_fields
from tests.times import at

OPEN_UNTIL_MIDNIGHT = {weekday: ("08:00", "24:00") for weekday in range(7)}


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def book_url(tenant, resource) -> str:
    return f"/{tenant.slug}/halls/{resource.id}/book"


def suggestion_links(page: str) -> list[dict[str, list[str]]]:
    links = [html.unescape(u) for u in re.findall(r'href="([^"]*/book\?[^"]*)"', page)]
    return [
        {"path": [urlsplit(u).path]} | parse_qs(urlsplit(u).query, keep_blank_values=True)
        for u in links
    ]


@pytest.fixture
def hall(make_resource):
    return make_resource("Bürgerhaus", capacity=80, hours=OPEN_UNTIL_MIDNIGHT)


@pytest.fixture
def club(tenant, citizen):
    organisation = accounts.create_organisation(tenant, citizen, name="TSV Musterhausen")
    db.session.commit()
    return organisation


# --- "bis 00:00" ----------------------------------------------------------------------


def test_an_end_at_midnight_books_until_the_end_of_the_day(
    client, login, tenant, hall, citizen, day
):
    login(citizen)
    data = form_data(day, start_time="20:00", end_time="00:00")
    preview = client.post(book_url(tenant, hall), data=data)
    assert preview.status_code == 200, page_text(preview)
    page = page_text(preview)
    assert "20:00–24:00" in page
    done = client.post(book_url(tenant, hall), data=hidden_fields(page) | {"action": "confirm"})
    assert done.status_code == 302
    (occurrence,) = db.session.scalars(select(Booking)).one().occurrences
    assert occurrence.start_at == at(day, "20:00")
    assert occurrence.end_at == at(day + timedelta(days=1), "00:00")


def test_an_end_before_the_start_is_still_refused(client, login, tenant, hall, citizen, day):
    login(citizen)
    response = client.post(
        book_url(tenant, hall), data=form_data(day, start_time="20:00", end_time="19:00")
    )
    assert response.status_code == 422
    assert "Das Ende muss nach dem Beginn liegen." in page_text(response)


# --- alternatives keep the request ----------------------------------------------------


def test_an_alternative_keeps_the_series_the_club_and_the_note(
    client, login, tenant, hall, make_resource, citizen, other_citizen, club, day
):
    make_resource("Turnhalle", capacity=90, hours=OPEN_UNTIL_MIDNIGHT)
    bookings.create_booking(
        tenant, other_citizen, hall, at(day, "18:00"), at(day, "22:00"), "Belegt"
    )
    db.session.commit()
    login(citizen)
    data = form_data(
        day,
        title="Training",
        start_time="19:00",
        end_time="21:00",
        organisation=str(club.id),
        note="40 Stühle",
        repeat="y",
        count="3",
    )
    response = client.post(book_url(tenant, hall), data=data)
    assert response.status_code == 409
    links = suggestion_links(response.get_data(as_text=True))
    assert links
    for query in links:
        assert query["title"] == ["Training"]
        assert query["organisation"] == [str(club.id)]
        assert query["note"] == ["40 Stühle"]
        assert query["repeat"] == ["y"]
        assert query["count"] == ["3"]

    # The form opened by the link has all of it filled in.
    raw = response.get_data(as_text=True)
    href = html.unescape(re.findall(r'href="([^"]*/book\?[^"]*)"', raw)[0])
    form = page_text(client.get(href))
    assert re.search(r'<input[^>]*checked[^>]*name="repeat"|name="repeat"[^>]*checked', form)
    assert re.search(r'name="count"[^>]*value="3"|value="3"[^>]*name="count"', form)
    assert re.search(r"<textarea[^>]*>\s*40 Stühle</textarea>", form)
    assert re.search(rf'<option selected value="{club.id}"|value="{club.id}" selected', form)


def test_alternatives_are_offered_for_every_clashing_date_of_a_series(
    client, login, tenant, hall, citizen, other_citizen, day
):
    third = day + timedelta(weeks=2)
    for when in (day, third):
        bookings.create_booking(
            tenant, other_citizen, hall, at(when, "18:00"), at(when, "20:00"), "Belegt"
        )
    db.session.commit()
    login(citizen)
    data = form_data(day, start_time="18:00", end_time="20:00", repeat="y", count="3")
    response = client.post(book_url(tenant, hall), data=data)
    assert response.status_code == 409
    page = page_text(response)
    # Alternatives in this hall near each clashing date: the first and the third.
    for when in (day, third):
        assert when.strftime("%d.%m.%Y") in page.split("Alternativen")[1], when


# --- guests and a phone for the caretaker ---------------------------------------------


def test_guests_and_phone_go_through_preview_to_the_booking(
    client, login, tenant, hall, citizen, day
):
    login(citizen)
    data = form_data(day, guests="60", contact_phone="0171 2345678")
    preview = client.post(book_url(tenant, hall), data=data)
    assert preview.status_code == 200
    page = page_text(preview)
    assert "0171 2345678" in page
    done = client.post(book_url(tenant, hall), data=hidden_fields(page) | {"action": "confirm"})
    assert done.status_code == 302
    booking = db.session.scalars(select(Booking)).one()
    assert (booking.guests, booking.contact_phone) == (60, "0171 2345678")


def test_more_guests_than_places_is_an_error_on_the_guests_field(
    client, login, tenant, hall, citizen, day
):
    login(citizen)
    response = client.post(book_url(tenant, hall), data=form_data(day, guests="81"))
    assert response.status_code == 422
    page = page_text(response)
    guests_field = page[
        page.index('<label for="guests"') : page.index('<label for="contact_phone"')
    ]
    assert "80 Plätze" in guests_field
    assert db.session.scalars(select(Booking)).first() is None


@pytest.mark.parametrize("phone", ["0171 2345678; x", "1" * 41])
def test_a_malformed_phone_is_refused(client, login, tenant, hall, citizen, day, phone):
    login(citizen)
    response = client.post(book_url(tenant, hall), data=form_data(day, contact_phone=phone))
    assert response.status_code == 422
    assert db.session.scalars(select(Booking)).first() is None


# --- the series section ---------------------------------------------------------------


def test_the_series_section_is_folded_for_a_single_booking(
    client, login, tenant, hall, citizen, day
):
    login(citizen)
    page = page_text(client.get(book_url(tenant, hall)))
    assert re.search(r"<details[^>]*>\s*<summary>", page)
    assert not re.search(r"<details[^>]*\bopen\b", page)
    assert 'name="skip_school_holidays"' in page
    assert "Schulferien auslassen" in page
    # A series being edited shows it open.
    again = page_text(client.post(book_url(tenant, hall), data=form_data(day, repeat="y")))
    assert re.search(r"<details[^>]*\bopen\b", again)


def test_skip_school_holidays_reaches_the_series(client, login, tenant, hall, citizen, day):
    login(citizen)
    data = form_data(day, repeat="y", count="2", skip_school_holidays="y")
    preview = client.post(book_url(tenant, hall), data=data)
    assert preview.status_code == 200
    values = hidden_fields(page_text(preview))
    assert values["skip_school_holidays"] == "y"
    client.post(book_url(tenant, hall), data=values | {"action": "confirm"})
    booking = db.session.scalars(select(Booking)).one()
    assert booking.recurrence["skip_school_holidays"] is True


# --- a holiday is an error on the date -------------------------------------------------


def test_a_public_holiday_is_an_error_on_the_date(client, login, tenant, hall, citizen):
    import holidays as public

    from tests.times import BERLIN

    today = datetime.now(BERLIN).date()
    calendar = public.Germany(subdiv="HE", years=[today.year, today.year + 1])
    holiday = min(d for d in calendar if d > today + timedelta(days=14))
    login(citizen)
    response = client.post(book_url(tenant, hall), data=form_data(holiday))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    date_field = page[page.index('<label for="date"') : page.index('<label for="start_time"')]
    assert "Feiertag" in html.unescape(date_field)
    time_field = page[page.index('<label for="start_time"') : page.index('<label for="end_time"')]
    assert "Feiertag" not in html.unescape(time_field)


# --- the conflict box -----------------------------------------------------------------


def test_the_conflict_box_shows_the_busy_time_and_never_whose(
    client, login, tenant, hall, citizen, other_citizen, day
):
    bookings.create_booking(
        tenant, other_citizen, hall, at(day, "17:00"), at(day, "20:00"), "Otto feiert"
    )
    db.session.commit()
    login(citizen)
    response = client.post(
        book_url(tenant, hall), data=form_data(day, start_time="19:00", end_time="21:00")
    )
    assert response.status_code == 409
    box = page_text(response).split("Im Weg ist:")[1].split("</ul>")[0]
    assert "17:00–20:00" in box
    assert "19:00–21:00" not in box
    assert "Otto" not in box and "eigene" not in box


def test_the_conflict_box_says_own_and_club_bookings(
    client, login, tenant, hall, citizen, club, day
):
    bookings.create_booking(tenant, citizen, hall, at(day, "10:00"), at(day, "12:00"), "Meins")
    bookings.create_booking(
        tenant, citizen, hall, at(day, "14:00"), at(day, "16:00"), "Verein", organisation=club
    )
    db.session.commit()
    login(citizen)
    response = client.post(
        book_url(tenant, hall), data=form_data(day, start_time="11:00", end_time="15:00")
    )
    assert response.status_code == 409
    box = page_text(response).split("Im Weg ist:")[1].split("</ul>")[0]
    assert re.search(r"10:00–12:00\s*– Ihre eigene Buchung", box)
    assert re.search(r"14:00–16:00\s*– eine Buchung von TSV Musterhausen", box)
