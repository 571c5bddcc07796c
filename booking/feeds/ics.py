"""iCalendar download of one booking: one VEVENT per occurrence.

Only what the booking itself says (title, hall, times, status) goes in:
no names, e-mail addresses or organisations of anyone."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

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
# Bidirectional overrides and isolates (U+202A–202E, U+2066–2069) go too:
# they would let a title display as something else in a calendar app.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]+")


def text_value(value: str | None) -> str:
    """Any text bound for an iCalendar content line (summary, location,
    calendar name …): line breaks and other control characters collapse to
    one space, so a value can never end its line and start a property of
    its own. Every text that goes into a feed passes here."""
    return " ".join(_UNSAFE.sub(" ", value or "").split())


def occurrence_uid(occurrence: Occurrence, tenant: Tenant) -> str:
    """Stable across changes: calendar apps update the event instead of adding one."""
    return uid_of_occurrence(occurrence.id, tenant)


def uid_of_occurrence(occurrence_id: int, tenant: Tenant) -> str:
    """``occurrence_uid`` from the id alone (the feeds load columns, not objects):
    the download, the mail attachment and every feed carry the same UID."""
    return f"occurrence-{occurrence_id}@{tenant.slug}.kommunalbuchung"


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


# --- VTIMEZONE ----------------------------------------------------------------------------
#
# icalendar's ``Timezone.from_tzid`` lists each transition as an RDATE; some
# readers (vobject, older Outlook) ignore RDATE and keep the first year's
# offsets for ever. Zones with a current rule (the POSIX footer of their TZif
# file, "CET-1CEST,M3.5.0,M10.5.0/3") get the classic form instead: one
# STANDARD and one DAYLIGHT with a yearly RRULE, as tzurl.org publishes it.
# Anything else falls back to icalendar's transitions.

_POSIX = re.compile(
    r"^(?P<std><[^>]+>|[A-Za-z]{3,})(?P<stdoff>[+-]?\d{1,2}(?::\d{2}){0,2})"
    r"(?:(?P<dst><[^>]+>|[A-Za-z]{3,})(?P<dstoff>[+-]?\d{1,2}(?::\d{2}){0,2})?"
    r",M(?P<sm>\d{1,2})\.(?P<sw>[1-5])\.(?P<sd>[0-6])(?:/(?P<st>\d{1,2}(?::\d{2}){0,2}))?"
    r",M(?P<em>\d{1,2})\.(?P<ew>[1-5])\.(?P<ed>[0-6])(?:/(?P<et>\d{1,2}(?::\d{2}){0,2}))?)?$"
)
_ICAL_DAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")


def _seconds(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    parts = [int(p) for p in text.lstrip("+-").split(":")]
    parts += [0] * (3 - len(parts))
    return sign * (parts[0] * 3600 + parts[1] * 60 + parts[2])


def _posix_rule(tzid: str) -> str | None:
    """The POSIX TZ footer of ``tzid``'s TZif file, if one can be found."""
    import zoneinfo
    from importlib import resources
    from pathlib import Path

    if ".." in tzid or tzid.startswith("/"):
        return None
    candidates = [Path(root) / tzid for root in zoneinfo.TZPATH]
    for path in candidates:
        if path.is_file():
            data = path.read_bytes()
            break
    else:
        try:
            data = resources.files("tzdata.zoneinfo").joinpath(tzid).read_bytes()
        except (ModuleNotFoundError, FileNotFoundError, OSError):
            return None
    if not data.startswith(b"TZif") or not data.endswith(b"\n"):
        return None
    footer = data[:-1].rsplit(b"\n", 1)[-1]
    return footer.decode("ascii", "replace")


def _nth_weekday(year: int, month: int, week: int, weekday_posix: int) -> date:
    """Week ``week`` (5: the last) ``weekday_posix`` (0 = Sunday) of the month."""
    weekday = (weekday_posix - 1) % 7  # Python: 0 = Monday
    first = date(year, month, 1)
    day = first + timedelta(days=(weekday - first.weekday()) % 7)
    day += timedelta(weeks=week - 1)
    while day.month != month:
        day -= timedelta(weeks=1)
    return day


def _offset(seconds: int) -> timedelta:
    return timedelta(seconds=seconds)


def _rule_component(
    kind: type,
    name: str,
    offset_from: int,
    offset_to: int,
    month: int,
    week: int,
    day: int,
    at: int,
):
    from icalendar.prop import vRecur

    component = kind()
    start = datetime.combine(_nth_weekday(1970, month, week, day), datetime.min.time())
    component.add("dtstart", start + timedelta(seconds=at))
    component.add("tzoffsetfrom", _offset(offset_from))
    component.add("tzoffsetto", _offset(offset_to))
    component.add("tzname", name.strip("<>"))
    byday = f"{-1 if week == 5 else week}{_ICAL_DAYS[day]}"
    component.add("rrule", vRecur({"FREQ": "YEARLY", "BYMONTH": month, "BYDAY": byday}))
    return component


def vtimezone(tzid: str, first_date: date, last_date: date):
    """The VTIMEZONE of ``tzid`` (an icalendar ``Timezone``): the zone's
    current yearly rule where it has one, else its transitions between
    ``first_date`` and ``last_date``."""
    from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

    rule = _posix_rule(tzid)
    match = _POSIX.match(rule) if rule else None
    if match is None:
        return Timezone.from_tzid(tzid, first_date=first_date, last_date=last_date)
    std_offset = -_seconds(match["stdoff"])
    timezone = Timezone()
    timezone.add("tzid", tzid)
    if not match["dst"]:
        standard = TimezoneStandard()
        standard.add("dtstart", datetime(1970, 1, 1))
        standard.add("tzoffsetfrom", _offset(std_offset))
        standard.add("tzoffsetto", _offset(std_offset))
        standard.add("tzname", match["std"].strip("<>"))
        timezone.add_component(standard)
        return timezone
    dst_offset = -_seconds(match["dstoff"]) if match["dstoff"] else std_offset + 3600
    start_at = _seconds(match["st"]) if match["st"] else 7200
    end_at = _seconds(match["et"]) if match["et"] else 7200
    if not (0 <= start_at < 86400 and 0 <= end_at < 86400):
        return Timezone.from_tzid(tzid, first_date=first_date, last_date=last_date)
    timezone.add_component(
        _rule_component(
            TimezoneDaylight,
            match["dst"],
            std_offset,
            dst_offset,
            int(match["sm"]),
            int(match["sw"]),
            int(match["sd"]),
            start_at,
        )
    )
    timezone.add_component(
        _rule_component(
            TimezoneStandard,
            match["std"],
            dst_offset,
            std_offset,
            int(match["em"]),
            int(match["ew"]),
            int(match["ed"]),
            end_at,
        )
    )
    return timezone
