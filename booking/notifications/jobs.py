"""The notifications package's scheduled work: delivering the outbox, and
clearing what sent mail says once it is past the retention period."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l

from booking.jobs import Job
from booking.notifications import delivery, retention


def deliver_mail(now: datetime) -> Mapping[str, int]:
    return delivery.deliver(now, current_app.config)


JOBS = [
    Job(
        "mail.deliver",
        deliver_mail,
        _l("Postausgang per SMTP zustellen"),
        trigger="interval",
        schedule={"minutes": 1},
    ),
    Job(
        "retention.mail",
        retention.clear_sent_mail,
        _l("Inhalt versandter Mails nach der Aufbewahrungsfrist löschen (DSGVO)"),
        trigger="cron",
        schedule={"hour": 3, "minute": 45},
    ),
]
