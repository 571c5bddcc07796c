"""Closures (Sperrzeiten) over existing bookings: which active dates a new
closure falls on, and entering it with those dates either cancelled with one
reason or kept, their applicants told ("your slot falls into a new
closure"). The closure itself is ``resources.closures``' (which imports
nothing from here); this is where it meets the bookings.

Plain functions over the session taking the actor and ``now``; they flush,
the request commits."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l

from booking.accounts.models import User
from booking.core import REASON_MAX, Conflict, ValidationFailed, checked_text, utcnow
from booking.reservations import notifications, queries
from booking.reservations import service as bookings
from booking.reservations.models import Booking, Occurrence
from booking.resources import closures
from booking.resources.models import Closure, Resource
from booking.tenants.models import Tenant

# What happens to the dates inside a new closure.
CANCEL, KEEP = "cancel", "keep"
CHOICES = (CANCEL, KEEP)


class DatesChanged(Conflict):
    """The dates inside the closure are no longer those the clerk was shown."""


@dataclass
class Entered:
    """A closure entered, the active ``dates`` inside it, and the bookings
    whose dates were cancelled or how many mails told the applicants."""

    closure: Closure
    dates: list[Occurrence] = field(default_factory=list)
    cancelled: list[Booking] = field(default_factory=list)
    told: int = 0


def affected_dates(
    tenant: Tenant,
    resource: Resource | None,
    start: datetime,
    end: datetime,
    now: datetime,
) -> list[Occurrence]:
    """The active dates a closure of ``resource`` (None: every resource)
    over ``[start, end)`` falls on that have not ended by ``now``."""
    begin = max(start, now)
    if begin >= end:
        return []
    return queries.dates_in(tenant, None if resource is None else [resource.id], begin, end)


def preview_closure(
    tenant: Tenant,
    actor: User,
    *,
    start: datetime | None,
    end: datetime | None,
    reason: str | None,
    resource: Resource | None = None,
    now: datetime | None = None,
) -> list[Occurrence]:
    """The checks of a new closure, and the dates it would fall on; nothing
    is written."""
    closures.check_closure(tenant, actor, start=start, end=end, reason=reason, resource=resource)
    assert start is not None and end is not None  # checked
    return affected_dates(tenant, resource, start, end, now or utcnow())


def enter_closure(
    tenant: Tenant,
    actor: User,
    *,
    start: datetime | None,
    end: datetime | None,
    reason: str | None,
    resource: Resource | None = None,
    dates: str | None = None,
    cancel_reason: str | None = None,
    expected: Collection[int] | None = None,
    now: datetime | None = None,
) -> Entered:
    """Enter a closure; the active dates inside it are cancelled with
    ``cancel_reason`` (``dates="cancel"``; the closure's reason when empty)
    or kept and their applicants told (``dates="keep"``). With dates inside,
    ``dates`` is required (422), and ``expected`` — the ids the clerk was
    shown — must still be exactly those dates (``DatesChanged``, 409)."""
    now = now or utcnow()
    cancel_reason = checked_text("cancel_reason", cancel_reason, REASON_MAX)
    closure = closures.create_closure(
        tenant, actor, start=start, end=end, reason=reason, resource=resource, now=now
    )
    inside = affected_dates(tenant, resource, closure.start_at, closure.end_at, now)
    if expected is not None and {o.id for o in inside} != set(expected):
        raise DatesChanged(
            _l(
                "Seit der Anzeige haben sich die Termine in dieser Zeit geändert. "
                "Bitte prüfen Sie die Liste noch einmal."
            )
        )
    if not inside:
        return Entered(closure)
    if dates not in CHOICES:
        raise ValidationFailed(
            _l("Die Angaben zur Sperrzeit sind ungültig."),
            {"dates": [_l("Bitte wählen, was mit den Terminen geschieht.")]},
        )
    if dates == CANCEL:
        why = cancel_reason or closure.reason
        cancelled = bookings.cancel_dates(tenant, actor, inside, reason=why, now=now)
        return Entered(closure, inside, cancelled=cancelled)
    told = notifications.closure_affects(tenant, closure.id, closure.reason, inside)
    return Entered(closure, inside, told=told)
