"""JSON API v1: ``GET /grave-search?cemetery_id=&name=`` (API.md "Cemetery"):
public, no token (on ``busy.public_bp``, whose errors keep the API's JSON
shape because ``errors.wants_json`` goes by the path), rate-limited per
address like the search page. What may be found is ``cemetery.search``'s
business: confirmed or past burials with consent, never anonymous graves,
within one cemetery, at most ``search.DEFAULT_LIMIT`` of them."""

from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _

from booking.api.base import BadRequest
from booking.api.busy import public_bp
from booking.extensions import limiter
from booking.tenants.service import get_scoped
from cemetery import search
from cemetery.models import Cemetery
from cemetery.search_views import rate_limit


def _cemetery_id() -> str:
    """The ``cemetery_id`` parameter: required, an integer (400 otherwise)."""
    raw = request.args.get("cemetery_id")
    if raw is None or not raw.strip():
        raise BadRequest(
            _("Die Anfrage ist ungültig."), {"fields": {"cemetery_id": [_("Pflichtangabe.")]}}
        )
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit()):
        raise BadRequest(
            _("Die Anfrage ist ungültig."),
            {"fields": {"cemetery_id": [_("Bitte eine ganze Zahl angeben.")]}},
        )
    return raw


@public_bp.get("/grave-search")
@limiter.limit(rate_limit)
def grave_search():
    cemetery = get_scoped(Cemetery, g.tenant, _cemetery_id())  # 404: not of this tenant
    if "name" not in request.args:
        raise BadRequest(
            _("Die Anfrage ist ungültig."), {"fields": {"name": [_("Pflichtangabe.")]}}
        )
    hits = search.search(g.tenant, cemetery, request.args["name"])  # 422: fewer than 2 letters
    return {
        "items": [
            {
                "name": hit.name,
                "born": hit.born.isoformat() if hit.born else None,
                "died": hit.died.isoformat(),
                "cemetery": hit.cemetery,
                "section": hit.section,
                "plot_code": hit.plot_code,
            }
            for hit in hits
        ]
    }
