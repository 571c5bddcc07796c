"""Scheduled jobs: each package describes its jobs (``Job``) in its own
``jobs.py``; ``booking.jobs.registry`` collects them, ``runner`` runs and
records one, ``scheduler`` runs them all in one process (``flask jobs run``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l

# What the jobs count, for the Jobs page (a key without a label shows as is).
COUNT_LABELS = {
    "sent": _l("verschickt"),
    "retry": _l("später erneut"),
    "failed": _l("aufgegeben"),
    "queued": _l("eingereiht"),
    "anonymised": _l("anonymisiert"),
    "letters": _l("Briefe zu schreiben"),
    "done": _l("erledigt"),
}


@dataclass(frozen=True)
class Job:
    """A job: ``run(now)`` does the work (inside one unit of work; it may
    commit steps with ``transaction.checkpoint()``) and returns what it did
    as counts, e.g. ``{"sent": 3}``. ``trigger`` is APScheduler's
    (``interval`` or ``cron``) with ``schedule`` as its arguments."""

    id: str
    run: Callable[[datetime], Mapping[str, int] | None]
    description: str
    trigger: str = "interval"
    schedule: Mapping[str, Any] = field(default_factory=lambda: {"minutes": 1})
