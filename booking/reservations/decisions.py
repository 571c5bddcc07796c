"""Deciding a request date by date: staff refuse some dates of a requested
series and approve the rest, or refuse the whole request. A refusal always
carries a reason (the booker is told why). Services only flush."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from flask_babel import lazy_gettext as _l

from booking.accounts.models import User
from booking.audit import service as audit
from booking.core import REASON_MAX, ValidationFailed, checked_text, clean_text, utcnow
from booking.extensions import db
from booking.fees import invoices
from booking.reservations import notifications
from booking.reservations import service as bookings
from booking.reservations.access import require_staff
from booking.reservations.models import Booking
from booking.tenants.models import Tenant


def required_reason(reason: str | None) -> str:
    """The reason of a refusal: required, at most ``REASON_MAX`` characters."""
    reason = clean_text(checked_text("reason", reason, REASON_MAX))
    if not reason:
        raise ValidationFailed(
            _l("Bitte eine Begründung für die Ablehnung angeben."),
            {"reason": [_l("Eine Ablehnung braucht eine Begründung.")]},
        )
    return reason


def reject_whole(
    tenant: Tenant,
    actor: User,
    booking: Booking,
    *,
    reason: str | None,
    now: datetime | None = None,
) -> Booking:
    """Refuse the whole request, with a reason."""
    require_staff(tenant, actor, booking)
    reason = required_reason(reason)
    return bookings.reject_booking(tenant, actor, booking, reason=reason, now=now)


def decide_dates(
    tenant: Tenant,
    actor: User,
    booking: Booking,
    reject_ids: Collection[int],
    *,
    reason: str | None,
    now: datetime | None = None,
) -> Booking:
    """Refuse the dates ``reject_ids`` of a requested booking (with a reason)
    and approve the rest. The refused dates are rejected and cancelled (their
    units are free for others at once, their SEQUENCE rises); refusing every
    date refuses the booking. Nothing changes on an error: an unknown date or
    a missing reason is a ``ValidationFailed``, a taken slot for the rest a
    ``BookingConflict`` (the caller rolls back)."""
    now = now or utcnow()
    require_staff(tenant, actor, booking)
    if booking.status != "requested":
        raise ValidationFailed(
            _l("Nur angefragte Buchungen können entschieden werden."),
            {"status": [_l("Die Buchung ist nicht mehr angefragt.")]},
        )
    active = booking.active_occurrences
    by_id = {o.id: o for o in active}
    wanted = set(reject_ids)
    if not wanted:
        return bookings.approve_booking(tenant, actor, booking, now=now)
    if not wanted <= by_id.keys():
        raise ValidationFailed(
            _l("Diese Termine gehören nicht (mehr) zu der Anfrage."),
            {"reject_dates": [_l("Bitte nur Termine dieser Anfrage wählen.")]},
        )
    reason = required_reason(reason)
    if wanted == by_id.keys():
        return bookings.reject_booking(tenant, actor, booking, reason=reason, now=now)
    refused = sorted((by_id[i] for i in wanted), key=lambda o: o.start_at)
    before = {
        "status": booking.status,
        "occurrences": sorted(by_id),
    }
    invoices.follow_cancellation(tenant, booking, refused, now, free=True)
    bookings.end_dates(refused, reason, now, rejected=True)
    booking.updated_at = now
    audit.record(
        tenant,
        actor,
        "occurrence.reject",
        booking,
        before=before,
        after={
            "status": booking.status,
            "occurrences": sorted(o.id for o in booking.active_occurrences),
            "rejected": [o.id for o in refused],
        },
        reason=reason,
        now=now,
    )
    db.session.flush()
    bookings.approve_booking(tenant, actor, booking, now=now)
    notifications.dates_cancelled(tenant, booking, refused, by_staff=True, reason=reason)
    return booking
