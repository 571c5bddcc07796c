"""``GET /resources/<id>/busy?start=&end=``: when a resource is occupied —
claims on its units, closures and holidays, merged; times only, no personal
data. Anyone signed in; the window is at most ``MAX_WINDOW``."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, g, request
from flask_babel import gettext as _
from flask_babel import ngettext

from booking.api import schemas
from booking.api.base import bp, parse
from booking.api.bookings import visible_resource
from booking.core import NotFound, ValidationFailed
from booking.feeds import render
from booking.feeds import views as feed_views
from booking.reservations import queries
from booking.tenants.localtime import isoformat

MAX_WINDOW = timedelta(days=93)


@bp.get("/resources/<int:resource_id>/busy")
def resource_busy(resource_id: int):
    resource = visible_resource(resource_id)
    query = parse(schemas.BusyQuery, request.args.to_dict())
    start, end = query.start, query.end
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
    items = queries.busy_intervals(g.tenant, resource, start, end)
    return {
        "items": [
            {"start": isoformat(iv.start, g.tenant), "end": isoformat(iv.end, g.tenant)}
            for iv in items
        ]
    }


# ``GET /resources/<id>/busy.ics`` under the API base (API.md, Feeds): the
# public busy-only feed, like ``/<tenant>/resources/<id>/busy.ics``. Public, so
# on a blueprint of its own without the bearer check; its errors keep the
# API's JSON shape (``errors.wants_json`` goes by the path).
public_bp = Blueprint("api_public", __name__, url_prefix="/<tenant>/api/v1")


@public_bp.route("/resources/<int:resource_id>/busy.ics", methods=["GET"])
def resource_busy_ics(resource_id: int):
    resource = feed_views.public_resource(resource_id)
    if resource is None:
        raise NotFound(_("Nicht gefunden."))
    language = render.feed_language(request.args.get("lang"))
    return feed_views.serve(render.busy_spec(g.tenant, resource, language), private=False)
