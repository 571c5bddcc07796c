"""JSON API v1: the cemetery register (API.md "Cemetery"): cemeteries, their
plots with the derived status, a plot with its rights and burials, and
extending a grave right."""

from __future__ import annotations

from typing import Any, ClassVar

from flask import g, request
from flask_babel import gettext as _
from pydantic import ConfigDict, StrictInt, StrictStr

from booking.api.base import BadRequest, api_user, bp, json_body, parse, requires
from booking.api.schemas import WRONG_TYPE, Address, Id, LongText, Name, Query, Schema, absent
from booking.core import ValidationFailed
from booking.tenants.localtime import isoformat
from booking.tenants.service import get_scoped
from cemetery import fees, register, rights
from cemetery.access import can_manage_cemetery, can_view_plots
from cemetery.models import PLOT_STATUSES, Burial, Cemetery, GraveRight, Plot

# --- bodies and queries --------------------------------------------------------------


class CreateCemetery(Schema):
    """``POST /cemeteries``: the name, optional resources and settings (the
    service checks ranges, kinds and uniqueness)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    malformed: ClassVar[frozenset[str]] = WRONG_TYPE

    name: Name | None = None
    address: Address | None = None
    description: LongText | None = None
    chapel_resource_id: Id | None = None
    crew_resource_id: Id | None = None
    burial_hours: dict[str, Any] = absent()
    lead_days_coffin: StrictInt = absent()
    lead_days_urn: StrictInt = absent()
    burials_per_day: StrictInt = absent()
    burial_minutes: StrictInt = absent()
    rest_years_coffin: StrictInt = absent()
    rest_years_urn: StrictInt = absent()
    rest_years_child_coffin: StrictInt = absent()
    rest_years_child_urn: StrictInt = absent()
    child_age: StrictInt = absent()


class PlotsQuery(Query):
    status: StrictStr | None = None
    grave_type: StrictStr | None = None
    section_id: Id | None = None


class CreatePlot(Schema):
    """``POST /cemeteries/<id>/plots``."""

    malformed: ClassVar[frozenset[str]] = WRONG_TYPE

    code: StrictStr
    grave_type: StrictStr
    section: StrictStr | None = None
    row: StrictStr | None = None
    number: StrictStr | None = None
    x: StrictInt | None = None
    y: StrictInt | None = None
    width: StrictInt | None = None
    height: StrictInt | None = None
    notes: LongText | None = None


class Extend(Schema):
    """``POST /grave-rights/<id>/extend`` ``{years}``: whole years (a
    number of another type is malformed)."""

    malformed: ClassVar[frozenset[str]] = WRONG_TYPE | {"int_from_float"}

    years: StrictInt


# --- answers -------------------------------------------------------------------------


def cemetery_json(cemetery: Cemetery) -> dict[str, Any]:
    return {
        "id": cemetery.id,
        "name": cemetery.name,
        "chapel_resource_id": cemetery.chapel_resource_id,
        "crew_resource_id": cemetery.crew_resource_id,
    }


def plot_json(plot: Plot, status: str) -> dict[str, Any]:
    return {
        "id": plot.id,
        "code": plot.code,
        "grave_type": plot.grave_type.key,
        "status": status,
    }


def _day(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def right_json(right: GraveRight) -> dict[str, Any]:
    return {
        "id": right.id,
        "status": right.status,
        "holder": right.holder.name,
        "start_date": _day(right.start_date),
        "end_date": _day(right.end_date),
        "certificate_number": right.certificate_number,
        "events": [
            {"kind": e.kind, "on_date": _day(e.on_date), "years": e.years} for e in right.events
        ],
    }


def burial_json(burial: Burial) -> dict[str, Any]:
    return {
        "id": burial.id,
        "status": burial.status,
        "kind": burial.kind,
        "place": burial.place,
        "name": burial.deceased_name,
        "born": _day(burial.deceased_born),
        "died": _day(burial.deceased_died),
        "burial_date": _day(burial.burial_date),
        "start": isoformat(burial.start_at, g.tenant) if burial.start_at else None,
        "rest_until": _day(burial.rest_until),
    }


# --- routes --------------------------------------------------------------------------


@bp.get("/cemeteries")
@requires(can_view_plots)
def list_cemeteries():
    """Staff and funeral homes (who need the ids to request burials)."""
    return {"items": [cemetery_json(c) for c in register.list_cemeteries(g.tenant)]}


@bp.post("/cemeteries")
@requires(can_manage_cemetery)  # clerks run the cemetery, as on the web page
def create_cemetery():
    body = parse(CreateCemetery, json_body())
    values = body.model_dump(exclude_unset=True)
    cemetery = register.create_cemetery(
        g.tenant, api_user(), name=values.pop("name", None), **values
    )
    return cemetery_json(cemetery), 201


@bp.get("/cemeteries/<int:cemetery_id>/plots")
@requires(can_view_plots)
def list_plots(cemetery_id: int):
    cemetery = get_scoped(Cemetery, g.tenant, cemetery_id)
    query = parse(PlotsQuery, request.args.to_dict())
    if query.status is not None and query.status not in PLOT_STATUSES:
        message = _("Einer von: %(values)s.", values=", ".join(PLOT_STATUSES))
        raise BadRequest(_("Die Anfrage ist ungültig."), {"fields": {"status": [message]}})
    grave_type = None
    if query.grave_type is not None:
        try:
            grave_type = register.grave_type_by_key(g.tenant, query.grave_type)
        except ValidationFailed as refusal:
            raise BadRequest(refusal.message, refusal.details) from None
    pairs = register.list_plots(
        g.tenant,
        cemetery,
        status=query.status,
        grave_type=grave_type,
        section_id=query.section_id,
    )
    return {"items": [plot_json(plot, status) for plot, status in pairs]}


@bp.post("/cemeteries/<int:cemetery_id>/plots")
@requires(can_manage_cemetery)
def create_plot(cemetery_id: int):
    cemetery = get_scoped(Cemetery, g.tenant, cemetery_id)
    body = parse(CreatePlot, json_body())
    plot = register.create_plot(
        g.tenant, api_user(), cemetery, **body.model_dump(exclude_none=True)
    )
    return plot_json(plot, register.status_of(g.tenant, plot)), 201


@bp.get("/plots/<int:plot_id>")
@requires(can_manage_cemetery)
def plot_detail(plot_id: int):
    plot = get_scoped(Plot, g.tenant, plot_id)
    answer = plot_json(plot, register.status_of(g.tenant, plot))
    answer.update(
        cemetery_id=plot.cemetery_id,
        section=plot.section.name if plot.section else None,
        row=plot.row,
        number=plot.number,
        blocked_reason=plot.blocked_reason,
        rights=[right_json(r) for r in rights.rights_of(plot)],
        burials=[burial_json(b) for b in rights.burials_of(plot)],
    )
    return answer


@bp.post("/grave-rights/<int:right_id>/extend")
@requires(can_manage_cemetery)
def extend_right(right_id: int):
    right = get_scoped(GraveRight, g.tenant, right_id)
    body = parse(Extend, json_body())
    right, _invoice = rights.extend_right(g.tenant, api_user(), right, body.years)
    fee = fees.extension_fee(g.tenant, right.plot.grave_type, body.years)
    return {"end_date": right.end_date.isoformat(), "fee": fee.to_dict()}
