"""The addresses of a subscription as people copy them: absolute from
``BASE_URL`` (whichever host the request came to), as https and as
webcal, and a QR code of it as inline SVG.

The plain token passes through here only to be shown once; nothing here
stores or logs it."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import segno
from flask import current_app
from markupsafe import Markup, escape

from booking.tenants.models import Tenant

FEED_ENDPOINT = "feeds.feed"


def absolute_url(endpoint: str, **values: object) -> str:
    """``endpoint``'s URL under ``BASE_URL`` (scheme, host and path prefix),
    as mails build theirs: a feed is polled from outside, not from the
    address a request happened to use."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def feed_url(tenant: Tenant, plain: str) -> str:
    """``https://…/<tenant>/feeds/<token>.ics``."""
    return absolute_url(FEED_ENDPOINT, tenant=tenant.slug, token=plain)


def webcal_url(url: str) -> str:
    """The same address as ``webcal://…``: calendar apps open it as a
    subscription instead of importing the events once."""
    parts = urlsplit(url)
    return urlunsplit(("webcal", *parts[1:]))


def qr_svg(data: str, label: str) -> Markup:
    """A QR code of ``data`` as an inline ``<svg>`` image named ``label``
    (role img, title and aria-label), drawn by segno; sized by CSS."""
    qr = segno.make(data, error="m")
    svg = qr.svg_inline(scale=4, border=4, omitsize=True, svgclass="qr-code", lineclass=None)
    name = escape(label)
    return Markup(
        svg.replace("<svg ", f'<svg role="img" aria-label="{name}" focusable="false" ', 1).replace(
            ">", f"><title>{name}</title>", 1
        )
    )
