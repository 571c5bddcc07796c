"""The "Kalender-Abonnements" page: a person's calendar subscriptions
(what each shows, since when), a new one among the feeds they may hold,
shown once with its https and webcal address, a QR code and how to add it
to Google, Outlook, Apple and Thunderbird; ending one (its owner, or an
admin of the municipality, who also sees every subscription of it).

The plain token exists only in the answer to the POST that created it: no
redirect carrying it, no flash (the session cookie is signed, not
encrypted), nothing logged; every answer here is ``Cache-Control:
no-store``. Thin: parse, check access, call ``feeds.tokens``, render."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from booking.accounts.access import current_actor, is_admin
from booking.core import ValidationFailed, utcnow
from booking.feeds import links, tokens
from booking.feeds.access import can_subscribe, feed_alive
from booking.feeds.forms import RevokeForm, SubscribeForm, choice_value, parse_choice
from booking.feeds.models import FeedToken
from booking.forms import show_errors
from booking.resources import service as resources
from booking.resources import tree
from booking.resources.models import Resource
from booking.tenants.service import get_scoped
from cemetery.models import Cemetery

bp = Blueprint("subscriptions", __name__, url_prefix="/<tenant>/calendar-subscriptions")


@bp.after_request
def _no_store(response):
    """A new feed's address is on the page: no cache keeps a copy."""
    response.headers["Cache-Control"] = "no-store"
    return response


# --- what a feed shows -------------------------------------------------------------------


def scope_label(feed: FeedToken) -> str:
    if feed.scope == "resource" and feed.resource_id is None:
        return _("Meine Hallen")
    return {
        "mine": _("Meine Buchungen"),
        "tenant": _("Alle Hallen und Räume"),
        "resource": _("Eine Halle oder ein Raum"),
        "cemetery": _("Friedhof"),
    }.get(feed.scope, feed.scope)


def shows(feed: FeedToken) -> str:
    """What the feed's events are, in a sentence's words."""
    if feed.scope == "resource" and feed.resource is not None:
        return _("Buchungen und Sperrzeiten von %(name)s", name=tree.full_name(feed.resource))
    if feed.scope == "resource":
        return _("Buchungen und Sperrzeiten aller Hallen und Räume, die Ihnen zugeordnet sind")
    if feed.scope == "cemetery" and feed.cemetery is not None:
        return _("Bestattungstermine des Friedhofs %(name)s", name=feed.cemetery.name)
    if feed.scope == "tenant":
        return _("Buchungen und Sperrzeiten aller Hallen und Räume der Gemeinde")
    return _("Ihre eigenen Buchungen in dieser Gemeinde")


def row(feed: FeedToken) -> dict[str, Any]:
    return {
        "feed": feed,
        "scope": scope_label(feed),
        "shows": shows(feed),
        # Revoked ones are not listed; this one may have lost its owner's role.
        "alive": feed_alive(feed, g.tenant),
    }


def choices(user: Any) -> dict[str, list[SelectChoice]]:
    """The feeds ``user`` may hold, grouped for the select element."""
    tenant = g.tenant
    general = [SelectChoice("mine", _("Meine Buchungen"))]
    if can_subscribe(user, tenant, "resource"):  # a caretaker: all their halls in one
        general.insert(
            0, SelectChoice("resource", _("Meine Hallen (alle, die mir zugeordnet sind)"))
        )
    if can_subscribe(user, tenant, "tenant"):
        general.append(SelectChoice("tenant", _("Alle Hallen und Räume der Gemeinde")))
    grouped: dict[str, list[SelectChoice]] = {_("Allgemein"): general}
    halls = [
        SelectChoice(choice_value("resource", r.id), tree.full_name(r))
        for r in tokens.subscribable_resources(tenant, user)
    ]
    if halls:
        grouped[_("Eine Halle oder ein Raum")] = halls
    cemeteries = [
        SelectChoice(choice_value("cemetery", c.id), _("Bestattungstermine: %(name)s", name=c.name))
        for c in tokens.subscribable_cemeteries(tenant, user)
    ]
    if cemeteries:
        grouped[_("Friedhöfe")] = cemeteries
    return grouped


def _offered(grouped: dict[str, list[SelectChoice]]) -> set[str]:
    return {c.value for group in grouped.values() for c in group}


def _form(formdata: Any = None) -> SubscribeForm:
    form = SubscribeForm(formdata=formdata)
    form.what.choices = choices(current_actor())
    return form


def _render(form: SubscribeForm, *, new: dict[str, Any] | None = None, status: int = 200):
    user = current_actor()
    admin = is_admin(user, g.tenant)
    own = tokens.feeds_of(g.tenant, user)
    everyone = [f for f in tokens.tenant_feeds(g.tenant) if f.user_id != user.id] if admin else []
    return (
        render_template(
            "booking/feeds/subscriptions.html",
            form=form,
            new=new,
            own=[row(f) for f in own],
            others=[row(f) for f in everyone],
            admin=admin,
        ),
        status,
    )


# --- routes ------------------------------------------------------------------------------


@bp.get("/")
@login_required
def index():
    """``?what=resource:3`` (or ``mine``, ``tenant``, ``cemetery:1``)
    preselects that feed when it is offered; a malformed one is a 400."""
    form = _form()
    wanted = request.args.get("what")
    if wanted is not None:
        if parse_choice(wanted) is None:
            abort(400, description="invalid choice")
        if wanted in _offered(form.what.choices):
            form.what.data = wanted
    return _render(form)


def _lookup(scope: str, object_id: int | None) -> dict[str, Any]:
    """The object a scope names, of this municipality (else 404); a
    resource only when the person may see it."""
    if scope == "resource" and object_id is not None:
        return {"resource": resources.visible_resource(g.tenant, current_actor(), object_id)}
    if scope == "cemetery" and object_id is not None:
        return {"cemetery": get_scoped(Cemetery, g.tenant, object_id)}
    return {}


@bp.post("/")
@login_required
def create():
    form = _form(request.form)
    if not form.validate_on_submit():
        return _render(form, status=422)
    choice = parse_choice(form.what.data)
    assert choice is not None  # validate_what
    objects = _lookup(choice.scope, choice.object_id)
    try:
        feed, plain = tokens.create_feed(
            g.tenant, current_actor(), choice.scope, now=utcnow(), **objects
        )
    except ValidationFailed as error:
        show_errors(form, error, rename=lambda _name: "what")
        return _render(form, status=422)
    url = links.feed_url(g.tenant, plain)
    webcal = links.webcal_url(url)
    new = {
        "row": row(feed),
        "url": url,
        "webcal": webcal,
        "qr": links.qr_svg(webcal, _("QR-Code der Kalender-Adresse zum Scannen mit dem Telefon")),
    }
    # Shown in this answer only: the next page load lists it without its address.
    return _render(_form(), new=new, status=201)


def _feed(feed_id: int) -> FeedToken:
    return tokens.get_feed(g.tenant, current_actor(), feed_id)


@bp.get("/<int:feed_id>/revoke")
@login_required
def revoke_confirm(feed_id: int):
    feed = _feed(feed_id)
    return render_template(
        "booking/feeds/revoke_confirm.html",
        entry=row(feed),
        form=RevokeForm(formdata=None),
        someone_else=feed.user_id != current_actor().id,
    )


@bp.post("/<int:feed_id>/revoke")
@login_required
def revoke(feed_id: int):
    feed = _feed(feed_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        abort(400)
    tokens.revoke_feed(feed, utcnow())
    flash(
        _(
            "Das Abonnement ist beendet: Seine Adresse funktioniert ab sofort nicht mehr. "
            "Entfernen Sie den Kalender auch in Ihrer Kalender-App."
        ),
        "success",
    )
    return redirect(url_for(".index"))


# --- links on other pages ------------------------------------------------------------


@bp.app_template_global("subscribe_url")
def subscribe_url(resource: Resource | None = None, scope: str | None = None) -> str | None:
    """The subscriptions page with ``resource``'s feed (or ``scope``'s)
    preselected, when the signed-in person may hold it; else None (no link)."""
    tenant = getattr(g, "tenant", None)
    if tenant is None or not current_user.is_authenticated:
        return None
    user = current_actor()
    if resource is not None:
        if not can_subscribe(user, tenant, "resource", resource=resource):
            return None
        return url_for("subscriptions.index", what=choice_value("resource", resource.id))
    if scope is not None and not can_subscribe(user, tenant, scope):
        return None
    return url_for("subscriptions.index", what=scope) if scope else url_for("subscriptions.index")
