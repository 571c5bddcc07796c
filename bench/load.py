"""Load over HTTP: gunicorn on PostgreSQL, driven by concurrent clients.

    .venv/bin/python -m bench.load --postgres postgresql://postgres@127.0.0.1:5432/kb_bench_load
    .venv/bin/python -m bench.load --postgres URL --fault pg-restart
    .venv/bin/python -m bench.load --postgres URL --fault kill-worker
    .venv/bin/python -m bench.load --postgres URL --fault kill-scheduler

Seeds the database (wiped: its name must contain "bench") with a few
municipalities, halls, bookings, users with API tokens and feed tokens,
starts gunicorn (``--workers``, default 4) on 127.0.0.1 with
``ENV=production`` and rate limits in Redis (``--redis``, default
``redis://127.0.0.1:6379/5``; the limits stay on: the API allows 600 calls
a minute per token and the load is spread over 64 tokens, so none is
reached; a 429 would be counted apart), and drives it for ``--seconds``
with ``--clients`` concurrent asyncio clients (httpx, one connection each,
no retries) through a mix of:

* ``catalogue``: the hall list, and now and then the free-hall search;
* ``week``: a hall's week view (a random week of the next four);
* ``busy``: ``GET /api/v1/resources/<id>/busy`` for a week (bearer token);
* ``feed``: a staff feed poll, half of them conditional (If-None-Match of
  the last ETag seen for that feed), gzip accepted as calendar apps do;
* ``booking``: ``POST /api/v1/bookings`` of a random hour in the next four
  weeks — conflicts are expected: a 409 is a correct answer.

It prints requests/s, p50/p95/p99 latency per kind and overall, and the
errors (5xx, connection errors); then checks in the database that no unit
has two overlapping active claims and that every booking answered 201
exists with its dates and claims. Without ``--fault`` the same run follows
with two gunicorn instances on different ports sharing database and Redis
(the clients alternate between them).

Faults (one instance, ``--fault``):

* ``pg-restart``: PostgreSQL is stopped a third into the run, kept down
  ``--down`` seconds, and started again (``pg_ctlcluster <version> main``).
  While it is down every answer must be the 503 page or the API's
  ``unavailable`` error, never a 500 or a traceback; afterwards the service
  must answer again by itself. Prints failed requests and seconds to recover.
* ``kill-worker``: SIGKILL to one gunicorn worker a third into the run.
* ``kill-scheduler``: two ``flask jobs run`` processes; the one holding the
  lock is killed with SIGKILL, and the time until the other takes over is
  printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.booking import log, make_app, reset_postgres

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
TENANTS = 4
HALLS_PER_TENANT = 5  # each with two parts
ROOMS_PER_TENANT = 5
USERS_PER_TENANT = 16  # each with an API token
SEEDED_BOOKINGS_PER_TENANT = 50
SECRET = "load-bench-secret-key-0123456789abcdef0123456789abcdef"
KINDS = {"catalogue": 15, "week": 20, "busy": 20, "feed": 20, "booking": 25}


# --- seed --------------------------------------------------------------------------


@dataclass
class Seed:
    tenants: list[dict] = field(default_factory=list)  # slug, halls, bookable, tokens, feeds


def seed(url: str) -> Seed:
    from flask_migrate import upgrade

    from booking.accounts import service as accounts
    from booking.accounts.models import User
    from booking.core import Conflict, utcnow
    from booking.extensions import db
    from booking.feeds.tokens import create_feed
    from booking.reservations import service as bookings
    from booking.resources.models import OpeningHours, Resource
    from booking.tenants.service import create_tenant

    app = make_app(url)
    out = Seed()
    rng = random.Random(12)
    with app.app_context():
        upgrade()
        now = utcnow()
        for t in range(TENANTS):
            tenant = create_tenant(f"gemeinde-{t}", f"Gemeinde {t}")

            def resource(name, kind, parent=None, *, tenant=tenant):
                r = Resource(
                    tenant_id=tenant.id,
                    name=name,
                    kind=kind,
                    parent=parent,
                    capacity=100,
                    observe_holidays=False,
                    buffer_after_min=15 if parent is None else 0,
                )
                for weekday in range(7):
                    r.opening_hours.append(
                        OpeningHours(weekday=weekday, opens_min=0, closes_min=1440)
                    )
                db.session.add(r)
                return r

            halls, bookable = [], []
            for h in range(HALLS_PER_TENANT):
                hall = resource(f"Halle {h}", "hall")
                parts = [resource(f"Halle {h} {p}", "room", hall) for p in "AB"]
                halls.append(hall)
                bookable.extend([hall, *parts])
            bookable.extend(resource(f"Raum {r}", "room") for r in range(ROOMS_PER_TENANT))
            clerk = User(
                email=f"clerk{t}@example.org",
                name=f"Clerk {t}",
                password_hash="x",
                email_confirmed_at=now,
            )
            db.session.add(clerk)
            users = [
                User(
                    email=f"user{t}-{u}@example.org",
                    name=f"Nutzer {t}-{u}",
                    password_hash="x",
                    email_confirmed_at=now,
                )
                for u in range(USERS_PER_TENANT)
            ]
            db.session.add_all(users)
            db.session.flush()
            accounts.grant_role(tenant, None, clerk, "clerk")
            tokens = [accounts.create_api_token(u, "load")[1] for u in users]
            feeds = [
                create_feed(tenant, clerk, "resource", resource=hall, now=now)[1] for hall in halls
            ]
            feeds.append(create_feed(tenant, clerk, "tenant", now=now)[1])
            db.session.commit()
            made = 0
            while made < SEEDED_BOOKINGS_PER_TENANT:
                start = _random_slot(rng, now)
                try:
                    bookings.create_booking(
                        tenant,
                        rng.choice(users),
                        rng.choice(bookable),
                        start,
                        start + timedelta(hours=rng.choice((1, 2))),
                        "Bestand",
                    )
                    db.session.commit()
                    made += 1
                except Conflict:
                    db.session.rollback()
            out.tenants.append(
                {
                    "slug": tenant.slug,
                    "halls": [h.id for h in halls],
                    "bookable": [r.id for r in bookable],
                    "tokens": tokens,
                    "feeds": feeds,
                }
            )
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return out


def _random_slot(rng: random.Random, now: datetime) -> datetime:
    """A whole hour between 06:00 and 21:00 UTC in the next 28 days."""
    day = (now + timedelta(days=rng.randrange(1, 29))).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return day + timedelta(hours=rng.randrange(6, 22))


# --- processes ---------------------------------------------------------------------


def app_env(url: str, redis: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ENV="production",
        SECRET_KEY=SECRET,
        DATABASE_URL=url,
        RATELIMIT_STORAGE_URI=redis,
        RATELIMIT_ENABLED="true",
        BASE_URL="http://127.0.0.1",
        LOG_LEVEL="WARNING",
        SCHEDULER_POLL_SECONDS="1",
        PYTHONUNBUFFERED="1",
    )
    return env


class Gunicorn:
    def __init__(self, url: str, redis: str, port: int, workers: int, logdir: Path):
        self.port = port
        self.log = open(logdir / f"gunicorn-{port}.log", "a")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--graceful-timeout",
                "5",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=app_env(url, redis),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.wait_ready()

    def wait_ready(self, timeout: float = 180) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.close()
                sys.exit(
                    f"gunicorn on {self.port} exited:\n{Path(self.log.name).read_text()[-3000:]}"
                )
            try:
                answer = httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2)
                if answer.status_code == 200 and self.workers():
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.stop()
        sys.exit(f"gunicorn on {self.port} did not become healthy")

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [int(p) for p in children.read_text().split()]
        except OSError:
            return []

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Scheduler:
    """``flask jobs run``; notes when it logs that it started (holds the lock)."""

    def __init__(self, url: str, redis: str, name: str):
        env = app_env(url, redis)
        env["LOG_LEVEL"] = "INFO"
        self.name = name
        self.started_at: float | None = None
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [str(VENV_BIN / "flask"), "--app", "wsgi", "jobs", "run"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())
            if "scheduler started" in line and self.started_at is None:
                self.started_at = time.monotonic()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def pg_cluster() -> tuple[str, str]:
    versions = sorted(p.name for p in Path("/etc/postgresql").iterdir() if p.is_dir())
    return versions[-1], "main"


# --- the client ------------------------------------------------------------------------


@dataclass
class Result:
    kind: str
    began: float  # monotonic
    seconds: float
    status: int  # 0: connection error
    outcome: str  # ok | throttled | unavailable | error
    note: str = ""


@dataclass
class Run:
    results: list[Result] = field(default_factory=list)
    created: list[dict] = field(default_factory=list)  # 201 answers of POST /bookings
    etags: dict[str, str] = field(default_factory=dict)
    bad_bodies: list[str] = field(default_factory=list)


def _classify(kind: str, status: int, body: bytes, content_type: str, run: Run) -> str:
    if status in (200, 201, 304) or (kind == "booking" and status == 409):
        return "ok"
    if status == 429:
        return "throttled"
    if status == 503:
        text_body = body.decode("utf-8", "replace")
        shape_ok = (
            '"unavailable"' in text_body
            if "json" in content_type
            else "<html" in text_body.lower() or "<!doctype" in text_body.lower()
        )
        if shape_ok and "Traceback" not in text_body:
            return "unavailable"
        run.bad_bodies.append(f"{kind} 503 {content_type}: {text_body[:300]}")
        return "error"
    if status >= 500 and len(run.bad_bodies) < 20:
        run.bad_bodies.append(f"{kind} {status}: {body[:300].decode('utf-8', 'replace')}")
    return "error"


async def client(
    number: int, bases: list[str], data: Seed, stop_at: float, run: Run, rng: random.Random
) -> None:
    import httpx

    base = bases[number % len(bases)]
    tenant = data.tenants[number % len(data.tenants)]
    token = tenant["tokens"][number % len(tenant["tokens"])]
    kinds = list(KINDS)
    weights = list(KINDS.values())
    timeout = httpx.Timeout(30.0, connect=5.0)
    async with httpx.AsyncClient(base_url=base, timeout=timeout) as http:
        turn = 0
        while time.monotonic() < stop_at:
            turn += 1
            if len(bases) > 1:  # alternate between the instances
                http.base_url = httpx.URL(bases[(number + turn) % len(bases)])
            kind = rng.choices(kinds, weights)[0]
            slug = tenant["slug"]
            headers: dict[str, str] = {}
            method, body = "GET", None
            now = datetime.now(UTC)
            if kind == "catalogue":
                if rng.random() < 0.2:
                    day = (now + timedelta(days=rng.randrange(1, 29))).date()
                    path = f"/{slug}/halls/free?date={day.isoformat()}&from=18:00&to=20:00"
                else:
                    path = f"/{slug}/halls/"
            elif kind == "week":
                monday = (now + timedelta(days=7 * rng.randrange(4))).date()
                path = f"/{slug}/halls/{rng.choice(tenant['halls'])}/week?start={monday}"
            elif kind == "busy":
                start = now.replace(microsecond=0) + timedelta(days=7 * rng.randrange(4))
                path = (
                    f"/{slug}/api/v1/resources/{rng.choice(tenant['bookable'])}/busy"
                    f"?start={start.isoformat()}&end={(start + timedelta(days=7)).isoformat()}"
                )
                path = path.replace("+", "%2B")
                headers["Authorization"] = f"Bearer {token}"
            elif kind == "feed":
                path = f"/{slug}/feeds/{rng.choice(tenant['feeds'])}.ics"
                headers["Accept-Encoding"] = "gzip"
                etag = run.etags.get(path)
                if etag and rng.random() < 0.5:
                    headers["If-None-Match"] = etag
            else:
                start = _random_slot(rng, now)
                method, path = "POST", f"/{slug}/api/v1/bookings"
                body = {
                    "resource_id": rng.choice(tenant["bookable"]),
                    "start": start.isoformat(),
                    "end": (start + timedelta(hours=rng.choice((1, 2)))).isoformat(),
                    "title": "Lasttest",
                }
                headers["Authorization"] = f"Bearer {token}"
            began = time.monotonic()
            try:
                response = await http.request(method, path, headers=headers, json=body)
                content = response.content
                status = response.status_code
                content_type = response.headers.get("content-type", "")
            except httpx.HTTPError as error:
                run.results.append(
                    Result(kind, began, time.monotonic() - began, 0, "error", type(error).__name__)
                )
                await asyncio.sleep(0.05)
                continue
            seconds = time.monotonic() - began
            outcome = _classify(kind, status, content, content_type, run)
            run.results.append(Result(kind, began, seconds, status, outcome))
            if kind == "feed" and status == 200:
                run.etags[path] = response.headers.get("etag", "")
            if kind == "booking" and status == 201:
                run.created.append(response.json())
            if outcome != "ok":
                await asyncio.sleep(0.05)  # no hot loop against a failing server


def drive(bases: list[str], data: Seed, clients: int, seconds: float, seed_value: int) -> Run:
    run = Run()
    stop_at = time.monotonic() + seconds

    async def main() -> None:
        await asyncio.gather(
            *(
                client(n, bases, data, stop_at, run, random.Random(seed_value * 1000 + n))
                for n in range(clients)
            )
        )

    asyncio.run(main())
    return run


# --- report ----------------------------------------------------------------------------


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def report(run: Run, seconds: float, label: str) -> None:
    log(f"\n{label}: {len(run.results)} requests in {seconds:.0f} s")
    log(
        f"  {'kind':<10} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
        f" {'ok':>6} {'409':>5} {'304':>5} {'429':>4} {'503':>5} {'5xx':>4} {'conn':>4}"
    )
    by_kind: dict[str, list[Result]] = defaultdict(list)
    for r in run.results:
        by_kind[r.kind].append(r)
    for kind in [*KINDS, "all"]:
        rows = run.results if kind == "all" else by_kind.get(kind, [])
        if not rows:
            continue
        ok = [r.seconds for r in rows if r.outcome == "ok"]
        log(
            f"  {kind:<10} {len(rows) / seconds:7.1f} {_pct(ok, 0.5):8.1f} {_pct(ok, 0.95):8.1f}"
            f" {_pct(ok, 0.99):8.1f} {len(ok):6d}"
            f" {sum(r.status == 409 for r in rows):5d}"
            f" {sum(r.status == 304 for r in rows):5d}"
            f" {sum(r.status == 429 for r in rows):4d}"
            f" {sum(r.status == 503 for r in rows):5d}"
            f" {sum(r.status >= 500 and r.status != 503 for r in rows):4d}"
            f" {sum(r.status == 0 for r in rows):4d}"
        )
    errors = [r for r in run.results if r.outcome == "error"]
    log(f"  errors (5xx other than the 503 shape, connection errors): {len(errors)}")
    for body in run.bad_bodies[:5]:
        log(f"    {body}")


def verify(url: str, run: Run, since: datetime) -> bool:
    """No overlapping active claims on a unit; every 201 booking whole."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    ok = True
    with engine.connect() as conn:
        overlaps = conn.execute(
            text(
                "SELECT count(*) FROM claim a JOIN claim b ON a.unit_id = b.unit_id"
                " AND a.id < b.id AND a.active AND b.active"
                " AND a.start_at < b.end_at AND b.start_at < a.end_at"
            )
        ).scalar()
        ids = [c["id"] for c in run.created]
        found = {}
        if ids:
            found = dict(
                conn.execute(
                    text(
                        "SELECT b.id, count(o.id) FROM booking b"
                        " LEFT JOIN occurrence o ON o.booking_id = b.id"
                        " WHERE b.id = ANY(:ids) GROUP BY b.id"
                    ),
                    {"ids": ids},
                ).all()
            )
        missing = [c["id"] for c in run.created if c["id"] not in found]
        short = [
            c["id"] for c in run.created if found.get(c["id"], 0) != len(c.get("occurrences", []))
        ]
        unclaimed = conn.execute(
            text(
                "SELECT count(*) FROM occurrence o JOIN booking b ON b.id = o.booking_id"
                " WHERE b.status = 'confirmed' AND o.cancelled_at IS NULL"
                " AND NOT EXISTS (SELECT 1 FROM claim c WHERE c.occurrence_id = o.id"
                " AND c.active)"
            )
        ).scalar()
        empty = conn.execute(
            text(
                "SELECT count(*) FROM booking b WHERE NOT EXISTS"
                " (SELECT 1 FROM occurrence o WHERE o.booking_id = b.id)"
            )
        ).scalar()
        made = conn.execute(
            text("SELECT count(*) FROM booking WHERE title = 'Lasttest' AND created_at >= :s"),
            {"s": since},
        ).scalar()
    engine.dispose()
    log(
        f"  database: overlapping active claims {overlaps}; 201 answers {len(ids)},"
        f" missing {len(missing)}, dates not as answered {len(short)};"
        f" confirmed dates without a claim {unclaimed}; bookings without dates {empty};"
        f" bookings written in the run {made}"
        + (f" ({made - len(ids)} committed whose answer was lost)" if made != len(ids) else "")
    )
    if overlaps or missing or short or unclaimed or empty or made < len(ids):
        ok = False
        log("  INTEGRITY CHECK FAILED")
    return ok


# --- runs -------------------------------------------------------------------------------


def plain(args, data: Seed, ports: list[int], logdir: Path) -> bool:
    servers = [Gunicorn(args.postgres, args.redis, p, args.workers, logdir) for p in ports]
    try:
        bases = [f"http://127.0.0.1:{p}" for p in ports]
        drive(bases, data, min(args.clients, 4), 3, 0)  # warm-up (imports, caches)
        since = datetime.now(UTC)
        run = drive(bases, data, args.clients, args.seconds, time.time_ns() % 100_000)
    finally:
        for s in servers:
            s.stop()
    label = f"{len(ports)} gunicorn instance(s) x {args.workers} workers, {args.clients} clients"
    report(run, args.seconds, label)
    return verify(args.postgres, run, since)


def _fault_window(run: Run, began: float, ended: float) -> None:
    during = [r for r in run.results if r.began + r.seconds >= began and r.began <= ended]
    failed = [r for r in during if r.outcome != "ok"]
    kinds = defaultdict(int)
    for r in failed:
        kinds[f"{r.status or 'conn'}"] += 1
    log(
        f"  fault window {ended - began:.1f} s: {len(during)} requests, {len(failed)} not"
        f" answered normally ({dict(kinds)})"
    )


def faulty(args, fault: str, data: Seed, logdir: Path) -> bool:
    port = args.port
    server = Gunicorn(args.postgres, args.redis, port, args.workers, logdir)
    schedulers: list[Scheduler] = []
    events: dict[str, float] = {}
    base = f"http://127.0.0.1:{port}"
    try:
        if fault == "kill-scheduler":
            schedulers = [Scheduler(args.postgres, args.redis, n) for n in ("first", "second")]
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not any(s.started_at for s in schedulers):
                time.sleep(0.1)
        drive([base], data, min(args.clients, 4), 3, 0)
        since = datetime.now(UTC)

        def inject() -> None:
            time.sleep(args.seconds / 3)
            events["fault"] = time.monotonic()
            if fault == "pg-restart":
                version, cluster = pg_cluster()
                subprocess.run(
                    ["pg_ctlcluster", version, cluster, "stop", "-m", "fast"], check=True
                )
                events["down"] = time.monotonic()
                time.sleep(args.down)
                subprocess.run(["pg_ctlcluster", version, cluster, "start"], check=True)
                events["up"] = time.monotonic()
            elif fault == "kill-worker":
                victim = server.workers()[0]
                os.kill(victim, signal.SIGKILL)
                events["victim"] = victim
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and len(server.workers()) < args.workers:
                    time.sleep(0.05)
                while time.monotonic() < deadline and victim in server.workers():
                    time.sleep(0.05)
                events["up"] = time.monotonic()
            elif fault == "kill-scheduler":
                holder = next(s for s in schedulers if s.started_at)
                other = next(s for s in schedulers if s is not holder)
                holder.kill()
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline and not other.started_at:
                    time.sleep(0.05)
                events["up"] = other.started_at or time.monotonic()
                events["taken_over"] = 1.0 if other.started_at else 0.0

        injector = threading.Thread(target=inject)
        injector.start()
        run = drive([base], data, args.clients, args.seconds, time.time_ns() % 100_000)
        injector.join()
        workers_after = server.workers()
    finally:
        server.stop()
        for s in schedulers:
            s.stop()
    report(run, args.seconds, f"fault {fault}: 1 gunicorn x {args.workers}, {args.clients}")
    fault_at, up_at = events["fault"], events.get("up", events["fault"])
    # Requests still running when the fault began count too (a killed
    # worker's request in flight).
    after = sorted(
        (r for r in run.results if r.began + r.seconds >= fault_at),
        key=lambda r: r.began,
    )
    last_bad = max((r.began + r.seconds for r in after if r.outcome != "ok"), default=None)
    if fault == "pg-restart":
        log(
            f"  PostgreSQL stopped {events['down'] - fault_at:.1f} s after the fault began,"
            f" down {up_at - events['down']:.1f} s"
        )
    elif fault == "kill-worker":
        log(
            f"  killed worker {int(events['victim'])}; gunicorn had {len(workers_after)} workers"
            f" again after {up_at - fault_at:.2f} s"
        )
    else:
        taken = events.get("taken_over") == 1.0
        log(
            f"  scheduler killed; the other one took over the lock"
            f" {'after %.1f s' % (up_at - fault_at) if taken else 'NOT within 60 s'}"
        )
    _fault_window(run, fault_at, max(up_at, last_bad or up_at))
    if last_bad is not None:
        log(
            f"  last failed request ended {last_bad - fault_at:.1f} s after the fault"
            f" ({last_bad - up_at:+.1f} s after the service was back)"
        )
        recovered = [r for r in after if r.began > last_bad and r.outcome == "ok"]
        log(f"  answered normally after that: {len(recovered)} requests")
        first_ok = min(
            (r.began + r.seconds for r in after if r.outcome == "ok" and r.began >= up_at),
            default=None,
        )
        if first_ok is not None:
            log(f"  first normal answer begun after recovery: {first_ok - up_at:.1f} s after it")
    else:
        log("  no request failed")
    bad = [r for r in run.results if r.outcome == "error"]
    if bad:
        log(f"  {len(bad)} answers were neither normal nor the 503 shape:")
        for r in bad[:5]:
            log(f"    {r.kind} {r.status} {r.note}")
    return verify(args.postgres, run, since) and not any(r.status == 500 for r in run.results)


def fresh(url: str, saved: Path) -> Seed:
    """Wipe and seed the database; the seed (tokens) is saved for ``--reuse``."""
    reset_postgres(url)
    began = time.perf_counter()
    data = seed(url)
    saved.write_text(json.dumps({"tenants": data.tenants}))
    log(
        f"seeded {TENANTS} municipalities, {TENANTS * (3 * HALLS_PER_TENANT + ROOMS_PER_TENANT)}"
        f" bookable resources, {TENANTS * SEEDED_BOOKINGS_PER_TENANT} bookings,"
        f" {TENANTS * USERS_PER_TENANT} API tokens in {time.perf_counter() - began:.1f} s"
    )
    return data


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", required=True, metavar="URL", help="wiped; name with bench")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8731)
    parser.add_argument(
        "--fault",
        choices=("pg-restart", "kill-worker", "kill-scheduler"),
        action="append",
        help="repeatable: one run per fault, on the same seed",
    )
    parser.add_argument("--down", type=float, default=3, help="seconds PostgreSQL stays down")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database seeded by the last run"
    )
    parser.add_argument("--no-second", action="store_true", help="skip the two-instance run")
    args = parser.parse_args(argv)
    if not re.match(r"postgres(ql)?://", args.postgres):
        sys.exit("--postgres must be a postgresql:// URL")
    saved = Path(tempfile.gettempdir()) / f"kb_load_seed_{args.postgres.rsplit('/', 1)[-1]}.json"
    if args.reuse and saved.exists():
        data = Seed(**json.loads(saved.read_text()))
        log(f"reusing the seeded database ({saved})")
    else:
        data = fresh(args.postgres, saved)
    ok = True
    logdir = Path(tempfile.gettempdir()) / "kb_load_logs"  # kept for a look afterwards
    logdir.mkdir(exist_ok=True)
    for old in logdir.glob("*.log"):
        old.unlink()
    try:
        if args.fault:
            for fault in args.fault:
                ok = faulty(args, fault, data, logdir) and ok
        else:
            ok = plain(args, data, [args.port], logdir)
            if not args.no_second:
                ok = plain(args, data, [args.port, args.port + 1], logdir) and ok
    finally:
        for logfile in sorted(logdir.glob("*.log")):
            content = logfile.read_text()
            tracebacks = content.count("Traceback")
            if tracebacks:
                log(f"  {logfile.name}: {tracebacks} tracebacks logged; the first:")
                first = content.index("Traceback")
                log("    " + content[first : first + 1500].replace("\n", "\n    "))
                log(f"  (the whole log: {logfile})")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
