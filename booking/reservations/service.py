"""Hall bookings: create (single or series), approve, reject, cancel, move;
who may see and change a booking; the lists and calendars built on them.

Plain functions over ``db.session``: they take the tenant, the acting user
and ``now``, flush but never commit, and raise domain errors
(``BookingConflict`` 409, ``ValidationFailed`` 422, ``Forbidden`` 403,
``NotFound`` 404). The caller commits once.

Access (documented for the API and views alike): a booking is visible to its
owner, the managers of its organisation, staff (admin, clerk) and the
caretakers assigned to its resource; to everyone else it does not exist
(``NotFound``, 404 — as for another tenant's objects). Approving and
rejecting need staff (``Forbidden``, 403). Cancelling and moving need the
owner, an organisation manager or staff.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.orm import selectinload

from booking.accounts.models import Organisation, OrganisationMember, User
from booking.audit import service as audit
from booking.core import Forbidden, NotFound, ValidationFailed, utcnow
from booking.extensions import db
from booking.reservations import engine
from booking.reservations.errors import BookingConflict, ConflictItem, Suggestion
from booking.reservations.models import CLAIMING_STATUSES, Booking, Claim, Occurrence
from booking.reservations.recurrence import (
    DEFAULT_MAX_OCCURRENCES,
    Recurrence,
    expand,
    parse_recurrence,
)
from booking.resources import availability
from booking.resources.models import Resource, ResourceCaretaker
from booking.tenants.models import Tenant
from booking.tenants.service import get_scoped

STAFF_ROLES = ("admin", "clerk")
ON_CONFLICT = ("reject", "skip")
SUGGESTION_LIMIT = 3
SUGGESTION_DAYS = 7
SUGGESTION_GRID = timedelta(minutes=15)
HALL_KINDS = ("hall", "room", "sports_hall")
RACE_RETRIES = 5


@dataclass(frozen=True)
class Skipped:
    """A date of a series that was not booked, and why
    (``conflict``, ``closure`` or ``holiday``)."""

    start: datetime
    end: datetime
    reason: str
    label: str = ""


@dataclass
class BookingResult:
    booking: Booking
    skipped: list[Skipped] = field(default_factory=list)
    overridden: list[str] = field(default_factory=list)


@dataclass
class QueueItem:
    """A booking waiting for approval with what stands in its way now:
    ``conflicts`` (claims of other bookings) and ``competing`` requests."""

    booking: Booking
    conflicts: list[ConflictItem]
    competing: list[Booking]


# --- access ------------------------------------------------------------------


def is_staff(user: User | None, tenant: Tenant) -> bool:
    return user is not None and user.has_role(tenant.id, *STAFF_ROLES)


def can_approve(user: User | None, tenant: Tenant) -> bool:
    return is_staff(user, tenant)


def _manages_organisation(user: User, organisation_id: int | None) -> bool:
    if organisation_id is None:
        return False
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    OrganisationMember.organisation_id == organisation_id,
                    OrganisationMember.user_id == user.id,
                    OrganisationMember.is_manager.is_(True),
                )
            )
        )
    )


def _is_assigned_caretaker(user: User, resource: Resource) -> bool:
    if not user.has_role(resource.tenant_id, "caretaker"):
        return False
    ids = []
    node: Resource | None = resource
    while node is not None:
        ids.append(node.id)
        node = node.parent
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    ResourceCaretaker.user_id == user.id, ResourceCaretaker.resource_id.in_(ids)
                )
            )
        )
    )


def can_manage_booking(user: User | None, booking: Booking) -> bool:
    """Cancel or move: owner, organisation manager, staff."""
    if user is None:
        return False
    return (
        booking.user_id == user.id
        or user.has_role(booking.tenant_id, *STAFF_ROLES)
        or _manages_organisation(user, booking.organisation_id)
    )


def can_view_booking(user: User | None, booking: Booking) -> bool:
    """Owner, organisation manager, staff, or a caretaker of its resource."""
    if user is None:
        return False
    return can_manage_booking(user, booking) or _is_assigned_caretaker(user, booking.resource)


def can_list_resource(user: User | None, tenant: Tenant, resource: Resource) -> bool:
    """See every booking of a resource: staff, or its assigned caretakers."""
    return is_staff(user, tenant) or (user is not None and _is_assigned_caretaker(user, resource))


def _require_tenant(tenant: Tenant, obj: Any) -> None:
    if obj is None or obj.tenant_id != tenant.id:
        raise NotFound(_l("Nicht gefunden."))


def _require_manage(tenant: Tenant, actor: User, booking: Booking) -> None:
    _require_tenant(tenant, booking)
    if not can_view_booking(actor, booking):
        raise NotFound(_l("Nicht gefunden."))
    if not can_manage_booking(actor, booking):
        raise Forbidden(_l("Sie dürfen diese Buchung nicht ändern."))


def _require_staff(tenant: Tenant, actor: User, booking: Booking) -> None:
    _require_tenant(tenant, booking)
    if not can_approve(actor, tenant):
        raise Forbidden(_l("Nur die Verwaltung darf Buchungen bestätigen oder ablehnen."))


# --- helpers -------------------------------------------------------------------


def _local(tenant: Tenant, instant: datetime) -> str:
    return instant.astimezone(availability.tenant_zone(tenant)).strftime("%Y-%m-%d %H:%M")


def _check_period(start: datetime, end: datetime, resource: Resource) -> None:
    """Rules nobody can override: an ordered, aware, bounded period."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationFailed(
            _l("Zeitangaben brauchen eine Zeitzone."),
            {"start": [_l("Bitte mit Zeitzone angeben, z. B. +01:00.")]},
        )
    if end <= start:
        raise ValidationFailed(
            _l("Das Ende muss nach dem Beginn liegen."),
            {"end": [_l("Das Ende muss nach dem Beginn liegen.")]},
        )
    claim_start, claim_end = engine.claim_period(resource, start, end)
    if claim_end - claim_start > engine.MAX_CLAIM:
        days = engine.MAX_CLAIM.days
        raise ValidationFailed(
            _l("Eine Buchung darf höchstens %(n)d Tage dauern.", n=days),
            {"end": [_l("Höchstens %(n)d Tage (einschließlich Rüstzeiten).", n=days)]},
        )


def _check_series_apart(resource: Resource, dates: Sequence[tuple[datetime, datetime]]) -> None:
    """A series whose dates (with buffers) overlap each other would claim a
    unit twice: refused."""
    periods = [engine.claim_period(resource, s, e) for s, e in dates]
    if any(nxt[0] < prev[1] for prev, nxt in itertools.pairwise(periods)):
        raise ValidationFailed(
            _l("Die Termine der Serie überschneiden sich."),
            {"recurrence": [_l("Wählen Sie ein größeres Intervall oder kürzere Termine.")]},
        )


def _raise_violations(
    tenant: Tenant,
    dates: Sequence[tuple[datetime, datetime]],
    violations: Sequence[availability.Violation],
    *,
    staff: bool,
) -> None:
    series = len(dates) > 1
    fields: dict[str, list[str]] = {}
    for v in violations:
        message = str(v.message)
        if series:
            message = f"{_local(tenant, dates[v.index][0])}: {message}"
        fields.setdefault(v.field, [])
        if message not in fields[v.field]:
            fields[v.field].append(message)
    if staff:
        fields["override_reason"] = [
            str(_l("Zum Abweichen von diesen Regeln ist eine Begründung nötig."))
        ]
    raise ValidationFailed(
        _l("Die Buchung verstößt gegen die Regeln dieser Einrichtung."),
        fields,
        violations=[
            {
                "start": dates[v.index][0].astimezone(availability.tenant_zone(tenant)).isoformat(),
                "end": dates[v.index][1].astimezone(availability.tenant_zone(tenant)).isoformat(),
                "rule": v.rule,
            }
            for v in violations
        ],
    )


def _apply_rules(
    tenant: Tenant,
    actor: User,
    resource: Resource,
    dates: list[tuple[datetime, datetime]],
    *,
    now: datetime,
    related_ids: set[int],
    skip_closed: bool,
    override_reason: str | None,
) -> tuple[list[tuple[datetime, datetime]], list[Skipped], list[str]]:
    """Check the rules for every date. Returns the dates to keep, the dates
    skipped as closed, and the rules staff overrode; raises 422 otherwise."""
    violations = availability.rule_violations(
        tenant, resource, dates, now=now, related_ids=related_ids
    )
    by_index: dict[int, list[availability.Violation]] = {}
    for v in violations:
        by_index.setdefault(v.index, []).append(v)
    skipped: list[Skipped] = []
    remaining: list[availability.Violation] = []
    kept_dates: list[tuple[datetime, datetime]] = []
    for index, date_pair in enumerate(dates):
        found = by_index.get(index, [])
        if found and skip_closed and all(v.rule in availability.CLOSED_RULES for v in found):
            skipped.append(Skipped(*date_pair, found[0].rule, str(found[0].message)))
            continue
        kept_dates.append(date_pair)
        remaining.extend(found)
    if not kept_dates:
        raise ValidationFailed(
            _l("An keinem der Termine ist die Einrichtung geöffnet."),
            {"start": [_l("Alle Termine fallen auf Sperrzeiten oder Feiertage.")]},
        )
    overridden: list[str] = []
    if remaining:
        staff = is_staff(actor, tenant)
        if not (staff and override_reason):
            _raise_violations(tenant, dates, remaining, staff=staff)
        overridden = sorted({v.rule for v in remaining})
    return kept_dates, skipped, overridden


def _customer_category(organisation: Organisation | None) -> str:
    if organisation is None:
        return "resident"
    if organisation.kind == "company":
        return "commercial"
    if organisation.kind == "club" and organisation.is_local:
        return "local_club"
    return "external"


def _conflict_items(
    hits: Sequence[engine.Hit], dates: Sequence[tuple[datetime, datetime]]
) -> list[ConflictItem]:
    items: dict[tuple[int, int], ConflictItem] = {}
    for hit in hits:
        start, end = dates[hit.index]
        items.setdefault((hit.index, hit.unit_id), ConflictItem(start, end, hit.unit_id))
    return sorted(items.values(), key=lambda c: (c.start, c.resource_id))


def _active_occurrences(booking: Booking) -> list[Occurrence]:
    return [occ for occ in booking.occurrences if occ.cancelled_at is None]


def _touch(occurrences: Sequence[Occurrence], now: datetime) -> None:
    for occ in occurrences:
        occ.sequence = (occ.sequence or 0) + 1
        occ.updated_at = now


def _snapshot(booking: Booking) -> dict[str, Any]:
    return {"status": booking.status}


# --- suggestions ---------------------------------------------------------------


def _free_elsewhere(
    tenant: Tenant, resource: Resource, start: datetime, end: datetime, *, now: datetime
) -> list[Suggestion]:
    """The same time in other public, bookable resources of a similar kind
    and at least the capacity."""
    related = engine.related_resource_ids(resource)
    query = select(Resource).where(
        Resource.tenant_id == tenant.id,
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
        units = engine.leaf_unit_ids(other)
        if engine.find_conflicts(units, [engine.claim_period(other, start, end)]):
            continue
        if availability.rule_violations(tenant, other, [(start, end)], now=now):
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
    return wall.replace(tzinfo=tz).astimezone(UTC)


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
    same day and the following days, within opening hours, not on closures
    or holidays, clear of claims including buffers."""
    tz = availability.tenant_zone(tenant)
    duration = end - start
    before = timedelta(minutes=resource.buffer_before_min or 0)
    after = timedelta(minutes=resource.buffer_after_min or 0)
    day = start.astimezone(tz).date()
    window = availability.Interval(
        availability.local_instant(day, 0, tz),
        availability.local_instant(day + timedelta(days=SUGGESTION_DAYS), 0, tz),
    )
    earliest = max(window.start, now + timedelta(hours=resource.min_notice_hours or 0))
    latest = window.end
    if resource.max_advance_days is not None:
        last_day = now.astimezone(tz).date() + timedelta(days=resource.max_advance_days)
        latest = min(latest, availability.local_instant(last_day, 1440, tz))
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
    units = engine.leaf_unit_ids(resource)
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
            target = datetime.combine(local_day, wall_time).replace(tzinfo=tz).astimezone(UTC)
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


def _conflict(
    tenant: Tenant,
    resource: Resource,
    items: list[ConflictItem],
    *,
    now: datetime,
    exclude_occurrence_ids: Sequence[int] = (),
) -> BookingConflict:
    if not items:
        return BookingConflict([], timezone=tenant.timezone)
    first = items[0]
    return BookingConflict(
        items,
        suggestions(
            tenant,
            resource,
            first.start,
            first.end,
            now=now,
            exclude_occurrence_ids=exclude_occurrence_ids,
        ),
        timezone=tenant.timezone,
    )


# --- creating --------------------------------------------------------------------


def create_booking(
    tenant: Tenant,
    actor: User,
    resource: Resource,
    start: datetime,
    end: datetime,
    title: str,
    *,
    recurrence: Recurrence | dict | None = None,
    on_conflict: str = "reject",
    organisation: Organisation | None = None,
    note: str | None = None,
    override_reason: str | None = None,
    now: datetime | None = None,
    max_occurrences: int = DEFAULT_MAX_OCCURRENCES,
) -> BookingResult:
    """Book ``resource`` for ``[start, end)``, or a weekly series starting
    there. ``on_conflict``: ``reject`` (all or nothing, 409) or ``skip`` (book
    the free dates; the others come back in ``skipped``). Staff may break
    the booking rules with an ``override_reason`` (audited)."""
    now = now or utcnow()
    _require_tenant(tenant, resource)
    title = (title or "").strip()
    errors: dict[str, list] = {}
    if not title:
        errors["title"] = [_l("Bitte einen Titel angeben.")]
    elif len(title) > 200:
        errors["title"] = [_l("Höchstens 200 Zeichen.")]
    if on_conflict not in ON_CONFLICT:
        errors["on_conflict"] = [_l("Erlaubt sind reject oder skip.")]
    if not resource.bookable:
        errors["resource_id"] = [_l("Diese Einrichtung kann nicht gebucht werden.")]
    if organisation is not None:
        _require_tenant(tenant, organisation)
        member = db.session.scalar(
            select(
                exists().where(
                    OrganisationMember.organisation_id == organisation.id,
                    OrganisationMember.user_id == actor.id,
                )
            )
        )
        if not member and not is_staff(actor, tenant):
            errors["organisation_id"] = [_l("Sie gehören dieser Organisation nicht an.")]
    if errors:
        raise ValidationFailed(_l("Bitte prüfen Sie die Angaben."), errors)
    _check_period(start, end, resource)
    rule = parse_recurrence(recurrence) if recurrence is not None else None
    tz = availability.tenant_zone(tenant)
    dates = expand(start, end, rule, tz, max_occurrences)
    _check_series_apart(resource, dates)
    reason = (override_reason or "").strip() or None

    fam = engine.family(resource)
    dates, skipped, overridden = _apply_rules(
        tenant,
        actor,
        resource,
        dates,
        now=now,
        related_ids=fam.related,
        skip_closed=bool(rule and rule.skip_closed),
        override_reason=reason,
    )

    units = fam.units
    status = "requested" if resource.requires_approval else "confirmed"
    claims_now = status == "confirmed" or bool(resource.request_blocks)
    # PostgreSQL's exclusion constraint is the check when all dates must be
    # claimed now; otherwise (SQLite, skipping dates, a request that does not
    # block) look first, in one query for the whole series.
    hits = []
    if on_conflict == "skip" or not claims_now or not engine.constraint_enforced():
        periods = [engine.claim_period(resource, s, e) for s, e in dates]
        hits = engine.find_conflicts(units, periods)
    if hits:
        items = _conflict_items(hits, dates)
        if on_conflict == "reject":
            raise _conflict(tenant, resource, items, now=now)
        taken = {hit.index for hit in hits}
        skipped.extend(Skipped(*dates[i], "conflict") for i in sorted(taken))
        dates = [d for i, d in enumerate(dates) if i not in taken]
        if not dates:
            raise _conflict(tenant, resource, items, now=now)

    booking = engine.insert_booking(
        resource,
        user_id=actor.id,
        organisation_id=organisation.id if organisation else None,
        title=title,
        note=(note or "").strip() or None,
        status=status,
        customer_category=_customer_category(organisation),
        recurrence=rule.as_json() if rule else None,
        now=now,
    )
    engine.insert_occurrences(booking, dates, now)

    if claims_now:
        _claim_or_skip(tenant, booking, resource, units, skipped, on_conflict, now=now)

    skipped.sort(key=lambda s: s.start)
    if overridden:
        audit.record(
            tenant,
            actor,
            "booking.override",
            booking,
            after={"status": booking.status, "rules": overridden},
            reason=reason,
            now=now,
        )
    return BookingResult(booking, skipped, overridden)


def _claim_or_skip(
    tenant: Tenant,
    booking: Booking,
    resource: Resource,
    units: list[int],
    skipped: list[Skipped],
    on_conflict: str,
    *,
    now: datetime,
) -> None:
    """Write the claims. If another transaction won a race (PostgreSQL), give
    up (``reject``) or drop the lost dates and try again (``skip``)."""
    for _attempt in range(RACE_RETRIES):
        occurrences = list(booking.occurrences)
        try:
            engine.write_claims(resource, units, occurrences)
            return
        except engine.ClaimsTaken as taken:
            dates = [(o.start_at, o.end_at) for o in occurrences]
            items = _conflict_items(taken.hits, dates)
            lost = {hit.index for hit in taken.hits}
            if not lost:
                continue  # the winner was released again meanwhile: try once more
            if on_conflict == "reject" or len(lost) == len(occurrences):
                _discard(booking)
                raise _conflict(tenant, resource, items, now=now) from None
            for index in sorted(lost, reverse=True):
                occ = occurrences[index]
                skipped.append(Skipped(occ.start_at, occ.end_at, "conflict"))
                booking.occurrences.remove(occ)
            db.session.flush()
    _discard(booking)
    raise BookingConflict([], timezone=tenant.timezone)


def _discard(booking: Booking) -> None:
    """Remove a booking that lost its race, so that a caller who catches the
    conflict and commits other work does not keep a booking without claims."""
    db.session.delete(booking)
    db.session.flush()


# --- status changes ----------------------------------------------------------------


def approve_booking(
    tenant: Tenant,
    actor: User,
    booking: Booking,
    *,
    reason: str | None = None,
    now: datetime | None = None,
) -> Booking:
    """Confirm a requested booking. A request that did not block claims its
    units now, after a fresh conflict check (409 if the slot went to someone
    else meanwhile)."""
    now = now or utcnow()
    _require_staff(tenant, actor, booking)
    if booking.status != "requested":
        raise ValidationFailed(
            _l("Nur angefragte Buchungen können bestätigt werden."),
            {"status": [_l("Status ist %(status)s.", status=booking.status)]},
        )
    resource = booking.resource
    occurrences = _active_occurrences(booking)
    claimed = set(
        db.session.scalars(
            select(Claim.occurrence_id).where(
                Claim.occurrence_id.in_([o.id for o in occurrences]), Claim.active.is_(True)
            )
        )
    )
    missing = [o for o in occurrences if o.id not in claimed]
    if missing:
        units = engine.leaf_unit_ids(resource)
        dates = [(o.start_at, o.end_at) for o in missing]
        periods = [engine.claim_period(resource, s, e) for s, e in dates]
        hits = engine.find_conflicts(units, periods)
        if hits:
            raise BookingConflict(_conflict_items(hits, dates), timezone=tenant.timezone)
        try:
            engine.write_claims(resource, units, missing)
        except engine.ClaimsTaken as taken:
            raise BookingConflict(
                _conflict_items(taken.hits, dates), timezone=tenant.timezone
            ) from None
    before = _snapshot(booking)
    booking.status = "confirmed"
    booking.updated_at = now
    _touch(occurrences, now)
    audit.record(
        tenant,
        actor,
        "booking.approve",
        booking,
        before=before,
        after=_snapshot(booking),
        reason=(reason or "").strip() or None,
        now=now,
    )
    db.session.flush()
    return booking


def reject_booking(
    tenant: Tenant,
    actor: User,
    booking: Booking,
    *,
    reason: str | None = None,
    now: datetime | None = None,
) -> Booking:
    """Refuse a requested (or held) booking; its claims are released."""
    now = now or utcnow()
    _require_staff(tenant, actor, booking)
    if booking.status not in ("requested", "held"):
        raise ValidationFailed(
            _l("Nur angefragte Buchungen können abgelehnt werden."),
            {"status": [_l("Status ist %(status)s.", status=booking.status)]},
        )
    before = _snapshot(booking)
    engine.release_claims(booking.occurrences)
    booking.status = "rejected"
    booking.updated_at = now
    _touch(_active_occurrences(booking), now)
    audit.record(
        tenant,
        actor,
        "booking.reject",
        booking,
        before=before,
        after=_snapshot(booking),
        reason=(reason or "").strip() or None,
        now=now,
    )
    db.session.flush()
    return booking


def _require_cancellable(booking: Booking) -> None:
    if booking.status not in CLAIMING_STATUSES:
        raise ValidationFailed(
            _l("Diese Buchung ist nicht mehr aktiv."),
            {"status": [_l("Status ist %(status)s.", status=booking.status)]},
        )


def _require_not_started(
    tenant: Tenant, actor: User, occurrences: Sequence[Occurrence], now: datetime
) -> None:
    if is_staff(actor, tenant):
        return
    started = [o for o in occurrences if o.start_at <= now]
    if started:
        raise ValidationFailed(
            _l("Begonnene oder vergangene Termine können nicht mehr geändert werden."),
            {
                "occurrence": [
                    _l(
                        "Der Termin am %(when)s hat schon begonnen.",
                        when=_local(tenant, started[0].start_at),
                    )
                ]
            },
        )


def _cancel(
    tenant: Tenant,
    actor: User,
    booking: Booking,
    occurrences: list[Occurrence],
    action: str,
    *,
    reason: str | None,
    now: datetime,
) -> Booking:
    before = {
        "status": booking.status,
        "occurrences": [o.id for o in occurrences],
    }
    engine.release_claims(occurrences)
    for occ in occurrences:
        occ.cancelled_at = now
    _touch(occurrences, now)
    if not _active_occurrences(booking):
        booking.status = "cancelled"
    booking.updated_at = now
    if is_staff(actor, tenant):
        audit.record(
            tenant,
            actor,
            action,
            booking,
            before=before,
            after={"status": booking.status},
            reason=(reason or "").strip() or None,
            now=now,
        )
    db.session.flush()
    return booking


def cancel_booking(
    tenant: Tenant,
    actor: User,
    booking: Booking,
    *,
    reason: str | None = None,
    now: datetime | None = None,
) -> Booking:
    """Cancel every remaining date; the units are free again at once.
    Cancelling a cancelled booking changes nothing. Citizens cannot cancel
    dates that have begun (they cancel the rest of a series instead)."""
    now = now or utcnow()
    _require_manage(tenant, actor, booking)
    if booking.status == "cancelled":
        return booking
    _require_cancellable(booking)
    occurrences = _active_occurrences(booking)
    _require_not_started(tenant, actor, occurrences, now)
    return _cancel(tenant, actor, booking, occurrences, "booking.cancel", reason=reason, now=now)


def _occurrence_of(tenant: Tenant, booking: Booking, occurrence: Occurrence) -> Occurrence:
    _require_tenant(tenant, occurrence)
    if occurrence.booking_id != booking.id:
        raise NotFound(_l("Nicht gefunden."))
    return occurrence


def cancel_occurrence(
    tenant: Tenant,
    actor: User,
    occurrence: Occurrence,
    *,
    reason: str | None = None,
    now: datetime | None = None,
) -> Booking:
    """Cancel one date of a booking (the booking ends when none is left)."""
    now = now or utcnow()
    booking = occurrence.booking
    _require_manage(tenant, actor, booking)
    _occurrence_of(tenant, booking, occurrence)
    if occurrence.cancelled_at is not None:
        return booking
    _require_cancellable(booking)
    _require_not_started(tenant, actor, [occurrence], now)
    return _cancel(
        tenant, actor, booking, [occurrence], "occurrence.cancel", reason=reason, now=now
    )


def cancel_series_from(
    tenant: Tenant,
    actor: User,
    occurrence: Occurrence,
    *,
    reason: str | None = None,
    now: datetime | None = None,
) -> Booking:
    """Cancel this date and every later one of its series ("the rest")."""
    now = now or utcnow()
    booking = occurrence.booking
    _require_manage(tenant, actor, booking)
    _occurrence_of(tenant, booking, occurrence)
    if booking.status == "cancelled":
        return booking
    _require_cancellable(booking)
    rest = [o for o in _active_occurrences(booking) if o.start_at >= occurrence.start_at]
    if not rest:
        return booking
    _require_not_started(tenant, actor, rest, now)
    return _cancel(tenant, actor, booking, rest, "booking.cancel_from", reason=reason, now=now)


def move_occurrence(
    tenant: Tenant,
    actor: User,
    occurrence: Occurrence,
    start: datetime,
    end: datetime,
    *,
    reason: str | None = None,
    override_reason: str | None = None,
    now: datetime | None = None,
) -> Booking:
    """Move one date of a booking; the rules and conflicts are checked again
    (its own old claim does not count), and its SEQUENCE rises. ``reason``
    is a note for the audit log; ``override_reason`` lets staff break rules."""
    now = now or utcnow()
    booking = occurrence.booking
    _require_manage(tenant, actor, booking)
    _occurrence_of(tenant, booking, occurrence)
    _require_cancellable(booking)
    if occurrence.cancelled_at is not None:
        raise ValidationFailed(
            _l("Ein stornierter Termin kann nicht verschoben werden."),
            {"occurrence": [_l("Der Termin ist storniert.")]},
        )
    _require_not_started(tenant, actor, [occurrence], now)
    resource = booking.resource
    _check_period(start, end, resource)
    override = (override_reason or "").strip() or None
    fam = engine.family(resource)
    _dates, _skipped, overridden = _apply_rules(
        tenant,
        actor,
        resource,
        [(start, end)],
        now=now,
        related_ids=fam.related,
        skip_closed=False,
        override_reason=override,
    )
    units = fam.units
    hits = engine.find_conflicts(
        units,
        [engine.claim_period(resource, start, end)],
        exclude_occurrence_ids=[occurrence.id],
    )
    if hits:
        raise _conflict(
            tenant,
            resource,
            _conflict_items(hits, [(start, end)]),
            now=now,
            exclude_occurrence_ids=[occurrence.id],
        )
    before = {
        "start": occurrence.start_at.isoformat(),
        "end": occurrence.end_at.isoformat(),
    }
    occurrence.start_at, occurrence.end_at = start, end
    _touch([occurrence], now)
    booking.updated_at = now
    db.session.flush()
    try:
        engine.move_claims(resource, occurrence)
    except engine.ClaimsTaken as taken:
        raise BookingConflict(
            _conflict_items(taken.hits, [(start, end)]), timezone=tenant.timezone
        ) from None
    if is_staff(actor, tenant) or overridden:
        audit.record(
            tenant,
            actor,
            "occurrence.move",
            booking,
            before=before,
            after={
                "occurrence": occurrence.id,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "rules": overridden,
            },
            reason=override or (reason or "").strip() or None,
            now=now,
        )
    db.session.flush()
    return booking


# --- queries --------------------------------------------------------------------


def get_booking(tenant: Tenant, actor: User, booking_id: object) -> Booking:
    """The booking if the actor may see it; ``NotFound`` otherwise."""
    booking = get_scoped(Booking, tenant, booking_id)
    if not can_view_booking(actor, booking):
        raise NotFound(_l("Nicht gefunden."))
    return booking


def bookings_of_user(tenant: Tenant, user: User, *, limit: int = 500) -> list[Booking]:
    """The user's own bookings in this tenant, newest first."""
    return list(
        db.session.scalars(
            select(Booking)
            .where(Booking.tenant_id == tenant.id, Booking.user_id == user.id)
            .options(selectinload(Booking.occurrences))
            .order_by(Booking.created_at.desc(), Booking.id.desc())
            .limit(limit)
        )
    )


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
    dates = select(Occurrence.booking_id).where(Occurrence.tenant_id == tenant.id)
    if resource_ids is not None:
        dates = dates.where(Occurrence.resource_id.in_(list(resource_ids)))
    if end is not None:
        dates = dates.where(Occurrence.start_at < end)
    if start is not None:
        dates = dates.where(
            Occurrence.end_at > start, Occurrence.start_at > start - engine.MAX_CLAIM
        )
    query = (
        select(Booking)
        .where(Booking.tenant_id == tenant.id, Booking.id.in_(dates))
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
    """Dates overlapping ``[start, end)`` for calendars, in time order:
    active bookings only (requested, confirmed, held) unless
    ``include_cancelled``. ``resource_ids`` are taken literally; use
    ``engine.related_resource_ids`` to include parents and parts."""
    query = (
        select(Occurrence)
        .join(Booking, Occurrence.booking_id == Booking.id)
        .where(
            Occurrence.tenant_id == tenant.id,
            Occurrence.start_at > start - engine.MAX_CLAIM,
            Occurrence.start_at < end,
            Occurrence.end_at > start,
        )
        .options(selectinload(Occurrence.booking))
        .order_by(Occurrence.start_at, Occurrence.id)
    )
    if resource_ids is not None:
        query = query.where(Occurrence.resource_id.in_(list(resource_ids)))
    if not include_cancelled:
        query = query.where(
            Occurrence.cancelled_at.is_(None), Booking.status.in_(CLAIMING_STATUSES)
        )
    return list(db.session.scalars(query))


def approval_queue(tenant: Tenant) -> list[QueueItem]:
    """Requested bookings, oldest first, each with its current conflicts:
    claims of other bookings on its units, and other requests for the same
    time (which only one of them can get)."""
    requested = list(
        db.session.scalars(
            select(Booking)
            .where(Booking.tenant_id == tenant.id, Booking.status == "requested")
            .options(selectinload(Booking.occurrences), selectinload(Booking.resource))
            .order_by(Booking.created_at, Booking.id)
        )
    )
    units_of: dict[int, list[int]] = {}
    items = []
    for booking in requested:
        resource = booking.resource
        if resource.id not in units_of:
            units_of[resource.id] = engine.leaf_unit_ids(resource)
        units = units_of[resource.id]
        occurrences = _active_occurrences(booking)
        dates = [(o.start_at, o.end_at) for o in occurrences]
        periods = [engine.claim_period(resource, s, e) for s, e in dates]
        hits = engine.find_conflicts(
            units, periods, exclude_occurrence_ids=[o.id for o in occurrences]
        )
        items.append(QueueItem(booking, _conflict_items(hits, dates), []))
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
        engine.claim_period(a.resource, o.start_at, o.end_at) for o in _active_occurrences(a)
    ]
    periods_b = [
        engine.claim_period(b.resource, o.start_at, o.end_at) for o in _active_occurrences(b)
    ]
    return any(sa < eb and sb < ea for sa, ea in periods_a for sb, eb in periods_b)


def users_organisations(tenant: Tenant, user: User) -> list[Organisation]:
    """Organisations of this tenant the user may book for."""
    return list(
        db.session.scalars(
            select(Organisation)
            .join(OrganisationMember, OrganisationMember.organisation_id == Organisation.id)
            .where(Organisation.tenant_id == tenant.id, OrganisationMember.user_id == user.id)
            .order_by(Organisation.name)
        )
    )


__all__ = [
    "BookingConflict",
    "BookingResult",
    "ConflictItem",
    "QueueItem",
    "Skipped",
    "Suggestion",
    "approval_queue",
    "approve_booking",
    "bookings_of_user",
    "can_approve",
    "can_manage_booking",
    "can_view_booking",
    "cancel_booking",
    "cancel_occurrence",
    "cancel_series_from",
    "create_booking",
    "list_bookings",
    "move_occurrence",
    "occurrences_between",
    "reject_booking",
    "suggestions",
]
