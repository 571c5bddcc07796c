"""Data protection (DSGVO) for bookings: personal data — the person, the
title and note they wrote, their contact phone, the reasons staff gave
(audit entries and cancelled dates) — is removed from bookings
whose last date lies longer back than the municipality's retention period,
and from a person's past bookings when they delete their account. What the
statistics need stays: resource, dates, status, organisation."""

from __future__ import annotations

from datetime import datetime

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select, update

from booking.audit.models import AuditEntry
from booking.extensions import db
from booking.reservations.models import Booking, Occurrence
from booking.tenants.models import Tenant
from booking.tenants.service import in_tenant

ANONYMISED = "[anonymisiert]"
BATCH = 500


def anonymise(bookings: list[Booking], now: datetime) -> int:
    """Remove the personal data of ``bookings`` (once; returns how many)."""
    todo = [b for b in bookings if b.anonymised_at is None]
    for booking in todo:
        booking.user_id = None
        booking.title = ANONYMISED
        booking.note = None
        booking.contact_phone = None
        booking.anonymised_at = now
    if todo:
        # Their title changed: calendar feeds that still show a date must
        # replace it (SEQUENCE rises, as with every change of what it says).
        db.session.execute(
            update(Occurrence)
            .where(Occurrence.booking_id.in_([b.id for b in todo]))
            .values(sequence=Occurrence.sequence + 1, updated_at=now)
            .execution_options(synchronize_session="fetch")
        )
        # The reasons staff gave for cancelling dates go too (as in the audit).
        db.session.execute(
            update(Occurrence)
            .where(
                Occurrence.booking_id.in_([b.id for b in todo]),
                Occurrence.cancel_reason.is_not(None),
            )
            .values(cancel_reason=None)
            .execution_options(synchronize_session="fetch")
        )
        db.session.execute(
            update(AuditEntry)
            .where(
                AuditEntry.object_type == "Booking",
                AuditEntry.object_id.in_([b.id for b in todo]),
                AuditEntry.reason.is_not(None),
            )
            .values(reason=ANONYMISED)
        )
    db.session.flush()
    return len(todo)


def due_for_anonymisation(tenant: Tenant, now: datetime, limit: int = BATCH) -> list[Booking]:
    """The tenant's bookings whose last date ended before the retention
    period (``tenant.retention_months``) and that still hold personal data."""
    cutoff = now - relativedelta(months=tenant.retention_months)
    last_end = (
        select(Occurrence.booking_id, func.max(Occurrence.end_at).label("last_end"))
        .where(in_tenant(Occurrence, tenant))
        .group_by(Occurrence.booking_id)
        .subquery()
    )
    return list(
        db.session.scalars(
            select(Booking)
            .join(last_end, last_end.c.booking_id == Booking.id)
            .where(
                in_tenant(Booking, tenant),
                Booking.anonymised_at.is_(None),
                last_end.c.last_end < cutoff,
            )
            .order_by(Booking.id)
            .limit(limit)
        )
    )


def anonymise_expired(now: datetime) -> dict[str, int]:
    """The ``retention.anonymise`` job: every municipality, in batches."""
    total = 0
    for tenant in db.session.scalars(select(Tenant).order_by(Tenant.id)):
        while batch := due_for_anonymisation(tenant, now):
            total += anonymise(batch, now)
    return {"anonymised": total}
