"""The caretaker's screens: today's, tomorrow's and this week's schedule of
their halls (and any other week), and a printable day sheet, each date with
what the caretaker needs (note, contact phone, set-up and cleaning times,
key handover, guests). Thin: parse, check access, render."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, abort, g, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from booking.accounts.access import current_actor, is_staff, role_required
from booking.accounts.models import STAFF_ROLES
from booking.core import utcnow
from booking.extensions import db
from booking.reservations import queries
from booking.reservations.models import Occurrence
from booking.resources import service as resources
from booking.resources import tree
from booking.resources.models import Resource
from booking.resources.policy import policy_of
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


def _date_arg(name: str) -> date | None:
    """An ISO date from the query string; a malformed one is a 400."""
    raw = request.args.get(name, "")
    if not raw:
        return None
    day = queries.parse_day(raw, None)
    if day is None:
        abort(400, description="invalid date")
    return day


def _details(items: list[Occurrence]) -> dict[int, dict[str, Any]]:
    """Per date: set-up from / cleaning until (the resource's buffers) and the
    effective key handover and address (one policy per resource)."""
    policies: dict[int, Any] = {}
    details = {}
    if items:
        # Every resource of the tenant with its opening hours in two queries,
        # so policy_of walks the loaded parents (no query per date).
        db.session.scalars(
            select(Resource)
            .where(Resource.tenant_id == g.tenant.id)
            .options(selectinload(Resource.opening_hours))
        ).all()
    for o in items:
        resource = o.booking.resource
        if resource.id not in policies:
            policies[resource.id] = policy_of(resource)
        policy = policies[resource.id]
        before = timedelta(minutes=resource.buffer_before_min or 0)
        after = timedelta(minutes=resource.buffer_after_min or 0)
        setup: datetime | None = o.start_at - before if before else None
        cleanup: datetime | None = o.end_at + after if after else None
        details[o.id] = {
            "setup": setup,
            "cleanup": cleanup,
            "key": policy.key_handover,
            "address": policy.address,
        }
    return details


@caretaker_bp.get("/")
@role_required("caretaker", *STAFF_ROLES)
def index():
    today = localtime.local_today(g.tenant, utcnow())
    chosen = _date_arg("week")
    monday = localtime.monday_of(chosen or today)
    current = monday == localtime.monday_of(today)
    assigned = caretaker_resources()
    week_items = _schedule(assigned, monday, 7)
    tomorrow = today + timedelta(days=1)
    return render_template(
        "booking/staff/caretaker.html",
        today=today,
        tomorrow=tomorrow,
        monday=monday,
        sunday=monday + timedelta(days=6),
        current=current,
        assigned=assigned,
        today_items=_schedule(assigned, today, 1) if current else [],
        tomorrow_items=_schedule(assigned, tomorrow, 1) if current else [],
        week_items=week_items,
        details=_details(week_items)
        | (_details(_schedule(assigned, tomorrow, 1)) if current else {}),
        prev_week=monday - timedelta(days=7),
        next_week=monday + timedelta(days=7),
    )


@caretaker_bp.get("/day")
@role_required("caretaker", *STAFF_ROLES)
def day_sheet():
    today = localtime.local_today(g.tenant, utcnow())
    day = _date_arg("date") or today
    assigned = caretaker_resources()
    items = _schedule(assigned, day, 1)
    return render_template(
        "booking/staff/day_sheet.html",
        day=day,
        today=today,
        items=items,
        details=_details(items),
        prev_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
    )
