"""Alternatives for a taken slot: the same time in other free resources of
a similar kind and capacity, and the nearest free times of the same
resource (within opening hours, off closures and holidays, clear of claims
including buffers)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from booking.core import utcnow
from booking.extensions import db
from booking.reservations import engine
from booking.reservations.errors import Suggestion
from booking.reservations.models import Claim
from booking.reservations.rules import rule_violations
from booking.resources import availability, tree
from booking.resources.models import Resource
from booking.resources.policy import policy_of
from booking.tenants.localtime import minutes_into_day, tenant_zone, wall_clock_to_utc
from booking.tenants.models import Tenant
from booking.tenants.service import scoped

SUGGESTION_LIMIT = 3
SUGGESTION_DAYS = 7
SUGGESTION_GRID = timedelta(minutes=15)
HALL_KINDS = ("hall", "room", "sports_hall")


def _free_elsewhere(
    tenant: Tenant, resource: Resource, start: datetime, end: datetime, *, now: datetime
) -> list[Suggestion]:
    """The same time in other public, bookable resources of a similar kind
    and at least the capacity (parts of halls included, with their halls'
    rules: ``rule_violations`` reads ``policy_of``)."""
    related = tree.related_resource_ids(resource)
    query = scoped(Resource, tenant).where(
        Resource.bookable.is_(True),
        Resource.public.is_(True),
        Resource.id.not_in(related),
    )
    if resource.kind in HALL_KINDS:
        query = query.where(Resource.kind.in_(HALL_KINDS))
    else:
        query = query.where(Resource.kind == resource.kind)
    if resource.capacity is not None:
        query = query.where(Resource.capacity >= resource.capacity)
    found = []
    for other in db.session.scalars(query.order_by(Resource.capacity, Resource.name)):
        if not policy_of(other).public:  # a part of an internal hall is internal too
            continue
        units = tree.leaf_unit_ids(other)
        if engine.find_conflicts(units, [engine.claim_period(other, start, end)]):
            continue
        if rule_violations(tenant, other, [(start, end)], now=now):
            continue
        found.append(Suggestion(other.id, start, end))
        if len(found) >= SUGGESTION_LIMIT:
            break
    return found


def _snap(instant: datetime, tz: ZoneInfo, *, up: bool) -> datetime:
    """Round to a quarter hour of local time (up or down)."""
    local = instant.astimezone(tz).replace(tzinfo=None)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    steps = (local - midnight) / SUGGESTION_GRID
    wall = midnight + (math.ceil(steps) if up else math.floor(steps)) * SUGGESTION_GRID
    return wall_clock_to_utc(wall, tz)


def _free_slots(
    tenant: Tenant,
    resource: Resource,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    exclude_occurrence_ids: Sequence[int] = (),
) -> list[Suggestion]:
    """The nearest free slots of the same length on the same resource: the
    same day and the following days, within opening hours (its own and its
    hall's), not on closures or holidays, clear of claims including buffers."""
    tz = tenant_zone(tenant)
    duration = end - start
    before = timedelta(minutes=resource.buffer_before_min or 0)
    after = timedelta(minutes=resource.buffer_after_min or 0)
    day = start.astimezone(tz).date()
    window = availability.Interval(
        minutes_into_day(day, 0, tz),
        minutes_into_day(day + timedelta(days=SUGGESTION_DAYS), 0, tz),
    )
    policy = policy_of(resource)
    earliest = max(window.start, now + timedelta(hours=policy.min_notice_hours))
    latest = window.end
    if policy.max_advance_days is not None:
        last_day = now.astimezone(tz).date() + timedelta(days=policy.max_advance_days)
        latest = min(latest, minutes_into_day(last_day, 1440, tz))
    if earliest >= latest:
        return []
    # Where the booking itself may lie: open, not closed.
    allowed = availability.open_intervals(tenant, resource, *window)
    blocked = availability.merge(
        (b.start, b.end) for b in availability.blocked_intervals(tenant, resource, *window)
    )
    allowed = _subtract(allowed, blocked)
    # Where its claim (with buffers) may lie: between other claims.
    margin = duration + before + after
    span = availability.Interval(window.start - margin, window.end + margin)
    units = tree.leaf_unit_ids(resource)
    taken = engine.claimed_periods(units, *span)
    if exclude_occurrence_ids:
        own = {
            (row.start_at, row.end_at)
            for row in db.session.execute(
                select(Claim.start_at, Claim.end_at).where(
                    Claim.occurrence_id.in_(list(exclude_occurrence_ids)), Claim.active.is_(True)
                )
            )
        }
        taken = [p for p in taken if p not in own]
    gaps = _subtract([span], availability.merge(taken))
    wall_time = start.astimezone(tz).replace(tzinfo=None).time()
    candidates = []
    for a in allowed:
        for g in gaps:
            lo = max(a.start, g.start + before, earliest)
            hi = min(a.end, g.end - after, latest) - duration
            if lo > hi:
                continue
            lo_grid, hi_grid = _snap(lo, tz, up=True), _snap(hi, tz, up=False)
            if not lo <= lo_grid <= hi_grid <= hi:
                continue
            # The requested time of day on this range's day, moved into it.
            local_day = lo_grid.astimezone(tz).date()
            target = wall_clock_to_utc(datetime.combine(local_day, wall_time), tz)
            best = min(max(target, lo_grid), hi_grid)
            if best != start:
                candidates.append(best)
    candidates.sort(key=lambda s: (abs(s - start), s))
    return [Suggestion(resource.id, s, s + duration) for s in candidates[:SUGGESTION_LIMIT]]


def _subtract(
    intervals: Sequence[availability.Interval], holes: Sequence[availability.Interval]
) -> list[availability.Interval]:
    result = []
    for iv in intervals:
        pieces = [iv]
        for hole in holes:
            next_pieces = []
            for p in pieces:
                if hole.end <= p.start or hole.start >= p.end:
                    next_pieces.append(p)
                    continue
                if hole.start > p.start:
                    next_pieces.append(availability.Interval(p.start, hole.start))
                if hole.end < p.end:
                    next_pieces.append(availability.Interval(hole.end, p.end))
            pieces = next_pieces
        result.extend(pieces)
    return result


def suggestions(
    tenant: Tenant,
    resource: Resource,
    start: datetime,
    end: datetime,
    *,
    now: datetime | None = None,
    exclude_occurrence_ids: Sequence[int] = (),
) -> list[Suggestion]:
    """Alternatives for a taken slot: other resources at that time first,
    then the nearest free times of the same resource."""
    now = now or utcnow()
    return _free_elsewhere(tenant, resource, start, end, now=now) + _free_slots(
        tenant, resource, start, end, now=now, exclude_occurrence_ids=exclude_occurrence_ids
    )
