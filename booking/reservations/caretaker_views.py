"""The caretaker's screens: today's and this week's schedule of their
halls, and a printable day sheet. Thin: parse, check access, render."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, g, render_template, request

from booking.accounts.access import current_actor, is_staff, role_required
from booking.accounts.models import STAFF_ROLES
from booking.core import utcnow
from booking.reservations import queries
from booking.reservations.models import Occurrence
from booking.resources import service as resources
from booking.resources import tree
from booking.resources.models import Resource
from booking.tenants import localtime

caretaker_bp = Blueprint("caretaker", __name__, url_prefix="/<tenant>/caretaker")


# --- caretaker ----------------------------------------------------------------------


def caretaker_resources() -> list[Resource]:
    """Staff see every resource; a caretaker the assigned ones, their parts,
    and the halls they are part of (a booking of the whole hall uses them)."""
    if is_staff(current_actor(), g.tenant):
        return tree.ordered(g.tenant)
    assigned = resources.resources_for_caretaker(g.tenant, current_actor())
    found = {r.id: r for r in assigned}
    for r in assigned:
        for ancestor in tree.ancestors(r):
            found.setdefault(ancestor.id, ancestor)
    return sorted(found.values(), key=lambda r: (r.name, r.id))


def _schedule(resource_list: list[Resource], first: date, days: int) -> list[Occurrence]:
    start, end = localtime.day_bounds(g.tenant, first, days)
    if not resource_list:
        return []
    return queries.occurrences_between(g.tenant, start, end, [r.id for r in resource_list])


@caretaker_bp.get("/")
@role_required("caretaker", *STAFF_ROLES)
def index():
    today = localtime.local_today(g.tenant, utcnow())
    monday = localtime.monday_of(today)
    assigned = caretaker_resources()
    return render_template(
        "booking/staff/caretaker.html",
        today=today,
        monday=monday,
        sunday=monday + timedelta(days=6),
        assigned=assigned,
        today_items=_schedule(assigned, today, 1),
        week_items=_schedule(assigned, monday, 7),
    )


@caretaker_bp.get("/day")
@role_required("caretaker", *STAFF_ROLES)
def day_sheet():
    today = localtime.local_today(g.tenant, utcnow())
    day = queries.parse_day(request.args.get("date"), today)
    assigned = caretaker_resources()
    return render_template(
        "booking/staff/day_sheet.html",
        day=day,
        today=today,
        items=_schedule(assigned, day, 1),
        prev_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
    )
