"""The booking-check pipeline: from a resource and a list of ``(start, end)``
periods to what can be booked. Every path that writes claims goes through it
— a new booking and its preview, a move, an approval (and burial
appointments) — so their answers cannot drift apart:

1. the periods (``rules.check_period``, ``rules.check_series_apart``): aware,
   ordered, bounded, not overlapping each other; nobody can override these;
2. the resource's rules (``rules.apply_rules``): opening hours, closures,
   holidays, notice, advance, duration; closed dates of a series may be
   skipped, staff may override the rest with a reason;
3. the conflicts (``engine.find_conflicts``, one query for every period): all
   or nothing (``reject``: 409 with suggestions) or book the free dates
   (``skip``).

It only reads. Writing the booking, its claims and the audit entry is the
caller's, and so is the race that PostgreSQL's exclusion constraint decides
while the claims are written (``engine.write_claims``, ``engine.move_claims``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from flask_babel import lazy_gettext as _l

from booking.accounts.models import User
from booking.core import ValidationFailed
from booking.reservations import engine
from booking.reservations.errors import BookingConflict, ConflictItem, Suggestion, conflict_items
from booking.reservations.rules import Skipped, apply_rules, check_period, check_series_apart
from booking.reservations.suggestions import suggestions
from booking.resources import availability, school_holidays, tree
from booking.resources.models import Resource
from booking.tenants.localtime import tenant_zone
from booking.tenants.models import Tenant

ON_CONFLICT = ("reject", "skip")
Period = tuple[datetime, datetime]


@dataclass
class Checked:
    """What may be booked: the ``dates`` to book (in the order given), the
    dates ``skipped`` (closed, or taken when skipping conflicts; by time), the
    rules staff ``overridden``, the ``conflicts`` of the dates skipped as
    taken, and the leaf ``units`` the claims go on."""

    dates: list[Period]
    skipped: list[Skipped]
    overridden: list[str]
    conflicts: list[ConflictItem]
    units: list[int]


def check_periods(
    tenant: Tenant,
    actor: User,
    resource: Resource,
    periods: Sequence[Period],
    *,
    now: datetime,
    rules: bool = True,
    skip_closed: bool = False,
    skip_school_holidays: bool = False,
    override_reason: str | None = None,
    on_conflict: str = "reject",
    exclude_occurrence_ids: Sequence[int] = (),
    suggest: bool = True,
    constraint_decides: bool = False,
) -> Checked:
    """Check ``periods`` of ``resource`` for ``actor``; raises the domain
    error a booking of them would meet (422 for a period or a rule, 409 for
    a conflict), else says what may be booked.

    ``rules=False`` checks conflicts only (dates checked when they were
    booked, as in an approval). ``exclude_occurrence_ids``: claims that do
    not count (a date being moved). ``suggest``: offer alternatives with a
    409. ``constraint_decides``: the caller claims every date right after,
    in this transaction; with ``reject`` on PostgreSQL the exclusion
    constraint is then the conflict check, and the query is left out.
    ``skip_school_holidays``: dates whose local start day is in one of the
    tenant's school holidays are skipped (reason ``school_holiday``)."""
    dates = list(periods)
    skipped: list[Skipped] = []
    overridden: list[str] = []
    inputs = None
    if rules:
        for start, end in dates:
            check_period(start, end, resource)
        check_series_apart(resource, dates)
    if rules and dates:
        # The tree, the opening hours and the closures in one statement.
        window = (min(s for s, _e in dates), max(e for _s, e in dates))
        inputs = availability.rule_inputs(tenant, resource, *window)
        family = inputs.tree.family(resource.id)
    else:
        family = tree.family(resource)
    if skip_school_holidays:
        dates, skipped = _outside_school_holidays(tenant, dates)
    if rules:
        dates, closed, overridden = apply_rules(
            tenant,
            actor,
            resource,
            dates,
            now=now,
            related_ids=family.related,
            skip_closed=skip_closed,
            override_reason=override_reason,
            inputs=inputs,
        )
        skipped.extend(closed)
    conflicts: list[ConflictItem] = []
    if not (constraint_decides and on_conflict == "reject" and engine.constraint_enforced()):
        hits = engine.find_conflicts(
            family.units,
            [engine.claim_period(resource, s, e) for s, e in dates],
            exclude_occurrence_ids=exclude_occurrence_ids,
        )
        if hits:
            conflicts = conflict_items(hits, dates)
            taken = {hit.index for hit in hits}
            if on_conflict == "reject" or len(taken) == len(dates):
                raise conflict(
                    tenant,
                    resource,
                    conflicts,
                    now=now,
                    exclude_occurrence_ids=exclude_occurrence_ids,
                    suggest=suggest,
                )
            skipped.extend(Skipped(*dates[i], "conflict") for i in sorted(taken))
            dates = [d for i, d in enumerate(dates) if i not in taken]
    skipped.sort(key=lambda s: s.start)
    return Checked(dates, skipped, overridden, conflicts, family.units)


def _outside_school_holidays(
    tenant: Tenant, dates: list[Period]
) -> tuple[list[Period], list[Skipped]]:
    """``dates`` without those starting (local day) in a school holiday, and
    those as skipped with the period's name; 422 when none is left."""
    if not dates:
        return dates, []
    zone = tenant_zone(tenant)
    days = [start.astimezone(zone).date() for start, _end in dates]
    periods = school_holidays.periods_between(tenant, min(days), max(days))
    kept: list[Period] = []
    skipped: list[Skipped] = []
    for (start, end), day in zip(dates, days, strict=True):
        hit = next((p for p in periods if p.first_day <= day <= p.last_day), None)
        if hit is None:
            kept.append((start, end))
        else:
            skipped.append(Skipped(start, end, "school_holiday", hit.name))
    if not kept:
        raise ValidationFailed(
            _l("Alle Termine fallen in die Schulferien."),
            {"start": [_l("Alle Termine fallen in die Schulferien.")]},
        )
    return kept, skipped


def conflict(
    tenant: Tenant,
    resource: Resource,
    items: list[ConflictItem],
    *,
    now: datetime,
    exclude_occurrence_ids: Sequence[int] = (),
    suggest: bool = True,
) -> BookingConflict:
    """The 409 for ``items``, with alternatives near every clashing date
    (each tagged with the date it stands in for) unless ``suggest`` is off
    (an approval, or a race lost while writing a move)."""
    if not items or not suggest:
        return BookingConflict(items, timezone=tenant.timezone)
    found: dict[tuple[int, datetime, datetime, datetime], Suggestion] = {}
    for start, end in dict.fromkeys((item.start, item.end) for item in items):
        for suggestion in suggestions(
            tenant,
            resource,
            start,
            end,
            now=now,
            exclude_occurrence_ids=exclude_occurrence_ids,
        ):
            key = (suggestion.resource_id, suggestion.start, suggestion.end, start)
            found.setdefault(key, replace(suggestion, for_start=start))
    return BookingConflict(items, list(found.values()), timezone=tenant.timezone)
