"""JSON API v1: burials (API.md "Cemetery"): ``POST /burials`` (a funeral
home requests, a clerk enters a confirmed one), ``GET /burials/<id>``,
``POST /burials/<id>/confirm`` (clerk), ``/cancel`` (clerk or the requesting
funeral home).

A burial the caller may not see answers 404, as one of another tenant does.
Domain errors map as everywhere: 409 ``conflict`` (chapel or crew taken,
plot occupied), 422 ``validation`` (fields named: rest period, a right too
short on a non-extendable grave, outside the burial hours, lead time…)."""

from __future__ import annotations

from typing import Any, ClassVar

from flask import g, request
from flask_babel import gettext as _
from pydantic import StrictBool, StrictInt, StrictStr

from booking.api.base import api_user, bp, json_body, parse
from booking.api.schemas import WRONG_TYPE, Id, Instant, Name, Note, Reason, Schema
from booking.core import Forbidden, NotFound, utcnow
from booking.tenants.localtime import isoformat
from booking.tenants.service import get_scoped
from cemetery import burials
from cemetery.access import can_manage_cemetery, can_request_burial, can_view_burial
from cemetery.models import Burial, Cemetery, Plot


class CreateBurial(Schema):
    """``POST /burials``; ``deceased`` ``{name, born?, died}`` (dates as
    ``YYYY-MM-DD``) and ``holder`` ``{name, street, postcode, city,
    email}`` (for a new grave) are checked by the service, which names
    their fields (``deceased.died``, ``holder.email``)."""

    malformed: ClassVar[frozenset[str]] = WRONG_TYPE | {"dict_type", "bool_type"}

    cemetery_id: Id
    kind: StrictStr
    deceased: dict[str, Any]
    plot_id: Id | None = None
    grave_type: StrictStr | None = None
    start: Instant | None = None
    ceremony_minutes: StrictInt = 0
    public_listing: StrictBool = False
    holder: dict[str, Any] | None = None
    funeral_home_name: Name | None = None
    note: Note | None = None


class CancelBurial(Schema):
    malformed: ClassVar[frozenset[str]] = WRONG_TYPE

    reason: Reason | None = None


def burial_json(burial: Burial) -> dict[str, Any]:
    end = burials.appointment_end(burial)
    appointment = None
    if burial.start_at is not None:
        appointment = {
            "start": isoformat(burial.start_at, g.tenant),
            "end": isoformat(end, g.tenant),
        }
    proposed = None
    if burial.proposed_start_at is not None:
        proposed = isoformat(burial.proposed_start_at, g.tenant)
    return {
        "id": burial.id,
        "status": burials.status_of(burial, burials.local_today(g.tenant, utcnow())),
        "cemetery_id": burial.cemetery_id,
        "plot_id": burial.plot_id,
        "plot_code": burial.plot.code,
        "place": burial.place,
        "kind": burial.kind,
        "deceased": {
            "name": burial.deceased_name,
            "born": burial.deceased_born.isoformat() if burial.deceased_born else None,
            "died": burial.deceased_died.isoformat(),
        },
        "burial_date": burial.burial_date.isoformat(),
        "rest_until": burial.rest_until.isoformat(),
        "ceremony_minutes": burial.ceremony_minutes,
        "public_listing": burial.public_listing,
        "appointment": appointment,
        "proposed_start": proposed,
        "funeral_home_name": burial.funeral_home_name,
    }


def visible_burial(burial_id: int) -> Burial:
    """The burial if the caller may see it, else 404."""
    burial = get_scoped(Burial, g.tenant, burial_id)
    if not can_view_burial(api_user(), burial):
        raise NotFound(_("Nicht gefunden."))
    return burial


def _optional_body() -> dict[str, Any]:
    if not request.get_data(cache=True):
        return {}
    return json_body()


@bp.post("/burials")
def create_burial():
    user = api_user()
    if not can_request_burial(user, g.tenant):
        raise Forbidden(_("Dafür fehlt Ihnen die Berechtigung."))
    body = parse(CreateBurial, json_body())
    cemetery = get_scoped(Cemetery, g.tenant, body.cemetery_id)
    plot = get_scoped(Plot, g.tenant, body.plot_id) if body.plot_id is not None else None
    burial = burials.create_burial(
        g.tenant,
        user,
        cemetery,
        kind=body.kind,
        deceased=body.deceased,
        plot=plot,
        grave_type=body.grave_type,
        start=body.start,
        ceremony_minutes=body.ceremony_minutes,
        public_listing=body.public_listing,
        holder=body.holder,
        funeral_home_name=body.funeral_home_name,
        note=body.note,
        now=utcnow(),
    )
    return burial_json(burial), 201


@bp.get("/burials/<int:burial_id>")
def get_burial(burial_id: int):
    return burial_json(visible_burial(burial_id))


@bp.post("/burials/<int:burial_id>/confirm")
def confirm_burial(burial_id: int):
    burial = visible_burial(burial_id)
    if not can_manage_cemetery(api_user(), g.tenant):
        raise Forbidden(_("Dafür fehlt Ihnen die Berechtigung."))
    burials.confirm_burial(g.tenant, api_user(), burial, now=utcnow())
    return burial_json(burial)


@bp.post("/burials/<int:burial_id>/cancel")
def cancel_burial(burial_id: int):
    burial = visible_burial(burial_id)
    body = parse(CancelBurial, _optional_body())
    burials.cancel_burial(g.tenant, api_user(), burial, reason=body.reason, now=utcnow())
    return burial_json(burial)
