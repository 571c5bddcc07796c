"""The public grave search (Grabsuche): ``GET /<tenant>/grave-search
?cemetery_id=&name=``. No sign-in; rate-limited per address
(``GRAVE_SEARCH_RATE_LIMIT``, default 30 a minute); what it may show is
decided in ``cemetery.search``."""

from __future__ import annotations

from flask import Blueprint, current_app, g, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField

from booking.core import ValidationFailed
from booking.errors import render_error
from booking.extensions import db, limiter
from booking.tenants.service import get_scoped, scoped
from cemetery import search as grave_search
from cemetery.models import Cemetery

bp = Blueprint("grave_search", __name__, url_prefix="/<tenant>/grave-search")

DEFAULT_RATE_LIMIT = "30/minute"


def rate_limit() -> str:
    """The grave search's limit per client address (also the API's and the
    public section map's)."""
    return current_app.config.get("GRAVE_SEARCH_RATE_LIMIT") or DEFAULT_RATE_LIMIT


class GraveSearchForm(FlaskForm):
    """Sent by GET (no CSRF: nothing changes)."""

    class Meta:
        csrf = False

    cemetery_id = SelectField(_l("Friedhof"), choices=[], validate_choice=False)
    name = StringField(
        _l("Name der oder des Verstorbenen"),
        description=_l("Mindestens zwei Buchstaben, z. B. der Nachname oder sein Anfang."),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )


def too_many_searches(_error: Exception):
    """429 of the search (and the public map): the error page, in words
    that say what to do."""
    return render_error(
        429,
        _(
            "Sie haben in kurzer Zeit sehr viele Suchen gestellt. Bitte warten Sie "
            "eine Minute und versuchen Sie es dann erneut."
        ),
    )


bp.register_error_handler(429, too_many_searches)


def _cemeteries() -> list[Cemetery]:
    return list(db.session.scalars(scoped(Cemetery, g.tenant).order_by(Cemetery.name)))


@bp.get("", strict_slashes=False)
@limiter.limit(rate_limit)
def index():
    cemeteries = _cemeteries()
    form = GraveSearchForm(formdata=request.args)
    form.cemetery_id.choices = [("", _l("Bitte wählen"))] + [
        (str(c.id), c.name) for c in cemeteries
    ]
    cemetery = None
    raw_id = request.args.get("cemetery_id", "").strip()
    if raw_id.isascii() and raw_id.isdigit():
        cemetery = get_scoped(Cemetery, g.tenant, raw_id)  # 404: not one of ours
    elif raw_id:
        form.cemetery_id.errors = [_l("Bitte einen Friedhof aus der Liste wählen.")]
    elif len(cemeteries) == 1:
        form.cemetery_id.data = str(cemeteries[0].id)
    hits = None
    if "name" in request.args:
        if cemetery is None and not form.cemetery_id.errors:
            form.cemetery_id.errors = [_l("Bitte einen Friedhof wählen.")]
        name = request.args.get("name", "")
        try:
            grave_search.query_words(name)
        except ValidationFailed as error:
            form.name.errors = [str(m) for m in error.fields.get("name") or [error.message]]
        if cemetery is not None and not form.errors:
            hits = grave_search.search(g.tenant, cemetery, name)
    return render_template(
        "cemetery/search.html",
        form=form,
        cemetery=cemetery,
        hits=hits,
        limit=grave_search.DEFAULT_LIMIT,
    ), (422 if form.errors else 200)
