"""The bookings' scheduled work: reminders before dates, the clerks' digest
of new requests, data retention."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from booking.jobs import Job
from booking.reservations import notifications, retention

JOBS = [
    Job(
        "reminders.bookings",
        notifications.send_reminders,
        _l("Erinnerungen vor Terminen verschicken"),
        trigger="interval",
        schedule={"minutes": 15},
    ),
    Job(
        "bookings.digest",
        notifications.send_staff_digest,
        _l("Neue Anfragen an die Sachbearbeitung melden (eine Sammelmail)"),
        trigger="interval",
        schedule={"minutes": 30},
    ),
    Job(
        "retention.anonymise",
        retention.anonymise_expired,
        _l("Personenbezogene Daten alter Buchungen anonymisieren (DSGVO)"),
        trigger="cron",
        schedule={"hour": 3, "minute": 30},
    ),
]
