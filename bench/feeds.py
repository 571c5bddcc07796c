"""Benchmark of the calendar feeds.

    .venv/bin/python -m bench.feeds
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/kb_bench_feeds .venv/bin/python -m bench.feeds

Seeds one municipality with one hall holding 5,000 occurrences inside the
feed window (100 weekly-ish bookings of 50 dates, titles, phones, notes,
people and clubs, written straight into the tables), subscribes a clerk to
the hall's feed, and prints, through the Flask test client:

* cold: a GET with an empty cache (version query, one load of the rows,
  rendering with icalendar, gzip, the cache upsert) — median of 5;
* 304: a GET with If-None-Match of the current ETag — median of 50;
* cached: an unconditional GET of the unchanged feed (from ``feed_cache``),
  with ``Accept-Encoding: gzip`` as calendar apps send it (the stored bytes
  as they are) and without (gunzipped per request) — median of 50 each;
* the size of the feed in bytes;
* the floor: bare icalendar building and serialising the same 5,000
  events (the values taken from the rendered feed beforehand, ``Event.add``
  per property, ``Calendar.to_ical``) — median of 5, each run right after a
  cold one; and cold / floor as the median of those five pairs.

SQLite by default (a scratch file); a PostgreSQL database named by
``DATABASE_URL`` is wiped first, so its name must contain "bench".
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from bench.booking import log, make_app, reset_postgres

EVENTS = 5_000
PER_BOOKING = 50


def seed():
    """A tenant, a clerk, a hall with a key handover, 5,000 dates in the window."""
    from booking.accounts import service as accounts
    from booking.accounts.models import Organisation, User
    from booking.core import utcnow
    from booking.extensions import db
    from booking.reservations.models import Booking, Occurrence
    from booking.resources.models import Resource
    from booking.tenants.service import create_tenant

    tenant = create_tenant("bench", "Gemeinde Benchmarkhausen")
    clerk = User(
        email="clerk@example.org",
        name="Clara Clerk",
        password_hash=accounts.hash_password("bench-password"),
        email_confirmed_at=utcnow(),
    )
    db.session.add(clerk)
    db.session.flush()
    accounts.grant_role(tenant, None, clerk, "clerk")
    hall = Resource(
        tenant_id=tenant.id,
        name="Dorfgemeinschaftshaus",
        kind="hall",
        address="Hauptstraße 12, 35000 Benchmarkhausen",
        key_handover="Schlüssel im Bürgerbüro, Zimmer 3 (Mo–Fr 8–12 Uhr)",
        observe_holidays=False,
    )
    db.session.add(hall)
    people = []
    for i in range(20):
        person = User(
            email=f"person{i}@example.org",
            name=f"Person Nummer {i} Müller",
            password_hash="x",
        )
        people.append(person)
    db.session.add_all(people)
    clubs = [
        Organisation(tenant_id=tenant.id, name=f"Sportverein Grün-Weiß {i} e. V.", kind="club")
        for i in range(5)
    ]
    db.session.add_all(clubs)
    db.session.flush()
    now = utcnow().replace(microsecond=0)
    first = now - timedelta(days=85)
    step = timedelta(days=610) / EVENTS
    bookings = []
    for b in range(EVENTS // PER_BOOKING):
        bookings.append(
            Booking(
                tenant_id=tenant.id,
                resource_id=hall.id,
                user_id=people[b % len(people)].id,
                organisation_id=clubs[b % len(clubs)].id if b % 3 == 0 else None,
                title=f"Übungsabend Chor „Harmonie“ Gruppe {b}",
                note="Bitte Stühle in Reihen stellen; wir bringen Getränke mit.",
                guests=30 + b % 50,
                contact_phone=f"0170 55{b:05d}",
                status="confirmed",
                created_at=now,
                updated_at=now,
            )
        )
    db.session.add_all(bookings)
    db.session.flush()
    rows = []
    for n in range(EVENTS):
        start = first + step * n
        rows.append(
            {
                "tenant_id": tenant.id,
                "booking_id": bookings[n % len(bookings)].id,
                "resource_id": hall.id,
                "start_at": start,
                "end_at": start + timedelta(hours=2),
                "sequence": n % 3,
                "updated_at": now,
            }
        )
    db.session.execute(Occurrence.__table__.insert(), rows)
    db.session.commit()
    return tenant, clerk, hall


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def floor_events(body: bytes) -> tuple[list[dict], object]:
    """The values of every VEVENT of ``body`` (parsed once, not timed)."""
    from icalendar import Calendar

    calendar = Calendar.from_ical(body)
    names = (
        "uid",
        "sequence",
        "dtstamp",
        "last-modified",
        "dtstart",
        "dtend",
        "summary",
        "location",
        "status",
        "description",
    )
    values = []
    for event in calendar.walk("VEVENT"):
        values.append({name: event.decoded(name) for name in names if name in event})
    for item in values:
        for name in ("uid", "summary", "location", "status", "description"):
            if name in item and isinstance(item[name], bytes):
                item[name] = item[name].decode()
    (zone,) = calendar.walk("VTIMEZONE")
    return values, zone


def floor(values: list[dict], zone) -> bytes:
    """Bare icalendar: the same events, ``Event.add`` per property."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//bench//floor//DE")
    calendar.add("version", "2.0")
    calendar.add_component(zone)
    for item in values:
        event = Event()
        for name, value in item.items():
            event.add(name, value)
        calendar.add_component(event)
    return calendar.to_ical()


def run(url: str, label: str) -> None:
    from booking.extensions import db
    from booking.feeds import cache
    from booking.feeds.models import FeedCache
    from booking.feeds.tokens import create_feed

    app = make_app(url, SERVER_NAME="localhost", BASE_URL="http://localhost")
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        tenant, clerk, hall = seed()
        if url.startswith("postgresql"):
            # Statistics as autovacuum keeps them in production; without
            # them the version query is planned blind on fresh tables.
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        from booking.core import utcnow

        _feed, plain = create_feed(tenant, clerk, "resource", resource=hall, now=utcnow())
        db.session.commit()
        path = f"/{tenant.slug}/feeds/{plain}.ics"
        client = app.test_client()

        def drop() -> None:
            db.session.execute(FeedCache.__table__.delete())
            db.session.commit()

        def cold() -> None:
            response = client.get(path)
            assert response.status_code == 200
            drop()

        response = client.get(path)  # warms the interpreter (imports, VTIMEZONE, statements)
        drop()
        body = response.get_data()
        values, zone = floor_events(body)
        floor(values, zone)
        # Cold and floor alternate, so that the load of a shared machine
        # weighs on both alike; the ratio is the median of the pairs'.
        renders = cache.renders
        colds, floors = [], []
        for _ in range(5):
            colds.append(median_ms(cold, 1))
            floors.append(median_ms(lambda: floor(values, zone), 1))
        assert cache.renders == renders + 5
        cold_ms, floor_ms = statistics.median(colds), statistics.median(floors)
        ratio = statistics.median(c / f for c, f in zip(colds, floors, strict=True))
        response = client.get(path)
        body = response.get_data()
        etag = response.headers["ETag"]
        events = body.count(b"BEGIN:VEVENT")
        renders = cache.renders

        def conditional() -> None:
            assert client.get(path, headers={"If-None-Match": etag}).status_code == 304

        def cached() -> None:
            assert len(client.get(path).get_data()) == len(body)

        def cached_gzip() -> None:
            response = client.get(path, headers={"Accept-Encoding": "gzip"})
            assert response.headers["Content-Encoding"] == "gzip"
            sizes.add(len(response.get_data()))

        sizes: set[int] = set()
        not_modified_ms = median_ms(conditional, 50)
        cached_ms = median_ms(cached, 50)
        cached_gzip_ms = median_ms(cached_gzip, 50)
        assert cache.renders == renders, "a cached GET rendered"
    log(f"\n{label}: one resource, {events} events in the window")
    log(f"  cold render (GET, empty cache)     {cold_ms:8.1f} ms")
    log(f"  304 (If-None-Match)                {not_modified_ms:8.1f} ms")
    log(f"  cached GET, gzip (calendar apps)   {cached_gzip_ms:8.1f} ms")
    log(f"  cached GET, identity (gunzipped)   {cached_ms:8.1f} ms")
    log(f"  size                               {len(body):8d} bytes")
    log(f"  size gzip (stored, sent)           {min(sizes):8d} bytes")
    log(f"  floor: bare icalendar, same events {floor_ms:8.1f} ms")
    log(f"  cold / floor (median of 5 pairs)   {ratio:8.2f}")


def main() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgresql"):
        reset_postgres(url)
        run(url, "PostgreSQL")
        return
    with tempfile.TemporaryDirectory() as scratch:
        run(f"sqlite:///{Path(scratch) / 'feeds.sqlite'}", "SQLite")


if __name__ == "__main__":
    main()
