"""Halls for everyone (``resources``: the catalogue and a hall's page) and
their administration (``resources_admin``: halls, parts, opening hours,
caretakers). The closure screens under ``resources_admin``
(``/admin/resources/closures``) are ``booking.reservations.staff_views``':
they list and cancel bookings, and resources imports nothing from
reservations."""

from __future__ import annotations

from datetime import time
from typing import Any

from babel.dates import format_time, get_day_names
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from booking.accounts import service as accounts
from booking.accounts.access import current_actor, requires
from booking.core import ValidationFailed
from booking.extensions import db
from booking.forms import flash_error, show_errors
from booking.resources import closures as closure_service
from booking.resources import service, tree
from booking.resources.access import can_manage_resources, is_hidden
from booking.resources.forms import (
    KIND_LABELS,
    CaretakerForm,
    CatalogueFilterForm,
    ResourceForm,
    catalogue_kind_choices,
    opening_hours_form,
    spans_needed,
)
from booking.resources.models import Resource
from booking.resources.policy import policy_of

bp = Blueprint("resources", __name__, url_prefix="/<tenant>/halls")
admin_bp = Blueprint("resources_admin", __name__, url_prefix="/<tenant>/admin/resources")


# --- shared formatting --------------------------------------------------------------


def weekday_names() -> dict[int, str]:
    return dict(get_day_names("wide", locale=get_locale()))


def clock(minutes: int) -> str:
    if minutes >= 1440:
        return _("24:00")
    return format_time(time(minutes // 60, minutes % 60), "short", locale=get_locale())


def opening_week(resource: Resource) -> list[dict[str, Any]] | None:
    """Seven days with their formatted times, or None: open around the clock."""
    if not resource.opening_hours:
        return None
    names = weekday_names()
    week = []
    for day in range(7):
        spans = [
            f"{clock(h.opens_min)}–{clock(h.closes_min)}"
            for h in resource.opening_hours
            if h.weekday == day
        ]
        week.append({"name": names[day], "spans": spans})
    return week


@bp.app_template_global()
def resource_kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


# --- public pages ----------------------------------------------------------------------


def _parts_for(hall: Resource, people: int | None) -> list[Resource]:
    """The hall's public parts, with places for ``people`` when asked."""
    parts = service.public_parts(hall)
    if people is None:
        return parts
    return [p for p in parts if p.capacity is not None and p.capacity >= people]


@bp.get("/")
def index():
    form = CatalogueFilterForm(formdata=request.args)
    form.kind.choices = catalogue_kind_choices()
    kind = min_capacity = None
    status = 200
    if request.args:
        if form.validate():
            kind = form.kind.data or None
            min_capacity = form.min_capacity.data
            if form.wants_time:  # free at that time: the free-hall search answers
                query = {
                    "date": form.date.data.isoformat(),
                    "from": form.start_time.data.strftime("%H:%M"),
                    "to": form.end_time.data.strftime("%H:%M"),
                    "kind": kind or "",
                }
                if min_capacity is not None:
                    query["min_capacity"] = str(min_capacity)
                return redirect(url_for("reservations.free", **query))
        else:
            status = 422
    halls = service.public_resources(g.tenant, kind=kind, min_capacity=min_capacity)
    return render_template(
        "booking/resources/index.html",
        form=form,
        halls=[(hall, _parts_for(hall, min_capacity)) for hall in halls],
        filtered=bool(kind or min_capacity),
    ), status


@bp.get("/<int:resource_id>")
def detail(resource_id: int):
    resource = service.visible_resource(g.tenant, current_user, resource_id)
    hidden = is_hidden(resource)
    policy = policy_of(resource)
    return render_template(
        "booking/resources/detail.html",
        resource=resource,
        parts=service.public_parts(resource),
        # A part is bookable inside its own hours and those of its hall.
        hours=[(source, opening_week(source)) for source in policy.hours_from],
        policy=policy,
        hidden=hidden,
    )


# --- administration: halls and parts ------------------------------------------------------


def parent_choices(exclude: Resource | None = None) -> list[SelectChoice]:
    """Every resource that can be a parent: not ``exclude`` nor one of its parts."""
    banned = set()
    if exclude is not None:
        banned = {exclude.id, *(r.id for r in tree.descendants(exclude))}
    choices = [SelectChoice("", _("— keine (eigenständig) —"))]
    for r in tree.ordered(g.tenant):
        if r.id not in banned:
            choices.append(SelectChoice(str(r.id), "— " * tree.depth(r) + r.name))
    return choices


@admin_bp.get("/")
@requires(can_manage_resources)
def index_admin():
    return render_template(
        "admin/resources/index.html",
        resources=tree.ordered(g.tenant),
        depth=tree.depth,
    )


@admin_bp.route("/new", methods=["GET", "POST"])
@requires(can_manage_resources)
def create():
    form = ResourceForm()
    form.parent_id.choices = parent_choices()
    if request.method == "GET":
        parent_id = request.args.get("parent_id", "")
        if parent_id in {c.value for c in form.parent_id.choices}:
            form.parent_id.data = parent_id
            if parent_id:
                form.kind.data = "room"
    if form.validate_on_submit():
        try:
            resource = service.create_resource(g.tenant, current_actor(), form.service_data())
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            flash(_("„%(name)s“ wurde angelegt.", name=resource.name), "success")
            return redirect(url_for(".show", resource_id=resource.id))
    status = 422 if form.errors else 200
    return render_template("admin/resources/form.html", form=form, resource=None), status


@admin_bp.get("/<int:resource_id>")
@requires(can_manage_resources)
def show(resource_id: int):
    resource = service.get_resource(g.tenant, resource_id)
    assigned = service.caretakers_of(resource)
    caretaker_form = CaretakerForm()
    caretaker_form.user_id.choices = caretaker_choices(resource)
    return render_template(
        "admin/resources/show.html",
        resource=resource,
        ancestors=list(reversed(tree.ancestors(resource))),
        week=opening_week(resource),
        caretakers=assigned,
        caretaker_form=caretaker_form,
        closures=closure_service.list_closures(g.tenant, resource),
    )


@admin_bp.route("/<int:resource_id>/edit", methods=["GET", "POST"])
@requires(can_manage_resources)
def edit(resource_id: int):
    resource = service.get_resource(g.tenant, resource_id)
    form = ResourceForm(obj=resource)
    form.parent_id.choices = parent_choices(exclude=resource)
    if request.method == "GET":
        form.parent_id.data = str(resource.parent_id) if resource.parent_id else ""
    if form.validate_on_submit():
        try:
            service.update_resource(g.tenant, current_actor(), resource, form.service_data())
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            flash(
                _("Die Änderungen an „%(name)s“ sind gespeichert.", name=resource.name), "success"
            )
            return redirect(url_for(".show", resource_id=resource.id))
    status = 422 if form.errors else 200
    return render_template("admin/resources/form.html", form=form, resource=resource), status


@admin_bp.route("/<int:resource_id>/hours", methods=["GET", "POST"])
@requires(can_manage_resources)
def hours(resource_id: int):
    """Opening hours: several time windows per weekday. "Copy Monday" (a
    submit button) fills other days on the re-rendered form and saves nothing;
    times typed while "around the clock" is ticked are an error, never dropped."""
    resource = service.get_resource(g.tenant, resource_id)
    stored = [(h.weekday, h.opens_min, h.closes_min) for h in resource.opening_hours]
    form = opening_hours_form(spans_needed(stored))
    copied: list[int] = []
    if request.method == "GET":
        form.load(stored)
    elif "copy_monday" in request.form:
        copied = form.copy_monday(request.form["copy_monday"])
        if not copied:
            abort(400)
    elif form.validate_on_submit():
        try:
            service.set_opening_hours(g.tenant, current_actor(), resource, form.rows())
        except ValidationFailed as error:
            show_errors(form, error, form.field_for)
        else:
            flash(
                _("Die Öffnungszeiten von „%(name)s“ sind gespeichert.", name=resource.name),
                "success",
            )
            return redirect(url_for(".show", resource_id=resource.id))
    names = weekday_names()
    for day in range(7):
        for number, (opens, closes) in enumerate(form.windows(day), start=1):
            opens.label.text = _(
                "%(day)s, Zeitfenster %(number)d: öffnet um", day=names[day], number=number
            )
            closes.label.text = _(
                "%(day)s, Zeitfenster %(number)d: schließt um", day=names[day], number=number
            )
    status = 422 if form.errors else 200
    return render_template(
        "admin/resources/hours.html",
        form=form,
        resource=resource,
        days=[(day, names[day]) for day in range(7)],
        copied=[names[d] for d in copied],
    ), status


# --- administration: caretakers ----------------------------------------------------------


def caretaker_choices(resource: Resource) -> list[SelectChoice]:
    assigned = {c.user_id for c in resource.caretakers}
    return [
        SelectChoice(str(u.id), f"{u.display_name} ({u.email})" if u.name else u.email)
        for u in accounts.users_with_role(g.tenant, "caretaker")
        if u.id not in assigned
    ]


@admin_bp.post("/<int:resource_id>/caretakers")
@requires(can_manage_resources)
def add_caretaker(resource_id: int):
    resource = service.get_resource(g.tenant, resource_id)
    form = CaretakerForm()
    form.user_id.choices = caretaker_choices(resource)
    if not form.validate_on_submit():
        flash(_("Bitte einen Hausmeister aus der Liste wählen."), "error")
        return redirect(url_for(".show", resource_id=resource.id))
    user = db.session.get(accounts.User, int(form.user_id.data))
    try:
        service.add_caretaker(g.tenant, current_actor(), resource, user)
    except ValidationFailed as error:
        flash_error(error)
    else:
        flash(
            _("%(who)s betreut jetzt „%(name)s“.", who=user.display_name, name=resource.name),
            "success",
        )
    return redirect(url_for(".show", resource_id=resource.id))


@admin_bp.post("/<int:resource_id>/caretakers/<int:user_id>/remove")
@requires(can_manage_resources)
def remove_caretaker(resource_id: int, user_id: int):
    resource = service.get_resource(g.tenant, resource_id)
    service.remove_caretaker(g.tenant, current_actor(), resource, user_id)
    flash(_("Die Zuordnung wurde aufgehoben."), "success")
    return redirect(url_for(".show", resource_id=resource.id))
