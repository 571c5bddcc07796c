"""The scheduler process (``flask jobs run``): APScheduler 3 runs every job
of the registry, but only while this process holds the scheduler lock, so
a second scheduler against the same database idles instead of sending twice
and takes over when the first one dies.

The lock: on PostgreSQL a session-level advisory lock on a connection of
its own (it goes when the process or its connection dies); on SQLite an
exclusive ``flock`` on a file next to the database. A waiting scheduler
tries again every ``SCHEDULER_POLL_SECONDS``."""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from flask.cli import run_command as flask_run_command
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url
from werkzeug.serving import is_running_from_reloader

from booking.extensions import db
from booking.jobs import Job, registry
from booking.jobs.runner import run_job

log = logging.getLogger(__name__)

# pg_advisory_lock key: "KBJOBS" in ASCII.
ADVISORY_KEY = 0x4B424A4F4253
MISFIRE_GRACE_SECONDS = 6 * 3600


class PostgresLock:
    """A session-level advisory lock on a dedicated connection."""

    def __init__(self, app: Flask):
        self.app = app
        self.connection: Connection | None = None

    def acquire(self) -> bool:
        with self.app.app_context():
            connection = db.engine.connect()
        got = connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY})
        if got.scalar():
            connection.commit()
            self.connection = connection
            return True
        connection.rollback()
        connection.close()
        return False

    def held(self) -> bool:
        """Still ours: the connection answers (the lock lives as long as it)."""
        if self.connection is None:
            return False
        try:
            self.connection.execute(text("SELECT 1"))
            self.connection.commit()
        except Exception:
            log.warning("the scheduler lost its database connection and with it the lock")
            self.connection = None
            return False
        return True

    def backend_pid(self) -> int | None:
        if self.connection is None:
            return None
        return self.connection.execute(text("SELECT pg_backend_pid()")).scalar()

    def release(self) -> None:
        if self.connection is None:
            return
        try:
            self.connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
            self.connection.commit()
            self.connection.close()
        except Exception:
            log.warning("could not release the scheduler lock cleanly", exc_info=True)
        self.connection = None


class FileLock:
    """An exclusive ``flock`` on ``<database>.scheduler-lock`` (SQLite)."""

    def __init__(self, path: Path):
        self.path = path
        self.handle: Any = None

    def acquire(self) -> bool:
        handle = open(self.path, "a")  # noqa: SIM115 (held open while the lock is ours)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self.handle = handle
        return True

    def held(self) -> bool:
        return self.handle is not None

    def release(self) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


def make_lock(app: Flask) -> PostgresLock | FileLock:
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "postgresql":
        return PostgresLock(app)
    database = url.database or ""
    if not database or database == ":memory:":
        path = Path(app.instance_path) / "scheduler.lock"
    else:
        path = Path(f"{database}.scheduler-lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(path)


def trigger_of(job: Job, timezone: str) -> IntervalTrigger | CronTrigger:
    if job.trigger == "cron":
        return CronTrigger(timezone=timezone, **job.schedule)
    return IntervalTrigger(timezone=timezone, **job.schedule)


def next_run(job: Job, timezone: str, now: datetime) -> datetime | None:
    return trigger_of(job, timezone).get_next_fire_time(None, now)


def _run_in_app(app: Flask, job: Job) -> None:
    with app.app_context():
        run_job(job)


def build(app: Flask, jobs: Iterable[Job]) -> BackgroundScheduler:
    timezone = app.config["SCHEDULER_TIMEZONE"]
    scheduler = BackgroundScheduler(
        timezone=timezone,
        job_defaults={
            "coalesce": True,  # runs missed while down: once, not once each
            "max_instances": 1,
            "misfire_grace_time": MISFIRE_GRACE_SECONDS,
        },
    )
    for job in jobs:
        scheduler.add_job(
            _run_in_app, trigger_of(job, timezone), args=(app, job), id=job.id, name=job.id
        )
    return scheduler


def run(app: Flask, stop: threading.Event | None = None, jobs: Iterable[Job] | None = None) -> None:
    """Run the scheduler until ``stop`` is set (or forever): wait for the
    lock, run the jobs while holding it, wait again when it is lost."""
    stop = stop or threading.Event()
    jobs = list(registry.JOBS.values() if jobs is None else jobs)
    poll = app.config["SCHEDULER_POLL_SECONDS"]
    lock = make_lock(app)
    waiting_said = False
    while not stop.is_set():
        if not lock.acquire():
            if not waiting_said:
                log.info("another scheduler holds the lock; this one waits (pid %s)", os.getpid())
                waiting_said = True
            stop.wait(poll)
            continue
        waiting_said = False
        log.info("scheduler started with %d jobs (pid %s)", len(jobs), os.getpid())
        scheduler = build(app, jobs)
        scheduler.start()
        try:
            while not stop.wait(poll) and lock.held():
                pass
        finally:
            scheduler.shutdown(wait=True)
            lock.release()
            log.info("scheduler stopped (pid %s)", os.getpid())


def serving_with_dev_server(app: Flask) -> bool:
    """This process is ``flask run`` (the one that serves, not the reloader's
    watcher), as opposed to gunicorn or another ``flask`` command."""
    context = click.get_current_context(silent=True)
    if context is None or context.command is not flask_run_command:
        return False
    return is_running_from_reloader() or not app.debug


def start_with_dev_server(app: Flask) -> threading.Thread | None:
    """The development server's scheduler: with ``RUN_SCHEDULER=1`` (``make
    run`` sets it) ``flask run`` runs the jobs in a thread of its own; the
    lock still keeps it from running beside another scheduler."""
    if not (app.config["RUN_SCHEDULER"] and serving_with_dev_server(app)):
        return None
    thread = threading.Thread(target=run, args=(app,), name="scheduler", daemon=True)
    thread.start()
    return thread
