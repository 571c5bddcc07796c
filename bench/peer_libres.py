"""Side by side with libres, the reservation library of seantis (used by
Swiss municipalities), on the same PostgreSQL in the same run.

    .venv/bin/pip install -e '.[bench]'     # or: .venv/bin/pip install 'libres>=1.4,<2'
    .venv/bin/python -m bench.peer_libres --postgres postgresql://postgres@127.0.0.1:5432/kb_bench_peer

Prints, for both:

* sequential single bookings per second. libres: ``reserve`` +
  ``approve_reservations`` + ``commit`` on an allocation made beforehand;
  ours: ``reservations.service.create_booking`` + commit on the request-like
  path (the session expires everything on commit, so every booking reloads
  its tenant, user and resource as a request loads them); ``mail.deliver``
  queues and composes its confirmation later, outside the request (timed
  afterwards, on its own). Measured in alternating rounds so
  both share the machine's noise; also the SQL statements per booking;
* a 52-week series, check + write + commit (median);
* 16 concurrent clients (threads, each with its own session and connection)
  racing for one slot, several times: winners, losers and errors of each
  kind. Ours must have exactly one winner per race and no errors.

Then a table with the ratio ours/theirs. The database is wiped: its name must
contain "bench" (``createdb -h 127.0.0.1 -U postgres kb_bench_peer``).
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, text

from bench.booking import log, make_app, reset_postgres, seed

BASE = datetime(2032, 1, 5, 0, 0, tzinfo=UTC)  # a Monday
SLOT = timedelta(hours=1)
STEP = timedelta(hours=2)  # slots are 2 hours apart: one booking each
LIBRES_EMAIL = "bench@example.org"


def psycopg_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


# --- counting statements -----------------------------------------------------------------


class StatementCounter:
    """Statements sent through an engine (``before_cursor_execute``) and the
    transactions it committed, while ``counting``."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.statements = 0
        self.commits = 0

    def _statement(self, *_args) -> None:
        self.statements += 1

    def _commit(self, *_args) -> None:
        self.commits += 1

    @contextmanager
    def counting(self):
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)
        try:
            yield self
        finally:
            event.remove(self.engine, "before_cursor_execute", self._statement)
            event.remove(self.engine, "commit", self._commit)


# --- libres --------------------------------------------------------------------------


class Libres:
    """A libres context and scheduler on ``url`` (its tables next to ours)."""

    def __init__(self, url: str, pool_size: int) -> None:
        from libres.context.registry import create_default_registry
        from libres.context.session import SERIALIZABLE, SessionProvider
        from libres.db.scheduler import Scheduler
        from sqlalchemy import create_engine
        from sqlalchemy.orm import scoped_session, sessionmaker

        dsn = psycopg_url(url)

        class Provider(SessionProvider):
            """libres' provider (SERIALIZABLE, a session per thread) with a
            pool large enough for every racer to hold its own connection."""

            def __init__(self, dsn: str) -> None:
                self.assert_valid_postgres_version(dsn)
                self.dsn = dsn
                self.engine = create_engine(
                    dsn, pool_size=pool_size, max_overflow=0, isolation_level=SERIALIZABLE
                )
                self.session = scoped_session(sessionmaker(bind=self.engine))

        self.registry = create_default_registry()
        self.context = self.registry.register_context("kommunalbuchung-bench")
        self.context.set_setting("dsn", dsn)
        self.context.set_service("session_provider", lambda context: Provider(dsn), cache=True)
        self.scheduler = Scheduler(self.context, "Raum 1", timezone="Europe/Berlin")
        self.scheduler.setup_database()
        self.scheduler.commit()
        self.engine = self.scheduler.session.bind

    def allocate(self, dates: list[tuple[datetime, datetime]]) -> None:
        """One allocation (quota 1, reserved as a whole) per date, committed."""
        for chunk in range(0, len(dates), 500):
            self.scheduler.allocate(dates[chunk : chunk + 500])
            self.scheduler.commit()

    def book(self, dates) -> None:
        """What a booking is in libres: reserve, approve, commit."""
        scheduler = self.scheduler
        try:
            token = scheduler.reserve(LIBRES_EMAIL, dates)
            scheduler.approve_reservations(token)
            scheduler.commit()
        except BaseException:
            scheduler.rollback()
            raise

    def slots_taken(self, start: datetime, end: datetime) -> int:
        from libres.db.models import ReservedSlot

        session = self.scheduler.session
        count = (
            session.query(ReservedSlot)
            .filter(ReservedSlot.start < end, ReservedSlot.end > start)
            .count()
        )
        session.rollback()
        return count

    def close(self) -> None:
        self.scheduler.session.close()
        self.scheduler.session_provider.session.remove()
        self.engine.dispose()


# --- ours ----------------------------------------------------------------------------


@dataclass
class Ours:
    """Our app, its seeded tenant, citizen and rooms (ids only: a booking
    loads what it needs, as a request does)."""

    app: object
    tenant_slug: str
    user_id: int
    room_ids: list[int]

    def load(self, resource_id: int):
        """What a request for ``/<tenant>/halls/<resource_id>/book`` loads:
        the URL's tenant with the signed-in person and the URL's resource in
        one statement (``booking.web.load_tenant``). Nothing is kept from
        one booking to the next, so each reads them again."""
        from booking.web import load_tenant

        return load_tenant(self.tenant_slug, self.user_id, resource_id)

    def book(self, resource_id: int, start: datetime, end: datetime, **kwargs) -> None:
        from booking.extensions import db
        from booking.reservations import service

        try:
            tenant, user, resource = self.load(resource_id)
            service.create_booking(tenant, user, resource, start, end, "Termin", **kwargs)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise


def setup_ours(url: str, pool_size: int) -> Ours:
    from flask_migrate import upgrade

    from booking.extensions import db

    app = make_app(
        url,
        SQLALCHEMY_ENGINE_OPTIONS={
            "pool_pre_ping": True,  # as configured by default
            "pool_size": pool_size,
            "max_overflow": 0,
        },
    )
    with app.app_context():
        upgrade()
        tenant, user, _hall, rooms = seed()
        ours = Ours(app, tenant.slug, user.id, [r.id for r in rooms])
        db.session.remove()
    return ours


def compose_queued(ours: Ours) -> tuple[int, float]:
    """What the bookings left for ``mail.deliver``: queue and compose every
    confirmation (text, HTML and calendar file) as the job does, after the
    timed bookings. Returns how many and the seconds it took."""
    from booking.core import utcnow
    from booking.notifications.service import compose_pending

    composed, began = 0, time.perf_counter()
    with ours.app.app_context():
        while True:
            counts = compose_pending(utcnow())
            composed += counts["composed"]
            if not counts["composed"] and not counts["failed"]:
                break
    return composed, time.perf_counter() - began


# --- sequential single bookings ------------------------------------------------------


@dataclass
class Singles:
    seconds: float = 0.0
    cpu: float = 0.0  # this process's CPU time (Python, SQLAlchemy, the driver)
    bookings: int = 0
    statements: int = 0
    commits: int = 0

    @property
    def rate(self) -> float:
        return self.bookings / self.seconds if self.seconds else 0.0

    @property
    def per_booking(self) -> float:
        return self.statements / self.bookings if self.bookings else 0.0


def slots(start: datetime, count: int) -> list[tuple[datetime, datetime]]:
    return [(start + i * STEP, start + i * STEP + SLOT) for i in range(count)]


def libres_singles(libres: Libres, dates, result: Singles, counter: StatementCounter) -> None:
    with counter.counting():
        began, cpu = time.perf_counter(), time.process_time()
        for date in dates:
            libres.book(date)
        result.seconds += time.perf_counter() - began
        result.cpu += time.process_time() - cpu
    result.bookings += len(dates)


def ours_singles(
    ours: Ours,
    resource_id: int,
    dates,
    result: Singles,
    counter: StatementCounter,
    profile: cProfile.Profile | None = None,
) -> None:
    from booking.extensions import db

    with ours.app.app_context():
        ours.load(resource_id)  # warm, then expired by the first commit
        db.session.commit()
        with counter.counting():
            if profile:
                profile.enable()
            began, cpu = time.perf_counter(), time.process_time()
            for start, end in dates:
                ours.book(resource_id, start, end)
            result.seconds += time.perf_counter() - began
            result.cpu += time.process_time() - cpu
            if profile:
                profile.disable()
        db.session.remove()
    result.bookings += len(dates)


# --- series --------------------------------------------------------------------------


def weekly(first: datetime, count: int = 52) -> list[tuple[datetime, datetime]]:
    return [(first + timedelta(weeks=w), first + timedelta(weeks=w, hours=2)) for w in range(count)]


def libres_series(libres: Libres, firsts: list[datetime]) -> list[float]:
    timings = []
    for first in firsts:
        dates = weekly(first)
        began = time.perf_counter()
        libres.book(dates)
        timings.append(time.perf_counter() - began)
    return timings


def ours_series(ours: Ours, resource_id: int, firsts: list[datetime]) -> list[float]:
    from booking.extensions import db

    recurrence = {"freq": "weekly", "interval": 1, "count": 52}
    timings = []
    with ours.app.app_context():
        for first in firsts:
            began = time.perf_counter()
            ours.book(resource_id, first, first + timedelta(hours=2), recurrence=recurrence)
            timings.append(time.perf_counter() - began)
        db.session.remove()
    return timings


# --- the race ------------------------------------------------------------------------


@dataclass
class Race:
    winners: int = 0
    losers: int = 0
    errors: Counter = field(default_factory=Counter)
    races: int = 0
    exactly_one: int = 0  # races with exactly one winner
    slots_taken: list[int] = field(default_factory=list)  # rows in the database per race

    def add(self, outcomes: list[str], taken: int) -> None:
        self.races += 1
        wins = outcomes.count("won")
        self.winners += wins
        self.losers += outcomes.count("lost")
        self.exactly_one += wins == 1
        for outcome in outcomes:
            if outcome not in ("won", "lost"):
                self.errors[outcome] += 1
        self.slots_taken.append(taken)

    def describe(self) -> str:
        errors = ", ".join(f"{n} {kind}" for kind, n in self.errors.most_common()) or "none"
        return f"{self.winners} won, {self.losers} lost, errors: {errors}"


def error_kind(error: BaseException) -> str:
    orig = getattr(error, "orig", None)
    code = getattr(orig, "sqlstate", None)
    name = type(orig or error).__name__
    return f"{name} ({code})" if code else name


def run_racers(racers: int, prepare: Callable[[], Callable[[], str]]) -> list[str]:
    """``racers`` threads: each ``prepare``s (own session, connection, the
    rows it needs), waits for all, then books; the outcome of each."""
    barrier = threading.Barrier(racers)
    outcomes: list[str] = [""] * racers

    def racer(i: int) -> None:
        try:
            book = prepare()
        except BaseException as error:  # setup failed: counts as an error
            outcomes[i] = f"setup {error_kind(error)}"
            barrier.abort()
            return
        try:
            barrier.wait(timeout=60)
        except threading.BrokenBarrierError:
            outcomes[i] = outcomes[i] or "barrier broken"
            return
        try:
            outcomes[i] = book()
        except BaseException as error:
            outcomes[i] = error_kind(error)

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def libres_race(libres: Libres, date: tuple[datetime, datetime], racers: int) -> list[str]:
    from libres.modules import errors

    def prepare() -> Callable[[], str]:
        scheduler = libres.scheduler.clone()  # its session: this thread's own
        scheduler.session.execute(text("SELECT 1"))  # a connection of its own, now
        scheduler.rollback()

        def book() -> str:
            try:
                token = scheduler.reserve(LIBRES_EMAIL, date)
                scheduler.approve_reservations(token)
                scheduler.commit()
                return "won"
            except errors.AlreadyReservedError:
                scheduler.rollback()
                return "lost"
            except BaseException:
                scheduler.rollback()
                raise
            finally:
                scheduler.session_provider.session.remove()

        return book

    return run_racers(racers, prepare)


def ours_race(ours: Ours, resource_id: int, date: tuple[datetime, datetime], racers: int):
    from booking.extensions import db
    from booking.reservations.errors import BookingConflict

    def prepare() -> Callable[[], str]:
        ctx = ours.app.app_context()
        ctx.push()
        try:
            db.session.connection()  # a connection of its own, now
        except BaseException:
            db.session.remove()
            ctx.pop()
            raise

        def book() -> str:
            try:
                ours.book(resource_id, *date)
                return "won"
            except BookingConflict:
                return "lost"
            finally:
                db.session.remove()
                ctx.pop()

        return book

    return run_racers(racers, prepare)


def ours_claims(ours: Ours, resource_id: int, date: tuple[datetime, datetime]) -> int:
    from sqlalchemy import func, select

    from booking.extensions import db
    from booking.reservations.models import Claim

    with ours.app.app_context():
        count = db.session.scalar(
            select(func.count())
            .select_from(Claim)
            .where(
                Claim.unit_id == resource_id,
                Claim.active.is_(True),
                Claim.start_at < date[1],
                Claim.end_at > date[0],
            )
        )
        db.session.remove()
    return count


# --- the run -------------------------------------------------------------------------


def run(args) -> dict[str, float]:
    reset_postgres(args.postgres)
    pool = args.racers + 2
    ours = setup_ours(args.postgres, pool)
    libres = Libres(args.postgres, pool)
    with ours.app.app_context():
        from booking.extensions import db

        our_counter = StatementCounter(db.engine)
    libres_counter = StatementCounter(libres.engine)

    rounds = max(1, args.rounds)
    per_round = max(1, args.singles // rounds)
    warmup = 30
    single_room = ours.room_ids[0]
    series_room = ours.room_ids[1]
    race_room = ours.room_ids[2]
    # Every date libres is to book needs an allocation first (not timed).
    singles_start = BASE
    libres_dates = slots(singles_start, warmup + per_round * rounds)
    # Series after the singles' dates, 3 hours apart (no two overlap).
    series_start = singles_start + (warmup + per_round * rounds) * STEP + timedelta(days=7)
    series_firsts = [series_start + i * timedelta(hours=3) for i in range(args.series)]
    race_dates = [
        (BASE - timedelta(days=7) + i * STEP, BASE - timedelta(days=7) + i * STEP + SLOT)
        for i in range(args.races)
    ]
    log("allocating for libres …")
    libres.allocate(libres_dates + [d for f in series_firsts for d in weekly(f)] + race_dates)

    log("\n== sequential single bookings (alternating rounds) ==")
    ours_dates = slots(singles_start, warmup + per_round * rounds)
    ours_singles(ours, single_room, ours_dates[:warmup], Singles(), our_counter)
    libres_singles(libres, libres_dates[:warmup], Singles(), libres_counter)
    our_counter.statements = our_counter.commits = 0
    libres_counter.statements = libres_counter.commits = 0
    mine, theirs = Singles(), Singles()
    profile = cProfile.Profile() if args.profile else None
    ratios = []
    for r in range(rounds):
        chunk = slice(warmup + r * per_round, warmup + (r + 1) * per_round)
        before = (mine.seconds, theirs.seconds)
        ours_singles(ours, single_room, ours_dates[chunk], mine, our_counter, profile)
        libres_singles(libres, libres_dates[chunk], theirs, libres_counter)
        ours_rate = per_round / (mine.seconds - before[0])
        libres_rate = per_round / (theirs.seconds - before[1])
        ratios.append(ours_rate / libres_rate)
        log(f"  round {r + 1}: ours {ours_rate:7.1f}/s, libres {libres_rate:7.1f}/s")
    mine.statements, mine.commits = our_counter.statements, our_counter.commits
    theirs.statements, theirs.commits = libres_counter.statements, libres_counter.commits
    if profile:
        profile.dump_stats(args.profile)
        log(f"  cProfile of our bookings: {args.profile}")
    composed, composing = compose_queued(ours)
    log(
        f"  afterwards, outside the request: mail.deliver queued and composed the {composed} confirmations "
        f"in {composing:.1f} s ({composing / max(composed, 1) * 1000:.2f} ms each)"
    )

    log("\n== 52-week series ==")
    ours_timing = ours_series(ours, series_room, series_firsts)
    libres_timing = libres_series(libres, series_firsts)

    log(f"\n== {args.racers} clients racing for one slot, {args.races} times ==")
    our_race, their_race = Race(), Race()
    for date in race_dates:
        our_race.add(
            ours_race(ours, race_room, date, args.racers), ours_claims(ours, race_room, date)
        )
        their_race.add(libres_race(libres, date, args.racers), libres.slots_taken(*date))
    libres.close()

    figures = {
        "ours_per_s": mine.rate,
        "libres_per_s": theirs.rate,
        "ratio": mine.rate / theirs.rate,
        "ours_series_ms": statistics.median(ours_timing) * 1000,
        "libres_series_ms": statistics.median(libres_timing) * 1000,
        "ours_statements": mine.per_booking,
        "libres_statements": theirs.per_booking,
    }
    log("\n== side by side (PostgreSQL) ==")
    log(
        f"sequential single bookings/s: ours {mine.rate:.1f}, libres {theirs.rate:.1f}, "
        f"ratio {figures['ratio']:.2f}"
    )
    log(
        f"  per round: ratio median {statistics.median(ratios):.2f}, "
        f"min {min(ratios):.2f}, max {max(ratios):.2f} ({rounds} rounds of {per_round})"
    )
    log(
        f"  SQL statements per booking: ours {mine.per_booking:.1f}, "
        f"libres {theirs.per_booking:.1f} (plus BEGIN and COMMIT; "
        f"commits: ours {mine.commits}, libres {theirs.commits})"
    )
    log(
        f"  client CPU per booking: ours {mine.cpu / mine.bookings * 1000:.2f} ms, "
        f"libres {theirs.cpu / theirs.bookings * 1000:.2f} ms (the rest is waiting for the database)"
    )
    log(
        f"52-week series, median ms: ours {figures['ours_series_ms']:.1f}, "
        f"libres {figures['libres_series_ms']:.1f}, "
        f"ratio {figures['libres_series_ms'] / figures['ours_series_ms']:.2f} "
        f"(theirs/ours: higher is better for ours; {len(ours_timing)} series each)"
    )
    log(
        f"race, ours:   {our_race.describe()}; exactly one winner in "
        f"{our_race.exactly_one} of {our_race.races} races; claims per slot {our_race.slots_taken}"
    )
    log(
        f"race, libres: {their_race.describe()}; exactly one winner in "
        f"{their_race.exactly_one} of {their_race.races} races; slots per date "
        f"{their_race.slots_taken}"
    )
    ok = (
        our_race.exactly_one == our_race.races
        and not our_race.errors
        and all(n == 1 for n in our_race.slots_taken)
    )
    log("ours: exactly one winner and no errors in every race" if ok else "OURS FAILED THE RACE")
    figures["race_ok"] = float(ok)
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", metavar="URL", required=True, help="a scratch database")
    parser.add_argument("--singles", type=int, default=1000, help="single bookings each")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds")
    parser.add_argument("--series", type=int, default=10, help="52-week series each")
    parser.add_argument("--racers", type=int, default=16, help="concurrent clients")
    parser.add_argument("--races", type=int, default=5, help="races (one slot each)")
    parser.add_argument("--profile", metavar="FILE", help="cProfile our single bookings")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    figures = run(args)
    if not figures["race_ok"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
