"""What the time grids show, read from the database: the public week of a
hall (busy, closed, holiday — times only, as the week's table) and the
clerk's week of every hall (bookings with title and booker, closures with
their reason). Each hall's parts are its lanes (its leaf units, in the order
of the screens). Layout: ``booking.reservations.timegrid`` (pure).

A fixed number of queries per page: claims of all lanes at once, closures
at once, opening hours per hall that has them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from booking.extensions import db
from booking.reservations import engine
from booking.reservations.models import Claim, Occurrence
from booking.reservations.timegrid import Grid, Item, layout
from booking.resources import availability, tree
from booking.resources.models import Closure, Resource
from booking.resources.policy import policy_of
from booking.tenants.localtime import day_bounds, tenant_zone
from booking.tenants.models import Tenant

# The staff calendar's groups: halls and rooms first, then the chapels and crews
# of the cemetery (kinds of booking.resources.models.RESOURCE_KINDS).
CEMETERY_KINDS = ("chapel", "crew")


@dataclass(frozen=True)
class Lanes:
    """A hall's leaf units as lanes: ``resources`` in order, and for any
    resource of the hall the run of lanes a booking of it covers."""

    root: Resource
    resources: list[Resource]
    runs: dict[int, tuple[int, int]]

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.resources] if len(self.resources) > 1 else [""]

    @property
    def unit_ids(self) -> list[int]:
        return [r.id for r in self.resources]


def lanes_of(
    resource: Resource, children_of: Callable[[Resource], Iterable[Resource]] | None = None
) -> Lanes:
    """The leaves below ``resource`` (itself if it has no parts), parts by
    name; every resource of the subtree covers a contiguous run of them.
    ``children_of``: the parts of a node (default: its ``children``)."""
    leaves: list[Resource] = []
    runs: dict[int, tuple[int, int]] = {}
    parts = children_of or (lambda node: node.children)

    def walk(node: Resource) -> None:
        first = len(leaves)
        children = sorted(parts(node), key=lambda r: (r.name, r.id))
        if not children:
            leaves.append(node)
        for child in children:
            walk(child)
        runs[node.id] = (first, len(leaves) - 1)

    walk(resource)
    return Lanes(resource, leaves, runs)


def _opening_spans(resources: Iterable[Resource], days: Sequence[date]) -> list[tuple[int, int]]:
    weekdays = {d.weekday() for d in days}
    sources = {s.id: s for r in resources for s in policy_of(r).hours_from}
    return [
        (opens, closes)
        for source in sources.values()
        for weekday, opens, closes in availability.weekly_hours(source)
        if weekday in weekdays
    ]


def _load_opening_hours(tenant: Tenant) -> None:
    """Every resource's opening hours in one query (they land on the loaded
    resources), so that a calendar of many halls asks no query per hall."""
    db.session.scalars(
        select(Resource)
        .where(Resource.tenant_id == tenant.id)
        .options(selectinload(Resource.opening_hours))
    ).all()


def _claims(unit_ids: Sequence[int], start: datetime, end: datetime):
    """``(unit_id, start, end)`` of active claims on the units in the window."""
    if not unit_ids:
        return []
    return db.session.execute(
        select(Claim.unit_id, Claim.start_at, Claim.end_at).where(
            Claim.active.is_(True),
            Claim.unit_id.in_(list(unit_ids)),
            Claim.start_at > start - engine.MAX_CLAIM,
            Claim.start_at < end,
            Claim.end_at > start,
        )
    ).all()


def _closures(tenant: Tenant, start: datetime, end: datetime) -> list[Closure]:
    return list(
        db.session.scalars(
            select(Closure)
            .where(Closure.tenant_id == tenant.id, Closure.start_at < end, Closure.end_at > start)
            .order_by(Closure.start_at, Closure.id)
        )
    )


def _closure_run(closure: Closure, lanes: Lanes, ancestor_ids: set[int]) -> tuple[int, int] | None:
    """The lanes a closure covers: all of them for a tenant-wide closure or
    one of the hall (or of a hall it is part of), its run for a part; None:
    it concerns another hall."""
    if closure.resource_id is None or closure.resource_id in ancestor_ids:
        return 0, len(lanes.resources) - 1
    return lanes.runs.get(closure.resource_id)


def _holidays(tenant: Tenant, resource: Resource, start: datetime, end: datetime, last: int):
    if not policy_of(resource).observe_holidays:
        return []
    return [
        Item(
            h.start,
            h.end,
            "holiday",
            _("Feiertag: %(name)s", name=h.label),
            0,
            last,
            whole_day=True,
        )
        for h in availability.holiday_intervals(tenant, start, end)
    ]


def public_week(tenant: Tenant, resource: Resource, days: Sequence[date]) -> Grid:
    """The hall's week as the public sees it: when each part is taken
    (claims with their buffers, merged), closed or a holiday. Neither titles
    nor names nor a closure's reason. A period taken on several neighbouring
    parts alike (a booking of the whole hall) spans them."""
    lanes = lanes_of(resource)
    lane_of = {rid: i for i, rid in enumerate(lanes.unit_ids)}
    start, end = day_bounds(tenant, days[0], len(days))
    per_lane: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for unit_id, s, e in _claims(lanes.unit_ids, start, end):
        per_lane[lane_of[unit_id]].append((s, e))
    taken: dict[tuple[datetime, datetime], list[int]] = defaultdict(list)
    for lane, periods in per_lane.items():
        for iv in availability.merge(periods):
            taken[(iv.start, iv.end)].append(lane)
    items: list[Item] = []
    for (s, e), lane_list in taken.items():
        for first, last in _runs(sorted(lane_list)):
            items.append(Item(s, e, "busy", _("belegt"), first, last))
    last_lane = len(lanes.resources) - 1
    ancestor_ids = {r.id for r in [resource, *tree.ancestors(resource)]}
    for closure in _closures(tenant, start, end):
        run = _closure_run(closure, lanes, ancestor_ids)
        if run is not None:
            items.append(Item(closure.start_at, closure.end_at, "closed", _("gesperrt"), *run))
    items.extend(_holidays(tenant, resource, start, end, last_lane))
    return layout(
        days,
        tenant_zone(tenant),
        _whole_days(tenant, items),
        lanes=lanes.names,
        opening=_opening_spans(lanes.resources, days),
    )


def _runs(lanes: list[int]) -> list[tuple[int, int]]:
    """Consecutive lane numbers as ``(first, last)`` runs."""
    runs: list[tuple[int, int]] = []
    for lane in lanes:
        if runs and runs[-1][1] == lane - 1:
            runs[-1] = (runs[-1][0], lane)
        else:
            runs.append((lane, lane))
    return runs


def _whole_days(tenant: Tenant, items: list[Item]) -> list[Item]:
    """A closure from local midnight to local midnight fills the visible hours
    instead of stretching them to 0–24."""
    found = []
    for item in items:
        if (
            not item.whole_day
            and _at_midnight(tenant, item.start)
            and _at_midnight(tenant, item.end)
        ):
            item = Item(**{**item.__dict__, "whole_day": True})
        found.append(item)
    return found


def _at_midnight(tenant: Tenant, instant: datetime) -> bool:
    local = instant.astimezone(tenant_zone(tenant))
    return local.hour == 0 and local.minute == 0


@dataclass(frozen=True)
class HallWeek:
    """One hall of the staff calendar: its lanes and its grid."""

    resource: Resource
    lanes: Lanes
    grid: Grid


def top_level(resources: Sequence[Resource]) -> list[Resource]:
    return [r for r in resources if r.parent_id is None]


def group_by_kind(resources: Sequence[Resource]) -> list[tuple[str, list[Resource]]]:
    """Halls, rooms and equipment first; the cemetery's chapels, then its
    crews, each in their own group (top-level resources, in the given order)."""
    groups = [
        ("halls", [r for r in resources if r.kind not in CEMETERY_KINDS]),
        ("chapel", [r for r in resources if r.kind == "chapel"]),
        ("crew", [r for r in resources if r.kind == "crew"]),
    ]
    return [(name, members) for name, members in groups if members]


def staff_weeks(
    tenant: Tenant,
    halls: Sequence[Resource],
    days: Sequence[date],
    occurrences: Iterable[Occurrence],
    link: Callable[[Occurrence], str],
    describe: Callable[[Any], str],
    children_of: Callable[[Resource], Iterable[Resource]] | None = None,
) -> list[HallWeek]:
    """A grid per hall for the clerk: every active date with its booking's
    title (``describe(booking)`` adds the booker) and a link to the booking
    (``link``), closures with their reason. ``occurrences`` are those of
    the shown days (``queries.occurrences_between``)."""
    start, end = day_bounds(tenant, days[0], len(days))
    closures = _closures(tenant, start, end)
    _load_opening_hours(tenant)
    by_resource: dict[int, list[Occurrence]] = defaultdict(list)
    for occurrence in occurrences:
        by_resource[occurrence.resource_id].append(occurrence)
    tz = tenant_zone(tenant)
    found = []
    for hall in halls:
        lanes = lanes_of(hall, children_of)
        items: list[Item] = []
        for rid, run in lanes.runs.items():
            for occurrence in by_resource.get(rid, ()):
                booking = occurrence.booking
                items.append(
                    Item(
                        occurrence.start_at,
                        occurrence.end_at,
                        booking.status,
                        booking.title,
                        *run,
                        href=link(occurrence),
                        detail=describe(booking),
                        key=occurrence.id,
                    )
                )
        ancestor_ids = {hall.id}
        for closure in closures:
            run = _closure_run(closure, lanes, ancestor_ids)
            if run is not None:
                items.append(
                    Item(
                        closure.start_at,
                        closure.end_at,
                        "closed",
                        _("Sperrzeit"),
                        *run,
                        detail=closure.reason or "",
                        key=f"closure-{closure.id}",
                    )
                )
        items.extend(_holidays(tenant, hall, start, end, len(lanes.resources) - 1))
        grid = layout(
            days,
            tz,
            _whole_days(tenant, items),
            lanes=lanes.names,
            opening=_opening_spans(lanes.resources, days),
        )
        found.append(HallWeek(hall, lanes, grid))
    return found
