"""DSGVO: bookings older than the retention period lose their personal data,
the statistics (resource, dates, status) stay."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from booking.audit.models import AuditEntry
from booking.core import utcnow
from booking.extensions import db
from booking.jobs import registry
from booking.jobs.runner import run_job
from booking.reservations import retention
from booking.reservations import service as bookings
from booking.reservations.models import Booking


def test_a_booking_before_and_after_the_retention_period(
    app, tenant, citizen, clerk, make_resource, make_booking
):
    hall = make_resource("Dorfgemeinschaftshaus", requires_approval=True)
    now = utcnow()
    then = now - timedelta(days=30 * 25)  # 25 months ago
    old = make_booking(
        hall,
        then,
        then + timedelta(hours=3),
        title="Geburtstag Carla Citizen",
        note="Telefon 0171 …",
        now=then - timedelta(days=10),
    )
    bookings.approve_booking(tenant, clerk, old, reason="Rücksprache mit Frau Citizen", now=then)
    recent = make_booking(
        hall, now + timedelta(days=5), now + timedelta(days=5, hours=2), title="Jubiläum", now=now
    )
    db.session.commit()

    sequence = old.occurrences[0].sequence
    counts = retention.anonymise_expired(now)
    db.session.commit()
    assert counts == {"anonymised": 1}
    db.session.expire_all()
    assert (old.title, old.note, old.user_id) == ("[anonymisiert]", None, None)
    assert old.occurrences[0].sequence == sequence + 1  # feeds replace the title
    assert recent.occurrences[0].sequence == 0
    assert old.anonymised_at is not None
    # What the statistics need stays.
    assert old.status == "confirmed" and old.resource_id == hall.id
    assert [(o.start_at, o.end_at) for o in old.occurrences] == [(then, then + timedelta(hours=3))]
    reasons = db.session.scalars(
        select(AuditEntry.reason).where(AuditEntry.object_id == old.id)
    ).all()
    assert reasons and all(r in (None, "[anonymisiert]") for r in reasons)
    assert recent.title == "Jubiläum" and recent.user_id == citizen.id
    # A second run finds nothing more.
    assert retention.anonymise_expired(now) == {"anonymised": 0}


def test_the_retention_period_is_the_municipalitys(app, tenant, make_resource, make_booking):
    hall = make_resource()
    now = utcnow()
    then = now - timedelta(days=100)
    booking = make_booking(hall, then, then + timedelta(hours=2), now=then - timedelta(days=1))
    assert retention.anonymise_expired(now) == {"anonymised": 0}
    tenant.retention_months = 3
    db.session.commit()
    assert retention.anonymise_expired(now) == {"anonymised": 1}
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).anonymised_at is not None


def test_the_job_runs_and_records_its_count(app, tenant, make_resource, make_booking):
    hall = make_resource()
    then = utcnow() - timedelta(days=800)
    make_booking(hall, then, then + timedelta(hours=2), now=then - timedelta(days=1))
    record = run_job(registry.get("retention.anonymise"))
    assert record.outcome == "ok" and record.counts == {"anonymised": 1}
