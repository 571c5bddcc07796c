"""``/feeds`` (API.md, "Feeds"): create and revoke calendar subscriptions.

``POST /feeds`` ``{"scope", "resource_id"?, "cemetery_id"?}`` → 201
``{"id", "url"}``; the url (absolute, from ``BASE_URL``, ending in
``.ics``) carries the plain token and is in this answer only. An id of the
wrong type is a 400, an unknown scope or a missing id a 422, a resource or
cemetery of another municipality (or one the caller may not see) a 404, a
scope the caller may not hold a 403. ``DELETE /feeds/<id>`` → 204 for its
owner and the municipality's admins; 404 for anyone else, for another
municipality's and for an already revoked one."""

from __future__ import annotations

from typing import Any

from flask import g
from pydantic import StrictStr

from booking.api.base import api_user, bp, json_body, parse
from booking.api.schemas import WRONG_TYPE, Id, Schema
from booking.core import utcnow
from booking.feeds import links, tokens
from booking.resources import service as resources
from booking.tenants.service import get_scoped
from cemetery.models import Cemetery


class CreateFeed(Schema):
    """``POST /feeds``: the scope's name is checked by ``feeds.tokens``."""

    malformed = WRONG_TYPE

    scope: StrictStr
    resource_id: Id | None = None
    cemetery_id: Id | None = None


def _objects(body: CreateFeed) -> dict[str, Any]:
    """The resource or cemetery the scope names, only for that scope."""
    if body.scope == "resource" and body.resource_id is not None:
        return {"resource": resources.visible_resource(g.tenant, api_user(), body.resource_id)}
    if body.scope == "cemetery" and body.cemetery_id is not None:
        return {"cemetery": get_scoped(Cemetery, g.tenant, body.cemetery_id)}
    return {}


@bp.post("/feeds")
def create_feed():
    body = parse(CreateFeed, json_body())
    feed, plain = tokens.create_feed(
        g.tenant, api_user(), body.scope, now=utcnow(), **_objects(body)
    )
    response = {"id": feed.id, "url": links.feed_url(g.tenant, plain)}
    return response, 201, {"Cache-Control": "no-store"}


@bp.delete("/feeds/<int:feed_id>")
def revoke_feed(feed_id: int):
    feed = tokens.get_feed(g.tenant, api_user(), feed_id)
    tokens.revoke_feed(feed, utcnow())
    return "", 204
