"""When a resource can be booked: opening hours (in the tenant's local time),
closures (Sperrzeiten) and public holidays of the tenant's state. What is
booked is the conflict engine's business (the busy view of a resource, with
its claims: ``reservations.queries.busy_intervals``).

All functions take and return aware UTC instants; local wall-clock time is
only used inside, through ``booking.tenants.localtime``, so DST changes never
shift a rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

import holidays
from sqlalchemy import bindparam, select

from booking.extensions import db
from booking.i18n import holiday_language
from booking.resources.models import Closure, OpeningHours, Resource
from booking.resources.policy import policy_of
from booking.resources.tree import related_resource_ids
from booking.tenants.localtime import local_days, minutes_into_day, tenant_zone
from booking.tenants.models import Tenant


class Interval(NamedTuple):
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Blocked:
    """A closure or a public holiday: nothing may be booked in it."""

    start: datetime
    end: datetime
    kind: str  # "closure" | "holiday"
    label: str


def merge(intervals: Iterable[tuple[datetime, datetime]]) -> list[Interval]:
    """Sorted, overlapping or touching intervals joined."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1].end:
            if end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, end)
        else:
            merged.append(Interval(start, end))
    return merged


# --- opening hours ---------------------------------------------------------


_OPENING_HOURS = select(
    OpeningHours.weekday, OpeningHours.opens_min, OpeningHours.closes_min
).where(OpeningHours.resource_id == bindparam("resource_id"))


def weekly_hours(resource: Resource) -> list[tuple[int, int, int]]:
    """``(weekday, opens_min, closes_min)`` rows of the resource: from the
    loaded relationship if it is loaded, else one light query."""
    if "opening_hours" in resource.__dict__:
        return [(r.weekday, r.opens_min, r.closes_min) for r in resource.opening_hours]
    return [tuple(row) for row in db.session.execute(_OPENING_HOURS, {"resource_id": resource.id})]


def own_open_intervals(
    tenant: Tenant,
    rows: list[tuple[int, int, int]],
    start: datetime,
    end: datetime,
) -> list[Interval]:
    """The open periods of one set of weekly ``rows`` around ``[start, end)``,
    merged across midnight. No rows: always open."""
    if not rows:
        return [Interval(start, end)]
    tz = tenant_zone(tenant)
    days = local_days(start, end, tz)
    days = [days[0] - timedelta(days=1), *days, days[-1] + timedelta(days=1)]
    found = [
        (minutes_into_day(day, opens, tz), minutes_into_day(day, closes, tz))
        for day in days
        for weekday, opens, closes in rows
        if weekday == day.weekday()
    ]
    return merge(found)


def intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """Where both sorted, merged lists of intervals cover."""
    found: list[Interval] = []
    for x in a:
        for y in b:
            lo, hi = max(x.start, y.start), min(x.end, y.end)
            if lo < hi:
                found.append(Interval(lo, hi))
    return merge(found)


def open_intervals(
    tenant: Tenant, resource: Resource, start: datetime, end: datetime
) -> list[Interval]:
    """When the resource may be booked around ``[start, end)``: inside its own
    opening hours and those of every hall it is part of (``policy_of``).
    Without any opening hours a resource is always open."""
    found = [Interval(start, end)]
    for source in policy_of(resource).hours_from:
        found = intersect(found, own_open_intervals(tenant, weekly_hours(source), start, end))
    return found


def refusing_hours(
    tenant: Tenant, resource: Resource, start: datetime, end: datetime
) -> Resource | None:
    """The nearest resource (the resource itself or a hall it is part of)
    whose opening hours do not contain ``[start, end)``; None: open then."""
    for source in policy_of(resource).hours_from:
        if not _contains(own_open_intervals(tenant, weekly_hours(source), start, end), start, end):
            return source
    return None


def _contains(intervals: Iterable[Interval], start: datetime, end: datetime) -> bool:
    return any(iv.start <= start and end <= iv.end for iv in intervals)


def within_opening_hours(
    tenant: Tenant, resource: Resource, start: datetime, end: datetime
) -> bool:
    """Inside the opening hours of the resource and of every hall it is part of."""
    return refusing_hours(tenant, resource, start, end) is None


# --- closures and holidays -------------------------------------------------


@lru_cache(maxsize=512)
def _holidays(state: str, year: int, language: str = "de") -> tuple[tuple[date, str], ...]:
    """The state's holidays with their names in ``language`` (one the
    ``holidays`` package has for Germany: "de", "en_US")."""
    calendar = holidays.Germany(subdiv=state, years=year, language=language)
    return tuple(sorted(calendar.items()))


def is_holiday(tenant: Tenant, day: date) -> bool:
    """``day`` (a local date) is a public holiday in the tenant's state."""
    return any(holiday == day for holiday, _name in _holidays(tenant.state, day.year))


def holiday_intervals(tenant: Tenant, start: datetime, end: datetime) -> list[Blocked]:
    """Public holidays of the tenant's state touching ``[start, end)``, each
    the whole local day."""
    tz = tenant_zone(tenant)
    days = local_days(start, end, tz)
    first, last = days[0], days[-1]
    found = []
    for year in range(first.year, last.year + 1):
        for day, name in _holidays(tenant.state, year, holiday_language()):
            if first <= day <= last:
                found.append(
                    Blocked(
                        minutes_into_day(day, 0, tz),
                        minutes_into_day(day, 1440, tz),
                        "holiday",
                        name,
                    )
                )
    return found


_CLOSURES = (
    select(Closure.resource_id, Closure.start_at, Closure.end_at, Closure.reason)
    .where(
        Closure.tenant_id == bindparam("tenant_id"),
        Closure.start_at < bindparam("end"),
        Closure.end_at > bindparam("start"),
    )
    .order_by(Closure.start_at)
)


def blocked_intervals(
    tenant: Tenant,
    resource: Resource,
    start: datetime,
    end: datetime,
    related_ids: Iterable[int] | None = None,
) -> list[Blocked]:
    """Closures of the resource, of a hall it is part of or of its parts,
    and holidays unless neither it nor a hall it is part of observes them."""
    related = set(related_resource_ids(resource) if related_ids is None else related_ids)
    rows = db.session.execute(_CLOSURES, {"tenant_id": tenant.id, "start": start, "end": end})
    blocked = [
        Blocked(row.start_at, row.end_at, "closure", row.reason)
        for row in rows
        if row.resource_id is None or row.resource_id in related
    ]
    if policy_of(resource).observe_holidays:
        blocked.extend(holiday_intervals(tenant, start, end))
    return sorted(blocked, key=lambda b: (b.start, b.end))
