"""The feeds package's scheduled work: dropping cached feeds nobody polls."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from flask_babel import lazy_gettext as _l

from booking.feeds import cache
from booking.jobs import Job


def purge_cache(now: datetime) -> Mapping[str, int]:
    return {"dropped": cache.purge(now)}


JOBS = [
    Job(
        "feeds.purge_cache",
        purge_cache,
        _l("Zwischengespeicherte Kalender-Feeds aufräumen, die niemand mehr abruft"),
        trigger="cron",
        schedule={"hour": 4, "minute": 10},
    ),
]
