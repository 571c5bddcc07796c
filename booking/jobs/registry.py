"""Every package's jobs, by id (the ids of API.md)."""

from __future__ import annotations

from booking.feeds.jobs import JOBS as FEED_JOBS
from booking.fees.jobs import JOBS as INVOICE_JOBS
from booking.jobs import Job
from booking.notifications.jobs import JOBS as NOTIFICATION_JOBS
from booking.payments.jobs import JOBS as PAYMENT_JOBS
from booking.reservations.jobs import JOBS as BOOKING_JOBS
from cemetery.jobs import JOBS as CEMETERY_JOBS

# A package with scheduled work adds its ``JOBS`` here.
JOBS: dict[str, Job] = {
    job.id: job
    for job in (
        *NOTIFICATION_JOBS,
        *BOOKING_JOBS,
        *FEED_JOBS,
        *PAYMENT_JOBS,
        *INVOICE_JOBS,
        *CEMETERY_JOBS,
    )
}


def get(job_id: str) -> Job | None:
    return JOBS.get(job_id)
