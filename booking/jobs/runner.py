"""Running one job: in its own unit of work, recorded in ``job_run`` (start,
end, outcome, counts, error). A failing job is logged and recorded; it never
stops the scheduler, and the next run tries again."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from booking.core import utcnow
from booking.extensions import db
from booking.jobs import Job
from booking.jobs.models import JobRun
from booking.transaction import unit_of_work

log = logging.getLogger(__name__)


def run_job(job: Job, *, manual: bool = False, now: datetime | None = None) -> JobRun:
    """Run ``job`` now and return its record (committed)."""
    with unit_of_work():
        record = JobRun(job_id=job.id, started_at=utcnow(), manual=manual, outcome="running")
        db.session.add(record)
    record_id = record.id
    outcome, counts, error = "ok", None, None
    try:
        with unit_of_work():
            counts = dict(job.run(now or utcnow()) or {})
    except Exception as failure:  # recorded and logged; the scheduler goes on
        log.exception("job %s failed", job.id)
        outcome, error = "failed", f"{type(failure).__name__}: {failure}"[:2000]
    with unit_of_work():
        record = db.session.get(JobRun, record_id)
        record.outcome, record.counts, record.error = outcome, counts, error
        record.finished_at = utcnow()
    return record


def last_runs(job_ids: Sequence[str]) -> dict[str, JobRun]:
    """The newest run of each job (one query)."""
    newest = (
        select(JobRun.job_id, db.func.max(JobRun.id).label("id"))
        .where(JobRun.job_id.in_(job_ids))
        .group_by(JobRun.job_id)
        .subquery()
    )
    runs = db.session.scalars(select(JobRun).join(newest, JobRun.id == newest.c.id))
    return {run.job_id: run for run in runs}


def recent_runs(limit: int = 50) -> list[JobRun]:
    return list(db.session.scalars(select(JobRun).order_by(JobRun.id.desc()).limit(limit)))
