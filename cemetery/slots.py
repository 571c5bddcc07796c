"""Free appointment slots for a burial: every 30 minutes within the
cemetery's burial hours, over ``days`` calendar days from the first day the
lead time allows, without Sundays and public holidays, without days already
at the daily limit, and without starts where the chapel (with a ceremony) or
the crew are claimed.

Set-based, whatever the number of burials: one query counts the burials of
every day in the window, one engine query (``engine.find_conflicts`` over
every candidate's chapel and crew periods) finds the claims in the way."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from booking.extensions import db
from booking.reservations import engine
from booking.resources.tree import leaf_unit_ids
from booking.tenants.localtime import local_today, minutes_into_day, tenant_zone
from booking.tenants.models import Tenant
from cemetery.burials import (
    BOOKED_STATUSES,
    day_closed,
    first_allowed_day,
    hours_of,
    periods_of,
)
from cemetery.models import Burial, Cemetery

STEP_MINUTES = 30
DAYS_MAX = 62


def _day_counts(cemetery: Cemetery, first: date, last: date) -> dict[date, int]:
    rows = db.session.execute(
        select(Burial.burial_date, func.count(Burial.id))
        .where(
            Burial.cemetery_id == cemetery.id,
            Burial.burial_date >= first,
            Burial.burial_date <= last,
            Burial.status.in_(BOOKED_STATUSES),
            Burial.start_at.is_not(None),
        )
        .group_by(Burial.burial_date)
    )
    return {day: count for day, count in rows}


def candidates(
    tenant: Tenant, cemetery: Cemetery, first: date, days: int, now: datetime
) -> list[datetime]:
    """Starts every ``STEP_MINUTES`` in the burial hours of open days."""
    zone = tenant_zone(tenant)
    starts = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        if day_closed(tenant, day):
            continue
        for begin, end in hours_of(cemetery, day):
            minute = begin
            while minute < end:
                start = minutes_into_day(day, minute, zone)
                if start > now:
                    starts.append(start)
                minute += STEP_MINUTES
    return starts


def free_slots(
    tenant: Tenant,
    cemetery: Cemetery,
    *,
    kind: str,
    ceremony_minutes: int,
    first_day: date | None = None,
    days: int = 14,
    now: datetime,
) -> list[datetime]:
    """Free starts (aware UTC) for a burial of ``kind`` with a ceremony of
    ``ceremony_minutes`` (0: none), in time order."""
    days = max(1, min(int(days), DAYS_MAX))
    first = first_allowed_day(tenant, cemetery, kind, local_today(tenant, now))
    if first_day is not None and first_day > first:
        first = first_day
    last = first + timedelta(days=days - 1)
    counts = _day_counts(cemetery, first, last)
    zone = tenant_zone(tenant)
    starts = [
        s
        for s in candidates(tenant, cemetery, first, days, now)
        if counts.get(s.astimezone(zone).date(), 0) < cemetery.burials_per_day
    ]
    if not starts or cemetery.crew is None:
        return []
    chapel = cemetery.chapel if ceremony_minutes > 0 else None
    if ceremony_minutes > 0 and chapel is None:
        return []
    crew = cemetery.crew
    crew_units = set(leaf_unit_ids(crew))
    chapel_units = set(leaf_unit_ids(chapel)) if chapel is not None else set()
    periods: list[tuple[datetime, datetime]] = []
    owners: list[tuple[int, set[int]]] = []  # per period: the candidate, the units it needs
    for index, start in enumerate(starts):
        chapel_period, crew_period = periods_of(cemetery, start, ceremony_minutes)
        if chapel_period is not None:
            periods.append(engine.claim_period(chapel, *chapel_period))
            owners.append((index, chapel_units))
        periods.append(engine.claim_period(crew, *crew_period))
        owners.append((index, crew_units))
    hits = engine.find_conflicts(sorted(crew_units | chapel_units), periods)
    blocked = set()
    for hit in hits:
        index, units = owners[hit.index]
        if hit.unit_id in units:
            blocked.add(index)
    return [start for index, start in enumerate(starts) if index not in blocked]
