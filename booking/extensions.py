"""Unbound extension singletons; ``create_app`` binds them."""

from __future__ import annotations

import sqlite3

from flask import current_app, g, has_request_context, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection, _record) -> None:
    """SQLite: enforce foreign keys, WAL, wait for the lock, and let SQLAlchemy's
    ``begin`` event (below) open every transaction itself."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


# Requests that only read (GET, HEAD, OPTIONS) begin SQLite transactions
# deferred, so page views read side by side (WAL); everything else — forms,
# the API's writes, CLI commands, jobs — takes the write lock first. A GET
# view that writes says so with ``@transaction.writes`` (its attribute:).
WRITES_ATTRIBUTE = "_kb_writes"
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DML = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _reads_only() -> bool:
    """The current unit of work is a reading request (see above)."""
    if not has_request_context() or request.method not in READING_METHODS:
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return not getattr(view, WRITES_ATTRIBUTE, False)


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection) -> None:
    """SQLite: a transaction that may write takes the write lock first
    (``BEGIN IMMEDIATE``), so a check-then-insert (the conflict engine)
    cannot race another writer; a reading request's begins deferred."""
    if connection.dialect.name != "sqlite":
        return
    if _reads_only():
        connection.exec_driver_sql("BEGIN")
        connection.info["kb_deferred"] = True
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        connection.info.pop("kb_deferred", None)


@event.listens_for(Engine, "before_cursor_execute")
def _sqlite_guard(connection, _cursor, statement, _parameters, _context, _many) -> None:
    """With ``SQLITE_STRICT_READS`` (the test suite): a write inside a
    deferred transaction is an error, so a GET view that writes without
    ``@transaction.writes`` is found by the tests, not by two users at once.
    (Outside the tests SQLite upgrades the lock; under a concurrent write
    that fails with "database is locked", which answers 503.)"""
    if not connection.info.get("kb_deferred"):
        return
    if g.get("_kb_optional_write") or not current_app.config.get("SQLITE_STRICT_READS"):
        return
    if statement.lstrip()[:7].upper().startswith(DML):
        raise RuntimeError(
            f"{request.method} {request.endpoint} writes inside a deferred SQLite "
            "transaction: mark the view @transaction.writes, or write in a savepoint "
            "that may fail (transaction.optional_write)"
        )
