"""Helpers of the feed tests: subscriptions through ``feeds.tokens``,
bookings through the reservations service, and the three parsers every feed
must satisfy (icalendar, recurring-ical-events, vobject)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import recurring_ical_events
import vobject
from icalendar import Calendar

from booking.core import utcnow
from booking.extensions import db
from booking.feeds.tokens import create_feed
from booking.reservations import service as bookings
from tests.times import BERLIN, at


def subscribe(tenant, user, scope, **objects) -> str:
    """A new feed of ``user``; returns its path."""
    _feed, plain = create_feed(tenant, user, scope, now=utcnow(), **objects)
    db.session.commit()
    return f"/{tenant.slug}/feeds/{plain}.ics"


def book(tenant, actor, resource, start, hours=2, title="Probe", **kwargs):
    result = bookings.create_booking(
        tenant, actor, resource, start, start + timedelta(hours=hours), title, **kwargs
    )
    db.session.commit()
    return result.booking


def soon(days: int = 10, clock: str = "18:00") -> datetime:
    return at(date.today() + timedelta(days=days), clock)


def parse_all(body: bytes) -> Calendar:
    """Parse ``body`` with all three libraries; return icalendar's calendar."""
    calendar = Calendar.from_ical(body)
    today = datetime.now(UTC)
    expanded = recurring_ical_events.of(calendar).between(
        today - timedelta(days=400), today + timedelta(days=800)
    )
    assert len(expanded) == len(list(calendar.walk("VEVENT")))
    parsed = vobject.readOne(body.decode("utf-8"))
    assert len(getattr(parsed, "vevent_list", [])) == len(expanded)
    return calendar


def events(body: bytes) -> list:
    return list(parse_all(body).walk("VEVENT"))


def by_uid(body: bytes) -> dict[str, object]:
    return {str(e["UID"]): e for e in events(body)}


def local(value) -> datetime:
    return value.astimezone(BERLIN)
