"""JSON API v1 under ``/<tenant>/api/v1``: bearer auth, body parsing, helpers."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, g, request
from flask_babel import gettext as _

from booking.accounts import service as accounts
from booking.accounts.models import User
from booking.core import DomainError, Forbidden
from booking.errors import error_json
from booking.extensions import db, limiter

bp = Blueprint("api", __name__, url_prefix="/<tenant>/api/v1")


class BadRequest(DomainError):
    status = 400
    code = "bad_request"


def _rate_key() -> str:
    header = request.headers.get("Authorization", "")
    if header:
        return "api:" + hashlib.sha256(header.encode()).hexdigest()[:32]
    return "api-ip:" + (request.remote_addr or "?")


limiter.limit("600/minute", key_func=_rate_key)(bp)


@bp.before_request
def _authenticate():
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    user = None
    if scheme.lower() == "bearer" and token.strip():
        user = accounts.user_for_api_token(token.strip())
    if user is None:
        return error_json(401, "unauthorized", _("Ein gültiges API-Token (Bearer) wird benötigt."))
    g.api_user = user
    return None


@bp.after_request
def _commit(response):
    """One commit point: a successful API call commits, anything else rolls back."""
    if response.status_code < 400:
        db.session.commit()
    else:
        db.session.rollback()
    return response


def api_user() -> User:
    return g.api_user


def require_role(*roles: str) -> Callable:
    """Answer 403 unless the token's user holds one of ``roles`` in this tenant."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not api_user().has_role(g.tenant.id, *roles):
                raise Forbidden(_("Dafür fehlt Ihnen die Berechtigung."))
            return view(*args, **kwargs)

        return wrapped

    return decorator


def json_body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest(_("Der Inhalt muss ein JSON-Objekt sein."))
    return data


def isoformat(instant: datetime, timezone: str | None = None) -> str:
    """RFC 3339 with the tenant's local offset."""
    return instant.astimezone(ZoneInfo(timezone or g.tenant.timezone)).isoformat()


def money_json(cents: int, currency: str = "EUR") -> dict[str, Any]:
    return {"amount_cents": cents, "currency": currency}
