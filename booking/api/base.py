"""JSON API v1 under ``/<tenant>/api/v1``: bearer auth, body parsing
(``json_body``, then ``parse`` with a model of ``booking.api.schemas``), helpers."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import limits
import pydantic
from flask import Blueprint, g, request
from flask_babel import gettext as _

from booking.accounts import service as accounts
from booking.accounts.models import User
from booking.api.schemas import Schema
from booking.core import (
    DomainError,
    Forbidden,
    ValidationFailed,
    has_forbidden_characters,
    printable,
    too_long,
)
from booking.errors import error_json
from booking.extensions import limiter

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

# Failed bearer authentications per client address (``remote_addr``, after
# ProxyFix where configured): a guessed token is no fresh bucket of its own.
# Counted in Flask-Limiter's storage, with its strategy.
FAILED_AUTH_LIMIT = limits.parse("20/minute")


def _failure_key() -> str:
    return "api-auth-failed:" + (request.remote_addr or "?")


def _too_many_failures() -> int | None:
    """Seconds to wait when this address has failed too often, else None."""
    if not limiter.enabled:
        return None
    strategy = limiter.limiter
    if strategy.test(FAILED_AUTH_LIMIT, _failure_key()):
        return None
    reset_at, _remaining = strategy.get_window_stats(FAILED_AUTH_LIMIT, _failure_key())
    return max(1, math.ceil(reset_at - time.time()))


def _count_failure() -> None:
    if limiter.enabled:
        limiter.limiter.hit(FAILED_AUTH_LIMIT, _failure_key())


@bp.before_request
def _authenticate():
    """The bearer token's user, or 401. An address that failed too often
    gets 429 for every token until its window has passed, a right one
    included: otherwise the answer to the next guess would still tell."""
    header = request.headers.get("Authorization", "")
    if header:
        wait = _too_many_failures()
        if wait is not None:
            response, status = error_json(
                429,
                "rate_limited",
                _("Zu viele fehlgeschlagene Anmeldungen. Bitte warten Sie einen Moment."),
            )
            response.headers["Retry-After"] = str(wait)
            return response, status
    scheme, _sep, token = header.partition(" ")
    user = None
    if scheme.lower() == "bearer" and token.strip():
        user = accounts.user_for_api_token(token.strip())
    if user is None:
        if header:
            _count_failure()
        return error_json(401, "unauthorized", _("Ein gültiges API-Token (Bearer) wird benötigt."))
    g.api_user = user
    return None


def api_user() -> User:
    return g.api_user


def requires(check: Callable[[Any, Any], bool]) -> Callable:
    """Answer 403 unless ``check(the token's user, this tenant)``: the API's
    twin of ``accounts.access.requires``, built on the same ``can_*`` policies."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not check(api_user(), g.tenant):
                raise Forbidden(_("Dafür fehlt Ihnen die Berechtigung."))
            return view(*args, **kwargs)

        return wrapped

    return decorator


def json_body() -> dict[str, Any]:
    """The request's JSON object. Every text in it (keys and values, also in
    nested objects and lists) must pass ``has_forbidden_characters``;
    otherwise a 400 names the field (``recurrence.until``, ``items[0].label``)."""
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser goes
        data = None
    if not isinstance(data, dict):
        raise BadRequest(_("Der Inhalt muss ein JSON-Objekt sein."))
    bad = _forbidden_texts(data)
    if bad:
        message = _("Steuerzeichen und ungültige Unicode-Zeichen sind nicht erlaubt.")
        raise BadRequest(
            _("Der Inhalt enthält unzulässige Zeichen."),
            {"fields": {name: [message] for name in bad}},
        )
    return data


def _forbidden_texts(data: dict[str, Any], most: int = 20) -> list[str]:
    """The paths (at most ``most``) of the keys and texts holding a forbidden
    character. Iterative: nesting depth is the parser's business."""
    found: list[str] = []
    stack: list[tuple[str, Any]] = [("", data)]
    while stack and len(found) < most:
        path, value = stack.pop()
        if isinstance(value, str):
            if has_forbidden_characters(value):
                found.append(path)
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                name = f"{path}.{key}" if path else key
                if has_forbidden_characters(key):
                    found.append(printable(name))
                else:
                    stack.append((name, item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in reversed(list(enumerate(value))))
    return sorted(found)


S = TypeVar("S", bound=Schema)


def parse(schema: type[S], data: dict[str, Any]) -> S:
    """``data`` (a body from ``json_body``, or ``request.args.to_dict()``) as the typed
    values of ``schema``. Refused, every faulty field is named with its
    messages in ``details.fields``: a 400 ``bad_request`` when one of the
    errors makes the request malformed (``schema.is_malformed``), else a 422
    ``validation``."""
    try:
        return schema.model_validate(data)
    except pydantic.ValidationError as refusal:
        errors = refusal.errors(include_url=False, include_input=False)
    fields: dict[str, list[str]] = {}
    for error in errors:
        messages = fields.setdefault(_field_name(error["loc"]), [])
        message = _message(error["type"], error.get("ctx") or {})
        if message not in messages:
            messages.append(message)
    if any(schema.is_malformed(error["type"]) for error in errors):
        raise BadRequest(_("Die Anfrage ist ungültig."), {"fields": fields})
    raise ValidationFailed(schema.message, fields)


def _field_name(loc: tuple[int | str, ...]) -> str:
    """``recurrence.until``, ``items[0].label``: as ``json_body`` names them."""
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name = f"{name}.{part}" if name else str(part)
    return name


def _message(error_type: str, ctx: dict[str, Any]) -> str:
    """pydantic's error types (and those of ``booking.api.schemas``) in the
    words the forms and services use."""
    match error_type:
        case "missing":
            return _("Pflichtangabe.")
        case "int_type" | "int_parsing" | "int_from_float":
            return _("Bitte eine ganze Zahl angeben.")
        case "string_type":
            return _("Bitte einen Text angeben.")
        case "bool_type" | "bool_parsing":
            return _("true oder false.")
        case "string_too_long":
            return str(too_long(ctx["max_length"]))
        case "datetime_type" | "datetime_parsing" | "timezone_aware":
            return _("Erwartet wird RFC 3339 mit Zeitzone, z. B. 2027-03-06T18:00:00+01:00.")
        case "year_range":
            return _(
                "Bitte ein Datum zwischen %(a)d und %(b)d angeben.", a=ctx["min"], b=ctx["max"]
            )
        case "extra_forbidden":
            return _("Unbekanntes Feld.")
    return _("Bitte prüfen Sie die Angaben.")


def money_json(cents: int, currency: str = "EUR") -> dict[str, Any]:
    return {"amount_cents": cents, "currency": currency}
