"""The scaling curve: the same questions with 10,000, 100,000 and 1,000,000
occurrences in the tables.

    .venv/bin/python -m bench.scaling --postgres postgresql://postgres@127.0.0.1:5432/kb_bench_scale
    .venv/bin/python -m bench.scaling --sqlite          # a scratch file (slower to load)

20 municipalities with 20 resources each (5 halls with two parts, 5 rooms:
400 resources, 300 leaf units). The first 10,000 occurrences are the live
ones: two dates a day on every leaf unit from a week ago to about ten days
ahead. Growing to 100,000 and 1,000,000 adds history (three dates a day
per unit, going back from four months ago: about three years at 1M), as
an installation gathers it; bookings (one per 50 dates), occurrences and
claims are loaded with COPY on PostgreSQL (``executemany`` on SQLite) and
ANALYZEd, as in ``bench.booking``. At each size, for the first
municipality (the others' rows are in the same tables), median of several:

* busy query: ``reservations.queries.busy_intervals`` for a hall (two parts)
  and this week;
* caretaker's day view: ``GET /<tenant>/caretaker/day?date=`` (five halls
  assigned), through the Flask test client;
* staff week calendar: ``GET /<tenant>/staff/calendar?date=`` (all 20
  resources), as a clerk;
* feed: the municipality's staff feed, cold (``feed_cache`` emptied: the
  version query, the rows, the rendering) and a conditional poll (304).

Prints the table and the ratio 1M / 10k (goal: below 2).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import g
from sqlalchemy import text

from bench.booking import (
    _copy_postgres,
    _executemany_sqlite,
    log,
    make_app,
    reset_postgres,
)

TENANTS = 20
HALLS = 5
ROOMS = 5
LIVE = 10_000
SIZES = (10_000, 100_000, 1_000_000)
PER_BOOKING = 50


def seed():
    from booking.accounts import service as accounts
    from booking.accounts.models import User
    from booking.core import utcnow
    from booking.extensions import db
    from booking.feeds.tokens import create_feed
    from booking.resources import service as resources
    from booking.resources.models import Resource
    from booking.tenants.service import create_tenant

    now = utcnow()
    leaves: list[tuple[int, int]] = []  # (tenant id, resource id)
    first = None
    for t in range(TENANTS):
        tenant = create_tenant(f"gemeinde-{t}", f"Gemeinde {t}")
        halls = []
        for h in range(HALLS):
            hall = Resource(tenant_id=tenant.id, name=f"Halle {h}", kind="hall", capacity=200)
            db.session.add(hall)
            halls.append(hall)
            for p in "AB":
                part = Resource(
                    tenant_id=tenant.id,
                    name=f"Halle {h} {p}",
                    kind="room",
                    parent=hall,
                    capacity=100,
                )
                db.session.add(part)
                db.session.flush()
                leaves.append((tenant.id, part.id))
        for r in range(ROOMS):
            room = Resource(tenant_id=tenant.id, name=f"Raum {r}", kind="room", capacity=30)
            db.session.add(room)
            db.session.flush()
            leaves.append((tenant.id, room.id))
        if first is None:
            clerk = User(email="clerk@example.org", name="Clerk", password_hash="x")
            caretaker = User(email="hm@example.org", name="Hausmeister", password_hash="x")
            booker = User(email="b@example.org", name="Bucher", password_hash="x")
            for u in (clerk, caretaker, booker):
                u.email_confirmed_at = now
            db.session.add_all([clerk, caretaker, booker])
            db.session.flush()
            accounts.grant_role(tenant, None, clerk, "clerk")
            accounts.grant_role(tenant, None, caretaker, "caretaker")
            for hall in halls:
                resources.add_caretaker(tenant, None, hall, caretaker)
            _feed, plain = create_feed(tenant, clerk, "tenant", now=now)
            first = {
                "tenant": tenant.id,
                "slug": tenant.slug,
                "hall": halls[0].id,
                "clerk": clerk.id,
                "caretaker": caretaker.id,
                "booker": booker.id,
                "feed": f"/{tenant.slug}/feeds/{plain}.ics",
            }
    db.session.commit()
    return first, leaves


def rows(leaves: list[tuple[int, int]], begin: int, count: int, today: datetime):
    """Occurrence ``i``: the live ones first, then history going back."""
    n = len(leaves)
    for i in range(begin, begin + count):
        tenant_id, unit = leaves[i % n]
        if i < LIVE:
            k = i // n
            start = today + timedelta(days=k // 2 - 7, hours=12 if k % 2 == 0 else 18)
        else:
            k = (i - LIVE) // n
            start = today - timedelta(days=120 + k // 3) + timedelta(hours=8 + 3 * (k % 3))
        yield tenant_id, unit, start, start + timedelta(hours=2)


def load(leaves, begin: int, count: int, user_id: int, today: datetime) -> float:
    from booking.extensions import db

    began = time.perf_counter()
    engine = db.engine
    with engine.begin() as conn:
        booking_id, occurrence_id, claim_id = conn.execute(
            text(
                "SELECT (SELECT COALESCE(MAX(id), 0) FROM booking),"
                " (SELECT COALESCE(MAX(id), 0) FROM occurrence),"
                " (SELECT COALESCE(MAX(id), 0) FROM claim)"
            )
        ).one()
        bookings, occurrences, claims = [], [], []
        current: dict[int, tuple[int, int]] = {}
        for tenant_id, unit, start, end in rows(leaves, begin, count, today):
            owner = current.get(unit)
            if owner is None or owner[1] >= PER_BOOKING:
                booking_id += 1
                bookings.append((booking_id, tenant_id, unit, user_id, start))
                owner = (booking_id, 0)
            current[unit] = (owner[0], owner[1] + 1)
            occurrence_id += 1
            claim_id += 1
            occurrences.append((occurrence_id, tenant_id, owner[0], unit, start, end))
            claims.append((claim_id, tenant_id, occurrence_id, unit, start, end))
        if engine.dialect.name == "postgresql":
            _copy_postgres(conn, bookings, occurrences, claims)
        else:
            _executemany_sqlite(conn, bookings, occurrences, claims)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for table in ("booking", "occurrence", "claim"):
                conn.execute(text(f"ANALYZE {table}"))
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                        f" (SELECT MAX(id) FROM {table}))"
                    )
                )
        else:
            conn.execute(text("ANALYZE"))
    return time.perf_counter() - began


def median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def measure(app, first: dict, today: datetime) -> dict[str, float]:
    from booking.accounts.models import User
    from booking.extensions import db
    from booking.feeds.models import FeedCache
    from booking.reservations import queries
    from booking.resources.models import Resource
    from booking.tenants.models import Tenant

    tenant = db.session.get(Tenant, first["tenant"])
    hall = db.session.get(Resource, first["hall"])
    monday = today - timedelta(days=today.weekday())
    day = (today + timedelta(days=1)).date().isoformat()

    def busy() -> None:
        queries.busy_intervals(tenant, hall, monday, monday + timedelta(days=7))
        db.session.rollback()

    def client_of(user_id: int):
        client = app.test_client()
        user = db.session.get(User, user_id)
        with client.session_transaction() as session:
            session["_user_id"] = f"{user.id}:{user.session_version}"
            session["_fresh"] = True
        return client

    caretaker = client_of(first["caretaker"])
    clerk = client_of(first["clerk"])
    db.session.rollback()
    slug = first["slug"]

    def page(client, url: str) -> Callable[[], None]:
        def get() -> None:
            # The requests run inside this app context and share its ``g``:
            # forget the previous request's user (Flask-Login caches it there).
            g.pop("_login_user", None)
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return get

    anonymous = app.test_client()

    def feed_cold() -> None:
        db.session.execute(FeedCache.__table__.delete())
        db.session.commit()
        g.pop("_login_user", None)
        assert anonymous.get(first["feed"]).status_code == 200

    etag = anonymous.get(first["feed"]).headers["ETag"]

    def feed_304() -> None:
        g.pop("_login_user", None)
        answer = anonymous.get(first["feed"], headers={"If-None-Match": etag})
        assert answer.status_code == 304

    day_url = f"/{slug}/caretaker/day?date={day}"
    calendar_url = f"/{slug}/staff/calendar?date={day}"
    page(caretaker, day_url)()  # warm-up
    page(clerk, calendar_url)()
    return {
        "busy query (hall, week)": median_ms(busy, 100),
        "caretaker day view": median_ms(page(caretaker, day_url), 15),
        "staff week calendar": median_ms(page(clerk, calendar_url), 15),
        "feed, cold render": median_ms(feed_cold, 3),
        "feed, 304": median_ms(feed_304, 15),
    }


def run(url: str, label: str) -> None:
    from flask_migrate import upgrade

    from booking.extensions import db

    app = make_app(url, SERVER_NAME="localhost", BASE_URL="http://localhost")
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    table: dict[int, dict[str, float]] = {}
    with app.app_context():
        upgrade()
        first, leaves = seed()
        loaded = 0
        for size in SIZES:
            seconds = load(leaves, loaded, size - loaded, first["booker"], today)
            loaded = size
            log(f"{label}: {size:>9,} occurrences loaded ({seconds:.1f} s)")
            table[size] = measure(app, first, today)
            db.session.remove()
        db.engine.dispose()
    names = list(table[SIZES[0]])
    log(f"\n{label}: median ms at each size; ratio 1M / 10k (goal < 2)")
    header = "".join(f"{size:>12,}" for size in SIZES)
    log(f"  {'':<26}{header}{'1M/10k':>9}")
    for name in names:
        cells = "".join(f"{table[size][name]:12.2f}" for size in SIZES)
        ratio = table[SIZES[-1]][name] / table[SIZES[0]][name]
        log(f"  {name:<26}{cells}{ratio:9.2f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", metavar="URL", help="a scratch database (wiped)")
    parser.add_argument("--sqlite", action="store_true", help="also on a scratch SQLite file")
    args = parser.parse_args(argv)
    if args.sqlite:
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{Path(folder) / 'scale.sqlite'}", "SQLite")
    if args.postgres:
        reset_postgres(args.postgres)
        run(args.postgres, "PostgreSQL")
    if not (args.sqlite or args.postgres):
        parser.error("--postgres URL and/or --sqlite")


if __name__ == "__main__":
    main()
