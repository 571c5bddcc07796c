"""Read-only questions about bookings, for the screens and the API: one
booking (if the actor may see it), a user's bookings, bookings and dates in a
period, the approval queue, the busy view of a week, which halls are free,
the staff calendar, a booking's history. Plain functions over the session;
they change nothing. Local days and weeks: ``booking.tenants.localtime``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from booking.accounts.models import User
from booking.audit.models import AuditEntry
from booking.core import MAX_YEAR, MIN_YEAR
from booking.extensions import db
from booking.reservations import engine
from booking.reservations.access import require_view
from booking.reservations.errors import ConflictItem, conflict_items
from booking.reservations.models import CLAIMING_STATUSES, Booking, Claim, Occurrence
from booking.resources import availability, tree
from booking.resources.models import Closure, Resource
from booking.resources.policy import policy_of
from booking.tenants.localtime import day_bounds, split_by_day
from booking.tenants.models import Tenant
from booking.tenants.service import get_scoped, in_tenant, scoped

DAYS_PER_WEEK = 7

# --- parameters ----------------------------------------------------------------


def parse_day(raw: Any, default: date | None) -> date | None:
    """An ISO date (query string, stored rule); anything unparsable means ``default``."""
    if not isinstance(raw, str) or not raw:
        return default
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return default
    return day if MIN_YEAR <= day.year <= MAX_YEAR else default


# --- bookings --------------------------------------------------------------------------


def get_booking(tenant: Tenant, actor: User | None, booking_id: object) -> Booking:
    """The booking if the actor may see it; ``NotFound`` otherwise (also for
    another municipality's booking or a missing one)."""
    booking = get_scoped(Booking, tenant, booking_id)
    require_view(tenant, actor, booking)
    return booking


def bookings_of_user(tenant: Tenant, user: User, *, limit: int = 500) -> list[Booking]:
    """The user's own bookings in this tenant, newest first."""
    return list(
        db.session.scalars(
            scoped(Booking, tenant)
            .where(Booking.user_id == user.id, Booking.origin != "burial")  # burials apart
            .options(
                selectinload(Booking.occurrences),
                selectinload(Booking.resource),
                selectinload(Booking.organisation),
            )
            .order_by(Booking.created_at.desc(), Booking.id.desc())
            .limit(limit)
        )
    )


def bookings_of_organisation(
    tenant: Tenant, organisation_id: int, *, limit: int = 500
) -> list[Booking]:
    """The bookings made for a club in this tenant, newest first (its page)."""
    return list(
        db.session.scalars(
            scoped(Booking, tenant)
            .where(Booking.organisation_id == organisation_id)
            .options(
                selectinload(Booking.occurrences),
                selectinload(Booking.resource),
                selectinload(Booking.user),
            )
            .order_by(Booking.created_at.desc(), Booking.id.desc())
            .limit(limit)
        )
    )


# A booking that ended: no dates to keep, no .ics to offer.
ENDED = frozenset({"cancelled", "rejected", "expired"})


@dataclass(frozen=True)
class ByTime:
    """Bookings for a list: ``upcoming`` (a date still to end; soonest next
    date first), ``past`` (every date over; latest first) and ``ended``
    (cancelled, rejected or expired; latest date first)."""

    upcoming: list[Booking]
    past: list[Booking]
    ended: list[Booking]

    def __bool__(self) -> bool:
        return bool(self.upcoming or self.past or self.ended)


def by_time(bookings: Iterable[Booking], now: datetime) -> ByTime:
    """Sort ``bookings`` (occurrences loaded) for "My bookings" and a club's page."""
    upcoming: list[tuple[datetime, Booking]] = []
    past: list[tuple[datetime, Booking]] = []
    ended: list[tuple[datetime, Booking]] = []
    for booking in bookings:
        dates = booking.occurrences
        if not dates:
            continue
        last = max(o.end_at for o in dates)
        if booking.status in ENDED:
            ended.append((last, booking))
            continue
        coming = [o.start_at for o in booking.active_occurrences if o.end_at > now]
        if coming:
            upcoming.append((min(coming), booking))
        else:
            past.append((last, booking))
    upcoming.sort(key=lambda item: (item[0], item[1].id))
    past.sort(key=lambda item: (item[0], item[1].id), reverse=True)
    ended.sort(key=lambda item: (item[0], item[1].id), reverse=True)
    return ByTime([b for _, b in upcoming], [b for _, b in past], [b for _, b in ended])


def list_bookings(
    tenant: Tenant,
    *,
    resource_ids: Sequence[int] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 500,
) -> list[Booking]:
    """Bookings with a date in ``[start, end)`` (either bound optional), of
    the given resources, oldest date first."""
    dates = select(Occurrence.booking_id).where(in_tenant(Occurrence, tenant))
    if resource_ids is not None:
        dates = dates.where(Occurrence.resource_id.in_(list(resource_ids)))
    if end is not None:
        dates = dates.where(Occurrence.start_at < end)
    if start is not None:
        dates = dates.where(
            Occurrence.end_at > start, Occurrence.start_at > start - engine.MAX_CLAIM
        )
    query = (
        scoped(Booking, tenant)
        .where(Booking.id.in_(dates))
        .options(selectinload(Booking.occurrences))
        .order_by(Booking.created_at, Booking.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def occurrences_between(
    tenant: Tenant,
    start: datetime,
    end: datetime,
    resource_ids: Sequence[int] | None = None,
    *,
    include_cancelled: bool = False,
) -> list[Occurrence]:
    """Dates overlapping ``[start, end)`` for calendars and schedules, in time
    order, with booking, booker, organisation and resource loaded: active
    bookings only (requested, confirmed, held) unless ``include_cancelled``.
    ``resource_ids`` are taken literally; use ``tree.related_resource_ids``
    to include parents and parts."""
    query = (
        scoped(Occurrence, tenant)
        .join(Booking, Occurrence.booking_id == Booking.id)
        .where(
            Occurrence.start_at > start - engine.MAX_CLAIM,
            Occurrence.start_at < end,
            Occurrence.end_at > start,
        )
        .options(
            selectinload(Occurrence.booking).selectinload(Booking.user),
            selectinload(Occurrence.booking).selectinload(Booking.organisation),
            selectinload(Occurrence.booking).selectinload(Booking.resource),
        )
        .order_by(Occurrence.start_at, Occurrence.id)
    )
    if resource_ids is not None:
        query = query.where(Occurrence.resource_id.in_(list(resource_ids)))
    if not include_cancelled:
        query = query.where(
            Occurrence.cancelled_at.is_(None), Booking.status.in_(CLAIMING_STATUSES)
        )
    return list(db.session.scalars(query))


def dates_in(
    tenant: Tenant, resource_ids: Iterable[int] | None, start: datetime, end: datetime
) -> list[Occurrence]:
    """The active dates a closure of ``resource_ids`` (None: of every
    resource) over ``[start, end)`` falls on, in time order: dates of those
    resources, of their parts and of the halls they are part of (a closure of
    half A closes the whole hall, as the booking rules say)."""
    related = None
    if resource_ids is not None:
        families = tree.families(tenant.id, resource_ids)
        related = sorted({rid for family in families.values() for rid in family.related})
    return occurrences_between(tenant, start, end, related)


# --- the approval queue -------------------------------------------------------------


@dataclass
class QueueItem:
    """A booking waiting for approval with what stands in its way now:
    ``conflicts`` (claims of other bookings) and ``competing`` requests."""

    booking: Booking
    conflicts: list[ConflictItem]
    competing: list[Booking]


def approval_queue(tenant: Tenant) -> list[QueueItem]:
    """Requested bookings, oldest first, each with its current conflicts:
    claims of other bookings on its units, and other requests for the same
    time (which only one of them can get). A fixed number of queries however
    long the queue (the conflicts of all requests are read at once)."""
    requested = list(
        db.session.scalars(
            scoped(Booking, tenant)
            .where(Booking.status == "requested")
            .options(
                selectinload(Booking.occurrences),
                selectinload(Booking.resource),
                selectinload(Booking.user),
                selectinload(Booking.organisation),
            )
            .order_by(Booking.created_at, Booking.id)
        )
    )
    if not requested:
        return []
    families = tree.families(tenant.id, (b.resource_id for b in requested))
    units_of = {rid: fam.units for rid, fam in families.items()}
    # The dates of all requests in one list, so that the engine is asked once.
    dates = [(b, i, o) for b in requested for i, o in enumerate(b.active_occurrences)]
    periods = [engine.claim_period(b.resource, o.start_at, o.end_at) for b, _i, o in dates]
    units = sorted({unit for units in units_of.values() for unit in units})
    own = {o.id: b.id for b, _i, o in dates}
    hits: dict[int, list[engine.Hit]] = {b.id: [] for b in requested}
    for hit in engine.find_conflicts(units, periods):
        booking, index, _occurrence = dates[hit.index]
        if (
            own.get(hit.occurrence_id) != booking.id
            and hit.unit_id in units_of[booking.resource_id]
        ):
            hits[booking.id].append(replace(hit, index=index))
    items = [
        QueueItem(
            b,
            conflict_items(hits[b.id], [(o.start_at, o.end_at) for o in b.active_occurrences]),
            [],
        )
        for b in requested
    ]
    # Competing requests: overlapping requested bookings sharing a unit.
    for i, item in enumerate(items):
        for other in items[i + 1 :]:
            if _compete(item.booking, other.booking, units_of):
                item.competing.append(other.booking)
                other.competing.append(item.booking)
    return items


def _compete(a: Booking, b: Booking, units_of: dict[int, list[int]]) -> bool:
    if not set(units_of[a.resource_id]) & set(units_of[b.resource_id]):
        return False
    periods_a = [
        engine.claim_period(a.resource, o.start_at, o.end_at) for o in a.active_occurrences
    ]
    periods_b = [
        engine.claim_period(b.resource, o.start_at, o.end_at) for o in b.active_occurrences
    ]
    return any(sa < eb and sb < ea for sa, ea in periods_a for sb, eb in periods_b)


# --- the busy view of one resource ---------------------------------------------------


@dataclass(frozen=True)
class BusySlot:
    start: datetime
    end: datetime
    kind: str  # "busy" (booked) | "closed" (closure) | "holiday"
    label: str = ""  # a holiday's public name; never a booking's title
    whole_day: bool = False


def busy_week(
    tenant: Tenant, resource: Resource, monday: date
) -> list[tuple[date, list[BusySlot]]]:
    """Seven local days from ``monday``, each with its occupied and closed
    periods: times only, no titles or names. Bookings (with buffers) come
    from the engine's claims, closures and holidays from ``availability``."""
    days = [monday + timedelta(days=n) for n in range(DAYS_PER_WEEK)]
    start, end = day_bounds(tenant, monday, DAYS_PER_WEEK)
    periods: list[tuple[datetime, datetime, str, str]] = [
        (iv.start, iv.end, "busy", "")
        for iv in availability.merge(
            engine.claimed_periods(tree.leaf_unit_ids(resource), start, end)
        )
    ]
    for blocked in availability.blocked_intervals(tenant, resource, start, end):
        if blocked.kind == "holiday":
            periods.append((blocked.start, blocked.end, "holiday", blocked.label))
        else:
            periods.append((blocked.start, blocked.end, "closed", ""))
    by_day: dict[date, list[BusySlot]] = {day: [] for day in days}
    for p_start, p_end, kind, label in sorted(periods, key=lambda p: (p[0], p[1])):
        for day, (s, e) in split_by_day(tenant, p_start, p_end, days).items():
            whole = (s, e) == day_bounds(tenant, day)
            by_day[day].append(BusySlot(s, e, kind, label, whole))
    return [(day, by_day[day]) for day in days]


def busy_intervals(
    tenant: Tenant, resource: Resource, start: datetime, end: datetime
) -> list[availability.Interval]:
    """Occupied intervals of the resource within ``[start, end)``: claims on
    its leaf units, closures and holidays, merged and clipped to the window.
    Times only, no personal data."""
    occupied = engine.claimed_periods(tree.leaf_unit_ids(resource), start, end)
    occupied.extend(
        (b.start, b.end) for b in availability.blocked_intervals(tenant, resource, start, end)
    )
    return [
        availability.Interval(max(iv.start, start), min(iv.end, end))
        for iv in availability.merge(occupied)
        if iv.end > start and iv.start < end
    ]


def is_free(tenant: Tenant, resource: Resource, start: datetime, end: datetime) -> bool:
    """Open then, and nothing booked or closed in ``[start, end)``."""
    if not availability.within_opening_hours(tenant, resource, start, end):
        return False
    return not busy_intervals(tenant, resource, start, end)


def free_resources(
    tenant: Tenant,
    start: datetime,
    end: datetime,
    *,
    kind: str | None = None,
    guests: int | None = None,
) -> list[Resource]:
    """Public, bookable resources free in ``[start, end)`` — halls and their
    parts alike (a half of a hall is a hall too), each by its effective rules
    (``policy_of``: a part of an internal hall is internal, a part is open
    only when its hall is), with at least ``guests`` places, by full name.

    Free as ``is_free`` says (open then, no claim on its units, no closure of
    it, its parts or its halls, no holiday it observes), but for all
    candidates at once: a fixed number of queries however many resources
    the tenant has (the resources with their hours, the tree, the claims on
    every candidate's units, the closures), not four per resource."""
    everything = list(
        db.session.scalars(scoped(Resource, tenant).options(selectinload(Resource.opening_hours)))
    )  # parents come from the identity map: no query per part
    candidates = [
        r
        for r in everything
        if r.bookable
        and policy_of(r).public
        and (kind is None or r.kind == kind)
        and (guests is None or (r.capacity is not None and r.capacity >= guests))
        and availability.within_opening_hours(tenant, r, start, end)
    ]
    if not candidates:
        return []
    families = tree.families(tenant.id, (r.id for r in candidates))
    units = sorted({unit for family in families.values() for unit in family.units})
    claimed = {
        unit_id
        for (unit_id,) in db.session.execute(
            select(Claim.unit_id)
            .where(
                Claim.active.is_(True),
                Claim.unit_id.in_(units),
                Claim.start_at > start - engine.MAX_CLAIM,
                Claim.start_at < end,
                Claim.end_at > start,
            )
            .distinct()
        )
    }
    closed: set[int] = set()
    everywhere = False  # a closure of the whole municipality
    for closure in closures_between(tenant, start, end):
        if closure.resource_id is None:
            everywhere = True
        else:
            closed.add(closure.resource_id)
    holiday = any(
        h.start < end and h.end > start for h in availability.holiday_intervals(tenant, start, end)
    )

    def free(resource: Resource) -> bool:
        family = families[resource.id]
        if everywhere or claimed.intersection(family.units) or closed & family.related:
            return False
        return not (holiday and policy_of(resource).observe_holidays)

    found = [r for r in candidates if free(r)]
    return sorted(found, key=lambda r: (tree.full_name(r), r.id))


# --- the staff calendar ----------------------------------------------------------


def closures_between(
    tenant: Tenant, start: datetime, end: datetime, resource_ids: list[int] | None = None
) -> list[Closure]:
    query = scoped(Closure, tenant).where(Closure.start_at < end, Closure.end_at > start)
    if resource_ids is not None:
        query = query.where(
            or_(Closure.resource_id.is_(None), Closure.resource_id.in_(resource_ids))
        )
    return list(db.session.scalars(query.order_by(Closure.start_at)))


def calendar_grid(
    tenant: Tenant, resources: list[Resource], days: list[date]
) -> dict[tuple[int, date], list[dict[str, Any]]]:
    """``(resource_id, day) -> entries`` for the staff calendar; an entry is an
    occurrence (with its booking) or a closure, clipped to the day."""
    start, _ = day_bounds(tenant, days[0])
    _, end = day_bounds(tenant, days[-1])
    ids = [r.id for r in resources]
    grid: dict[tuple[int, date], list[dict[str, Any]]] = defaultdict(list)
    for occ in occurrences_between(tenant, start, end, ids):
        for day, (s, e) in split_by_day(tenant, occ.start_at, occ.end_at, days).items():
            grid[(occ.resource_id, day)].append(
                {"kind": "booking", "start": s, "end": e, "occurrence": occ}
            )
    for closure in closures_between(tenant, start, end, ids):
        targets = ids if closure.resource_id is None else [closure.resource_id]
        for day, (s, e) in split_by_day(tenant, closure.start_at, closure.end_at, days).items():
            for rid in targets:
                grid[(rid, day)].append(
                    {"kind": "closure", "start": s, "end": e, "closure": closure}
                )
    for entries in grid.values():
        entries.sort(key=lambda x: (x["start"], x["end"]))
    return grid


# --- history -------------------------------------------------------------------------


STAFF_DECISIONS = ("booking.approve", "booking.reject", "booking.cancel", "booking.cancel_from")


def staff_decision(tenant: Tenant, booking: Booking) -> AuditEntry | None:
    """The latest approval, rejection or cancellation by staff that gave a
    reason: the applicant is shown why."""
    return db.session.scalars(
        scoped(AuditEntry, tenant)
        .where(
            AuditEntry.object_type == "Booking",
            AuditEntry.object_id == booking.id,
            AuditEntry.action.in_(STAFF_DECISIONS),
            AuditEntry.reason.is_not(None),
        )
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(1)
    ).first()


def booking_history(tenant: Tenant, booking: Booking) -> list[AuditEntry]:
    """Audit entries of the booking and of each of its dates, oldest first."""
    occurrence_ids = [o.id for o in booking.occurrences]
    conditions = [and_(AuditEntry.object_type == "Booking", AuditEntry.object_id == booking.id)]
    if occurrence_ids:
        conditions.append(
            and_(AuditEntry.object_type == "Occurrence", AuditEntry.object_id.in_(occurrence_ids))
        )
    return list(
        db.session.scalars(
            scoped(AuditEntry, tenant)
            .where(or_(*conditions))
            .options(selectinload(AuditEntry.actor))
            .order_by(AuditEntry.created_at, AuditEntry.id)
        )
    )


def owners_of_occurrences(
    tenant: Tenant, occurrence_ids: Iterable[int]
) -> dict[int, tuple[int | None, int | None]]:
    """``{occurrence id: (user id, organisation id)}`` of the bookings those
    dates belong to, in ``tenant`` (the conflict box says "your own booking")."""
    ids = {i for i in occurrence_ids if i is not None}
    if not ids:
        return {}
    rows = db.session.execute(
        select(Occurrence.id, Booking.user_id, Booking.organisation_id)
        .join(Booking, Booking.id == Occurrence.booking_id)
        .where(Booking.tenant_id == tenant.id, Occurrence.id.in_(ids))
    )
    return {occurrence_id: (user_id, org_id) for occurrence_id, user_id, org_id in rows}
