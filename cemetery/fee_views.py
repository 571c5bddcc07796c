"""The cemetery fee schedule (Friedhofsgebühren) for admins
(``/<tenant>/admin/cemetery-fees``): one field per amount, in euros with the
German decimal comma (``booking.fees.forms.EuroField``); clerks see the
schedule, everyone else gets a 403. An empty field means the item costs
nothing. "Beispiel übernehmen" fills the form from
``config/cemetery_fees.example.json`` and saves nothing. Thin: the schedule
is validated and stored by ``cemetery.fees.set_schedule`` (audited)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField

from booking import transaction
from booking.accounts.access import current_actor, requires
from booking.core import ValidationFailed, utcnow
from booking.fees.forms import EuroField
from booking.forms import show_errors
from cemetery import fees
from cemetery.access import can_administer_cemetery, can_manage_cemetery
from cemetery.models import GraveType

bp = Blueprint("cemetery_fees", __name__, url_prefix="/<tenant>/admin/cemetery-fees")

MODES = ("", "per_year_cents", "flat_cents")
MODE_LABELS = {
    "": _l("keine Gebühr"),
    "per_year_cents": _l("je Jahr der Nutzungszeit"),
    "flat_cents": _l("pauschal"),
}
# Form field → the schedule's place for it (top level or one level down).
SINGLE_FIELDS: tuple[tuple[str, tuple[str, ...], Any], ...] = (
    ("burial_coffin", ("burial_cents", "coffin"), _l("Bestattung im Sarg")),
    ("burial_urn", ("burial_cents", "urn"), _l("Beisetzung einer Urne")),
    ("chapel", ("chapel_cents",), _l("Benutzung der Trauerhalle")),
    ("saturday", ("saturday_surcharge_cents",), _l("Zuschlag für eine Bestattung am Samstag")),
    ("admin_gravestone_permit", ("admin_cents", "gravestone_permit"), _l("Grabmalgenehmigung")),
    ("admin_transfer", ("admin_cents", "transfer"), _l("Umschreibung eines Nutzungsrechts")),
)


def _grave_types() -> list[GraveType]:
    from sqlalchemy import select

    from booking.extensions import db

    return list(
        db.session.scalars(
            select(GraveType)
            .where(GraveType.tenant_id == g.tenant.id)
            .order_by(GraveType.active.desc(), GraveType.name, GraveType.id)
        )
    )


class ScheduleForm(FlaskForm):
    """Fields ``right_<key>_mode``/``right_<key>_amount`` and ``ext_<key>``
    per grave type, and the single amounts; added in ``build``."""

    grave_types: list[GraveType] = []

    def load(self, schedule: dict[str, Any]) -> None:
        rights = schedule.get("rights", {})
        extension = schedule.get("extension_per_year_cents", {})
        for grave_type in self.grave_types:
            rule = rights.get(grave_type.key, {})
            mode = next((m for m in MODES if m and m in rule), "")
            self[f"right_{grave_type.key}_mode"].data = mode
            self[f"right_{grave_type.key}_amount"].set_cents(rule.get(mode, 0) if mode else 0)
            if grave_type.extendable:
                self[f"ext_{grave_type.key}"].set_cents(extension.get(grave_type.key, 0))
        for name, path, _label in SINGLE_FIELDS:
            value: Any = schedule
            for part in path:
                value = value.get(part, {}) if isinstance(value, dict) else {}
            self[name].set_cents(value if isinstance(value, int) else 0)

    def document(self) -> dict[str, Any]:
        """The schedule as typed (empty amounts left out: free); mode/amount
        mismatches are put on the fields (the form then has errors)."""
        document: dict[str, Any] = {}
        rights: dict[str, Any] = {}
        extension: dict[str, int] = {}
        for grave_type in self.grave_types:
            mode_field = self[f"right_{grave_type.key}_mode"]
            amount = self[f"right_{grave_type.key}_amount"]
            if mode_field.data and amount.cents is None and not amount.errors:
                amount.errors = [*amount.errors, _("Bitte einen Betrag angeben.")]
            elif not mode_field.data and amount.cents:
                mode_field.errors = [*mode_field.errors, _("Bitte die Abrechnung wählen.")]
            elif mode_field.data and amount.cents is not None:
                rights[grave_type.key] = {mode_field.data: amount.cents}
            if grave_type.extendable:
                cents = self[f"ext_{grave_type.key}"].cents
                if cents is not None:
                    extension[grave_type.key] = cents
        if rights:
            document["rights"] = rights
        if extension:
            document["extension_per_year_cents"] = extension
        for name, path, _label in SINGLE_FIELDS:
            cents = self[name].cents
            if cents is None:
                continue
            if len(path) == 1:
                document[path[0]] = cents
            else:
                document.setdefault(path[0], {})[path[1]] = cents
        return document


def build(grave_types: list[GraveType]) -> type[ScheduleForm]:
    class Form(ScheduleForm):
        pass

    Form.grave_types = grave_types
    choices = [SelectChoice(m, MODE_LABELS[m]) for m in MODES]
    for grave_type in grave_types:
        name = grave_type.name
        setattr(
            Form,
            f"right_{grave_type.key}_mode",
            SelectField(
                _l("%(type)s: Abrechnung des Nutzungsrechts", type=name),
                choices=choices,
                default="",
                validate_choice=True,
            ),
        )
        setattr(
            Form,
            f"right_{grave_type.key}_amount",
            EuroField(_l("%(type)s: Nutzungsrecht in €", type=name)),
        )
        if grave_type.extendable:
            setattr(
                Form,
                f"ext_{grave_type.key}",
                EuroField(_l("%(type)s: Verlängerung je Jahr in €", type=name)),
            )
    for name, _path, label in SINGLE_FIELDS:
        setattr(Form, name, EuroField(_l("%(what)s in €", what=label)))
    return Form


def field_of(name: str) -> str | None:
    """The service's field path → the form's field name."""
    parts = name.split(".")
    if parts[0] == "rights" and len(parts) >= 2:
        return f"right_{parts[1]}_{'amount' if len(parts) == 3 else 'mode'}"
    if parts[0] == "extension_per_year_cents" and len(parts) == 2:
        return f"ext_{parts[1]}"
    for field, path, _label in SINGLE_FIELDS:
        if tuple(parts) == path:
            return field
    return None


@bp.route("/", methods=["GET", "POST"])
@requires(can_manage_cemetery)
def index():
    tenant = g.tenant
    actor = current_actor()
    editable = can_administer_cemetery(actor, tenant)
    if request.method == "POST" and not editable:
        abort(403)
    grave_types = _grave_types()
    form = build(grave_types)()
    filled = False
    if request.method == "GET" or not editable:
        form.load(fees.schedule_of(tenant))
    elif "example" in request.form:
        form.load(fees.example_schedule())
        filled = True
    elif form.validate_on_submit():
        document = form.document()
        if not form.errors:
            try:
                fees.set_schedule(tenant, actor, document, utcnow())
            except ValidationFailed as error:
                show_errors(form, error, field_of)
            else:
                flash(_("Die Friedhofsgebühren sind gespeichert."), "success")
                return redirect(url_for(".index"))
    if form.errors:
        transaction.fail()
    status = 422 if form.errors else 200
    return render_template(
        "cemetery/fees.html",
        form=form,
        grave_types=grave_types,
        singles=[(name, label) for name, _path, label in SINGLE_FIELDS],
        editable=editable,
        filled=filled,
    ), status
