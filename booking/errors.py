"""The one place where domain errors and HTTP errors become answers: JSON in
the API.md shape under ``/<tenant>/api/``, an error page everywhere else."""

from __future__ import annotations

import logging
import re

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from booking.core import DomainError
from booking.extensions import db

log = logging.getLogger(__name__)
API_PATH = re.compile(r"^/[^/]+/api/")

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "bad_request",
    422: "validation",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}
# Seconds a client is asked to wait while the database cannot be reached.
RETRY_AFTER = 5


def wants_json() -> bool:
    return bool(API_PATH.match(request.path))


def error_json(status: int, code: str, message: str, details: dict | None = None):
    body = {"error": {"code": code, "message": str(message), "details": details or {}}}
    return jsonify(_plain(body)), status


def _plain(value):
    """Lazy translation strings → str, recursively (for JSON)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _messages() -> dict[int, str]:
    return {
        400: _("Die Anfrage ist ungültig."),
        401: _("Bitte melden Sie sich an."),
        403: _("Dafür fehlt Ihnen die Berechtigung."),
        404: _("Diese Seite gibt es nicht."),
        405: _("Diese Methode ist hier nicht erlaubt."),
        413: _("Die Anfrage ist zu groß."),
        429: _("Zu viele Anfragen. Bitte warten Sie einen Moment."),
        500: _("Ein interner Fehler ist aufgetreten. Bitte versuchen Sie es später erneut."),
        503: _(
            "Der Dienst ist gerade nicht erreichbar. Es ist nichts verloren gegangen; "
            "bitte versuchen Sie es in einigen Sekunden erneut."
        ),
    }


def render_error(status: int, message: str | None = None):
    message = message or _messages().get(status) or _messages()[400]
    if wants_json():
        return error_json(status, HTTP_CODES.get(status, "error"), message)
    template = "errors/error.html"
    return render_template(template, status=status, message=message), status


def unavailable(error: Exception):
    """The database is down or restarting (or SQLite's lock timed out): a
    503 that asks to retry, never a traceback. Nothing was committed; the
    pool pre-pings and reconnects by itself once the database is back. The
    page needs no database (errors/unavailable.html)."""
    try:
        db.session.rollback()
    except Exception:  # the connection is gone; the pool drops it
        log.debug("rollback after a lost database connection failed", exc_info=True)
    cause = type(getattr(error, "orig", None) or error).__name__
    log.warning("database unavailable in %s %s (%s)", request.method, request.endpoint, cause)
    message = _messages()[503]
    if wants_json():
        response, _status = error_json(503, "unavailable", message)
    else:
        response = make_response(render_template("errors/unavailable.html", message=message))
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        if wants_json():
            return error_json(error.status, error.code, error.message, error.details)
        return render_error(error.status, str(error.message))

    @app.errorhandler(CSRFError)
    def _csrf_error(_error):
        return render_error(
            400,
            _(
                "Das Formular ist abgelaufen. Bitte laden Sie die Seite neu und senden Sie es erneut."
            ),
        )

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        status = error.code or 500
        if status == 429:
            return render_error(429)
        description = None
        if wants_json() and status == 400 and error.description:
            description = error.description
        return render_error(status, description)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_unavailable(error: Exception):
        return unavailable(error)

    @app.errorhandler(Exception)
    def _unhandled(error: Exception):
        db.session.rollback()
        log.exception("unhandled error in %s %s", request.method, request.endpoint)
        return render_error(500)
