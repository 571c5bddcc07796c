"""The clerk's screens: the approval queue (approve or reject a request)
and the calendar of every resource by day or week. Thin: parse, check
access, call the service, commit once, render or redirect."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from booking import transaction
from booking.accounts.access import current_actor, role_required
from booking.accounts.models import STAFF_ROLES
from booking.core import REASON_MAX, ValidationFailed, utcnow
from booking.forms import flash_error
from booking.reservations import queries
from booking.reservations import service as bookings
from booking.reservations.errors import BookingConflict
from booking.reservations.forms import DecisionForm
from booking.reservations.models import Booking
from booking.reservations.view_helpers import conflict_view
from booking.resources import service as resources
from booking.resources import tree
from booking.tenants import localtime
from booking.tenants.service import get_scoped

staff_bp = Blueprint("staff", __name__, url_prefix="/<tenant>/staff")


# --- clerk: approvals and calendar ----------------------------------------------------


def _queue_entries() -> list[dict[str, Any]]:
    """The approval queue, oldest first, with what stands in each one's way."""
    queue = queries.approval_queue(g.tenant)
    names = resources.names_of(g.tenant, (c.resource_id for i in queue for c in i.conflicts))
    entries = []
    for item in queue:
        booking = item.booking
        entries.append(
            {
                "booking": booking,
                "conflicts": conflict_view(item.conflicts, names),
                "competing": list(item.competing),
                "form": DecisionForm(prefix=f"b{booking.id}"),
            }
        )
    return entries


@staff_bp.get("/approvals")
@role_required(*STAFF_ROLES)
def approvals():
    return render_template("booking/staff/approvals.html", entries=_queue_entries())


@staff_bp.post("/approvals/<int:booking_id>")
@role_required(*STAFF_ROLES)
def decide(booking_id: int):
    booking = get_scoped(Booking, g.tenant, booking_id)
    form = DecisionForm(prefix=f"b{booking.id}")
    decision = request.form.get("decision")
    back = request.form.get("back") == "detail"
    target = (
        url_for("reservations.detail", booking_id=booking.id)
        if back
        else url_for("staff.approvals")
    )
    if decision not in ("approve", "reject") or not form.validate():
        flash(
            _(
                "Bitte Freigeben oder Ablehnen wählen (Begründung höchstens %(num)d Zeichen).",
                num=REASON_MAX,
            ),
            "error",
        )
        return redirect(target)
    reason = form.reason.data
    try:
        if decision == "approve":
            bookings.approve_booking(g.tenant, current_actor(), booking, reason=reason)
            message = _("„%(title)s“ ist freigegeben.", title=booking.title)
        else:
            bookings.reject_booking(g.tenant, current_actor(), booking, reason=reason)
            message = _("„%(title)s“ ist abgelehnt.", title=booking.title)
    except BookingConflict as conflict:
        transaction.fail()
        flash(
            _(
                "„%(title)s“ kann nicht freigegeben werden: %(msg)s",
                title=booking.title,
                msg=conflict.message,
            ),
            "error",
        )
        return redirect(target)
    except ValidationFailed as error:
        flash_error(error)
        return redirect(target)
    flash(message, "success")
    return redirect(target)


@staff_bp.get("/calendar")
@role_required(*STAFF_ROLES)
def calendar():
    today = localtime.local_today(g.tenant, utcnow())
    view = request.args.get("view", "week")
    if view not in ("day", "week"):
        view = "week"
    day = queries.parse_day(request.args.get("date"), today)
    if view == "week":
        first = localtime.monday_of(day)
        days = [first + timedelta(days=n) for n in range(7)]
        step = timedelta(days=7)
    else:
        days = [day]
        step = timedelta(days=1)
    all_resources = tree.ordered(g.tenant)
    grid = queries.calendar_grid(g.tenant, all_resources, days)
    return render_template(
        "booking/staff/calendar.html",
        view=view,
        day=day,
        days=days,
        today=today,
        resources=all_resources,
        depth=tree.depth,
        grid=grid,
        prev_date=days[0] - step if view == "week" else day - step,
        next_date=days[0] + step if view == "week" else day + step,
    )
