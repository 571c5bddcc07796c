"""The clerk's screens: the approval queue (approve or reject a request),
the calendar of every resource by day or week, and closures (Sperrzeiten):
a new closure first lists the bookings inside it, which the clerk cancels
with one reason or keeps (their applicants are told). Thin: parse, check
access, call the service, commit once, render or redirect.

The closure screens keep their place under the resources administration
(``resources_admin`` blueprint, ``/<tenant>/admin/resources/closures``:
the same URLs and endpoint names as before); they live here because they
list and cancel bookings, and ``booking.resources`` imports nothing from
``booking.reservations``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from babel.dates import format_interval
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_date, format_datetime, get_locale, ngettext
from flask_babel import gettext as _
from wtforms import SelectChoice

from booking import transaction
from booking.accounts.access import current_actor, requires, role_required
from booking.accounts.models import STAFF_ROLES
from booking.core import REASON_MAX, ValidationFailed, utcnow
from booking.forms import flash_error, show_errors
from booking.reservations import closures as closing
from booking.reservations import decisions, grids, queries
from booking.reservations import service as bookings
from booking.reservations.errors import BookingConflict
from booking.reservations.forms import ClosureDatesForm, ClosureForm, DecisionForm
from booking.reservations.models import Booking, Occurrence
from booking.reservations.view_helpers import conflict_view
from booking.resources import closures as closure_service
from booking.resources import service as resources
from booking.resources import tree
from booking.resources.access import can_manage_closures
from booking.resources.models import Resource
from booking.resources.views import admin_bp as resources_admin
from booking.tenants import localtime
from booking.tenants.service import get_scoped
from booking.web import is_safe_redirect

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


DECISIONS = ("approve", "reject", "partial")


def _reject_ids(booking: Booking, decision: str) -> list[int]:
    """The dates to refuse: every active one for ``reject``, the ticked ones
    for ``partial`` (a value that is not a number is a 400)."""
    if decision == "reject":
        return [o.id for o in booking.active_occurrences]
    if decision != "partial":
        return []
    try:
        return sorted({int(v) for v in request.form.getlist(f"b{booking.id}-reject")})
    except ValueError:
        abort(400)


def _confirm_reject_page(
    booking: Booking, form: DecisionForm, decision: str, ids: list[int], back: bool, status=200
):
    """The "really reject?" step: the dates that would be refused, the reason."""
    refused = [o for o in booking.active_occurrences if o.id in set(ids)]
    kept = [o for o in booking.active_occurrences if o.id not in set(ids)]
    return render_template(
        "booking/staff/approval_confirm.html",
        booking=booking,
        form=form,
        decision=decision,
        refused=refused,
        kept=kept,
        back=back,
    ), status


@staff_bp.post("/approvals/<int:booking_id>")
@role_required(*STAFF_ROLES)
def decide(booking_id: int):
    """Approve at once; a refusal (whole or of ticked dates, the rest approved)
    first shows a confirmation page that asks for the reason."""
    booking = get_scoped(Booking, g.tenant, booking_id)
    form = DecisionForm(prefix=f"b{booking.id}")
    decision = request.form.get("decision")
    back = request.form.get("back") == "detail"
    target = (
        url_for("reservations.detail", booking_id=booking.id)
        if back
        else url_for("staff.approvals")
    )
    if decision not in DECISIONS or not form.validate():
        flash(
            _(
                "Bitte Freigeben oder Ablehnen wählen (Begründung höchstens %(num)d Zeichen).",
                num=REASON_MAX,
            ),
            "error",
        )
        return redirect(target)
    ids = _reject_ids(booking, decision)
    if decision == "partial" and not ids:
        flash(_("Bitte die Termine ankreuzen, die abgelehnt werden sollen."), "error")
        return redirect(target)
    reason = form.reason.data
    actor = current_actor()
    if decision != "approve" and form.confirmed.data != "1":
        try:
            decisions.required_reason(reason)
        except ValidationFailed as error:
            show_errors(form, error)
            return _confirm_reject_page(booking, form, decision, ids, back, 422)
        return _confirm_reject_page(booking, form, decision, ids, back)
    try:
        if decision == "approve":
            bookings.approve_booking(g.tenant, actor, booking, reason=reason)
            message = _("„%(title)s“ ist freigegeben.", title=booking.title)
        elif decision == "reject":
            decisions.reject_whole(g.tenant, actor, booking, reason=reason)
            message = _("„%(title)s“ ist abgelehnt.", title=booking.title)
        else:
            decisions.decide_dates(g.tenant, actor, booking, ids, reason=reason)
            message = ngettext(
                "„%(title)s“ ist freigegeben, %(num)d Termin ist abgelehnt.",
                "„%(title)s“ ist freigegeben, %(num)d Termine sind abgelehnt.",
                len(ids),
                title=booking.title,
            )
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
        transaction.fail()
        if decision != "approve" and "reason" in error.fields:
            show_errors(form, error)
            return _confirm_reject_page(booking, form, decision, ids, back, 422)
        flash_error(error)
        return redirect(target)
    flash(message, "success")
    return redirect(target)


def _booker(booking: Booking) -> str:
    """Club (and person) or person, as the calendar's table names them."""
    if booking.organisation:
        if booking.user:
            return f"{booking.organisation.name} ({booking.user.display_name})"
        return booking.organisation.name
    return booking.user.display_name if booking.user else "—"


CALENDAR_GROUPS = ("halls", "chapel", "crew")


def _subtree(top: Resource, children: dict[int | None, list[Resource]]) -> list[Resource]:
    """``top`` and its parts (and theirs), in the order of ``tree.ordered``."""
    found = [top]
    for child in children.get(top.id, ()):
        found.extend(_subtree(child, children))
    return found


@staff_bp.get("/calendar")
@role_required(*STAFF_ROLES)
def calendar():
    """Every resource by day or week: a time grid per hall (its parts side
    by side, each booking a link to it) and the table of the same entries.
    Halls and rooms first, then chapels, then crews; ``?show=`` one group
    or one hall (another municipality's: 404)."""
    today = localtime.local_today(g.tenant, utcnow())
    view = request.args.get("view", "week")
    if view not in ("day", "week"):
        view = "week"
    raw = request.args.get("date", "")
    day = queries.parse_day(raw, today)
    bad_date = raw if raw and queries.parse_day(raw, None) is None else None
    if view == "week":
        first = localtime.monday_of(day)
        days = [first + timedelta(days=n) for n in range(7)]
        step = timedelta(days=7)
    else:
        days = [day]
        step = timedelta(days=1)
    everything = tree.ordered(g.tenant)
    children: dict[int | None, list[Resource]] = {}
    for r in everything:
        children.setdefault(r.parent_id, []).append(r)
    groups = grids.group_by_kind(grids.top_level(everything))
    show = request.args.get("show", "")
    if show.isdigit():
        chosen = get_scoped(Resource, g.tenant, int(show))
        groups = [(name, [chosen]) for name, tops in groups if chosen in tops] or [
            ("halls", [chosen])
        ]
    elif show in CALENDAR_GROUPS:
        groups = [(name, tops) for name, tops in groups if name == show]
    else:
        show = ""
    tops = [top for _name, members in groups for top in members]
    shown = [r for top in tops for r in _subtree(top, children)]
    grid = queries.calendar_grid(g.tenant, shown, days)
    start, _end = localtime.day_bounds(g.tenant, days[0], len(days))
    occurrences = queries.occurrences_between(g.tenant, start, _end, [r.id for r in shown])
    weeks = grids.staff_weeks(
        g.tenant,
        tops,
        days,
        occurrences,
        link=lambda o: url_for("reservations.detail", booking_id=o.booking_id),
        describe=_booker,
        children_of=lambda node: children.get(node.id, ()),
    )
    by_hall = {w.resource.id: w for w in weeks}
    return render_template(
        "booking/staff/calendar.html",
        view=view,
        day=day,
        bad_date=bad_date,
        days=days,
        today=today,
        resources=shown,
        groups=[(name, [by_hall[t.id] for t in members]) for name, members in groups],
        show=show,
        all_tops=grids.top_level(everything),
        depth=tree.depth,
        grid=grid,
        prev_date=days[0] - step if view == "week" else day - step,
        next_date=days[0] + step if view == "week" else day + step,
    )


# --- closures (Sperrzeiten) --------------------------------------------------------------

CLOSURE_FIELDS = ("resource_id", "start", "end", "reason")


TENANT_WIDE = "all"


def closure_target_choices() -> list[SelectChoice]:
    """Nothing preselected; the municipality-wide choice says that it closes
    the cemetery's chapels and crews too (a closure without a resource)."""
    choices = [
        SelectChoice("", _("Bitte wählen …")),
        SelectChoice(
            TENANT_WIDE,
            _("Die ganze Gemeinde (alle Hallen und Räume, auch Trauerhallen und Friedhofsteams)"),
        ),
    ]
    for r in tree.ordered(g.tenant):
        choices.append(SelectChoice(str(r.id), "— " * tree.depth(r) + r.name))
    return choices


def _closure_args(form: ClosureForm) -> dict[str, Any]:
    """The form's closure in the service's terms (local wall clock to UTC)."""
    zone = localtime.tenant_zone(g.tenant)
    resource_id = form.resource_id.data
    if form.mode.data == "days":
        # [first day 00:00, the day after the last 00:00) in local time.
        first, last = form.first_day.data, form.last_day.data
        start, end = localtime.day_bounds(g.tenant, first, (last - first).days + 1)
    else:
        start = localtime.wall_clock_to_utc(form.start.data, zone)
        end = localtime.wall_clock_to_utc(form.end.data, zone)
    return {
        "resource": (
            resources.get_resource(g.tenant, resource_id)
            if resource_id and resource_id != TENANT_WIDE
            else None
        ),
        "start": start,
        "end": end,
        "reason": form.reason.data,
    }


def closure_period(start: datetime, end: datetime) -> str:
    """A closure's time as staff read it: whole local days as dates
    ("09.12.2026 (ganztägig)", "09.–11.12.2026 (ganztägig)"), any other
    closure with both clock times ("09.12.26, 08:00 – 10.12.26, 12:00")."""
    zone = localtime.tenant_zone(g.tenant)
    first, after = start.astimezone(zone).date(), end.astimezone(zone).date()
    days = (after - first).days
    if days >= 1 and localtime.day_bounds(g.tenant, first, days) == (start, end):
        last = after - timedelta(days=1)
        if first == last:
            dates = format_date(first)
        else:
            dates = format_interval(first, last, "yMMdd", locale=get_locale() or "de")
        return _("%(dates)s (ganztägig)", dates=dates)
    return f"{format_datetime(start, 'short')} – {format_datetime(end, 'short')}"


def _closures_page(form: ClosureForm, status: int = 200):
    show_past = request.args.get("past") == "1"
    listed = closure_service.list_closures(g.tenant, ending_after=None if show_past else utcnow())
    return render_template(
        "booking/staff/closures.html",
        form=form,
        closures=listed,
        show_past=show_past,
        period=closure_period,
    ), status


def _dates_form(dates: list[Occurrence], cancel_reason: str | None) -> ClosureDatesForm:
    """A fresh confirmation step for ``dates``, the cancel reason prefilled."""
    return ClosureDatesForm(
        formdata=None,
        data={"cancel_reason": cancel_reason, "listed": ",".join(str(o.id) for o in dates)},
    )


def _confirm_page(
    form: ClosureForm,
    dates_form: ClosureDatesForm,
    dates: list[Occurrence],
    args: dict[str, Any],
    status: int = 200,
):
    """The confirmation step: the closure, the dates inside it, the choice."""
    return render_template(
        "booking/staff/closure_confirm.html",
        form=form,
        dates_form=dates_form,
        dates=dates,
        names=resources.names_of(g.tenant, (o.resource_id for o in dates)),
        closure=args,
        hidden=form.hidden_values(),
    ), status


def _entered_message(entered: closing.Entered) -> None:
    flash(
        _("Die Sperrzeit „%(reason)s“ ist eingetragen.", reason=entered.closure.reason), "success"
    )
    count = len(entered.dates)
    if entered.cancelled:
        flash(
            ngettext(
                "%(num)d Termin wurde abgesagt, die Antragsteller sind benachrichtigt.",
                "%(num)d Termine wurden abgesagt, die Antragsteller sind benachrichtigt.",
                count,
            ),
            "success",
        )
    elif count:
        flash(
            ngettext(
                "%(num)d Termin bleibt bestehen, die Antragsteller sind benachrichtigt.",
                "%(num)d Termine bleiben bestehen, die Antragsteller sind benachrichtigt.",
                count,
            ),
            "success",
        )


@resources_admin.route("/closures", methods=["GET", "POST"])
@requires(can_manage_closures)
def closures():
    """List and enter closures. A closure over active dates is entered in two
    steps: the form, then the dates inside it with what happens to them
    (``action=confirm``; ``action=edit`` goes back to the form)."""
    form = ClosureForm()
    form.resource_id.choices = closure_target_choices()
    if request.method == "GET":
        if request.args.get("resource_id", "") in {c.value for c in form.resource_id.choices}:
            form.resource_id.data = request.args.get("resource_id", "")
        return _closures_page(form)
    action = request.form.get("action", "check")
    if action not in ("check", "confirm", "edit"):
        abort(400)
    if not form.validate():
        return _closures_page(form, 422)
    if action == "edit":
        return _closures_page(form)

    args = _closure_args(form)
    actor = current_actor()
    dates_form = ClosureDatesForm()
    try:
        if action == "check":
            dates = closing.preview_closure(g.tenant, actor, **args)
            if dates:
                return _confirm_page(form, _dates_form(dates, form.reason.data), dates, args)
            entered = closing.enter_closure(g.tenant, actor, **args, expected=[])
        else:
            listed = dates_form.listed_ids()
            if listed is None:
                abort(400)
            if not dates_form.validate():
                dates = closing.preview_closure(g.tenant, actor, **args)
                return _confirm_page(form, dates_form, dates, args, 422)
            entered = closing.enter_closure(
                g.tenant,
                actor,
                **args,
                dates=dates_form.dates.data,
                cancel_reason=dates_form.cancel_reason.data,
                expected=listed,
            )
    except closing.DatesChanged as changed:
        transaction.fail()
        dates = closing.preview_closure(g.tenant, actor, **args)
        fresh = _dates_form(dates, dates_form.cancel_reason.data)
        fresh.form_errors.append(str(changed.message))
        return _confirm_page(form, fresh, dates, args, 409)
    except ValidationFailed as error:
        if action == "confirm" and not set(error.fields or {}) & set(CLOSURE_FIELDS):
            show_errors(dates_form, error)
            dates = closing.preview_closure(g.tenant, actor, **args)
            return _confirm_page(form, dates_form, dates, args, 422)
        show_errors(form, error)
        return _closures_page(form, 422)
    _entered_message(entered)
    return redirect(url_for("resources_admin.closures"))


@resources_admin.post("/closures/<int:closure_id>/delete")
@requires(can_manage_closures)
def delete_closure(closure_id: int):
    closure = closure_service.get_closure(g.tenant, closure_id)
    reason = closure.reason
    closure_service.delete_closure(g.tenant, current_actor(), closure.id)
    flash(_("Die Sperrzeit „%(reason)s“ wurde aufgehoben.", reason=reason), "success")
    target = request.form.get("next", "")
    return redirect(target if is_safe_redirect(target) else url_for("resources_admin.closures"))
