"""``cemetery.right_expiry``: letters to holders before their right ends."""

from __future__ import annotations

from booking.jobs import Job

JOBS: tuple[Job, ...] = ()
