"""The cemetery pages of a municipality: the public list and detail page,
and for clerks the register — cemetery settings, sections, plots (single and
a row), a plot's page with its rights and burials and their actions, grave
types (admins), and the rights that have expired (plots to clear)."""

from __future__ import annotations

from typing import Any

from babel.dates import get_day_names
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from booking.accounts.access import current_actor, requires
from booking.core import Conflict, NotFound, ValidationFailed
from booking.extensions import db
from booking.forms import flash_error, show_errors
from booking.tenants.service import get_scoped, in_tenant, is_key
from cemetery import register, rights
from cemetery.access import can_administer_cemetery, can_manage_cemetery
from cemetery.forms import (
    AcquireRightForm,
    BlockForm,
    CemeteryForm,
    ContactFields,
    EndRightForm,
    ExtendRightForm,
    GraveTypeForm,
    PlotEditForm,
    PlotForm,
    PlotRowForm,
    SectionForm,
    TransferRightForm,
    succession_choices,
)
from cemetery.models import DEFAULT_BURIAL_HOURS, Cemetery, GraveRight, GraveType, Plot, Section

bp = Blueprint("cemetery", __name__, url_prefix="/<tenant>/cemeteries")

# A plot's status in words (never by colour alone).
STATUS_LABELS = {
    "free": _l("frei"),
    "reserved": _l("vergeben, noch keine Bestattung"),
    "occupied": _l("belegt (Ruhezeit läuft)"),
    "rest_ended": _l("Ruhezeit abgelaufen, Nutzungsrecht läuft"),
    "expired": _l("Nutzungsrecht abgelaufen (abzuräumen)"),
    "blocked": _l("gesperrt"),
}
RIGHT_STATUS_LABELS = {
    "active": _l("laufend"),
    "surrendered": _l("Verzicht"),
    "closed": _l("beendet (abgeräumt)"),
}
EVENT_LABELS = {
    "acquired": _l("Erworben"),
    "extended": _l("Verlängert"),
    "transferred": _l("Umgeschrieben"),
    "surrendered": _l("Verzicht"),
    "closed": _l("Beendet (abgeräumt)"),
    "imported": _l("Aus dem alten Register übernommen"),
}
BURIAL_STATUS_LABELS = {
    "requested": _l("angefragt"),
    "confirmed": _l("bestätigt"),
    "done": _l("erfolgt"),
    "cancelled": _l("abgesagt"),
}
KIND_LABELS = {"coffin": _l("Sarg"), "urn": _l("Urne")}


MAP_PAGE = "cemetery_map.section_map"


def _map_link(cemetery_id: int, section_id: int | None, plot_id: int | None = None) -> str | None:
    """The section map (when the plot has a section)."""
    if section_id is None:
        return None
    return url_for(MAP_PAGE, cemetery_id=cemetery_id, section_id=section_id, plot=plot_id)


def _manager() -> bool:
    return can_manage_cemetery(current_actor(), g.tenant)


def _shown_again(page: str, **context: Any):
    """A form shown again with its errors: 422 after a POST."""
    return render_template(page, **context), 422 if request.method == "POST" else 200


def _grave_type_choices(form: Any) -> None:
    form.grave_type.choices = [(t.key, t.name) for t in register.grave_types(g.tenant)]


# --- public list and detail -----------------------------------------------------------


@bp.get("/")
def index():
    cemeteries = register.list_cemeteries(g.tenant)
    manager = _manager()
    return render_template(
        "cemetery/index.html",
        cemeteries=cemeteries,
        manager=manager,
        can_administer=can_administer_cemetery(current_actor(), g.tenant),
        counts=_plot_totals(cemeteries) if manager else {},
    )


def _plot_totals(cemeteries: list[Cemetery]) -> dict[int, int]:
    rows = db.session.execute(
        select(Plot.cemetery_id, func.count())
        .where(in_tenant(Plot, g.tenant))
        .group_by(Plot.cemetery_id)
    )
    return {cemetery_id: count for cemetery_id, count in rows}


@bp.get("/<int:cemetery_id>")
def detail(cemetery_id: int):
    cemetery = get_scoped(Cemetery, g.tenant, cemetery_id)
    manager = _manager()
    context: dict[str, Any] = {}
    if manager:
        context = {
            "sections": register.sections(g.tenant, cemetery),
            "counts": register.plot_counts(g.tenant, cemetery),
            "section_form": SectionForm(formdata=None),
            "weekdays": _weekday_names(),
            "map_link": _map_link,
        }
    return render_template(
        "cemetery/detail.html",
        cemetery=cemetery,
        manager=manager,
        search_url=url_for("grave_search.index"),
        **context,
    )


def _weekday_names() -> dict[int, str]:
    return dict(get_day_names("wide", locale=get_locale()))


# --- cemetery settings ----------------------------------------------------------------


def _settings_page(form: CemeteryForm, cemetery: Cemetery | None):
    return _shown_again(
        "cemetery/register_cemetery_form.html",
        form=form,
        cemetery=cemetery,
        weekdays=_weekday_names(),
    )


@bp.route("/new", methods=["GET", "POST"])
@requires(can_manage_cemetery)
def create():
    form = CemeteryForm()
    if form.validate_on_submit():
        hours = form.burial_hours()
        if hours is not None:
            try:
                cemetery = register.create_cemetery(
                    g.tenant, current_actor(), burial_hours=hours, **form.settings()
                )
            except ValidationFailed as error:
                show_errors(form, error)
            else:
                flash(_("Der Friedhof ist angelegt."), "success")
                return redirect(url_for(".detail", cemetery_id=cemetery.id))
    elif request.method == "GET":
        form.fill_hours(DEFAULT_BURIAL_HOURS)
    return _settings_page(form, None)


@bp.route("/<int:cemetery_id>/edit", methods=["GET", "POST"])
@requires(can_manage_cemetery)
def edit(cemetery_id: int):
    cemetery = get_scoped(Cemetery, g.tenant, cemetery_id)
    form = CemeteryForm(obj=cemetery)
    if form.validate_on_submit():
        hours = form.burial_hours()
        if hours is not None:
            try:
                register.update_cemetery(
                    g.tenant, current_actor(), cemetery, burial_hours=hours, **form.settings()
                )
            except ValidationFailed as error:
                show_errors(form, error)
            else:
                flash(_("Die Einstellungen sind gespeichert."), "success")
                return redirect(url_for(".detail", cemetery_id=cemetery.id))
    elif request.method == "GET":
        form.fill_hours(cemetery.burial_hours or {})
    return _settings_page(form, cemetery)


@bp.post("/<int:cemetery_id>/sections")
@requires(can_manage_cemetery)
def create_section(cemetery_id: int):
    cemetery = get_scoped(Cemetery, g.tenant, cemetery_id)
    form = SectionForm()
    if form.validate_on_submit():
        try:
            register.create_section(
                g.tenant,
                current_actor(),
                cemetery,
                name=form.name.data,
                description=form.description.data,
            )
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            flash(_("Das Feld ist angelegt."), "success")
            return redirect(url_for(".detail", cemetery_id=cemetery.id))
    return _shown_again(
        "cemetery/detail.html",
        cemetery=cemetery,
        manager=True,
        search_url=url_for("grave_search.index"),
        sections=register.sections(g.tenant, cemetery),
        counts=register.plot_counts(g.tenant, cemetery),
        section_form=form,
        weekdays=_weekday_names(),
        map_link=_map_link,
    )


# --- plots ----------------------------------------------------------------------------


@bp.get("/<int:cemetery_id>/plots")
@requires(can_manage_cemetery)
def plots(cemetery_id: int):
    cemetery = get_scoped(Cemetery, g.tenant, cemetery_id)
    status = request.args.get("status") or None
    if status not in (None, *STATUS_LABELS):
        status = None
    grave_type = request.args.get("grave_type") or None
    known = {t.key: t for t in register.grave_types(g.tenant, active_only=False)}
    if grave_type not in known:
        grave_type = None
    section_id = request.args.get("section_id", type=int)
    section = None
    if is_key(section_id):
        section = db.session.get(Section, section_id)
        if section is None or section.cemetery_id != cemetery.id:
            section = None
    pairs = register.list_plots(
        g.tenant,
        cemetery,
        status=status,
        grave_type=known.get(grave_type) if grave_type else None,
        section_id=section.id if section else None,
    )
    return render_template(
        "cemetery/register_plots.html",
        cemetery=cemetery,
        pairs=pairs,
        status=status,
        grave_type=grave_type,
        section=section,
        sections=register.sections(g.tenant, cemetery),
        grave_types=list(known.values()),
        status_labels=STATUS_LABELS,
        map_url=_map_link(cemetery.id, section.id) if section else None,
    )


@bp.route("/<int:cemetery_id>/plots/new", methods=["GET", "POST"])
@requires(can_manage_cemetery)
def create_plot(cemetery_id: int):
    cemetery = get_scoped(Cemetery, g.tenant, cemetery_id)
    form = PlotForm()
    _grave_type_choices(form)
    if request.method == "GET" and request.args.get("section"):
        form.section.data = request.args["section"][:40]
    if form.validate_on_submit():
        try:
            plot = register.create_plot(
                g.tenant,
                current_actor(),
                cemetery,
                code=form.code.data,
                grave_type=form.grave_type.data,
                section=form.section.data or None,
                row=form.row.data or None,
                number=form.number.data or None,
                x=form.x.data,
                y=form.y.data,
                width=form.width.data,
                height=form.height.data,
                notes=form.notes.data,
            )
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            flash(_("Die Grabstätte %(code)s ist angelegt.", code=plot.code), "success")
            return redirect(url_for(".plot", plot_id=plot.id))
    return _shown_again("cemetery/register_plot_form.html", form=form, cemetery=cemetery)


@bp.route("/<int:cemetery_id>/plots/row", methods=["GET", "POST"])
@requires(can_manage_cemetery)
def create_plot_row(cemetery_id: int):
    cemetery = get_scoped(Cemetery, g.tenant, cemetery_id)
    form = PlotRowForm()
    _grave_type_choices(form)
    if form.validate_on_submit():
        try:
            created = register.create_plot_row(
                g.tenant,
                current_actor(),
                cemetery,
                section=form.section.data,
                row=form.row.data or None,
                first=form.first.data,
                count=form.count.data,
                grave_type=form.grave_type.data,
                x=form.x.data,
                y=form.y.data,
                step=form.step.data,
            )
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            flash(
                _(
                    "%(count)d Grabstätten angelegt: %(first)s bis %(last)s.",
                    count=len(created),
                    first=created[0].code,
                    last=created[-1].code,
                ),
                "success",
            )
            section_id = created[0].section_id
            return redirect(url_for(".plots", cemetery_id=cemetery.id, section_id=section_id))
    return _shown_again("cemetery/register_plot_row.html", form=form, cemetery=cemetery)


def _scoped_plot(plot_id: int) -> Plot:
    return get_scoped(Plot, g.tenant, plot_id)


def _plot_page(plot: Plot, **forms: Any):
    right = rights.active_right(plot)
    transfer = forms.get("transfer_form") or TransferRightForm(formdata=None)
    transfer.relation.choices = succession_choices()
    context = {
        "plot": plot,
        "cemetery": plot.cemetery,
        "status": register.status_of(g.tenant, plot),
        "status_labels": STATUS_LABELS,
        "right": right,
        "history": rights.rights_of(plot),
        "burials": rights.burials_of(plot),
        "right_status_labels": RIGHT_STATUS_LABELS,
        "event_labels": EVENT_LABELS,
        "burial_status_labels": BURIAL_STATUS_LABELS,
        "kind_labels": KIND_LABELS,
        "acquire_form": forms.get("acquire_form") or AcquireRightForm(formdata=None),
        "extend_form": forms.get("extend_form") or ExtendRightForm(formdata=None),
        "transfer_form": transfer,
        "surrender_form": forms.get("surrender_form") or EndRightForm(formdata=None),
        "block_form": forms.get("block_form") or BlockForm(formdata=None),
        "invoice_url": lambda invoice_id: url_for(
            "reservations.case_invoice_page", invoice_id=invoice_id
        ),
        "today": register.local_today(g.tenant),
        "map_url": _map_link(plot.cemetery_id, plot.section_id, plot.id),
    }
    return _shown_again("cemetery/register_plot.html", **context)


@bp.get("/plots/<int:plot_id>")
@requires(can_manage_cemetery)
def plot(plot_id: int):
    return _plot_page(_scoped_plot(plot_id))


def _done(plot: Plot, message: str):
    flash(message, "success")
    return redirect(url_for(".plot", plot_id=plot.id))


@bp.route("/plots/<int:plot_id>/edit", methods=["GET", "POST"])
@requires(can_manage_cemetery)
def edit_plot(plot_id: int):
    plot = _scoped_plot(plot_id)
    form = PlotEditForm(obj=plot)
    _grave_type_choices(form)
    if request.method == "GET":
        form.grave_type.data = plot.grave_type.key
    if form.validate_on_submit():
        try:
            register.update_plot(
                g.tenant,
                current_actor(),
                plot,
                grave_type=form.grave_type.data,
                notes=form.notes.data,
                x=form.x.data,
                y=form.y.data,
            )
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            return _done(plot, _("Die Grabstätte ist gespeichert."))
    return _shown_again("cemetery/register_plot_edit.html", form=form, plot=plot)


@bp.post("/plots/<int:plot_id>/block")
@requires(can_manage_cemetery)
def block(plot_id: int):
    plot = _scoped_plot(plot_id)
    if request.form.get("unblock"):
        register.block_plot(g.tenant, current_actor(), plot, blocked=False)
        return _done(plot, _("Die Sperre ist aufgehoben."))
    form = BlockForm()
    if form.validate_on_submit():
        try:
            register.block_plot(
                g.tenant, current_actor(), plot, blocked=True, reason=form.reason.data
            )
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            return _done(plot, _("Die Grabstätte ist gesperrt."))
    return _plot_page(plot, block_form=form)


@bp.post("/plots/<int:plot_id>/right")
@requires(can_manage_cemetery)
def acquire(plot_id: int):
    plot = _scoped_plot(plot_id)
    form = AcquireRightForm()
    if form.validate_on_submit():
        try:
            holder = rights.find_or_create_contact(g.tenant, **ContactFields.contact(form))
            successor = None
            if form.successor_name.data:
                successor = rights.find_or_create_contact(
                    g.tenant,
                    name=form.successor_name.data,
                    street=form.successor_street.data or None,
                    postcode=form.successor_postcode.data or None,
                    city=form.successor_city.data or None,
                )
            rights.acquire_right(
                g.tenant,
                current_actor(),
                plot,
                holder,
                start=form.start.data,
                years=form.years.data,
                certificate_number=form.certificate_number.data or None,
                successor=successor,
            )
        except ValidationFailed as error:
            show_errors(form, error, rename=lambda name: {"years": "years"}.get(name, name))
        except Conflict as error:
            flash_error(error)
            return redirect(url_for(".plot", plot_id=plot.id))
        else:
            return _done(plot, _("Das Nutzungsrecht ist eingetragen."))
    return _plot_page(plot, acquire_form=form)


def _right_of(plot: Plot, right_id: int) -> GraveRight:
    right = get_scoped(GraveRight, g.tenant, right_id)
    if right.plot_id != plot.id:
        raise NotFound(_("Nicht gefunden."))
    return right


@bp.post("/plots/<int:plot_id>/rights/<int:right_id>/extend")
@requires(can_manage_cemetery)
def extend(plot_id: int, right_id: int):
    plot = _scoped_plot(plot_id)
    right = _right_of(plot, right_id)
    form = ExtendRightForm()
    if form.validate_on_submit():
        try:
            if form.years.data is None and form.until.data is None:
                raise ValidationFailed(
                    _("Bitte prüfen Sie die Angaben."),
                    {"years": [_("Bitte Jahre oder ein Datum angeben.")]},
                )
            years = form.years.data or rights.years_until(right, form.until.data)
            right, invoice = rights.extend_right(
                g.tenant, current_actor(), right, years, reason=form.reason.data or None
            )
        except ValidationFailed as error:
            show_errors(form, error)
        except Conflict as error:
            flash_error(error)
            return redirect(url_for(".plot", plot_id=plot.id))
        else:
            message = _(
                "Das Nutzungsrecht ist um %(years)d Jahr(e) verlängert, bis %(day)s.",
                years=years,
                day=right.end_date.strftime("%d.%m.%Y"),
            )
            if invoice is not None:
                message += " " + _("Rechnung %(number)s ist erstellt.", number=invoice.number)
            return _done(plot, message)
    return _plot_page(plot, extend_form=form)


@bp.post("/plots/<int:plot_id>/rights/<int:right_id>/transfer")
@requires(can_manage_cemetery)
def transfer(plot_id: int, right_id: int):
    plot = _scoped_plot(plot_id)
    right = _right_of(plot, right_id)
    form = TransferRightForm()
    form.relation.choices = succession_choices()
    if form.validate_on_submit():
        try:
            holder = rights.find_or_create_contact(g.tenant, **ContactFields.contact(form))
            relation = (
                dict(form.relation.choices).get(form.relation.data) if form.relation.data else None
            )
            rights.transfer_right(
                g.tenant,
                current_actor(),
                right,
                holder,
                on=form.on.data,
                relation=str(relation) if relation else None,
            )
        except ValidationFailed as error:
            show_errors(form, error, rename=lambda name: "name" if name == "holder" else name)
        except Conflict as error:
            flash_error(error)
            return redirect(url_for(".plot", plot_id=plot.id))
        else:
            return _done(plot, _("Das Nutzungsrecht ist umgeschrieben."))
    return _plot_page(plot, transfer_form=form)


@bp.post("/plots/<int:plot_id>/rights/<int:right_id>/surrender")
@requires(can_manage_cemetery)
def surrender(plot_id: int, right_id: int):
    plot = _scoped_plot(plot_id)
    right = _right_of(plot, right_id)
    form = EndRightForm()
    if form.validate_on_submit():
        try:
            if request.form.get("close"):
                rights.close_right(
                    g.tenant, current_actor(), right, on=form.on.data, reason=form.reason.data
                )
                message = _("Das Nutzungsrecht ist beendet, die Grabstätte frei.")
            else:
                rights.surrender_right(
                    g.tenant, current_actor(), right, on=form.on.data, reason=form.reason.data
                )
                message = _("Der Verzicht ist eingetragen.")
        except ValidationFailed as error:
            show_errors(form, error)
        except Conflict as error:
            flash_error(error)
            return redirect(url_for(".plot", plot_id=plot.id))
        else:
            return _done(plot, message)
    return _plot_page(plot, surrender_form=form)


# --- expired rights -------------------------------------------------------------------


@bp.get("/expired")
@requires(can_manage_cemetery)
def expired():
    today = register.local_today(g.tenant)
    return render_template(
        "cemetery/expired.html", rights=rights.expired_rights(g.tenant, today), today=today
    )


# --- grave types ----------------------------------------------------------------------


@bp.get("/grave-types")
@requires(can_administer_cemetery)
def grave_types():
    return render_template(
        "cemetery/grave_types.html", grave_types=register.grave_types(g.tenant, active_only=False)
    )


@bp.route("/grave-types/new", methods=["GET", "POST"])
@requires(can_administer_cemetery)
def create_grave_type():
    form = GraveTypeForm()
    if form.validate_on_submit():
        try:
            register.create_grave_type(g.tenant, current_actor(), form.values())
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            flash(_("Die Grabart ist angelegt."), "success")
            return redirect(url_for(".grave_types"))
    return _shown_again("cemetery/grave_types_form.html", form=form, grave_type=None)


@bp.route("/grave-types/<int:grave_type_id>/edit", methods=["GET", "POST"])
@requires(can_administer_cemetery)
def edit_grave_type(grave_type_id: int):
    grave_type = get_scoped(GraveType, g.tenant, grave_type_id)
    form = GraveTypeForm(obj=grave_type)
    if form.validate_on_submit():
        try:
            register.update_grave_type(g.tenant, current_actor(), grave_type, form.values())
        except ValidationFailed as error:
            show_errors(form, error)
        else:
            flash(_("Die Grabart ist gespeichert."), "success")
            return redirect(url_for(".grave_types"))
    return _shown_again("cemetery/grave_types_form.html", form=form, grave_type=grave_type)
