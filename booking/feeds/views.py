"""Serving calendar feeds: ``/<tenant>/feeds/<token>.ics`` (private, by
token) and ``/<tenant>/resources/<id>/busy.ics`` (public, busy-only).

No login, session or cookie is needed or set; a feed GET writes nothing but
its cache row. The answer to a poll costs the version query (one aggregate)
and, when the client's copy is stale, one read of the cached bytes; only a
version nobody has rendered yet is rendered (``feeds.cache``).

An unknown, revoked or foreign token, and one whose owner lost the role or
was deactivated, is the same plain 404 as any missing page: nothing tells why.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, abort, g, request

from booking.core import NotFound, utcnow
from booking.feeds import cache, render
from booking.feeds.tokens import feed_for_token
from booking.resources.access import is_hidden
from booking.resources.models import Resource
from booking.tenants.service import get_scoped

bp = Blueprint("feeds", __name__, url_prefix="/<tenant>")

CONTENT_TYPE = "text/calendar; charset=utf-8"
MAX_AGE = 300


@bp.route("/feeds/<token>.ics", methods=["GET"])
def feed(token: str):
    found = feed_for_token(g.tenant, token)
    if found is None:
        abort(404)
    return serve(render.spec_for_token(g.tenant, found), private=True)


@bp.route("/resources/<int:resource_id>/busy.ics", methods=["GET"])
def busy(resource_id: int):
    resource = public_resource(resource_id)
    if resource is None:
        abort(404)
    language = render.feed_language(request.args.get("lang"))
    return serve(render.busy_spec(g.tenant, resource, language), private=False)


def public_resource(resource_id: int) -> Resource | None:
    """A resource of this tenant in the public catalogue, else None."""
    try:
        resource = get_scoped(Resource, g.tenant, resource_id)
    except NotFound:
        return None
    return None if is_hidden(resource) else resource


def _http_date(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(microsecond=0)


def _not_modified(etag: str, last_modified: datetime | None) -> bool:
    """If-None-Match decides when sent (RFC 9110 13.2.2); If-Modified-Since
    only without it, against the rendering time of the current version."""
    if request.if_none_match:
        return request.if_none_match.contains_weak(etag)
    since = request.if_modified_since
    if since is None or last_modified is None:
        return False
    return _http_date(last_modified) <= since.astimezone(UTC)


def _accepts_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0


def serve(spec: render.FeedSpec, *, private: bool) -> Response:
    """The feed answer for ``spec``: 304, the cached bytes, or a rendering.
    The ETag is weak: the gzip and the plain answer are the same feed."""
    now = utcnow()
    win = render.window(spec.tenant, now)
    etag = render.version(spec, win).etag
    last_modified: datetime | None = None
    if not request.if_none_match and request.if_modified_since is not None:
        last_modified = cache.rendered_at(spec.key, etag)
    if _not_modified(etag, last_modified):
        response = Response(status=304)
    else:
        body: bytes | None = None
        hit = cache.cached(spec.key, etag)
        if hit is not None:
            compressed, last_modified = hit
        else:
            body = render.render(spec, win)
            last_modified = now
            compressed = cache.store(spec.key, spec.tenant.id, etag, body, now)
        if _accepts_gzip():
            response = Response(compressed, status=200, content_type=CONTENT_TYPE)
            response.headers["Content-Encoding"] = "gzip"
        else:
            plain = body if body is not None else cache.decompress(compressed)
            response = Response(plain, status=200, content_type=CONTENT_TYPE)
    response.set_etag(etag, weak=True)
    response.vary.add("Accept-Encoding")
    if last_modified is not None:
        response.last_modified = _http_date(last_modified)
    scope = "private" if private else "public"
    response.headers["Cache-Control"] = f"{scope}, max-age={MAX_AGE}, no-transform"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    if private:
        # The URL is the secret: never sent on as a Referer.
        response.headers["Referrer-Policy"] = "no-referrer"
    return response
