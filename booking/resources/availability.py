"""When a resource can be booked: opening hours (in the tenant's local time),
closures (Sperrzeiten) and public holidays of the tenant's state. What is
booked is the conflict engine's business (the busy view of a resource, with
its claims: ``reservations.queries.busy_intervals``).

All functions take and return aware UTC instants; local wall-clock time is
only used inside, through ``booking.tenants.localtime``, so DST changes never
shift a rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

import holidays
from sqlalchemy import Integer, String, bindparam, cast, literal_column, null, select, union_all
from sqlalchemy.orm import aliased

from booking.core import UTCDateTime
from booking.extensions import db
from booking.i18n import holiday_language
from booking.resources.models import Closure, OpeningHours, Resource
from booking.resources.policy import policy_of
from booking.resources.tree import Tree, ancestors, related_resource_ids
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
    tenant: Tenant,
    resource: Resource,
    start: datetime,
    end: datetime,
    *,
    hours: Mapping[int, list[tuple[int, int, int]]] | None = None,
) -> Resource | None:
    """The nearest resource (the resource itself or a hall it is part of)
    whose opening hours do not contain ``[start, end)``; None: open then.
    ``hours``: the weekly rows of the chain by resource id, read already
    (``rule_inputs``); without them each resource's are loaded."""
    if hours is None:
        sources: Iterable[Resource] = policy_of(resource).hours_from
    else:
        sources = [r for r in (resource, *ancestors(resource)) if hours.get(r.id)]
    for source in sources:
        rows = weekly_hours(source) if hours is None else hours[source.id]
        if not _contains(own_open_intervals(tenant, rows, start, end), start, end):
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


class ClosureRow(NamedTuple):
    resource_id: int | None
    start_at: datetime
    end_at: datetime
    reason: str


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
    *,
    closures: Iterable[ClosureRow] | None = None,
) -> list[Blocked]:
    """Closures of the resource, of a hall it is part of or of its parts,
    and holidays unless neither it nor a hall it is part of observes them.
    ``closures``: the tenant's closures touching ``[start, end)``, read
    already (``rule_inputs``)."""
    related = set(related_resource_ids(resource) if related_ids is None else related_ids)
    if closures is None:
        rows = db.session.execute(_CLOSURES, {"tenant_id": tenant.id, "start": start, "end": end})
        closures = [ClosureRow(*row) for row in rows]
    blocked = [
        Blocked(row.start_at, row.end_at, "closure", row.reason)
        for row in closures
        if (row.resource_id is None or row.resource_id in related)
        and row.start_at < end
        and row.end_at > start
    ]
    if policy_of(resource).observe_holidays:
        blocked.extend(holiday_intervals(tenant, start, end))
    return sorted(blocked, key=lambda b: (b.start, b.end))


# --- everything a booking's rules read, at once ---------------------------------------


@dataclass(frozen=True)
class RuleInputs:
    """What the rules of a booking read from the database: the ``tree``
    around the resource (the halls it is part of and everything below it:
    enough for its ``family``), the weekly opening ``hours`` of the resource and
    of every hall it is part of (by resource id; none: always open) and the
    tenant's ``closures`` touching the booking's window."""

    tree: Tree
    hours: dict[int, list[tuple[int, int, int]]]
    closures: list[ClosureRow]


def _rule_inputs_statement():
    """The three reads of a booking's rules as one statement (one round trip
    instead of three): the ``(id, parent_id)`` pairs below the resource
    (its parts, their parts …: a recursive query, so the rows grow with the
    hall, not with the municipality), the chain's opening hours and the
    window's closures, told apart by the first column. Every NULL is cast,
    so both databases give the columns one type."""

    def no(type_):
        return cast(null(), type_)

    part = aliased(Resource)
    below = (
        select(Resource.id, Resource.parent_id)
        .where(
            Resource.parent_id == bindparam("resource_id"),
            Resource.tenant_id == bindparam("tenant_id"),
        )
        .cte("below", recursive=True)
    )
    # UNION, not UNION ALL: a cycle in damaged data ends the walk.
    below = below.union(select(part.id, part.parent_id).where(part.parent_id == below.c.id))
    pairs = select(
        literal_column("0").label("part"),
        below.c.id.label("a"),
        below.c.parent_id.label("b"),
        no(Integer).label("c"),
        no(Integer).label("d"),
        no(UTCDateTime).label("start_at"),
        no(UTCDateTime).label("end_at"),
        no(String).label("reason"),
    )
    hours = select(
        literal_column("1"),
        OpeningHours.resource_id,
        OpeningHours.weekday,
        OpeningHours.opens_min,
        OpeningHours.closes_min,
        no(UTCDateTime),
        no(UTCDateTime),
        no(String),
    ).where(OpeningHours.resource_id.in_(bindparam("chain", expanding=True)))
    closures = select(
        literal_column("2"),
        Closure.resource_id,
        no(Integer),
        no(Integer),
        no(Integer),
        Closure.start_at,
        Closure.end_at,
        Closure.reason,
    ).where(
        Closure.tenant_id == bindparam("tenant_id"),
        Closure.start_at < bindparam("end"),
        Closure.end_at > bindparam("start"),
    )
    return union_all(pairs, hours, closures)


_RULE_INPUTS = _rule_inputs_statement()


def rule_inputs(tenant: Tenant, resource: Resource, start: datetime, end: datetime) -> RuleInputs:
    """``RuleInputs`` for a booking of ``resource`` within ``[start, end)``,
    with one statement."""
    chain = [resource, *ancestors(resource)]
    rows = db.session.execute(
        _RULE_INPUTS,
        {
            "tenant_id": tenant.id,
            "resource_id": resource.id,
            "chain": [r.id for r in chain],
            "start": start,
            "end": end,
        },
    )
    pairs: list[tuple[int, int | None]] = [(r.id, r.parent_id) for r in chain]
    hours: dict[int, list[tuple[int, int, int]]] = {}
    closures: list[ClosureRow] = []
    for part, a, b, c, d, start_at, end_at, reason in rows:
        if part == 0:
            pairs.append((a, b))
        elif part == 1:
            hours.setdefault(a, []).append((b, c, d))
        else:
            closures.append(ClosureRow(a, start_at, end_at, reason))
    closures.sort(key=lambda row: row.start_at)
    return RuleInputs(Tree(pairs), hours, closures)
