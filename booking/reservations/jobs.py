"""The bookings' scheduled work: data retention (and, with the mail
notifications, reminders and the clerks' digest)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from booking.jobs import Job
from booking.reservations import retention

JOBS = [
    Job(
        "retention.anonymise",
        retention.anonymise_expired,
        _l("Personenbezogene Daten alter Buchungen anonymisieren (DSGVO)"),
        trigger="cron",
        schedule={"hour": 3, "minute": 30},
    ),
]
