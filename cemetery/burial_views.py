"""Burial appointments: the funeral homes' portal (request with the free-slot
picker, own requests, accept a proposal, cancel), the clerks' queue
(confirm, propose another time, cancel with a reason), a burial's page and
the day sheet (Tageszettel) per cemetery and day, printable, for staff and
the caretakers assigned to the cemetery's chapel or crew.

Thin: parse, check access, call ``cemetery.burials``, commit once (the
request boundary), render or redirect. Works without JavaScript: the
request form's first button ("Freie Zeiten anzeigen") submits by GET and
shows the free starts as radio buttons, the second books them by POST."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from sqlalchemy import select
from wtforms import SelectChoice

from booking import transaction
from booking.accounts.access import current_actor, has_role, requires
from booking.core import (
    MAX_YEAR,
    MIN_YEAR,
    Conflict,
    DomainError,
    NotFound,
    ValidationFailed,
    utcnow,
)
from booking.extensions import db
from booking.forms import show_errors
from booking.reservations.errors import BookingConflict
from booking.resources.models import ResourceCaretaker
from booking.tenants import localtime
from booking.tenants.service import get_scoped, is_key, scoped
from cemetery import burials, register, slots
from cemetery.access import (
    can_cancel_burial,
    can_manage_cemetery,
    can_request_burial,
    can_view_burial,
)
from cemetery.burial_forms import (
    ActionForm,
    BurialRequestForm,
    CancelBurialForm,
    ProposeForm,
    parse_start,
)
from cemetery.models import Burial, Cemetery, Plot

bp = Blueprint("burials", __name__, url_prefix="/<tenant>/burials")

STATUS_LABELS = {
    "requested": _l("angefragt"),
    "confirmed": _l("bestätigt"),
    "done": _l("erfolgt"),
    "cancelled": _l("abgesagt"),
}
KIND_LABELS = {"coffin": _l("Sarg"), "urn": _l("Urne")}
SLOT_DAYS = 14
PLOT_CHOICES_MAX = 300
# Service field names → form fields.
FIELD_MAP = {
    "deceased.name": "deceased_name",
    "deceased.born": "born",
    "deceased.died": "died",
    "plot_id": "plot",
    "grave_type": "grave_type",
    "holder": "holder_name",
    "holder.name": "holder_name",
    "holder.street": "holder_street",
    "holder.postcode": "holder_postcode",
    "holder.city": "holder_city",
    "holder.email": "holder_email",
    "start": "start",
    "kind": "kind",
    "ceremony_minutes": "ceremony_minutes",
    "public_listing": "public_listing",
    "note": "note",
}


@bp.app_template_global("burial_status")
def burial_status(burial: Burial) -> str:
    """The burial's status in words (``done`` derived from the day)."""
    today = localtime.local_today(g.tenant, utcnow())
    return str(STATUS_LABELS[burials.status_of(burial, today)])


def _context() -> dict[str, Any]:
    return {"kind_labels": KIND_LABELS, "status_labels": STATUS_LABELS}


def _visible(burial_id: int) -> Burial:
    """The burial if the signed-in user may see it; 404 otherwise (also for
    one of another tenant), never revealing that it exists."""
    burial = get_scoped(Burial, g.tenant, burial_id)
    if not can_view_burial(current_actor(), burial):
        raise NotFound(_("Nicht gefunden."))
    return burial


def _cemeteries() -> list[Cemetery]:
    return list(db.session.scalars(scoped(Cemetery, g.tenant).order_by(Cemetery.name)))


def _times(burial: Burial) -> dict[str, Any]:
    chapel, crew = (None, None)
    if burial.start_at is not None:
        chapel, crew = burials.periods_of(burial.cemetery, burial.start_at, burial.ceremony_minutes)
    return {"chapel": chapel, "crew": crew}


# --- the funeral home's requests ------------------------------------------------------------


@bp.get("/")
@requires(can_request_burial)
def index():
    """The signed-in account's own requests, with their status in words."""
    items = burials.burials_of_user(g.tenant, current_actor())
    return render_template(
        "cemetery/burials.html",
        burials=items,
        staff=can_manage_cemetery(current_actor(), g.tenant),
        **_context(),
    )


def _fill_choices(form: BurialRequestForm, cemetery: Cemetery | None) -> None:
    cemeteries = _cemeteries()
    form.cemetery.choices = [SelectChoice(c.id, c.name) for c in cemeteries]
    types = register.grave_types(g.tenant)
    form.grave_type.choices = [SelectChoice("", _("– keine –"))] + [
        SelectChoice(t.key, t.name) for t in types if t.allocated_in_order
    ]
    plot_choices = [SelectChoice("", _("– keine –"))]
    if cemetery is not None:
        today = localtime.local_today(g.tenant, utcnow())
        free = register.list_plots(g.tenant, cemetery, status="free", today=today)
        for plot, _status in free:
            if plot.grave_type.allocated_in_order:
                continue
            plot_choices.append(SelectChoice(str(plot.id), f"{plot.code} ({plot.grave_type.name})"))
            if len(plot_choices) > PLOT_CHOICES_MAX:
                break
    form.plot.choices = plot_choices


def _chosen_cemetery(raw: Any) -> Cemetery | None:
    try:
        cemetery_id = int(raw)
    except (TypeError, ValueError):
        return None
    if not is_key(cemetery_id):
        return None
    cemetery = db.session.get(Cemetery, cemetery_id)
    if cemetery is None or cemetery.tenant_id != g.tenant.id:
        return None
    return cemetery


def _slot_choices(
    form: BurialRequestForm, cemetery: Cemetery | None
) -> list[tuple[str, str]] | None:
    """The free starts for the form's cemetery, kind and ceremony (None
    when those are not given yet)."""
    kind = form.kind.data if form.kind.data in ("coffin", "urn") else None
    if cemetery is None or kind is None:
        return None
    minutes = form.minutes() if isinstance(form.ceremony_minutes.data, int | type(None)) else 0
    first = form.from_day.data if isinstance(form.from_day.data, date) else None
    found = slots.free_slots(
        g.tenant,
        cemetery,
        kind=kind,
        ceremony_minutes=minutes,
        first_day=first,
        days=SLOT_DAYS,
        now=utcnow(),
    )
    return [SelectChoice(s.isoformat(), localtime.format_local(g.tenant, s)) for s in found]


def _by_day(choices: list | None) -> list[tuple[date, list[tuple[str, str]]]]:
    """The free starts grouped by local day, each as (value, "09:30"): the
    picker shows a day's times side by side instead of one long column."""
    zone = localtime.tenant_zone(g.tenant)
    days: dict[date, list[tuple[str, str]]] = {}
    for choice in choices or []:
        local = datetime.fromisoformat(choice.value).astimezone(zone)
        days.setdefault(local.date(), []).append((choice.value, local.strftime("%H:%M")))
    return list(days.items())


@bp.route("/new", methods=["GET", "POST"])
@requires(can_request_burial)
def new():
    """The request form: GET shows it (with ``action=slots`` the free times
    for what was entered), POST books the chosen start."""
    me = current_actor()
    source = request.form if request.method == "POST" else request.args
    raw_cemetery = source.get("cemetery")
    if raw_cemetery and not raw_cemetery.strip().isdigit():
        abort(400, description="invalid cemetery")
    cemetery = _chosen_cemetery(raw_cemetery)
    if raw_cemetery and cemetery is None:
        raise NotFound(_("Nicht gefunden."))
    if request.method == "GET":
        # The free times come by GET, the booking by POST: the form rendered
        # here carries the CSRF token the POST needs (nothing is validated now).
        form = BurialRequestForm(formdata=request.args if request.args else None)
        _fill_choices(form, cemetery)
        if cemetery is None and form.cemetery.choices and not request.args:
            cemetery = _chosen_cemetery(form.cemetery.choices[0].value)
            _fill_choices(form, cemetery)
        choices = None
        status = 200
        if request.args.get("action") == "slots":
            # An empty optional field (a browser sends from_day= when none is
            # chosen) is no error; a value that does not parse is.
            bad = [
                f
                for f in (form.from_day, form.ceremony_minutes)
                if f.process_errors and f.raw_data and f.raw_data[0].strip()
            ]
            first = form.from_day.data
            if isinstance(first, date) and not MIN_YEAR <= first.year <= MAX_YEAR:
                form.from_day.errors = [
                    _("Bitte ein Datum zwischen %(a)d und %(b)d.", a=MIN_YEAR, b=MAX_YEAR)
                ]
                bad.append(form.from_day)
            for f in bad:
                f.errors = list(f.process_errors)
            if form.ceremony.data and not bad and not form.ceremony_minutes.validate(form):
                bad.append(form.ceremony_minutes)
            if bad:
                status = 422
            else:
                choices = _slot_choices(form, cemetery)
        form.start.choices = choices or []
        return render_template(
            "cemetery/burial_form.html",
            form=form,
            slots=choices,
            slot_days=_by_day(choices),
            cemetery=cemetery,
            **_context(),
        ), status

    form = BurialRequestForm()
    _fill_choices(form, cemetery)
    form.start.choices = []
    if not form.validate():
        _keep_slot(form)
        return _form_again(form, cemetery, 422)
    start = parse_start(form.start.data)
    if start is None:
        form.start.errors = [_("Bitte einen freien Termin wählen.")]
        return _form_again(form, cemetery, 422)
    plot = None
    if form.plot.data:
        plot = _plot_or_none(cemetery, form.plot.data)
        if plot is None:
            form.plot.errors = [_("Diese Grabstätte gibt es nicht.")]
            return _form_again(form, cemetery, 422)
    elif form.plot_code.data:
        plot = db.session.scalar(
            scoped(Plot, g.tenant).where(
                Plot.cemetery_id == cemetery.id, Plot.code == form.plot_code.data.strip()
            )
        )
        if plot is None:
            form.plot_code.errors = [
                _("Auf diesem Friedhof gibt es keine Grabstätte mit dieser Nummer.")
            ]
            return _form_again(form, cemetery, 422)
    try:
        burial = burials.create_burial(
            g.tenant,
            me,
            cemetery,
            kind=form.kind.data,
            deceased={
                "name": form.deceased_name.data,
                "born": form.born.data,
                "died": form.died.data,
            },
            plot=plot,
            grave_type=(form.grave_type.data or None) if plot is None else None,
            start=start,
            ceremony_minutes=form.minutes(),
            public_listing=bool(form.public_listing.data),
            holder=form.holder(),
            note=form.note.data,
            now=utcnow(),
        )
    except BookingConflict:
        transaction.fail()
        form.start.errors = [
            _("Dieser Termin ist inzwischen vergeben. Bitte wählen Sie einen anderen.")
        ]
        return _form_again(form, cemetery, 409, refresh=True)
    except Conflict as error:
        transaction.fail()
        form.plot.errors = [str(error.message)]
        return _form_again(form, cemetery, 409)
    except ValidationFailed as error:
        transaction.fail()
        show_errors(form, error, lambda name: FIELD_MAP.get(name))
        _keep_slot(form)
        return _form_again(form, cemetery, 422)
    if burial.status == "requested":
        flash(
            _("Ihre Anfrage ist eingegangen. Die Friedhofsverwaltung bestätigt den Termin."),
            "success",
        )
    else:
        flash(_("Die Bestattung ist eingetragen und bestätigt."), "success")
    return redirect(url_for("burials.detail", burial_id=burial.id))


def _plot_or_none(cemetery: Cemetery, raw: str) -> Plot | None:
    try:
        plot_id = int(raw)
    except ValueError:
        return None
    plot = db.session.get(Plot, plot_id)
    if plot is None or plot.tenant_id != g.tenant.id or plot.cemetery_id != cemetery.id:
        return None
    return plot


def _keep_slot(form: BurialRequestForm) -> None:
    """Show the chosen start again (so the form can be sent once more)."""
    start = parse_start(form.start.data)
    if start is not None:
        form.start.choices = [
            SelectChoice(form.start.data, localtime.format_local(g.tenant, start))
        ]


def _form_again(form: BurialRequestForm, cemetery: Cemetery | None, status: int, refresh=False):
    choices = form.start.choices or None
    if refresh:
        choices = _slot_choices(form, cemetery)
        form.start.choices = choices or []
    return render_template(
        "cemetery/burial_form.html",
        form=form,
        slots=choices,
        slot_days=_by_day(choices),
        cemetery=cemetery,
        **_context(),
    ), status


# --- one burial -------------------------------------------------------------------------


@bp.get("/<int:burial_id>")
@login_required
def detail(burial_id: int):
    burial = _visible(burial_id)
    me = current_actor()
    return render_template(
        "cemetery/burial_detail.html",
        burial=burial,
        staff=can_manage_cemetery(me, g.tenant),
        may_cancel=can_cancel_burial(me, burial),
        may_accept=burial.status == "requested"
        and burial.proposed_start_at is not None
        and (burial.requested_by_id == me.id or can_manage_cemetery(me, g.tenant)),
        end=burials.appointment_end(burial),
        action_form=ActionForm(),
        **_times(burial),
        **_context(),
    )


def _staff_only() -> None:
    if not can_manage_cemetery(current_actor(), g.tenant):
        abort(403)


def _done(message: str, burial: Burial):
    flash(message, "success")
    return redirect(url_for("burials.detail", burial_id=burial.id))


def _refused(error: DomainError, burial: Burial):
    transaction.fail()
    flash(str(error.message), "error")
    return redirect(url_for("burials.detail", burial_id=burial.id)), 303


@bp.post("/<int:burial_id>/confirm")
@login_required
def confirm(burial_id: int):
    burial = _visible(burial_id)
    _staff_only()
    if not ActionForm().validate():
        abort(400)
    try:
        burials.confirm_burial(g.tenant, current_actor(), burial, now=utcnow())
    except ValidationFailed as error:
        transaction.fail()
        flash(str(error.message), "error")
        return render_template("cemetery/burial_refused.html", burial=burial, error=error), 422
    return _done(
        _("Die Bestattung ist bestätigt. Das Bestattungsunternehmen wird benachrichtigt."), burial
    )


@bp.post("/<int:burial_id>/accept")
@login_required
def accept(burial_id: int):
    burial = _visible(burial_id)
    me = current_actor()
    if not (burial.requested_by_id == me.id or can_manage_cemetery(me, g.tenant)):
        abort(403)
    if not ActionForm().validate():
        abort(400)
    try:
        burials.accept_proposal(g.tenant, me, burial, now=utcnow())
    except (ValidationFailed, Conflict) as error:
        transaction.fail()
        return render_template(
            "cemetery/burial_refused.html", burial=burial, error=error
        ), error.status
    return _done(_("Der vorgeschlagene Termin ist angenommen und bestätigt."), burial)


@bp.route("/<int:burial_id>/propose", methods=["GET", "POST"])
@login_required
def propose(burial_id: int):
    burial = _visible(burial_id)
    _staff_only()
    form = ProposeForm()
    found = slots.free_slots(
        g.tenant,
        burial.cemetery,
        kind=burial.kind,
        ceremony_minutes=burial.ceremony_minutes,
        days=SLOT_DAYS,
        now=utcnow(),
    )
    form.start.choices = [
        SelectChoice(s.isoformat(), localtime.format_local(g.tenant, s)) for s in found
    ]
    if request.method == "GET":
        return render_template("cemetery/burial_propose.html", burial=burial, form=form)
    if not form.validate():
        return render_template("cemetery/burial_propose.html", burial=burial, form=form), 422
    start = parse_start(form.start.data)
    if start is None and form.day.data is not None:
        try:
            clock = time.fromisoformat((form.time.data or "").strip())
        except ValueError:
            form.time.errors = [_("Bitte eine Uhrzeit angeben, z. B. 10:30.")]
            return render_template("cemetery/burial_propose.html", burial=burial, form=form), 422
        start = localtime.local_instant(g.tenant, form.day.data, clock)
    if start is None:
        form.start.errors = [_("Bitte einen Termin wählen oder Tag und Uhrzeit angeben.")]
        return render_template("cemetery/burial_propose.html", burial=burial, form=form), 422
    try:
        burials.propose_time(
            g.tenant, current_actor(), burial, start, reason=form.reason.data, now=utcnow()
        )
    except (ValidationFailed, Conflict) as error:
        transaction.fail()
        form.start.errors = [str(error.message)]
        return render_template(
            "cemetery/burial_propose.html", burial=burial, form=form
        ), error.status
    return _done(_("Der Terminvorschlag ist an das Bestattungsunternehmen geschickt."), burial)


@bp.route("/<int:burial_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(burial_id: int):
    burial = _visible(burial_id)
    if not can_cancel_burial(current_actor(), burial):
        abort(403)
    form = CancelBurialForm()
    if request.method == "POST":
        if not form.validate():
            return render_template("cemetery/burial_cancel.html", burial=burial, form=form), 422
        burials.cancel_burial(
            g.tenant, current_actor(), burial, reason=form.reason.data, now=utcnow()
        )
        return _done(
            _("Die Bestattung ist abgesagt. Trauerhalle und Friedhofsteam sind wieder frei."),
            burial,
        )
    return render_template("cemetery/burial_cancel.html", burial=burial, form=form)


# --- the clerks' queue ------------------------------------------------------------------


@bp.get("/queue")
@requires(can_manage_cemetery)
def queue():
    return render_template(
        "cemetery/burial_queue.html",
        burials=burials.requests_queue(g.tenant),
        action_form=ActionForm(),
        **_context(),
    )


# --- the day sheet --------------------------------------------------------------------


def _caretaker_of(cemetery: Cemetery) -> bool:
    me = current_actor()
    ids = [i for i in (cemetery.chapel_resource_id, cemetery.crew_resource_id) if i is not None]
    if not ids or not has_role(me, g.tenant, "caretaker"):
        return False
    found = db.session.scalar(
        select(ResourceCaretaker.id)
        .where(ResourceCaretaker.user_id == me.id, ResourceCaretaker.resource_id.in_(ids))
        .limit(1)
    )
    return found is not None


def _may_see_day_sheet(cemetery: Cemetery) -> bool:
    return can_manage_cemetery(current_actor(), g.tenant) or _caretaker_of(cemetery)


@bp.get("/day-sheet")
@login_required
def day_sheets():
    """The cemeteries whose day sheet the user may see."""
    allowed = [c for c in _cemeteries() if _may_see_day_sheet(c)]
    if not allowed:
        abort(403)
    return render_template("cemetery/daysheet_index.html", cemeteries=allowed)


@bp.get("/day-sheet/<int:cemetery_id>")
@login_required
def day_sheet(cemetery_id: int):
    cemetery = get_scoped(Cemetery, g.tenant, cemetery_id)
    if not _may_see_day_sheet(cemetery):
        abort(403)
    raw = request.args.get("day", "")
    today = localtime.local_today(g.tenant, utcnow())
    if raw:
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            abort(400, description="invalid date")
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            abort(400, description="date out of range")
    else:
        day = today
    items = burials.day_sheet(g.tenant, cemetery, day)
    return render_template(
        "cemetery/daysheet.html",
        cemetery=cemetery,
        day=day,
        burials=items,
        times={b.id: _times(b) for b in items},
        previous=day - timedelta(days=1),
        following=day + timedelta(days=1),
        printed=datetime.now(localtime.tenant_zone(g.tenant)),
        **_context(),
    )
