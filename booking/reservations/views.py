"""Web screens of hall booking: the week view and free-hall search, the
booking form (preview, then confirm), "Meine Buchungen", a booking's page
with its actions (the clerk's screens: ``staff_views``, the caretaker's:
``caretaker_views``). Thin: parse, check access, call the service, commit
once, render or redirect."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from booking import transaction
from booking.accounts import service as accounts
from booking.accounts.access import current_actor, is_staff
from booking.accounts.models import Organisation
from booking.core import NotFound, ValidationFailed, utcnow
from booking.feeds import ics
from booking.fees import invoices
from booking.fees import service as fees
from booking.fees.forms import CategoryForm
from booking.fees.pricing import Fee
from booking.forms import show_errors
from booking.payments.stripe_client import keys_of as payment_keys_of
from booking.reservations import access, grids, queries
from booking.reservations import month as months
from booking.reservations import service as bookings
from booking.reservations.errors import BookingConflict
from booking.reservations.forms import (
    BookingForm,
    CancelForm,
    DecisionForm,
    FreeSearchForm,
    MoveForm,
    TimeRangeForm,
    ends_at_midnight,
    prefill_from_args,
)
from booking.reservations.labels import status_label
from booking.reservations.models import Booking, Occurrence
from booking.reservations.view_helpers import conflict_view
from booking.resources import service as resources
from booking.resources import tree
from booking.resources.forms import catalogue_kind_choices
from booking.resources.models import Resource
from booking.resources.policy import policy_of
from booking.tenants import localtime

bp = Blueprint("reservations", __name__, url_prefix="/<tenant>")

# Templates show statuses with the same labels as the messages (booking.reservations.labels).
bp.add_app_template_global(status_label)

# Service field names → form fields, for ValidationFailed.fields.
FIELD_MAP = {
    "start": "start_time",
    "end": "end_time",
    "title": "title",
    "note": "note",
    "organisation_id": "organisation",
    "organisation": "organisation",
    "recurrence": "until",
    "until": "until",
    "count": "count",
    "interval": "interval",
    "override_reason": "override_reason",
    "date": "date",
    "guests": "guests",
    "contact_phone": "contact_phone",
    "category": "category",
    "payment": "payment",
}


def get_booking(booking_id: int) -> Booking:
    """The booking if the signed-in person may see it; else 404 (whether it
    belongs to someone else or to another municipality)."""
    return queries.get_booking(g.tenant, current_actor(), booking_id)


def get_occurrence(booking: Booking, occurrence_id: int) -> Occurrence:
    occurrence = next((o for o in booking.occurrences if o.id == occurrence_id), None)
    if occurrence is None:
        raise NotFound(_("Nicht gefunden."))
    return occurrence


def require_manage(booking: Booking) -> None:
    if not access.can_manage_booking(current_actor(), booking):
        abort(403)


def visible_resource(resource_id: int) -> Resource:
    """A resource of the catalogue (people with a role: any of the municipality)."""
    return resources.visible_resource(g.tenant, current_user, resource_id)


def bookable_resource(resource_id: int) -> Resource:
    """A resource the signed-in person may book."""
    resource = visible_resource(resource_id)
    if not resource.bookable:
        raise NotFound(_("Nicht gefunden."))
    return resource


# --- template filters (registered app-wide by this blueprint) ----------------------


def _on_local_clock(value: datetime) -> datetime:
    """The instant on the municipality's clock (the zone the filters format in)."""
    return value.astimezone(localtime.tenant_zone(g.tenant))


def _is_local_midnight(value: datetime) -> bool:
    local = _on_local_clock(value)
    return local.hour == 0 and local.minute == 0


@bp.app_template_filter("timerange")
def timerange(start: datetime, end: datetime) -> str:
    """ "18:00–23:00" in local time; an end at midnight reads 24:00."""
    begins = localtime.time_filter(start)
    if _is_local_midnight(end) and _on_local_clock(end).date() > _on_local_clock(start).date():
        return f"{begins}–24:00"
    return f"{begins}–{localtime.time_filter(end)}"


@bp.app_template_filter("timespan")
def timespan(start: datetime, end: datetime) -> str:
    """ "Sa., 06.03.2027, 18:00–23:00"; over several days with both dates."""
    local_start, local_end = _on_local_clock(start), _on_local_clock(end)
    day = f"{localtime.date_filter(start, 'EEE')}, {localtime.date_filter(start)}"
    same_day = local_end.date() == local_start.date() or (
        _is_local_midnight(end) and local_end.date() - local_start.date() == timedelta(days=1)
    )
    if same_day:
        return f"{day}, {timerange(start, end)}"
    return f"{day}, {localtime.time_filter(start)} – {localtime.datetime_filter(end, 'short')}"


def _period(form: TimeRangeForm) -> tuple[datetime, datetime]:
    """The form's date and times as instants (the tenant's local time); an
    end of 00:00 is the midnight at the end of that day."""
    day = form.date.data
    end_day = day + timedelta(days=1) if ends_at_midnight(form.end_time.data) else day
    return (
        localtime.local_instant(g.tenant, day, form.start_time.data),
        localtime.local_instant(g.tenant, end_day, form.end_time.data),
    )


# --- week view and free search ----------------------------------------------------


@bp.get("/halls/<int:resource_id>/week")
def week(resource_id: int):
    """The hall's week: a time grid of its parts (``reservations.grids``,
    hidden from screen readers) and the table of busy times it draws, the
    accessible equivalent. A malformed ``start`` shows this week and says so."""
    resource = visible_resource(resource_id)
    today = localtime.local_today(g.tenant, utcnow())
    raw = request.args.get("start", "")
    bad_start = raw if raw and queries.parse_day(raw, None) is None else None
    monday = localtime.monday_of(queries.parse_day(raw, today))
    days = queries.busy_week(g.tenant, resource, monday)
    return render_template(
        "booking/reservations/week.html",
        resource=resource,
        monday=monday,
        sunday=monday + timedelta(days=6),
        days=days,
        grid=grids.public_week(g.tenant, resource, [d for d, _slots in days]),
        today=today,
        bad_start=bad_start,
        prev_week=monday - timedelta(days=7),
        next_week=monday + timedelta(days=7),
        parts=resources.public_parts(resource),
        has_hours=bool(policy_of(resource).hours_from),
    )


@bp.get("/halls/<int:resource_id>/month")
def month(resource_id: int):
    """Which days of a month still have room (``reservations.month``), as a
    table; ``?month=2027-03``, the tenant's local days. Malformed: 400."""
    resource = visible_resource(resource_id)
    today = localtime.local_today(g.tenant, utcnow())
    raw = request.args.get("month", "")
    first = months.parse_month(raw, today)
    status = 200
    if first is None:
        first, status = today.replace(day=1), 400
    previous, following = months.neighbours(first)
    room = {r.day: r for r in months.month_room(g.tenant, resource, first, utcnow())}
    return render_template(
        "booking/resources/month.html",
        resource=resource,
        first=first,
        weeks=months.weeks(first),
        room=room,
        today=today,
        bad_month=raw if status == 400 else None,
        previous=previous,
        following=following,
    ), status


@bp.get("/halls/free")
def free():
    form = FreeSearchForm(request.args)
    form.kind.choices = catalogue_kind_choices()
    results = None
    start = end = None
    searched = bool(request.args)
    if searched and form.validate():
        start, end = _period(form)
        found = queries.free_resources(
            g.tenant, start, end, kind=form.kind.data or None, guests=form.min_capacity.data
        )
        results = [
            {"resource": r, "name": tree.full_name(r), "address": policy_of(r).address}
            for r in found
        ]
    status = 422 if searched and form.errors else 200
    return render_template(
        "booking/reservations/free.html",
        form=form,
        results=results,
        start=start,
        end=end,
    ), status


# --- the booking form -------------------------------------------------------------


def _booking_args(
    form: BookingForm, resource: Resource, organisations: Sequence[Organisation]
) -> dict[str, Any]:
    """``create_booking``'s arguments from a valid form; ``organisations``:
    those the form offered (the person's own)."""
    start, end = _period(form)
    recurrence = form.recurrence()
    if recurrence is not None and form.skip_holidays.data:
        recurrence["skip_closed"] = True
    organisation = None
    org_id = form.organisation_id()
    if org_id is not None:
        organisation = next((o for o in organisations if o.id == org_id), None)
    override = None
    if "override_reason" in form and is_staff(current_actor(), g.tenant):
        override = form.override_reason.data
    return {
        "tenant": g.tenant,
        "actor": current_actor(),
        "resource": resource,
        "start": start,
        "end": end,
        "title": form.title.data,
        "recurrence": recurrence,
        "on_conflict": form.on_conflict.data or "reject",
        "organisation": organisation,
        "note": form.note.data,
        "guests": form.guests.data,
        "contact_phone": form.contact_phone.data,
        "category": form.category.data or None,
        "override_reason": override,
        "max_occurrences": current_app.config["SERIES_MAX_OCCURRENCES"],
    }


def _busy_rows(
    conflict: BookingConflict, organisations: Sequence[Organisation]
) -> list[dict[str, Any]]:
    """The busy times in the way (not the requested ones), each once, with
    the taken resource's name and whether it is the person's own booking or
    one of their organisation's — never whose otherwise."""
    items = conflict.conflicts
    names = resources.names_of(g.tenant, (c.resource_id for c in items))
    owners = queries.owners_of_occurrences(g.tenant, (c.occurrence_id for c in items))
    me = current_actor()
    clubs = {o.id: o.name for o in organisations}
    rows, seen = [], set()
    for item in items:
        start, end = item.busy_start or item.start, item.busy_end or item.end
        key = (start, end, item.resource_id)
        if key in seen:
            continue
        seen.add(key)
        user_id, org_id = owners.get(item.occurrence_id, (None, None))
        rows.append(
            {
                "start": start,
                "end": end,
                "resource_name": names.get(item.resource_id, ""),
                "own": user_id == me.id and org_id is None,
                "club": clubs.get(org_id) if org_id is not None else None,
            }
        )
    return rows


# Rules about the day itself: their messages belong on the date, not the time.
DAY_RULES = frozenset({"holiday", "closure"})


def _booking_field(error: ValidationFailed) -> Callable[[str], str | None]:
    """The form field for each of the service's fields: a date that only a
    holiday or closure refuses is an error on the date field."""
    violations = error.details.get("violations") or []
    if violations and all(v.get("rule") in DAY_RULES for v in violations):
        return lambda name: "date" if name == "start" else FIELD_MAP.get(name)
    return FIELD_MAP.get


def _suggestion_links(form: BookingForm, conflict: BookingConflict) -> list[dict[str, Any]]:
    """Links that open the form with an alternative and the whole request
    (series, organisation, note, guests …). For a series the alternative
    moves the series: its first date by as many days as the alternative lies
    from the clashing date it stands in for, and the times of the alternative."""
    tz = localtime.tenant_zone(g.tenant)
    names = resources.names_of(g.tenant, (s.resource_id for s in conflict.suggestions))
    request_values = {
        name: value
        for name, value in form.link_values().items()
        if name not in ("date", "start_time", "end_time", "action")
    }
    series = bool(form.repeat.data)
    links, seen = [], set()
    for suggestion in conflict.suggestions:
        if suggestion.resource_id not in names:
            continue
        local_start = suggestion.start.astimezone(tz)
        local_end = suggestion.end.astimezone(tz)
        if local_end.date() != local_start.date() and local_end.time() != datetime.min.time():
            continue  # the form books within one day
        clash_day = (suggestion.for_start or suggestion.start).astimezone(tz).date()
        first_day = form.date.data + (local_start.date() - clash_day)
        url = url_for(
            "reservations.book",
            resource_id=suggestion.resource_id,
            **request_values,
            date=first_day.isoformat(),
            start_time=local_start.strftime("%H:%M"),
            end_time=local_end.strftime("%H:%M"),
        )
        if url in seen and not series:
            continue
        seen.add(url)
        links.append(
            {
                "resource_name": names[suggestion.resource_id],
                "start": suggestion.start,
                "end": suggestion.end,
                "instead_of": suggestion.for_start if series else None,
                "url": url,
            }
        )
    return links


@bp.route("/halls/<int:resource_id>/book", methods=["GET", "POST"])
@login_required
def book(resource_id: int):
    resource = bookable_resource(resource_id)
    organisations = accounts.organisations_of(current_actor(), g.tenant)
    options = {
        "organisations": organisations,
        "staff": is_staff(current_actor(), g.tenant),
        "max_count": current_app.config["SERIES_MAX_OCCURRENCES"],
        "online_payment": payment_keys_of(g.tenant).configured,
    }
    context: dict[str, Any] = {"resource": resource}
    if request.method == "GET":
        form = BookingForm(formdata=None, data=prefill_from_args(request.args), **options)
        return render_template("booking/reservations/book.html", form=form, **context)

    form = BookingForm(**options)
    action = request.form.get("action", "preview")
    if action == "edit":
        form.validate()
        form.form_errors.clear()
        for f in form:
            f.errors = []
        return render_template("booking/reservations/book.html", form=form, **context)
    if not form.validate():
        return render_template("booking/reservations/book.html", form=form, **context), 422

    args = _booking_args(form, resource, organisations)
    try:
        if action == "confirm":
            payment = form.payment.data if "payment" in form else "invoice"
            result = bookings.create_booking(**args, payment=payment)
        else:
            preview = bookings.preview_booking(**args)
            return render_template(
                "booking/reservations/preview.html",
                form=form,
                preview=preview,
                hidden=form.hidden_values(),
                **context,
            )
    except BookingConflict as conflict:
        transaction.fail()
        return render_template(
            "booking/reservations/book.html",
            form=form,
            conflict=conflict,
            conflicts=_busy_rows(conflict, organisations),
            suggestions=_suggestion_links(form, conflict),
            **context,
        ), 409
    except ValidationFailed as error:
        show_errors(form, error, _booking_field(error))
        return render_template("booking/reservations/book.html", form=form, **context), 422

    if result.booking.status == "held":
        flash(_("Der Termin ist für Sie reserviert. Bitte bezahlen Sie jetzt."), "success")
        return redirect(url_for("payments.pay", booking_id=result.booking.id))
    if result.booking.status == "requested":
        flash(_("Ihre Anfrage ist eingegangen. Die Verwaltung prüft sie."), "success")
    else:
        flash(_("Ihre Buchung ist bestätigt."), "success")
    if result.skipped:
        flash(
            ngettext(
                "%(num)d Termin war belegt oder gesperrt und wurde ausgelassen.",
                "%(num)d Termine waren belegt oder gesperrt und wurden ausgelassen.",
                len(result.skipped),
            ),
            "warning",
        )
    return redirect(url_for("reservations.detail", booking_id=result.booking.id))


# --- my bookings, one booking ------------------------------------------------------------


@bp.get("/bookings/mine")
@login_required
def mine():
    now = utcnow()
    me = current_actor()
    items = queries.by_time(queries.bookings_of_user(g.tenant, me), now)
    return render_template(
        "booking/reservations/mine.html",
        bookings=items,
        ended=queries.ENDED,
        may_change=lambda occurrence: access.may_change_date(me, occurrence, now),
    )


@bp.app_template_global("booking_number")
def booking_number(booking: Booking) -> str:
    """The number a booker quotes: the local year of the booking and its id
    ("2027-0042"); stable, since neither changes."""
    year = booking.created_at.astimezone(localtime.tenant_zone(g.tenant)).year
    return f"{year}-{booking.id:04d}"


def booking_fee(booking: Booking) -> Fee:
    """The booking's fee, as the API's ``fee_json``: its dates that still
    take place under the resource's rules."""
    return fees.shown_fee(g.tenant, booking)


def _skipped_dates(booking: Booking) -> list[dict[str, Any]]:
    """The dates of a series that were left out when it was booked (stored
    in ``Booking.skipped``), as instants with their reason and label."""
    dates = []
    for item in booking.skipped or []:
        try:
            start = datetime.fromisoformat(item["start"])
            end = datetime.fromisoformat(item["end"])
        except (KeyError, TypeError, ValueError):
            continue
        dates.append(
            {"start": start, "end": end, "reason": item.get("reason"), "label": item.get("label")}
        )
    return sorted(dates, key=lambda d: d["start"])


@bp.get("/bookings/<int:booking_id>")
@login_required
def detail(booking_id: int):
    booking = get_booking(booking_id)
    staff = is_staff(current_actor(), g.tenant)
    me, now = current_actor(), utcnow()
    # A burial's chapel or crew date changes only through the burial.
    can_manage = access.can_manage_booking(me, booking) and booking.origin == "booking"
    dates = booking.occurrences
    return render_template(
        "booking/reservations/detail.html",
        booking=booking,
        number=booking_number(booking),
        fee=booking_fee(booking),
        category_form=CategoryForm(category=booking.customer_category) if staff else None,
        key_handover=policy_of(booking.resource).key_handover,
        offers_ics=booking.status not in queries.ENDED,
        current_dates=[o for o in dates if o.status not in ("cancelled", "rejected")],
        cancelled_dates=[o for o in dates if o.status == "cancelled"],
        rejected_dates=[o for o in dates if o.status == "rejected"],
        skipped_dates=_skipped_dates(booking),
        can_manage=can_manage,
        may_change=lambda occurrence: can_manage and access.may_change_date(me, occurrence, now),
        staff=staff,
        can_approve=booking.status == "requested" and access.can_approve(current_actor(), g.tenant),
        history=queries.booking_history(g.tenant, booking) if staff else [],
        decision=queries.staff_decision(g.tenant, booking),
        decision_form=DecisionForm(prefix=f"b{booking.id}"),
        recurrence_until=queries.parse_day((booking.recurrence or {}).get("until"), None),
    )


@bp.get("/bookings/<int:booking_id>.ics")
@login_required
def ics_download(booking_id: int):
    booking = get_booking(booking_id)
    if booking.status in queries.ENDED:
        # Nothing to put in a calendar: a clear page, not an empty file.
        return render_template("booking/reservations/no_ics.html", booking=booking), 410
    body = ics.booking_calendar(booking, g.tenant)
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{ics.booking_filename(booking)}"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/bookings/<int:booking_id>/cancel", methods=["GET", "POST"])
@bp.route(
    "/bookings/<int:booking_id>/occurrences/<int:occurrence_id>/cancel",
    methods=["GET", "POST"],
    endpoint="cancel_occurrence",
)
@login_required
def cancel(booking_id: int, occurrence_id: int | None = None):
    """Cancel the whole booking, or with ``occurrence_id`` one of its dates."""
    booking = get_booking(booking_id)
    require_manage(booking)
    occurrence = get_occurrence(booking, occurrence_id) if occurrence_id is not None else None
    form = CancelForm()
    if request.method == "POST" and form.validate():
        if occurrence is None:
            bookings.cancel_booking(g.tenant, current_actor(), booking, reason=form.reason.data)
            message = _("Die Buchung ist storniert. Die Termine sind wieder frei.")
        else:
            bookings.cancel_occurrence(
                g.tenant, current_actor(), occurrence, reason=form.reason.data
            )
            message = _("Der Termin ist abgesagt und wieder frei.")
        flash(message, "success")
        return redirect(url_for("reservations.detail", booking_id=booking.id))
    dates = [occurrence] if occurrence is not None else booking.active_occurrences
    bill = invoices.cancellation_bill(g.tenant, booking, dates, utcnow())  # before confirming
    return render_template(
        "booking/reservations/cancel.html",
        booking=booking,
        occurrence=occurrence,
        form=form,
        bill=bill,
    )


@bp.route(
    "/bookings/<int:booking_id>/occurrences/<int:occurrence_id>/move", methods=["GET", "POST"]
)
@login_required
def move(booking_id: int, occurrence_id: int):
    booking = get_booking(booking_id)
    occurrence = get_occurrence(booking, occurrence_id)
    if not is_staff(current_actor(), g.tenant):
        abort(403)
    if occurrence.cancelled_at is not None:
        raise NotFound(_("Nicht gefunden."))
    tz = localtime.tenant_zone(g.tenant)
    local_start, local_end = occurrence.start_at.astimezone(tz), occurrence.end_at.astimezone(tz)
    if request.method == "GET":
        form = MoveForm(
            formdata=None,
            data={
                "date": local_start.date(),
                "start_time": local_start.time(),
                "end_time": local_end.time(),
            },
        )
    else:
        form = MoveForm()
    status = 200
    conflicts = suggestions = None
    if request.method == "POST":
        if form.validate():
            start, end = _period(form)
            try:
                bookings.move_occurrence(
                    g.tenant,
                    current_actor(),
                    occurrence,
                    start,
                    end,
                    reason=form.reason.data,
                    override_reason=form.override_reason.data,
                )
                flash(_("Der Termin ist verlegt."), "success")
                return redirect(url_for("reservations.detail", booking_id=booking.id))
            except BookingConflict as conflict:
                transaction.fail()
                conflicts = conflict_view(conflict.conflicts)
                suggestions = [
                    {"start": s.start, "end": s.end, "resource_name": ""}
                    for s in conflict.suggestions
                    if s.resource_id == booking.resource_id
                ]
                status = 409
            except ValidationFailed as error:
                show_errors(form, error, FIELD_MAP.get)
                status = 422
        else:
            status = 422
    return render_template(
        "booking/reservations/move.html",
        booking=booking,
        occurrence=occurrence,
        form=form,
        conflicts=conflicts,
        suggestions=suggestions,
    ), status
