"""Benchmark of the conflict engine and booking service.

    .venv/bin/python -m bench.booking [--postgres postgresql://postgres@127.0.0.1/kb_bench]

Prints, for SQLite (a scratch file) and, with ``--postgres``, PostgreSQL:

* single bookings per second, sequentially through the service layer,
  one commit each (empty tables, and again with 1,000,000 occurrences);
* the time to check and write a 52-week series (median of several);
* the busy query for one resource-week with 100,000 and with 1,000,000
  occurrences (and as many claims) in the tables.

The PostgreSQL database is wiped: its name must contain "bench"
(create it with ``psql -h 127.0.0.1 -U postgres -c 'create database kb_bench'``).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

BASE = datetime(2031, 1, 6, 0, 0, tzinfo=UTC)  # a Monday; every slot lies after it
HISTORY_START = datetime(2000, 1, 3, tzinfo=UTC)
BULK_TENANTS = 10
BULK_RESOURCES_PER_TENANT = 10  # 100 resources share the bulk rows
OCCURRENCES_PER_BOOKING = 50


def log(message: str) -> None:
    print(message, flush=True)


# --- setup ---------------------------------------------------------------------


def reset_postgres(url: str) -> None:
    name = url.rsplit("/", 1)[-1].split("?")[0]
    if "bench" not in name:
        sys.exit(f"refusing to wipe {name!r}: the benchmark database name must contain 'bench'")
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def make_app(url: str, **settings):
    """The app on ``url`` for a benchmark (``settings`` override the defaults)."""
    from booking import create_app

    app = create_app(
        {
            "ENV": "testing",
            "DATABASE_URL": url,
            "SECRET_KEY": "bench-secret-key-not-for-production-use",
            "RATELIMIT_STORAGE_URI": "memory://",
            "LOG_LEVEL": "WARNING",
            **settings,
        }
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return app


def seed():
    """A tenant with a hall (halves A and B), rooms and a citizen."""
    from booking.accounts import service as accounts
    from booking.accounts.models import User
    from booking.core import utcnow
    from booking.extensions import db
    from booking.resources.models import OpeningHours, Resource
    from booking.tenants.service import create_tenant

    tenant = create_tenant("bench", "Benchmarkhausen")
    user = User(
        email="bench@example.org",
        name="Bench",
        password_hash=accounts.hash_password("bench-password"),
        email_confirmed_at=utcnow(),
    )
    db.session.add(user)

    def resource(name, kind="hall", parent=None, **fields):
        r = Resource(
            tenant_id=tenant.id,
            name=name,
            kind=kind,
            parent=parent,
            capacity=100,
            observe_holidays=False,
            **fields,
        )
        for weekday in range(7):
            r.opening_hours.append(OpeningHours(weekday=weekday, opens_min=0, closes_min=1440))
        db.session.add(r)
        return r

    hall = resource("Halle", buffer_after_min=30)
    resource("Halle A", "room", hall)
    resource("Halle B", "room", hall)
    rooms = [resource(f"Raum {i}", "room") for i in range(1, 31)]
    db.session.commit()
    return tenant, user, hall, rooms


# --- measurements --------------------------------------------------------------------


def singles(
    tenant, user, resource, count: int, start: datetime, *, keep_context: bool = False
) -> float:
    """Sequential single bookings through the service, one commit each.

    By default the session expires everything on commit, so each booking
    also reloads the tenant, the user and the resource (as a request loads
    them). With ``keep_context`` those three stay loaded across commits and
    only the service's own work is timed (its opening hours are still read
    afresh every time)."""
    from booking.extensions import db
    from booking.reservations import service

    session = db.session()
    session.expire_on_commit = not keep_context
    slots = [start + timedelta(hours=2 * i) for i in range(count)]
    try:
        began = time.perf_counter()
        for slot in slots:
            if keep_context:
                session.expire(resource, ["opening_hours"])
            service.create_booking(
                tenant, user, resource, slot, slot + timedelta(hours=1), "Einzeltermin"
            )
            session.commit()
        elapsed = time.perf_counter() - began
    finally:
        session.expire_on_commit = True
    return count / elapsed


def series(tenant, user, resources, start: datetime) -> list[float]:
    """Check and write a 52-week series (one per resource), each committed."""
    from booking.extensions import db
    from booking.reservations import service

    timings = []
    for i, resource in enumerate(resources):
        first = start + timedelta(hours=i % 12)
        began = time.perf_counter()
        result = service.create_booking(
            tenant,
            user,
            resource,
            first,
            first + timedelta(hours=2),
            "Serie",
            recurrence={"freq": "weekly", "interval": 1, "count": 52},
        )
        db.session.commit()
        timings.append(time.perf_counter() - began)
        assert len(result.booking.occurrences) == 52
    return timings


def busy_query(tenant, resource, week_start: datetime, runs: int = 200) -> tuple[float, int]:
    """Median time of ``busy_intervals`` for one week, and the item count."""
    from booking.extensions import db
    from booking.reservations import queries

    timings = []
    items = 0
    for _ in range(runs):
        began = time.perf_counter()
        items = len(
            queries.busy_intervals(tenant, resource, week_start, week_start + timedelta(days=7))
        )
        timings.append(time.perf_counter() - began)
        db.session.rollback()  # end the read transaction like a request would
    return statistics.median(timings), items


# --- bulk rows -------------------------------------------------------------------------


def bulk_resources() -> list[int]:
    """100 resources in 10 other tenants to carry the bulk rows."""
    from booking.extensions import db
    from booking.resources.models import Resource
    from booking.tenants.service import create_tenant

    ids = []
    for t in range(BULK_TENANTS):
        tenant = create_tenant(f"bulk-{t}", f"Bulk {t}")
        for r in range(BULK_RESOURCES_PER_TENANT):
            resource = Resource(tenant_id=tenant.id, name=f"Raum {r}", kind="room")
            db.session.add(resource)
            db.session.flush()
            ids.append((tenant.id, resource.id))
    db.session.commit()
    return ids


def bulk_rows(
    targets: list[tuple[int, int]], first_index: int, count: int
) -> Iterator[tuple[int, int, datetime, datetime]]:
    """``count`` occurrences spread over the resources: each resource gets
    one two-hour slot per day, going forward from 2000 (a long history)."""
    n = len(targets)
    for i in range(first_index, first_index + count):
        tenant_id, resource_id = targets[i % n]
        day = i // n
        start = HISTORY_START + timedelta(days=day, hours=9 + (i % 3) * 3)
        yield tenant_id, resource_id, start, start + timedelta(hours=2)


def bulk_insert(
    targets: list[tuple[int, int]], first_index: int, count: int, user_id: int
) -> float:
    """Bookings (one per 50 occurrences), occurrences and claims, fast:
    COPY on PostgreSQL, executemany in one transaction on SQLite."""
    from booking.extensions import db

    began = time.perf_counter()
    engine = db.engine
    dialect = engine.dialect.name
    rows = list(bulk_rows(targets, first_index, count))
    with engine.begin() as conn:
        max_ids = conn.execute(
            text(
                "SELECT (SELECT COALESCE(MAX(id), 0) FROM booking),"
                " (SELECT COALESCE(MAX(id), 0) FROM occurrence),"
                " (SELECT COALESCE(MAX(id), 0) FROM claim)"
            )
        ).one()
        booking_id, occurrence_id, claim_id = max_ids
        bookings, occurrences, claims = [], [], []
        current: dict[int, tuple[int, int]] = {}  # resource -> (booking id, used)
        for tenant_id, resource_id, start, end in rows:
            owner = current.get(resource_id)
            if owner is None or owner[1] >= OCCURRENCES_PER_BOOKING:
                booking_id += 1
                bookings.append((booking_id, tenant_id, resource_id, user_id, start))
                owner = (booking_id, 0)
            current[resource_id] = (owner[0], owner[1] + 1)
            occurrence_id += 1
            claim_id += 1
            occurrences.append((occurrence_id, tenant_id, owner[0], resource_id, start, end))
            claims.append((claim_id, tenant_id, occurrence_id, resource_id, start, end))
        if dialect == "postgresql":
            _copy_postgres(conn, bookings, occurrences, claims)
        else:
            _executemany_sqlite(conn, bookings, occurrences, claims)
    with engine.begin() as conn:
        if dialect == "postgresql":
            for table in ("booking", "occurrence", "claim"):
                conn.execute(text(f"ANALYZE {table}"))
            for table in ("booking", "occurrence", "claim"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT MAX(id) FROM {table}))"
                    )
                )
        else:
            conn.execute(text("ANALYZE"))
    return time.perf_counter() - began


def _pg_time(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S+00")


def _copy_postgres(conn, bookings, occurrences, claims) -> None:
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:
        with cur.copy(
            "COPY booking (id, tenant_id, resource_id, user_id, title, status,"
            " customer_category, created_at, updated_at) FROM STDIN"
        ) as copy:
            for bid, tenant_id, resource_id, user_id, created in bookings:
                stamp = _pg_time(created - timedelta(days=30))
                copy.write_row(
                    (
                        bid,
                        tenant_id,
                        resource_id,
                        user_id,
                        "Bestand",
                        "confirmed",
                        "resident",
                        stamp,
                        stamp,
                    )
                )
        with cur.copy(
            "COPY occurrence (id, tenant_id, booking_id, resource_id, start_at, end_at,"
            " sequence, updated_at) FROM STDIN"
        ) as copy:
            for oid, tenant_id, bid, resource_id, start, end in occurrences:
                copy.write_row(
                    (
                        oid,
                        tenant_id,
                        bid,
                        resource_id,
                        _pg_time(start),
                        _pg_time(end),
                        0,
                        _pg_time(start),
                    )
                )
        with cur.copy(
            "COPY claim (id, tenant_id, occurrence_id, unit_id, start_at, end_at, active)"
            " FROM STDIN"
        ) as copy:
            for cid, tenant_id, oid, unit_id, start, end in claims:
                copy.write_row((cid, tenant_id, oid, unit_id, _pg_time(start), _pg_time(end), True))


def _sqlite_time(value: datetime) -> str:
    # The format SQLAlchemy's SQLite DateTime writes (naive UTC).
    return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def _executemany_sqlite(conn, bookings, occurrences, claims) -> None:
    raw = conn.connection.driver_connection
    cur = raw.cursor()
    cur.executemany(
        "INSERT INTO booking (id, tenant_id, resource_id, user_id, title, status,"
        " customer_category, created_at, updated_at) VALUES (?, ?, ?, ?, 'Bestand',"
        " 'confirmed', 'resident', ?, ?)",
        (
            (bid, t, r, u, _sqlite_time(c - timedelta(days=30)), _sqlite_time(c))
            for bid, t, r, u, c in bookings
        ),
    )
    cur.executemany(
        "INSERT INTO occurrence (id, tenant_id, booking_id, resource_id, start_at, end_at,"
        " sequence, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
        (
            (oid, t, bid, r, _sqlite_time(s), _sqlite_time(e), _sqlite_time(s))
            for oid, t, bid, r, s, e in occurrences
        ),
    )
    cur.executemany(
        "INSERT INTO claim (id, tenant_id, occurrence_id, unit_id, start_at, end_at, active)"
        " VALUES (?, ?, ?, ?, ?, ?, 1)",
        ((cid, t, oid, u, _sqlite_time(s), _sqlite_time(e)) for cid, t, oid, u, s, e in claims),
    )
    cur.close()


# --- the run ---------------------------------------------------------------------------


def run(label: str, url: str, *, singles_count: int, big: int) -> dict[str, float]:
    from flask_migrate import upgrade

    from booking.extensions import db
    from booking.resources.models import Resource
    from booking.tenants.models import Tenant

    app = make_app(url)
    figures: dict[str, float] = {}
    with app.app_context():
        upgrade()
        tenant, user, hall, rooms = seed()
        log(f"\n== {label} ==")

        # Warm-up (imports, statement caches, holiday tables), then measure.
        singles(tenant, user, rooms[0], 20, BASE - timedelta(days=30))
        rate = singles(tenant, user, rooms[1], singles_count, BASE)
        figures["singles_per_s"] = rate
        log(f"single bookings (service, commit each): {rate:8.1f} /s  ({singles_count} bookings)")

        rate = singles(tenant, user, rooms[13], singles_count, BASE, keep_context=True)
        figures["singles_per_s_service_only"] = rate
        log(f"  the same, tenant/user/resource kept loaded: {rate:8.1f} /s")

        hall_rate = singles(tenant, user, hall, singles_count // 2, BASE)
        figures["hall_singles_per_s"] = hall_rate
        log(f"single bookings of a hall with 2 parts: {hall_rate:8.1f} /s")

        timings = series(tenant, user, rooms[2:12], BASE + timedelta(days=1))
        figures["series_ms"] = statistics.median(timings) * 1000
        log(
            "52-week series, check + write + commit: "
            f"median {statistics.median(timings) * 1000:6.1f} ms, "
            f"max {max(timings) * 1000:6.1f} ms ({len(timings)} series)"
        )

        targets = bulk_resources()
        measured = db.session.get(Resource, targets[0][1])
        measured_tenant = db.session.get(Tenant, targets[0][0])
        user_id = user.id
        db.session.commit()  # no open transaction (SQLite: no write lock) while loading
        loaded = 0
        for size in (100_000, big):
            seconds = bulk_insert(targets, loaded, size - loaded, user_id)
            loaded = size
            # A week in the middle of the measured resource's history.
            days = size // len(targets)
            week = HISTORY_START + timedelta(days=days // 2)
            median, items = busy_query(measured_tenant, measured, week)
            figures[f"busy_ms_{size}"] = median * 1000
            log(
                f"busy query, one resource-week, {size:>9,} occurrences in the table: "
                f"{median * 1000:6.2f} ms ({items} intervals; bulk load {seconds:5.1f} s)"
            )
        rate = singles(tenant, user, rooms[12], max(100, singles_count // 5), BASE)
        figures["singles_per_s_full"] = rate
        log(f"single bookings with {big:,} occurrences in the table: {rate:8.1f} /s")
        db.session.remove()
        db.engine.dispose()
    if "busy_ms_100000" in figures and f"busy_ms_{big}" in figures:
        ratio = figures[f"busy_ms_{big}"] / figures["busy_ms_100000"]
        log(f"busy query 1M / 100k: {ratio:4.2f}x")
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", metavar="URL", help="a scratch PostgreSQL database")
    parser.add_argument("--singles", type=int, default=1000, help="single bookings to time")
    parser.add_argument(
        "--big", type=int, default=1_000_000, help="occurrences for the large busy query"
    )
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'bench.sqlite'}"
            run("SQLite", url, singles_count=args.singles, big=args.big)
    if args.postgres:
        reset_postgres(args.postgres)
        run("PostgreSQL", args.postgres, singles_count=args.singles, big=args.big)


if __name__ == "__main__":
    main()
