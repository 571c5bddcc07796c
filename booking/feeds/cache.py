"""The rendered bytes of feeds, shared by all workers (table ``feed_cache``).

One row per feed and audience (``FeedSpec.key``) holding the bytes of one
version, gzip-compressed (a feed of 5,000 events shrinks from 3 MB to about
160 kB: cheap to fetch from PostgreSQL, and sent as it is to every client
that accepts gzip, as calendar apps do). A poll whose version matches is
answered from the row; otherwise the feed is rendered once and the row replaced by an upsert (``INSERT … ON
CONFLICT DO UPDATE``), so two workers rendering the same key at once both
succeed, and the later one's bytes (of the same version) stay.

Invalidation needs no bookkeeping: the version (``render.version``, one
aggregate query over exactly what the feed shows) changes with every
committed change the feed shows, and only then — so a booking in one hall
does not make every other feed of the municipality render again, and an
uncommitted or rolled-back change, invisible to the query, changes nothing.
A stale row is replaced by the next rendering of its key, never added to.
"""

from __future__ import annotations

import gzip
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from booking import transaction
from booking.core import utcnow
from booking.extensions import db
from booking.feeds.models import FeedCache

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
    with transaction.optional_write():  # a busy database: answered, cached next time
        db.session.execute(statement)
    return compressed


# --- housekeeping -------------------------------------------------------------------------

# A row not rendered for this long goes (a feed polled since is rendered
# once more); so the rows of feeds nobody polls any more do not stay.
KEEP = timedelta(days=7)


def purge(now: datetime) -> int:
    """Drop rows rendered before ``now - KEEP``; returns how many."""
    result = db.session.execute(delete(FeedCache).where(FeedCache.rendered_at < now - KEEP))
    return result.rowcount or 0


def forget_user(user_id: int) -> None:
    """Drop the rows that hold one person's own feeds ("mine", a
    caretaker's halls): their account is being deleted."""
    db.session.execute(
        delete(FeedCache).where(
            or_(
                FeedCache.key.like(f"%:mine:user:{user_id}:%"),
                FeedCache.key.like(f"%:resource:caretaker:{user_id}:%"),
            )
        )
    )
