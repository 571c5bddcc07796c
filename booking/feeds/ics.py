"""iCalendar download of one booking: one VEVENT per occurrence.

Only what the booking itself says (title, hall, times, status) goes in:
no names, e-mail addresses or organisations of anyone."""

from __future__ import annotations

import re
from datetime import datetime

from icalendar import Calendar, Event

from booking.core import utcnow
from booking.reservations.models import Booking, Occurrence
from booking.resources.policy import policy_of
from booking.resources.tree import full_name
from booking.tenants.models import Tenant

PRODID = "-//Kommunalbuchung//Hallenbuchung//DE"
CONFIRMED_STATUSES = ("confirmed",)
TENTATIVE_STATUSES = ("requested", "held")
# Line breaks (CRLF, CR, LF, and the Unicode ones) and every other control
# character; a run of them becomes one space.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]+")


def text_value(value: str | None) -> str:
    """Any text bound for an iCalendar content line (summary, location,
    calendar name …): line breaks and other control characters collapse to
    one space, so a value can never end its line and start a property of
    its own. Every text that goes into a feed passes here."""
    return " ".join(_UNSAFE.sub(" ", value or "").split())


def occurrence_uid(occurrence: Occurrence, tenant: Tenant) -> str:
    """Stable across changes: calendar apps update the event instead of adding one."""
    return f"occurrence-{occurrence.id}@{tenant.slug}.kommunalbuchung"


def event_status(occurrence: Occurrence) -> str:
    status = occurrence.status
    if status in CONFIRMED_STATUSES:
        return "CONFIRMED"
    if status in TENTATIVE_STATUSES:
        return "TENTATIVE"
    return "CANCELLED"


def location(booking: Booking) -> str:
    resource = booking.resource
    parts = (text_value(full_name(resource)), text_value(policy_of(resource).address))
    return ", ".join(part for part in parts if part)


def occurrence_event(
    occurrence: Occurrence, booking: Booking, tenant: Tenant, now: datetime
) -> Event:
    event = Event()
    event.add("uid", occurrence_uid(occurrence, tenant))
    event.add("sequence", occurrence.sequence or 0)
    event.add("dtstamp", now)
    event.add("last-modified", occurrence.updated_at or booking.updated_at or now)
    event.add("dtstart", occurrence.start_at)
    event.add("dtend", occurrence.end_at)
    event.add("summary", text_value(booking.title))
    event.add("location", location(booking))
    event.add("status", event_status(occurrence))
    if event_status(occurrence) == "CANCELLED":
        event.add("transp", "TRANSPARENT")
    return event


def booking_calendar(booking: Booking, tenant: Tenant, now: datetime | None = None) -> bytes:
    """The .ics file of ``booking`` (all its dates, cancelled ones marked so)."""
    now = now or utcnow()
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", text_value(booking.title))
    for occurrence in booking.occurrences:
        calendar.add_component(occurrence_event(occurrence, booking, tenant, now))
    return calendar.to_ical()


def booking_filename(booking: Booking) -> str:
    return f"buchung-{booking.id}.ics"
