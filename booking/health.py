"""``GET /healthz`` for load balancers and monitoring: 200 when the database
answers and its schema is at the newest migration, else 503 — with a small
JSON body saying which. No session, no tenant, no personal data."""

from __future__ import annotations

import logging

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from booking.extensions import db

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


def migration_heads() -> set[str]:
    """The newest revisions in migrations/ (one unless branches are open)."""
    directory = current_app.extensions["migrate"].directory
    return set(ScriptDirectory(directory).get_heads())


@bp.get("/healthz")
def healthz():
    expected = migration_heads()
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as error:
        log.warning("health check: database unreachable (%s)", type(error).__name__)
        body = {"status": "unavailable", "database": "unreachable", "migrations": "unknown"}
        return _answer(body, 503)
    migrations = "current" if current == expected else "pending"
    body = {
        "status": "ok" if migrations == "current" else "unavailable",
        "database": "ok",
        "migrations": migrations,
        "revision": sorted(current),
        "expected": sorted(expected),
    }
    return _answer(body, 200 if migrations == "current" else 503)


def _answer(body: dict, status: int):
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response
