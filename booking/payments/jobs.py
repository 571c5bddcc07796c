"""The payments' scheduled work: settling payments whose webhook was lost,
releasing holds that were not paid in time."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from booking.jobs import Job
from booking.payments import service

JOBS = [
    Job(
        "payments.reconcile",
        service.reconcile,
        _l("Offene Online-Zahlungen bei Stripe abfragen"),
        trigger="interval",
        schedule={"minutes": 10},
    ),
    Job(
        "payments.expire_holds",
        service.expire_holds,
        _l("Nicht bezahlte Reservierungen freigeben"),
        trigger="interval",
        schedule={"minutes": 1},
    ),
]
