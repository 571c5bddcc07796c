"""The .ics download of a booking: a title (or hall name) with line breaks
or other control characters can neither break the file nor smuggle in a
property of its own."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from booking.extensions import db
from booking.feeds import ics
from booking.reservations import service as bookings

BERLIN = ZoneInfo("Europe/Berlin")
EVIL = "x\rATTENDEE:mailto:evil@example.org"


def start_in(days: int) -> datetime:
    day = datetime.now(BERLIN).date() + timedelta(days=days)
    while day.weekday() != 2:
        day += timedelta(days=1)
    return datetime.combine(day, time(18)).replace(tzinfo=BERLIN).astimezone(UTC)


@pytest.mark.parametrize(
    ("value", "clean"),
    [
        ("Sommerfest", "Sommerfest"),
        ("a\r\nb", "a b"),
        ("a\rb", "a b"),
        ("a\nb", "a b"),
        ("a\r\n\r\n b", "a b"),
        ("a\x00b\x1b\x7fc", "a b c"),
        ("a\u2028b", "a b"),
        ("Miete \u202egnulhaZ\u202c", "Miete gnulhaZ"),  # no right-to-left override
        ("\u2066isoliert\u2069", "isoliert"),
        ("\tTab  und  Leer ", "Tab und Leer"),
        (None, ""),
        (EVIL, "x ATTENDEE:mailto:evil@example.org"),
    ],
)
def test_text_value_leaves_no_line_break(value, clean):
    assert ics.text_value(value) == clean


def physical_lines(body: bytes) -> list[bytes]:
    assert body.endswith(b"\r\n")
    return body[:-2].split(b"\r\n")


@pytest.mark.parametrize(
    "title",
    [EVIL, "Feier\r\nATTENDEE:mailto:evil@example.org", "Feier\nEND:VEVENT", "a\r\n"],
)
def test_the_download_of_a_title_with_line_breaks(
    client, login, tenant, citizen, make_resource, title
):
    hall = make_resource("Bürgerhaus\r\nX-EVIL:1", address="Hauptstr. 1\nDORF")
    start = start_in(30)
    booking = bookings.create_booking(
        tenant, citizen, hall, start, start + timedelta(hours=2), title
    ).booking
    db.session.commit()
    login(citizen)

    response = client.get(f"/{tenant.slug}/bookings/{booking.id}.ics")
    assert response.status_code == 200
    body = response.get_data()
    for line in physical_lines(body):
        assert b"\r" not in line and b"\n" not in line, line
        assert not line.startswith((b"ATTENDEE", b"X-EVIL", b"DORF")), line
    calendar = Calendar.from_ical(body)
    (event,) = calendar.walk("VEVENT")
    assert "ATTENDEE" not in event
    assert set(event) == {
        "UID", "SEQUENCE", "DTSTAMP", "LAST-MODIFIED", "DTSTART", "DTEND",
        "SUMMARY", "LOCATION", "STATUS",
    }  # fmt: skip
    assert str(event["SUMMARY"]) == ics.text_value(title)
    assert str(event["SUMMARY"]).startswith(title.strip()[:1])
    assert str(event["LOCATION"]) == "Bürgerhaus X-EVIL:1, Hauptstr. 1 DORF"
    assert str(calendar["X-WR-CALNAME"]) == ics.text_value(title)
    assert "X-EVIL" not in calendar
