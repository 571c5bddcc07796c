"""``flask jobs list | run | run-once JOB_ID`` (API.md)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from booking.core import utcnow
from booking.jobs import registry, scheduler
from booking.jobs.runner import run_job

jobs_cli = AppGroup("jobs", help="Scheduled jobs: list them, run the scheduler, run one now.")


@jobs_cli.command("list")
def list_() -> None:
    """One job a line: id, trigger, next run, what it does."""
    timezone = current_app.config["SCHEDULER_TIMEZONE"]
    now = utcnow()
    for job in registry.JOBS.values():
        upcoming = scheduler.next_run(job, timezone, now)
        when = upcoming.isoformat(timespec="minutes") if upcoming else "-"
        trigger = scheduler.trigger_of(job, timezone)
        click.echo(f"{job.id}\t{trigger}\tnext {when}\t{job.description}")


@jobs_cli.command("run")
def run() -> None:
    """Run the scheduler in this process until stopped (Ctrl-C, SIGTERM).
    A second one against the same database waits and takes over."""
    try:
        scheduler.run(current_app._get_current_object())
    except KeyboardInterrupt:
        click.echo("scheduler stopped")


@jobs_cli.command("run-once")
@click.argument("job_id")
def run_once(job_id: str) -> None:
    """Run one job now, record the run, and exit (1 when it failed)."""
    job = registry.get(job_id)
    if job is None:
        known = ", ".join(registry.JOBS)
        raise click.BadParameter(f"unknown job {job_id!r}; known: {known}", param_hint="JOB_ID")
    record = run_job(job, manual=True)
    counts = ", ".join(f"{k}={v}" for k, v in (record.counts or {}).items()) or "-"
    click.echo(f"{job.id}: {record.outcome} ({counts})")
    if record.outcome != "ok":
        raise click.ClickException(record.error or "failed")
