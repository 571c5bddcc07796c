"""Tenant-local time: the one place where instants meet a municipality's
wall clock.

Instants are aware UTC everywhere else (``timestamptz``); every tenant has an
IANA zone (``Tenant.timezone``) used for input, display, opening hours,
holidays and "days before" arithmetic. Converting goes through ``zoneinfo``
here, so a DST change never shifts a wall-clock time: 18:00 entered in a form
is 18:00 on the tenant's clock in winter and in summer.

Formatting for people goes through Babel in the visitor's language
(``format_local`` for messages; the ``datetime``/``date``/``time`` template
filters in the request's zone, which ``booking.web.select_timezone`` sets to
the tenant's); for machines RFC 3339 with the tenant's offset (``isoformat``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as babel_format_datetime
from babel.dates import format_skeleton
from flask_babel import format_date, format_datetime, format_time, get_locale

from booking.tenants.models import Tenant


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name`` (cached: looked up on every conversion)."""
    return ZoneInfo(name)


def tenant_zone(tenant: Tenant) -> ZoneInfo:
    return zone(tenant.timezone)


# --- wall clock to instant ------------------------------------------------------


def wall_clock_to_utc(naive: datetime, tz: ZoneInfo) -> datetime:
    """A local wall-clock time (as entered in a form) as an aware UTC instant."""
    return naive.replace(tzinfo=tz).astimezone(UTC)


def local_instant(tenant: Tenant, day: date, at: time) -> datetime:
    """Wall-clock ``at`` on ``day`` in the tenant's zone, as aware UTC."""
    return wall_clock_to_utc(datetime.combine(day, at), tenant_zone(tenant))


def minutes_into_day(day: date, minutes: int, tz: ZoneInfo) -> datetime:
    """``minutes`` after local midnight of ``day`` (1440 = next midnight), as
    UTC: opening hours and whole local days."""
    return wall_clock_to_utc(datetime.combine(day, time()) + timedelta(minutes=minutes), tz)


# --- local days -------------------------------------------------------------------


def local_today(tenant: Tenant, now: datetime) -> date:
    return now.astimezone(tenant_zone(tenant)).date()


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def local_days(start: datetime, end: datetime, tz: ZoneInfo) -> list[date]:
    """Every local date touched by ``[start, end)``."""
    first = start.astimezone(tz).date()
    last = (end - timedelta(microseconds=1)).astimezone(tz).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def day_bounds(tenant: Tenant, day: date, days: int = 1) -> tuple[datetime, datetime]:
    """``[local midnight of day, local midnight days later)`` in UTC."""
    return (
        local_instant(tenant, day, time()),
        local_instant(tenant, day + timedelta(days=days), time()),
    )


def split_by_day(
    tenant: Tenant, start: datetime, end: datetime, days: list[date]
) -> dict[date, tuple[datetime, datetime]]:
    """The parts of ``[start, end)`` on each of the local ``days``."""
    parts = {}
    for day in days:
        day_start, day_end = day_bounds(tenant, day)
        if start < day_end and end > day_start:
            parts[day] = (max(start, day_start), min(end, day_end))
    return parts


# --- formatting -----------------------------------------------------------------------


def isoformat(instant: datetime, tz: ZoneInfo | Tenant) -> str:
    """RFC 3339 with the local offset (``2027-03-06T18:00:00+01:00``): what
    the API and machine-readable error details answer."""
    if isinstance(tz, Tenant):
        tz = tenant_zone(tz)
    return instant.astimezone(tz).isoformat()


def format_local(tenant: Tenant, instant: datetime) -> str:
    """The instant in the tenant's time, formatted by Babel for the current
    language (``06.03.27, 18:00`` / ``3/6/27, 6:00 PM``), for messages."""
    return babel_format_datetime(
        instant, "short", tzinfo=tenant_zone(tenant), locale=get_locale() or "de"
    )


def datetime_filter(value: object, fmt: str = "medium") -> str:
    """Template filter ``datetime``: an instant in the request's zone and language."""
    return format_datetime(value, fmt) if isinstance(value, datetime) else ""


def date_filter(value: object, fmt: str = "medium") -> str:
    """Template filter ``date``: a date (or an instant's local date)."""
    return format_date(value, fmt) if isinstance(value, date) else ""


def day_month_filter(value: object) -> str:
    """Template filter ``day_month``: day and month in the request's language
    ("30.11." in German, "30/11" in en-GB, "11/30" in en-US)."""
    if not isinstance(value, date):
        return ""
    return format_skeleton("dM", value, locale=get_locale() or "de")


def time_filter(value: object, fmt: str = "short") -> str:
    """Template filter ``time``: an instant's local clock time."""
    return format_time(value, fmt) if isinstance(value, datetime) else ""
