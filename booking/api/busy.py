"""``GET /resources/<id>/busy?start=&end=``: when a resource is occupied —
claims on its units, closures and holidays, merged; times only, no personal
data. Anyone signed in; the window is at most ``MAX_WINDOW``."""

from __future__ import annotations

from datetime import timedelta

from flask import g, request
from flask_babel import gettext as _
from flask_babel import ngettext

from booking.api.base import BadRequest, bp, isoformat
from booking.api.bookings import parse_instant, visible_resource
from booking.core import ValidationFailed
from booking.resources import availability

MAX_WINDOW = timedelta(days=93)


@bp.get("/resources/<int:resource_id>/busy")
def resource_busy(resource_id: int):
    resource = visible_resource(resource_id)
    missing = [name for name in ("start", "end") if not request.args.get(name)]
    if missing:
        raise BadRequest(
            _("Die Parameter start und end fehlen."),
            {"fields": {name: [_("Pflichtangabe.")] for name in missing}},
        )
    start = parse_instant(request.args["start"], "start")
    end = parse_instant(request.args["end"], "end")
    if end <= start:
        raise ValidationFailed(
            _("Das Ende muss nach dem Beginn liegen."),
            {"end": [_("Das Ende muss nach dem Beginn liegen.")]},
        )
    if end - start > MAX_WINDOW:
        raise ValidationFailed(
            _("Der Zeitraum ist zu lang."),
            {
                "end": [
                    ngettext(
                        "Höchstens %(num)d Tag auf einmal.",
                        "Höchstens %(num)d Tage auf einmal.",
                        MAX_WINDOW.days,
                    )
                ]
            },
        )
    items = availability.busy_intervals(g.tenant, resource, start, end)
    return {"items": [{"start": isoformat(iv.start), "end": isoformat(iv.end)} for iv in items]}
