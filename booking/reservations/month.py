"""The month overview of a hall: which days still have room.

Each local day of the month (the tenant's zone) is one of
- ``closed``: the hall has no opening hours that day ("geschlossen"),
- ``holiday``: a public holiday the hall observes ("Feiertag"),
- ``blocked``: a closure (Sperrzeit) covers all its opening hours,
- ``full``: claims and closures leave no free period of at least
  ``min_free`` ("ausgebucht"),
- ``partly``: some of its opening hours are taken ("teilweise belegt", with
  the free periods),
- ``free``: nothing taken in its opening hours ("frei"),
- ``past``: its opening hours are over (``now``); today counts from now.

The same sources as booking: ``availability.open_intervals`` (opening hours
of the hall and of every hall it is part of), the engine's active claims on
its leaf units (with buffers; requests that do not block claim nothing) and
``availability.blocked_intervals`` (closures, holidays). A handful of
queries for the whole month, none per day."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from booking.reservations import engine
from booking.resources import availability, tree
from booking.resources.availability import Interval
from booking.resources.models import Resource
from booking.resources.policy import policy_of
from booking.tenants.localtime import day_bounds
from booking.tenants.models import Tenant

MIN_FREE = timedelta(minutes=30)  # shorter gaps (between buffers) do not count as room


@dataclass(frozen=True)
class DayRoom:
    day: date
    status: str  # closed | holiday | blocked | full | partly | free
    free: tuple[Interval, ...] = ()
    label: str = ""  # the holiday's name


def parse_month(raw: str | None, default: date) -> date | None:
    """``2027-03`` → 1 March 2027; empty → the month of ``default``; None if malformed."""
    if not raw:
        return default.replace(day=1)
    try:
        year_text, month_text = raw.split("-")
        if len(year_text) != 4 or len(month_text) != 2:
            return None
        first = date(int(year_text), int(month_text), 1)
    except ValueError:
        return None
    return first if 1900 <= first.year <= 2999 else None


def month_days(first: date) -> list[date]:
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return [first + timedelta(days=n) for n in range((following - first).days)]


def neighbours(first: date) -> tuple[date, date]:
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return previous, following


def weeks(first: date) -> list[list[date | None]]:
    """The month as Monday-first weeks; None pads days of other months."""
    days = month_days(first)
    cells: list[date | None] = [None] * first.weekday() + list(days)
    cells += [None] * (-len(cells) % 7)
    return [cells[i : i + 7] for i in range(0, len(cells), 7)]


def subtract(
    base: Sequence[Interval], taken: Sequence[Interval], minimum: timedelta = timedelta(0)
) -> list[Interval]:
    """``base`` without ``taken`` (both sorted and merged), gaps shorter
    than ``minimum`` left out."""
    found: list[Interval] = []
    for iv in base:
        cursor = iv.start
        for t in taken:
            if t.end <= cursor or t.start >= iv.end:
                continue
            if t.start > cursor:
                found.append(Interval(cursor, t.start))
            cursor = max(cursor, t.end)
        if cursor < iv.end:
            found.append(Interval(cursor, iv.end))
    return [f for f in found if f.end - f.start >= max(minimum, timedelta(microseconds=1))]


def _clip(intervals: Sequence[Interval], lo: datetime, hi: datetime) -> list[Interval]:
    return [
        Interval(max(iv.start, lo), min(iv.end, hi))
        for iv in intervals
        if iv.start < hi and iv.end > lo
    ]


def _total(intervals: Sequence[Interval]) -> timedelta:
    return sum((iv.end - iv.start for iv in intervals), timedelta(0))


def month_room(
    tenant: Tenant, resource: Resource, first: date, now: datetime | None = None
) -> list[DayRoom]:
    """Every day of the month of ``first`` with its room (see the module);
    with ``now``, opening hours before it no longer count."""
    days = month_days(first)
    start, end = day_bounds(tenant, days[0], len(days))
    policy = policy_of(resource)
    minimum = max(MIN_FREE, timedelta(minutes=policy.min_duration_min or 0))
    family = tree.family(resource)
    opened = availability.open_intervals(tenant, resource, start, end)
    claims = availability.merge(engine.claimed_periods(family.units, start, end))
    blocked = availability.blocked_intervals(tenant, resource, start, end, family.related)
    closures = availability.merge((b.start, b.end) for b in blocked if b.kind == "closure")
    holidays = {b.start: b.label for b in blocked if b.kind == "holiday"}
    taken = availability.merge([*claims, *closures])
    found = []
    for day in days:
        lo, hi = day_bounds(tenant, day)
        open_today = _clip(opened, lo, hi)
        if now is not None and now >= hi:
            found.append(DayRoom(day, "past"))
            continue
        if now is not None and open_today and now > lo:
            open_today = subtract(open_today, [Interval(lo, now)])
            if not open_today:
                found.append(DayRoom(day, "past"))
                continue
        if lo in holidays:
            found.append(DayRoom(day, "holiday", label=holidays[lo]))
            continue
        if not open_today:
            found.append(DayRoom(day, "closed"))
            continue
        if not subtract(open_today, _clip(closures, lo, hi)):
            found.append(DayRoom(day, "blocked"))
            continue
        free = subtract(open_today, _clip(taken, lo, hi), minimum)
        if not free:
            status = "full"
        elif _total(free) == _total(open_today):
            status = "free"
        else:
            status = "partly"
        found.append(DayRoom(day, status, tuple(free)))
    return found
