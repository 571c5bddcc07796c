"""Benchmark of the scheduled mail jobs: reminders and delivery.

    .venv/bin/python -m bench.jobs [--postgres postgresql://postgres@127.0.0.1/kb_bench_jobs]

Prints, for SQLite (a scratch file) and, with ``--postgres``, PostgreSQL:

* ``reminders.bookings`` over 10,000 confirmed dates inside the reminder
  window (one municipality, ``reminder_days = 7``): the first run, which
  renders and queues a reminder for each applicant and caretaker, as dates
  and mails per second; a second run, which finds every reminder queued
  already, as dates checked per second;
* ``mail.deliver``: 2,000 of those mails sent to a local aiosmtpd (the
  tests' ``Recorder``, in a child process so that it does not share the
  deliverer's interpreter), in runs of ``delivery.BATCH`` by one process,
  as mails per second, in three states of the outbox: quiet (2,000 queued,
  the rest set aside as ``failed`` for the measurement), right after the
  reminder run (17,800 queued), and 2,000 queued behind 18,000 sent ones
  (marked sent with one UPDATE).

Each job is run through ``jobs.runner.run_job`` as the scheduler runs it
(its own unit of work, recorded in ``job_run``). The bookings are written
straight into the tables (as in ``bench.booking``), not through the booking
service, so the outbox holds no confirmation mails: it starts empty. The
outbox is ANALYZEd before each delivery measurement. ``--profile PREFIX``
writes a cProfile of each measured run.

The PostgreSQL database is wiped: its name must contain "bench"
(create it with ``psql -h 127.0.0.1 -U postgres -c 'create database kb_bench_jobs'``).
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import multiprocessing
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text, update

from bench.booking import _copy_postgres, _executemany_sqlite, log, make_app, reset_postgres

NOW = datetime(2031, 1, 6, 6, 0, tzinfo=UTC)  # the jobs' "now"; every date lies after it
REMINDER_DAYS = 7
HALLS = 10
PARTS_PER_HALL = 10  # 100 rooms; the caretakers are assigned to the halls
APPLICANTS = 200
FIRST_HOUR, LAST_HOUR = 7, 22  # one-hour slots 7:00 … 21:00 UTC: 15 a day and room


# --- setup ---------------------------------------------------------------------------


def seed():
    """One municipality: halls with parts, a caretaker per hall, applicants."""
    from booking.accounts import service as accounts
    from booking.accounts.models import User
    from booking.core import utcnow
    from booking.extensions import db
    from booking.resources import service as resources
    from booking.resources.models import Resource
    from booking.tenants.service import create_tenant

    tenant = create_tenant("bench", "Benchmarkhausen")
    tenant.reminder_days = REMINDER_DAYS
    password_hash = accounts.hash_password("bench-password")

    def person(email: str, name: str) -> User:
        user = User(
            email=email, name=name, password_hash=password_hash, email_confirmed_at=utcnow()
        )
        db.session.add(user)
        return user

    applicants = [person(f"person{i}@example.org", f"Person {i}") for i in range(APPLICANTS)]
    rooms = []
    for h in range(HALLS):
        hall = Resource(
            tenant_id=tenant.id,
            name=f"Dorfgemeinschaftshaus {h}",
            kind="hall",
            address=f"Lindenstraße {h + 1}",
            observe_holidays=False,
        )
        db.session.add(hall)
        for p in range(PARTS_PER_HALL):
            room = Resource(tenant_id=tenant.id, name=f"Saal {h}.{p}", kind="room", parent=hall)
            db.session.add(room)
            rooms.append(room)
        caretaker = person(f"hausmeister{h}@example.org", f"Hausmeister {h}")
        db.session.flush()
        accounts.grant_role(tenant, None, caretaker, "caretaker")
        resources.add_caretaker(tenant, None, hall, caretaker)
    ids = tenant.id, [u.id for u in applicants], [(tenant.id, r.id) for r in rooms]
    db.session.commit()  # and no transaction left open (SQLite: no write lock)
    return ids


def slots() -> list[datetime]:
    """The start of every one-hour slot in ``(NOW, NOW + 7 days]``."""
    hours = [
        NOW.replace(hour=0) + timedelta(days=day, hours=hour)
        for day in range(REMINDER_DAYS)
        for hour in range(FIRST_HOUR, LAST_HOUR)
    ]
    return [h for h in hours if NOW < h <= NOW + timedelta(days=REMINDER_DAYS)]


def bulk_bookings(rooms, applicants, count: int) -> float:
    """``count`` confirmed one-date bookings (as a weekly series has one date
    in the window), each with its occurrence and claim: COPY on PostgreSQL,
    executemany in one transaction on SQLite."""
    from booking.extensions import db

    hours = slots()
    if len(rooms) * len(hours) < count:
        raise SystemExit(f"only {len(rooms) * len(hours)} slots for {count} dates")
    began = time.perf_counter()
    engine = db.engine
    bookings, occurrences, claims = [], [], []
    for i in range(count):
        tenant_id, room_id = rooms[i % len(rooms)]
        start = hours[i // len(rooms)]
        end = start + timedelta(hours=1)
        n = i + 1  # the tables are empty: ids from 1
        bookings.append((n, tenant_id, room_id, applicants[i % len(applicants)], start))
        occurrences.append((n, tenant_id, n, room_id, start, end))
        claims.append((n, tenant_id, n, room_id, start, end))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            _copy_postgres(conn, bookings, occurrences, claims)
        else:
            _executemany_sqlite(conn, bookings, occurrences, claims)
    analyse(("booking", "occurrence", "claim"), sequences=True)
    return time.perf_counter() - began


def analyse(tables, *, sequences: bool = False) -> None:
    from booking.extensions import db

    engine = db.engine
    with engine.begin() as conn:
        if engine.dialect.name != "postgresql":
            conn.execute(text("ANALYZE"))
            return
        for table in tables:
            conn.execute(text(f"ANALYZE {table}"))
            if sequences:
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT MAX(id) FROM {table}))"
                    )
                )


# --- the SMTP server -----------------------------------------------------------------


def _serve_smtp(port: int, ready, stop, result) -> None:
    from aiosmtpd.controller import Controller

    from tests.smtp import Recorder

    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()
    result.put(len(recorder.received))


class SmtpServer:
    """aiosmtpd (the tests' ``Recorder``) on 127.0.0.1 at a free port, in a
    child process; ``stop()`` returns how many mails it accepted."""

    def __init__(self) -> None:
        from tests.smtp import free_port

        self.port = free_port()
        context = multiprocessing.get_context("spawn")
        self._ready, self._stop = context.Event(), context.Event()
        self._result = context.Queue()
        self._process = context.Process(
            target=_serve_smtp, args=(self.port, self._ready, self._stop, self._result)
        )

    def start(self) -> SmtpServer:
        self._process.start()
        if not self._ready.wait(30):
            raise SystemExit("the SMTP server did not start")
        return self

    def stop(self) -> int:
        self._stop.set()
        received = self._result.get(timeout=60)
        self._process.join(30)
        return received


# --- measurements --------------------------------------------------------------------


def run_job(job_id: str) -> dict[str, int]:
    """Run a job as the scheduler does (recorded in ``job_run``); its counts."""
    from booking.extensions import db
    from booking.jobs import registry, runner

    record = runner.run_job(registry.get(job_id), now=NOW)
    outcome, error, counts = record.outcome, record.error, record.counts
    db.session.rollback()  # reading the record began a transaction (SQLite: the lock)
    if outcome != "ok":
        raise SystemExit(f"{job_id} failed: {error}")
    return counts


def outbox_count(status: str) -> int:
    from booking.extensions import db
    from booking.notifications.models import OutboxMessage

    count = db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == status)
    )
    db.session.rollback()
    return count


def deliver(count: int) -> tuple[float, int]:
    """Run ``mail.deliver`` until ``count`` mails went out: seconds, runs."""
    from booking.notifications import delivery

    sent = runs = 0
    began = time.perf_counter()
    while sent < count:
        counts = run_job("mail.deliver")
        runs += 1
        if counts["sent"] == 0 or counts["retry"] or counts["failed"]:
            raise SystemExit(f"mail.deliver stalled: {counts}")
        sent += counts["sent"]
    elapsed = time.perf_counter() - began
    if sent != count:
        raise SystemExit(f"sent {sent}, wanted {count} (count a multiple of {delivery.BATCH})")
    return elapsed, runs


def _restatus(status: str, values: dict, *, keep: int = 0, count: int | None = None) -> int:
    """Set ``values`` on the mails in ``status``: all of them but the oldest
    ``keep``, or the oldest ``count``. Returns how many; ANALYZEs after."""
    from booking.extensions import db
    from booking.notifications.models import OutboxMessage

    ids = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == status)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    ids = ids.limit(count) if count is not None else ids.offset(keep)
    changed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids.scalar_subquery()))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    analyse(("outbox_message",))
    return changed


def set_aside(keep: int) -> int:
    """Park every queued mail but the oldest ``keep`` (as ``failed``: not due)."""
    return _restatus("queued", {"status": "failed"}, keep=keep)


def put_back() -> None:
    _restatus("failed", {"status": "queued"})


def mark_sent(count: int) -> int:
    """Mark the oldest ``count`` queued mails as sent, as if delivered long ago."""
    return _restatus("queued", {"status": "sent", "sent_at": NOW, "attempts": 1}, count=count)


@contextmanager
def profiled(prefix: str | None, label: str, what: str) -> Iterator[None]:
    """cProfile the block into ``PREFIX-label-what.prof`` (with ``--profile``)."""
    if not prefix:
        yield
        return
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        profiler.dump_stats(f"{prefix}-{label.lower()}-{what}.prof")


def run(label: str, url: str, *, dates: int, mails: int, profile: str | None) -> dict:
    from flask_migrate import upgrade

    from booking.extensions import db

    app = make_app(url)
    figures: dict[str, float] = {}
    with app.app_context():
        upgrade()
        _tenant_id, applicants, rooms = seed()
        log(f"\n== {label} ==")
        seconds = bulk_bookings(rooms, applicants, dates)
        log(
            f"bulk load: {dates:,} confirmed dates in the next {REMINDER_DAYS} days ({seconds:.1f} s)"
        )
        db.session.remove()

        began = time.perf_counter()
        with profiled(profile, label, "reminders"):
            counts = run_job("reminders.bookings")
        elapsed = time.perf_counter() - began
        queued = counts["queued"]
        figures["reminders_s"] = elapsed
        figures["reminder_dates_per_s"] = dates / elapsed
        figures["reminder_mails_per_s"] = queued / elapsed
        log(
            f"reminders, first run: {queued:,} mails for {dates:,} dates in {elapsed:5.1f} s: "
            f"{dates / elapsed:7.0f} dates/s, {queued / elapsed:7.0f} mails/s"
        )
        if outbox_count("queued") != queued:
            raise SystemExit("the outbox does not hold the mails the job counted")
        db.session.remove()

        began = time.perf_counter()
        counts = run_job("reminders.bookings")
        elapsed = time.perf_counter() - began
        if counts["queued"] != 0:
            raise SystemExit(f"the second run queued {counts['queued']} mails")
        figures["recheck_s"] = elapsed
        figures["recheck_dates_per_s"] = dates / elapsed
        log(
            f"reminders, second run (all queued): {elapsed:5.2f} s: "
            f"{dates / elapsed:7.0f} dates/s checked"
        )
        db.session.remove()

        server = SmtpServer().start()
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
        marked = 0
        try:
            run_job("mail.deliver")  # warm-up: a connection, one batch
            analyse(("outbox_message",))

            def measure(key: str, what: str) -> None:
                queued_now, sent_now = outbox_count("queued"), outbox_count("sent")
                with profiled(profile, label, key.removesuffix("_per_s")):
                    elapsed, runs = deliver(mails)
                figures[key] = mails / elapsed
                log(
                    f"mail.deliver, {what} ({queued_now:,} queued, {sent_now:,} sent): "
                    f"{mails / elapsed:5.0f} mails/s ({mails:,} mails, {runs} runs)"
                )

            parked = set_aside(keep=mails)
            measure("deliver_quiet_per_s", "quiet outbox")
            put_back()
            if parked >= mails:
                measure("deliver_burst_per_s", "after the reminder run")
                history = outbox_count("queued") - mails
                if history > 0:
                    marked = mark_sent(history)
                    measure("deliver_history_per_s", "behind a long history of sent mail")
        finally:
            received = server.stop()
        if received != outbox_count("sent") - marked:
            raise SystemExit(f"the SMTP server received {received} mails")
        log(f"the SMTP server accepted {received:,} mails")
        db.session.remove()
        db.engine.dispose()
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", metavar="URL", help="a scratch PostgreSQL database")
    parser.add_argument("--dates", type=int, default=10_000, help="dates in the reminder window")
    parser.add_argument("--mails", type=int, default=2_000, help="mails to deliver (x200)")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument(
        "--profile",
        metavar="PREFIX",
        help="cProfile the first reminder run and delivery into PREFIX-*.prof",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'bench.sqlite'}"
            run("SQLite", url, dates=args.dates, mails=args.mails, profile=args.profile)
    if args.postgres:
        reset_postgres(args.postgres)
        run("PostgreSQL", args.postgres, dates=args.dates, mails=args.mails, profile=args.profile)


if __name__ == "__main__":
    main()
