"""A record of every job run: which job, when, how it ended, what it did."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from booking.core import UTCDateTime, one_of, utcnow
from booking.extensions import db

RUN_OUTCOMES = ("running", "ok", "failed")


class JobRun(db.Model):
    """One run of a scheduled job (by the scheduler or ``flask jobs run-once``)."""

    __tablename__ = "job_run"
    __table_args__ = (one_of("outcome", RUN_OUTCOMES, name="outcome_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(10), default="running")
    # What the run did, e.g. {"sent": 12, "failed": 1}.
    counts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    manual: Mapped[bool] = mapped_column(default=False)

    @property
    def error_kind(self) -> str | None:
        """The error's class only, e.g. ``SMTPServerDisconnected``: what staff
        of any municipality may see (the text stays in the record and log)."""
        return self.error.split(":", 1)[0] if self.error else None
