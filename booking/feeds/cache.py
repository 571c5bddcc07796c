"""The rendered bytes of feeds, shared by all workers (table ``feed_cache``).

One row per feed and audience (``FeedSpec.key``) holding the bytes of one
version, gzip-compressed (a feed of 5,000 events shrinks from 3 MB to about
100 kB: cheap to fetch from PostgreSQL, and sent as it is to every client
that accepts gzip, as calendar apps do). A poll whose version matches is answered from the row; otherwise
the feed is rendered once and the row replaced by an upsert (``INSERT … ON
CONFLICT DO UPDATE``), so two workers rendering the same key at once both
succeed, and the later one's bytes (of the same version) stay.

Invalidation is in one place: a session listener notes the tenant of every
``Occurrence``, ``Booking``, ``Closure`` and ``Resource`` a flush wrote (an
ORM bulk UPDATE/DELETE of those tables notes every tenant) and, after the
commit, drops those tenants' rows; a rollback forgets what it noted. The
version would not match anyway; dropping keeps stale bytes from lingering.
"""

from __future__ import annotations

import gzip
import logging
from datetime import datetime

from sqlalchemy import delete, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import ORMExecuteState, Session

from booking.core import utcnow
from booking.extensions import db
from booking.feeds.models import FeedCache
from booking.reservations.models import Booking, Occurrence
from booking.resources.models import Closure, Resource

log = logging.getLogger(__name__)

WATCHED = (Occurrence, Booking, Closure, Resource)
_WATCHED_TABLES = frozenset(model.__table__ for model in WATCHED)
_NOTED = "feeds_changed_tenants"
_ALL = "all"

# How many feeds this process rendered (the tests and the bench read it).
renders = 0


# --- reading and writing ----------------------------------------------------------------


def rendered_at(key: str, version: str) -> datetime | None:
    """When the cached bytes of ``key`` at ``version`` were rendered, if they are."""
    return db.session.scalar(
        select(FeedCache.rendered_at).where(FeedCache.key == key, FeedCache.version == version)
    )


GZIP_LEVEL = 6


def compress(body: bytes) -> bytes:
    return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)


def decompress(stored: bytes) -> bytes:
    return gzip.decompress(stored)


def cached(key: str, version: str) -> tuple[bytes, datetime] | None:
    """The gzip-compressed bytes of ``key`` at ``version`` and when they were rendered."""
    row = db.session.execute(
        select(FeedCache.body, FeedCache.rendered_at).where(
            FeedCache.key == key, FeedCache.version == version
        )
    ).one_or_none()
    return (bytes(row[0]), row[1]) if row is not None else None


def store(
    key: str, tenant_id: int, version: str, body: bytes, now: datetime | None = None
) -> bytes:
    """Upsert the row of ``key`` with ``body`` compressed (returned); a
    concurrent writer of the same key is no error."""
    global renders
    renders += 1
    now = now or utcnow()
    compressed = compress(body)
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {
        "key": key,
        "tenant_id": tenant_id,
        "version": version,
        "body": compressed,
        "rendered_at": now,
    }
    statement = insert(FeedCache).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[FeedCache.key],
        set_={
            "tenant_id": statement.excluded.tenant_id,
            "version": statement.excluded.version,
            "body": statement.excluded.body,
            "rendered_at": statement.excluded.rendered_at,
        },
    )
    db.session.execute(statement)
    return compressed


def drop_tenants(tenant_ids: set[int] | None, connection=None) -> None:
    """Remove the cached feeds of ``tenant_ids`` (None: of every tenant)."""
    statement = delete(FeedCache)
    if tenant_ids is not None:
        statement = statement.where(FeedCache.tenant_id.in_(sorted(tenant_ids)))
    if connection is not None:
        connection.execute(statement)
        return
    with db.engine.begin() as conn:
        conn.execute(statement)


# --- invalidation -----------------------------------------------------------------------


def _note(session: Session, tenant_id: object) -> None:
    noted = session.info.setdefault(_NOTED, set())
    noted.add(tenant_id if isinstance(tenant_id, int) else _ALL)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context, _instances) -> None:
    for obj in (*session.new, *session.deleted):
        if isinstance(obj, WATCHED):
            _note(session, getattr(obj, "tenant_id", None))
    for obj in session.dirty:
        if isinstance(obj, WATCHED) and session.is_modified(obj, include_collections=False):
            _note(session, obj.tenant_id)


def _dml_table(statement: object) -> object | None:
    """The table an INSERT/UPDATE/DELETE writes (also inside
    ``select(Model).from_statement(insert(…).returning(…))``), else None."""
    inner = getattr(statement, "element", statement)
    return getattr(inner, "table", None) if getattr(inner, "is_dml", False) else None


@event.listens_for(Session, "do_orm_execute")
def _statement(state: ORMExecuteState) -> None:
    """Statements past the unit of work (the conflict engine's INSERT …
    RETURNING, bulk UPDATEs): the tenant from the parameters, or every one."""
    if state.is_select and not hasattr(state.statement, "element"):
        return
    if _dml_table(state.statement) not in _WATCHED_TABLES:
        return
    params = state.parameters
    rows = params if isinstance(params, list) else [params or {}]
    for row in rows:
        _note(state.session, row.get("tenant_id") if isinstance(row, dict) else None)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the outer one goes on
        return
    noted = session.info.pop(_NOTED, None)
    if not noted:
        return
    try:
        drop_tenants(None if _ALL in noted else {t for t in noted if isinstance(t, int)})
    except Exception:  # the commit stands; the versions no longer match anyway
        log.exception("dropping cached feeds failed")


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint rolled back: keep what the outer one wrote
        return
    session.info.pop(_NOTED, None)
