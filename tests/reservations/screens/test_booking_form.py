"""Booking through the form: preview first, then confirm; conflicts with
suggestions; weekly series; staff overrides; bad input never writes."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from booking.audit.models import AuditEntry
from booking.extensions import db
from booking.reservations.models import Booking
from booking.resources import closures
from tests.reservations.screens.conftest import TZ, local
from tests.reservations.screens.helpers import (
    count,
    count_occurrences,
    form_data,
    hidden_fields,
    text,
)


def book_url(tenant, resource) -> str:
    return f"/{tenant.slug}/halls/{resource.id}/book"


def test_form_renders_labelled_fields_for_a_citizen(client, sign_in, tenant, hall, citizen):
    sign_in(citizen)
    page = text(client.get(book_url(tenant, hall)))
    for name in ("title", "date", "start_time", "end_time", "note", "repeat", "interval", "until"):
        assert f'<label for="{name}"' in page, name
    assert 'name="on_conflict"' in page
    assert "override_reason" not in page  # staff only
    assert "organisation" not in re.findall(r'<select[^>]*name="([^"]+)"', page)


def test_preview_then_confirm_creates_the_booking(client, sign_in, tenant, hall, citizen, day):
    sign_in(citizen)
    preview = client.post(book_url(tenant, hall), data=form_data(day))
    assert preview.status_code == 200
    page = text(preview)
    assert "Buchung prüfen" in page
    assert re.search(r'<dt>Gebühr</dt><dd id="fee">kostenlos</dd>', page)
    assert "18:00–22:00" in page
    assert count() == 0, "the preview must not write anything"

    values = hidden_fields(page)
    assert values["title"] == "Sommerfest"
    values["action"] = "confirm"
    done = client.post(book_url(tenant, hall), data=values)
    assert done.status_code == 302
    booking = db.session.scalars(select(Booking)).one()
    assert done.headers["Location"].endswith(f"/{tenant.slug}/bookings/{booking.id}")
    assert booking.status == "confirmed"
    assert booking.user_id == citizen.id
    (occurrence,) = booking.occurrences
    assert occurrence.start_at == local(day, 18)
    assert occurrence.end_at == local(day, 22)
    detail = text(client.get(done.headers["Location"]))
    assert "Ihre Buchung ist bestätigt." in detail
    assert "bestätigt" in detail


def test_a_hall_with_approval_gives_a_request(client, sign_in, tenant, sports_hall, citizen, day):
    sign_in(citizen)
    page = text(client.post(book_url(tenant, sports_hall), data=form_data(day)))
    assert "angefragt" in page
    values = hidden_fields(page) | {"action": "confirm"}
    client.post(book_url(tenant, sports_hall), data=values)
    assert db.session.scalars(select(Booking)).one().status == "requested"


def test_booking_for_an_organisation(client, sign_in, tenant, hall, citizen, club, day):
    sign_in(citizen)
    page = text(client.get(book_url(tenant, hall)))
    assert f'<option value="{club.id}">TSV Musterhausen</option>' in page
    values = hidden_fields(
        text(client.post(book_url(tenant, hall), data=form_data(day, organisation=str(club.id))))
    )
    client.post(book_url(tenant, hall), data=values | {"action": "confirm"})
    assert db.session.scalars(select(Booking)).one().organisation_id == club.id


def test_someone_elses_organisation_is_refused(
    client, sign_in, tenant, hall, club, other_citizen, day
):
    sign_in(other_citizen)
    response = client.post(
        book_url(tenant, hall), data=form_data(day, organisation=str(club.id), action="confirm")
    )
    assert response.status_code == 422
    assert count() == 0


def test_conflict_shows_times_and_suggestions_and_books_nothing(
    client, sign_in, tenant, hall, make_resource, book_hours, citizen, other_citizen, day
):
    book_hours(other_citizen, hall, 18, 22, title="Geheime Feier von Otto")
    make_resource("Bürgerhaus", capacity=150)
    sign_in(citizen)
    for action in ("preview", "confirm"):
        response = client.post(
            book_url(tenant, hall),
            data=form_data(day, start_time="19:00", end_time="21:00", action=action),
        )
        assert response.status_code == 409
        page = text(response)
        assert "Leider schon belegt" in page
        assert "18:00–22:00" in page  # the busy time in the way, not the requested one
        assert "Geheime Feier" not in page and "Otto" not in page
        links = [html.unescape(u) for u in re.findall(r'href="([^"]*/book\?[^"]*)"', page)]
        assert links, "suggestions are offered as links"
        assert any("Bürgerhaus" in page for _ in links)
        assert count() == 1

    # A suggestion link opens the form with the values filled in.
    prefilled = text(client.get(links[0]))
    assert 'value="Sommerfest"' in prefilled
    assert re.search(r'name="start_time"[^>]*value="\d\d:\d\d"', prefilled) or re.search(
        r'value="\d\d:\d\d"[^>]*name="start_time"', prefilled
    )


def test_confirm_checks_again(
    client, sign_in, tenant, hall, book_hours, citizen, other_citizen, day
):
    """Between preview and confirm someone else booked the slot: 409, nothing written."""
    sign_in(citizen)
    values = hidden_fields(text(client.post(book_url(tenant, hall), data=form_data(day))))
    book_hours(other_citizen, hall, 17, 19)
    response = client.post(book_url(tenant, hall), data=values | {"action": "confirm"})
    assert response.status_code == 409
    assert count() == 1


def test_tampered_hidden_values_are_validated_on_confirm(
    client, sign_in, tenant, hall, citizen, day
):
    sign_in(citizen)
    values = hidden_fields(text(client.post(book_url(tenant, hall), data=form_data(day))))
    values.update(action="confirm", end_time="17:00")
    response = client.post(book_url(tenant, hall), data=values)
    assert response.status_code == 422
    assert count() == 0


def test_edit_goes_back_to_the_form_with_the_values(client, sign_in, tenant, hall, citizen, day):
    sign_in(citizen)
    values = hidden_fields(text(client.post(book_url(tenant, hall), data=form_data(day))))
    page = text(client.post(book_url(tenant, hall), data=values | {"action": "edit"}))
    assert 'value="Sommerfest"' in page
    assert "Weiter zur Übersicht" in page
    assert count() == 0


def test_weekly_series_through_the_form(client, sign_in, tenant, hall, citizen, day):
    sign_in(citizen)
    data = form_data(day, repeat="y", interval="1", count="4")
    page = text(client.post(book_url(tenant, hall), data=data))
    assert "4 Termine" in page
    client.post(book_url(tenant, hall), data=hidden_fields(page) | {"action": "confirm"})
    booking = db.session.scalars(select(Booking)).one()
    starts = [o.start_at.astimezone(TZ) for o in booking.occurrences]
    assert [s.date() for s in starts] == [day + timedelta(weeks=n) for n in range(4)]
    assert {(s.hour, s.minute) for s in starts} == {(18, 0)}
    assert booking.recurrence["count"] == 4


def test_series_every_second_week_until_a_date(client, sign_in, tenant, hall, citizen, day):
    sign_in(citizen)
    until = (day + timedelta(weeks=4)).isoformat()
    data = form_data(day, repeat="y", interval="2", until=until, action="confirm")
    assert client.post(book_url(tenant, hall), data=data).status_code == 302
    booking = db.session.scalars(select(Booking)).one()
    assert [o.start_at for o in booking.occurrences] == [
        local(day + timedelta(weeks=n), 18) for n in (0, 2, 4)
    ]


def test_series_skipping_a_taken_date(
    client, sign_in, tenant, hall, book_hours, citizen, other_citizen, day
):
    book_hours(other_citizen, hall, 19, 20, on=day + timedelta(weeks=1))
    sign_in(citizen)
    data = form_data(day, repeat="y", count="3", on_conflict="skip")
    page = text(client.post(book_url(tenant, hall), data=data))
    assert "1 Termin wird ausgelassen" in page
    response = client.post(book_url(tenant, hall), data=hidden_fields(page) | {"action": "confirm"})
    assert response.status_code == 302
    mine = db.session.scalars(select(Booking).where(Booking.user_id == citizen.id)).one()
    assert len(mine.occurrences) == 2
    follow = text(client.get(response.headers["Location"]))
    assert "ausgelassen" in follow


def test_all_or_nothing_series_with_a_taken_date_books_nothing(
    client, sign_in, tenant, hall, book_hours, citizen, other_citizen, day
):
    book_hours(other_citizen, hall, 19, 20, on=day + timedelta(weeks=2))
    sign_in(citizen)
    data = form_data(day, repeat="y", count="3", on_conflict="reject", action="confirm")
    assert client.post(book_url(tenant, hall), data=data).status_code == 409
    assert count() == 1
    assert count_occurrences() == 1


BAD_INPUT = {
    "end before start": {"start_time": "20:00", "end_time": "18:00"},
    "end equals start": {"start_time": "18:00", "end_time": "18:00"},
    "unparsable date": {"date": "morgen"},
    "impossible date": {"date": "2027-02-31"},
    "unparsable time": {"start_time": "halb acht"},
    "empty title": {"title": "  "},
    "count 0": {"repeat": "y", "count": "0"},
    "negative count": {"repeat": "y", "count": "-3"},
    "count not a number": {"repeat": "y", "count": "viele"},
    "count too big": {"repeat": "y", "count": "100000"},
    "until before start": {"repeat": "y", "until": "2000-01-01"},
    "until and count": {"repeat": "y", "until": "2099-01-01", "count": "3"},
    "repeat without end": {"repeat": "y"},
    "interval 0": {"repeat": "y", "count": "2", "interval": "0"},
    "unknown on_conflict": {"on_conflict": "explode"},
    "unknown organisation": {"organisation": "999999"},
    "year 99999": {"date": "99999-01-01"},
    "year 1": {"date": "0001-01-01", "start_time": "00:30", "end_time": "01:00"},
    "until in year 9999": {"repeat": "y", "until": "9999-12-31"},
}


@pytest.mark.parametrize("action", ["preview", "confirm"])
@pytest.mark.parametrize("bad", BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_shows_form_errors_and_writes_nothing(
    client, sign_in, tenant, hall, citizen, day, bad, action
):
    sign_in(citizen)
    response = client.post(book_url(tenant, hall), data=form_data(day, action=action, **bad))
    assert response.status_code == 422
    page = text(response)
    assert "Bitte korrigieren Sie" in page
    assert 'aria-invalid="true"' in page or "error-summary" in page
    assert count() == 0


def test_past_date_is_refused_with_a_message(client, sign_in, tenant, hall, citizen):
    sign_in(citizen)
    response = client.post(book_url(tenant, hall), data=form_data(date.today() - timedelta(days=3)))
    assert response.status_code == 422
    assert "Vergangenheit" in text(response)
    assert count() == 0


def test_staff_may_override_a_closure_with_a_reason(
    client, sign_in, tenant, hall, citizen, clerk, day
):
    closures.create_closure(
        tenant,
        None,
        start=local(day, 0),
        end=local(day + timedelta(days=1), 0),
        reason="Renovierung",
    )
    db.session.commit()

    sign_in(citizen)
    data = form_data(day, action="confirm", override_reason="Ich darf das")
    response = client.post(book_url(tenant, hall), data=data)
    assert response.status_code == 422, "citizens cannot override"
    assert count() == 0

    sign_in(clerk)
    page = text(client.get(book_url(tenant, hall)))
    assert 'name="override_reason"' in page
    response = client.post(book_url(tenant, hall), data=form_data(day, action="confirm"))
    assert response.status_code == 422
    assert "Begründung" in text(response)
    data = form_data(day, action="confirm", override_reason="Bürgermeister genehmigt")
    assert client.post(book_url(tenant, hall), data=data).status_code == 302
    assert count() == 1
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "booking.override")
    ).one()
    assert entry.reason == "Bürgermeister genehmigt"


def test_a_hall_that_is_not_bookable_is_not_found(
    client, sign_in, tenant, make_resource, citizen, day
):
    closed = make_resource("Altes Rathaus", bookable=False)
    sign_in(citizen)
    assert client.get(book_url(tenant, closed)).status_code == 404
    assert client.post(book_url(tenant, closed), data=form_data(day)).status_code == 404
