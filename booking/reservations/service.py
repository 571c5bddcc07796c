"""Hall bookings: create (single or series), approve, reject, cancel, move.

Plain functions over ``db.session``: they take the tenant, the acting user
and ``now``, flush but never commit, and raise domain errors
(``BookingConflict`` 409, ``ValidationFailed`` 422, ``Forbidden`` 403,
``NotFound`` 404). The caller commits once.

Who may do what is in ``reservations.access``; the checks before claims
are written (periods, rules, conflicts) in the pipeline ``reservations.checks``,
the rules themselves in ``reservations.rules``; the read-only questions (one
booking, lists, the approval queue) in ``reservations.queries``, the
alternatives offered on a conflict in ``reservations.suggestions``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from booking.accounts.models import Organisation, OrganisationMember, User
from booking.audit import service as audit
from booking.core import (
    NOTE_MAX,
    REASON_MAX,
    TITLE_MAX,
    Conflict,
    ValidationFailed,
    checked_text,
    clean_text,
    limited_text,
    too_long,
    utcnow,
)
from booking.extensions import db
from booking.fees import invoices
from booking.fees import service as fees
from booking.fees.pricing import NO_FEE, Fee
from booking.payments import service as payments
from booking.reservations import engine, notifications
from booking.reservations.access import (
    is_staff,
    may_change_date,
    require_manage,
    require_staff,
    require_tenant,
)
from booking.reservations.checks import ON_CONFLICT, Checked, check_periods, conflict
from booking.reservations.errors import BookingConflict, conflict_items
from booking.reservations.labels import STATUS_LABELS
from booking.reservations.models import CLAIMING_STATUSES, Booking, Claim, Occurrence
from booking.reservations.recurrence import (
    DEFAULT_MAX_OCCURRENCES,
    Recurrence,
    expand,
    parse_recurrence,
)
from booking.reservations.rules import Skipped, check_period
from booking.resources.models import Resource
from booking.resources.policy import policy_of
from booking.tenants.localtime import format_local, tenant_zone
from booking.tenants.models import Tenant

RACE_RETRIES = 5
PHONE_MAX = Booking.__table__.c.contact_phone.type.length
PHONE_CHARS = frozenset("0123456789 +-/()")


@dataclass
class BookingResult:
    booking: Booking
    skipped: list[Skipped] = field(default_factory=list)
    overridden: list[str] = field(default_factory=list)


@dataclass
class Preview:
    """What a booking would be, before anyone commits to it."""

    status: str
    dates: list[tuple[datetime, datetime]]
    skipped: list[Skipped] = field(default_factory=list)
    fee: Fee = NO_FEE
    category: str = "resident"

    @property
    def fee_cents(self) -> int:
        return self.fee.amount_cents


# --- helpers -------------------------------------------------------------------


def _touch(occurrences: Sequence[Occurrence], now: datetime) -> None:
    for occ in occurrences:
        occ.sequence = (occ.sequence or 0) + 1
        occ.updated_at = now


def _snapshot(booking: Booking) -> dict[str, Any]:
    return {"status": booking.status}


# --- creating --------------------------------------------------------------------


@dataclass
class _Plan:
    """A booking request that passed every check, before anything is written."""

    title: str
    note: str | None
    reason: str | None
    rule: Recurrence | None
    status: str
    claims_now: bool
    checked: Checked
    now: datetime
    guests: int | None = None
    contact_phone: str | None = None
    category: str = "resident"
    fee: Fee = NO_FEE


def _plan_booking(
    tenant: Tenant,
    actor: User,
    resource: Resource,
    start: datetime,
    end: datetime,
    title: str,
    *,
    recurrence: Recurrence | dict | None = None,
    on_conflict: str = "reject",
    organisation: Organisation | None = None,
    note: str | None = None,
    override_reason: str | None = None,
    guests: int | None = None,
    contact_phone: str | None = None,
    category: str | None = None,
    now: datetime | None = None,
    max_occurrences: int = DEFAULT_MAX_OCCURRENCES,
    dry_run: bool = False,
) -> _Plan:
    """``create_booking``'s checks, writing nothing: the request's fields,
    the series expanded from its first date, then the pipeline. ``dry_run``:
    nothing will be claimed, so conflicts are always looked for."""
    now = now or utcnow()
    require_tenant(tenant, resource)
    title, note, reason, phone = _checked_request(
        tenant,
        actor,
        resource,
        title,
        note,
        override_reason,
        on_conflict,
        organisation,
        guests=guests,
        contact_phone=contact_phone,
    )
    category = fees.checked_category(tenant, actor, organisation, category)
    check_period(start, end, resource)  # before a series is expanded from it
    rule = parse_recurrence(recurrence) if recurrence is not None else None
    dates = expand(start, end, rule, tenant_zone(tenant), max_occurrences)
    policy = policy_of(resource)
    status = "requested" if policy.requires_approval else "confirmed"
    claims_now = status == "confirmed" or policy.request_blocks
    checked = check_periods(
        tenant,
        actor,
        resource,
        dates,
        now=now,
        skip_closed=bool(rule and rule.skip_closed),
        skip_school_holidays=bool(rule and rule.skip_school_holidays),
        override_reason=reason,
        on_conflict=on_conflict,
        constraint_decides=claims_now and not dry_run,
    )
    fee = fees.price_dates(tenant, resource, category, checked.dates)  # 422 without a tariff
    return _Plan(
        title, note, reason, rule, status, claims_now, checked, now, guests, phone, category, fee
    )


def _checked_request(
    tenant: Tenant,
    actor: User,
    resource: Resource,
    title: str,
    note: str | None,
    override_reason: str | None,
    on_conflict: str,
    organisation: Organisation | None,
    *,
    guests: int | None = None,
    contact_phone: str | None = None,
) -> tuple[str, str | None, str | None, str | None]:
    """The request's own fields (title, note, reason, ``on_conflict``, the
    organisation booked for, the number of guests against the capacity, a
    contact phone) and whether the resource can be booked at all; 422 naming
    every bad field. Returns the cleaned title, note, reason and phone."""
    title = (title or "").strip()
    errors: dict[str, list] = {}
    if not title:
        errors["title"] = [_l("Bitte einen Titel angeben.")]
    elif len(title) > TITLE_MAX:
        errors["title"] = [too_long(TITLE_MAX)]
    note = limited_text(errors, "note", note, NOTE_MAX)
    reason = limited_text(errors, "override_reason", override_reason, REASON_MAX)
    if on_conflict not in ON_CONFLICT:
        errors["on_conflict"] = [_l("Erlaubt sind reject oder skip.")]
    if guests is not None:
        if isinstance(guests, bool) or not isinstance(guests, int) or guests < 1:
            errors["guests"] = [_l("Bitte eine Zahl ab 1 angeben.")]
        elif resource.capacity is not None and guests > resource.capacity:
            errors["guests"] = [
                _l(
                    "%(name)s hat %(places)d Plätze – für %(guests)d Personen zu klein.",
                    name=resource.name,
                    places=resource.capacity,
                    guests=guests,
                )
            ]
    phone = (contact_phone or "").strip() or None
    if phone is not None:
        if len(phone) > PHONE_MAX:
            errors["contact_phone"] = [too_long(PHONE_MAX)]
        elif not set(phone) <= PHONE_CHARS:
            errors["contact_phone"] = [_l("Bitte nur Ziffern, Leerzeichen und + - / ( ) angeben.")]
    if not resource.bookable:
        errors["resource_id"] = [_l("Diese Einrichtung kann nicht gebucht werden.")]
    if organisation is not None:
        require_tenant(tenant, organisation)
        member = db.session.scalar(
            select(
                exists().where(
                    OrganisationMember.organisation_id == organisation.id,
                    OrganisationMember.user_id == actor.id,
                )
            )
        )
        if not member and not is_staff(actor, tenant):
            errors["organisation_id"] = [_l("Sie gehören dieser Organisation nicht an.")]
    if errors:
        raise ValidationFailed(_l("Bitte prüfen Sie die Angaben."), errors)
    return title, note, reason, phone


def create_booking(
    tenant: Tenant,
    actor: User,
    resource: Resource,
    start: datetime,
    end: datetime,
    title: str,
    *,
    recurrence: Recurrence | dict | None = None,
    on_conflict: str = "reject",
    organisation: Organisation | None = None,
    note: str | None = None,
    override_reason: str | None = None,
    guests: int | None = None,
    contact_phone: str | None = None,
    category: str | None = None,
    now: datetime | None = None,
    max_occurrences: int = DEFAULT_MAX_OCCURRENCES,
    payment: str | None = "invoice",
) -> BookingResult:
    """Book ``resource`` for ``[start, end)``, or a weekly series starting
    there. ``on_conflict``: ``reject`` (all or nothing, 409) or ``skip`` (book
    the free dates; the others come back in ``skipped``). Staff may break
    the booking rules with an ``override_reason`` (audited)."""
    plan = _plan_booking(
        tenant,
        actor,
        resource,
        start,
        end,
        title,
        recurrence=recurrence,
        on_conflict=on_conflict,
        organisation=organisation,
        note=note,
        override_reason=override_reason,
        guests=guests,
        contact_phone=contact_phone,
        category=category,
        now=now,
        max_occurrences=max_occurrences,
    )
    now, checked = plan.now, plan.checked
    # Paid online: held (claims block the slot) until paid or the hold runs out.
    charged = plan.fee.amount_cents + plan.fee.deposit_cents > 0
    online = payments.checked_method(payment) == "online" and charged
    if online:
        plan.status, plan.claims_now = "held", True
    fields = {
        "user_id": actor.id,
        "organisation_id": organisation.id if organisation else None,
        "title": plan.title,
        "note": plan.note,
        "status": plan.status,
        "customer_category": plan.category,
        "recurrence": plan.rule.as_json() if plan.rule else None,
        "guests": plan.guests,
        "contact_phone": plan.contact_phone,
        # Its first mail (received or confirmed): queued by mail.deliver from
        # this mark (reservations.notifications.queue_first_mails).
        "first_mail_due": True,
    }
    skipped = list(checked.skipped)
    if (
        plan.claims_now
        and on_conflict == "reject"
        and checked.dates
        and engine.constraint_enforced()
    ):
        # PostgreSQL, all or nothing: one statement writes it all, the
        # exclusion constraint decides.
        booking = _insert_claimed(tenant, resource, checked, fields, now=now)
    else:
        booking = engine.insert_booking(resource, now=now, **fields)
        engine.insert_occurrences(booking, checked.dates, now)
        if plan.claims_now:
            _claim_or_skip(tenant, booking, resource, checked.units, skipped, on_conflict, now=now)
    skipped.sort(key=lambda s: s.start)
    if skipped:
        booking.skipped = [_skipped_json(item) for item in skipped]
    if checked.overridden:
        audit.record(
            tenant,
            actor,
            "booking.override",
            booking,
            after={"status": booking.status, "rules": checked.overridden},
            reason=plan.reason,
            now=now,
        )
    invoices.issue_if_charged(tenant, booking, now)  # an open invoice when it costs something
    if online:
        payments.start_online_payment(tenant, booking, invoices.invoice_of(booking), now)
    return BookingResult(booking, skipped, checked.overridden)


def _skipped_json(item: Skipped) -> dict[str, str]:
    """A skipped date as stored on ``Booking.skipped`` (ISO UTC instants)."""
    return {
        "start": item.start.astimezone(UTC).isoformat(),
        "end": item.end.astimezone(UTC).isoformat(),
        "reason": item.reason,
        "label": item.label or "",
    }


def preview_booking(*args: Any, **kwargs: Any) -> Preview:
    """What ``create_booking`` with these arguments would do — the dates, the
    skipped dates, the status and the fee, or its domain error — without
    writing anything: the same checks, and conflicts looked for in every
    case (no claim is written for PostgreSQL's constraint to refuse)."""
    plan = _plan_booking(*args, **kwargs, dry_run=True)
    return Preview(
        status=plan.status,
        dates=plan.checked.dates,
        skipped=plan.checked.skipped,
        fee=plan.fee,
        category=plan.category,
    )


def _claim_or_skip(
    tenant: Tenant,
    booking: Booking,
    resource: Resource,
    units: list[int],
    skipped: list[Skipped],
    on_conflict: str,
    *,
    now: datetime,
) -> None:
    """Write the claims. If another transaction won a race (PostgreSQL), give
    up (``reject``) or drop the lost dates and try again (``skip``)."""
    for _attempt in range(RACE_RETRIES):
        occurrences = list(booking.occurrences)
        try:
            engine.write_claims(resource, units, occurrences)
            return
        except engine.ClaimsTaken as taken:
            dates = [(o.start_at, o.end_at) for o in occurrences]
            items = conflict_items(taken.hits, dates)
            lost = {hit.index for hit in taken.hits}
            if not lost:
                continue  # the winner was released again meanwhile: try once more
            if on_conflict == "reject" or len(lost) == len(occurrences):
                _discard(booking)
                raise conflict(tenant, resource, items, now=now) from None
            for index in sorted(lost, reverse=True):
                occ = occurrences[index]
                skipped.append(Skipped(occ.start_at, occ.end_at, "conflict"))
                booking.occurrences.remove(occ)
            db.session.flush()
    _discard(booking)
    raise BookingConflict([], timezone=tenant.timezone)


def _insert_claimed(
    tenant: Tenant, resource: Resource, checked: Checked, fields: dict[str, Any], *, now: datetime
) -> Booking:
    """The booking, its dates and claims at once (``engine.insert_claimed_booking``);
    a race lost to another transaction is the 409 with the winning claims,
    and nothing of this booking is left."""
    for _attempt in range(RACE_RETRIES):
        try:
            return engine.insert_claimed_booking(
                resource, checked.units, checked.dates, now=now, **fields
            )
        except engine.ClaimsTaken as taken:
            if not taken.hits:
                continue  # the winner was released again meanwhile: try once more
            items = conflict_items(taken.hits, checked.dates)
            raise conflict(tenant, resource, items, now=now) from None
    raise BookingConflict([], timezone=tenant.timezone)


def _discard(booking: Booking) -> None:
    """Remove a booking that lost its race, so that a caller who catches the
    conflict and commits other work does not keep a booking without claims."""
    db.session.delete(booking)
    db.session.flush()


# --- status changes ----------------------------------------------------------------


def approve_booking(
    tenant: Tenant,
    actor: User,
    booking: Booking,
    *,
    reason: str | None = None,
    now: datetime | None = None,
) -> Booking:
    """Confirm a requested booking. A request that did not block claims its
    units now, after a fresh conflict check (409 if the slot went to someone
    else meanwhile)."""
    now = now or utcnow()
    require_staff(tenant, actor, booking)
    _require_hall_booking(booking)
    reason = checked_text("reason", reason, REASON_MAX)
    _require_status(
        booking, ("requested",), _l("Nur angefragte Buchungen können bestätigt werden.")
    )
    resource = booking.resource
    occurrences = booking.active_occurrences
    claimed = set(
        db.session.scalars(
            select(Claim.occurrence_id).where(
                Claim.occurrence_id.in_([o.id for o in occurrences]), Claim.active.is_(True)
            )
        )
    )
    missing = [o for o in occurrences if o.id not in claimed]
    if missing:
        dates = [(o.start_at, o.end_at) for o in missing]
        checked = check_periods(tenant, actor, resource, dates, now=now, rules=False, suggest=False)
        try:
            engine.write_claims(resource, checked.units, missing)
        except engine.ClaimsTaken as taken:
            items = conflict_items(taken.hits, dates)
            raise conflict(tenant, resource, items, now=now, suggest=False) from None
    _decide(tenant, actor, booking, "confirmed", "booking.approve", reason=reason, now=now)
    notifications.booking_confirmed(tenant, booking, clean_text(reason))
    return booking


def reject_booking(
    tenant: Tenant,
    actor: User,
    booking: Booking,
    *,
    reason: str | None = None,
    now: datetime | None = None,
) -> Booking:
    """Refuse a requested (or held) booking; its claims are released."""
    now = now or utcnow()
    require_staff(tenant, actor, booking)
    _require_hall_booking(booking)
    reason = checked_text("reason", reason, REASON_MAX)
    _require_status(
        booking, ("requested", "held"), _l("Nur angefragte Buchungen können abgelehnt werden.")
    )
    engine.release_claims(booking.occurrences)
    invoices.cancel_booking_invoice(booking, now)
    _decide(tenant, actor, booking, "rejected", "booking.reject", reason=reason, now=now)
    payments.follow_cancellation(tenant, booking, 0, now)  # a held one's intent cancelled
    notifications.booking_rejected(tenant, booking, clean_text(reason))
    return booking


def _decide(
    tenant: Tenant,
    actor: User,
    booking: Booking,
    status: str,
    action: str,
    *,
    reason: str | None,
    now: datetime,
) -> Booking:
    """Give the booking its new ``status`` (its dates' SEQUENCE rises), audited."""
    before = _snapshot(booking)
    booking.status = status
    booking.updated_at = now
    _touch(booking.active_occurrences, now)
    audit.record(
        tenant,
        actor,
        action,
        booking,
        before=before,
        after=_snapshot(booking),
        reason=clean_text(reason),
        now=now,
    )
    db.session.flush()
    return booking


def _require_status(booking: Booking, allowed: Sequence[str], message: str) -> None:
    if booking.status not in allowed:
        raise ValidationFailed(
            message,
            {
                "status": [
                    _l(
                        "Der Status ist „%(status)s“.",
                        status=STATUS_LABELS.get(booking.status, booking.status),
                    )
                ]
            },
        )


def _require_hall_booking(booking: Booking) -> None:
    """The chapel's and the crew's bookings of a burial change only with the
    burial (``cemetery.burials``), never through the hall-booking paths."""
    if booking.origin == "burial":
        raise Conflict(
            _l(
                "Dieser Termin gehört zu einer Bestattung und wird nur mit ihr "
                "bestätigt, verlegt oder abgesagt (Friedhofsverwaltung)."
            ),
            {"fields": {"origin": [_l("Termin einer Bestattung.")]}},
        )


def _require_cancellable(booking: Booking) -> None:
    _require_status(booking, CLAIMING_STATUSES, _l("Diese Buchung ist nicht mehr aktiv."))


def _require_not_started(
    tenant: Tenant, actor: User, occurrences: Sequence[Occurrence], now: datetime
) -> None:
    if is_staff(actor, tenant):
        return
    started = [o for o in occurrences if not may_change_date(actor, o, now)]
    if started:
        raise ValidationFailed(
            _l("Begonnene oder vergangene Termine können nicht mehr geändert werden."),
            {
                "occurrence": [
                    _l(
                        "Der Termin am %(when)s hat schon begonnen.",
                        when=format_local(tenant, started[0].start_at),
                    )
                ]
            },
        )


# A date keeps its cancel reason in String(300); the audit entry keeps it whole.
CANCEL_REASON_MAX = 300


def _fit(text: str | None, limit: int) -> str | None:
    """``text`` cut to ``limit`` characters (an ellipsis marks the cut)."""
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def end_dates(
    occurrences: Sequence[Occurrence], reason: str | None, now: datetime, *, rejected: bool = False
) -> None:
    """Take ``occurrences`` out of the booking: claims released, cancelled
    (``rejected`` too when staff refused them), the reason kept per date for
    the booker's page, SEQUENCE raised for the calendars."""
    engine.release_claims(occurrences)
    for occ in occurrences:
        occ.cancelled_at = now
        if rejected:
            occ.rejected_at = now
        occ.cancel_reason = _fit(reason, CANCEL_REASON_MAX)
    _touch(occurrences, now)


def _cancel(
    tenant: Tenant,
    actor: User,
    booking: Booking,
    occurrences: list[Occurrence],
    action: str,
    *,
    reason: str | None,
    now: datetime,
) -> Booking:
    before = {
        "status": booking.status,
        "occurrences": [o.id for o in occurrences],
    }
    why = clean_text(reason)
    bill = invoices.cancellation_bill(tenant, booking, occurrences, now)  # before it follows
    invoices.follow_cancellation(tenant, booking, occurrences, now)  # by the policy
    end_dates(occurrences, why, now)
    if not booking.active_occurrences:
        booking.status = "cancelled"
    # Paid online: what goes back goes back through Stripe.
    payments.follow_cancellation(tenant, booking, bill.refund_cents if bill else 0, now)
    booking.updated_at = now
    staff = is_staff(actor, tenant)
    if staff:
        audit.record(
            tenant,
            actor,
            action,
            booking,
            before=before,
            after={"status": booking.status},
            reason=why,
            now=now,
        )
    db.session.flush()
    notifications.dates_cancelled(tenant, booking, occurrences, by_staff=staff, reason=why)
    return booking


def cancel_booking(
    tenant: Tenant,
    actor: User,
    booking: Booking,
    *,
    reason: str | None = None,
    now: datetime | None = None,
) -> Booking:
    """Cancel every remaining date; the units are free again at once.
    Cancelling a cancelled booking changes nothing. Citizens cannot cancel
    dates that have begun (they cancel the rest of a series instead)."""
    now = now or utcnow()
    require_manage(tenant, actor, booking)
    _require_hall_booking(booking)
    reason = checked_text("reason", reason, REASON_MAX)
    if booking.status == "cancelled":
        return booking
    _require_cancellable(booking)
    occurrences = booking.active_occurrences
    _require_not_started(tenant, actor, occurrences, now)
    return _cancel(tenant, actor, booking, occurrences, "booking.cancel", reason=reason, now=now)


def _managed_booking_of(tenant: Tenant, actor: User, occurrence: Occurrence) -> Booking:
    """The occurrence's booking, if the actor may change it."""
    require_tenant(tenant, occurrence)
    booking = occurrence.booking
    require_manage(tenant, actor, booking)
    _require_hall_booking(booking)
    return booking


def cancel_occurrence(
    tenant: Tenant,
    actor: User,
    occurrence: Occurrence,
    *,
    reason: str | None = None,
    now: datetime | None = None,
) -> Booking:
    """Cancel one date of a booking (the booking ends when none is left)."""
    now = now or utcnow()
    booking = _managed_booking_of(tenant, actor, occurrence)
    reason = checked_text("reason", reason, REASON_MAX)
    if occurrence.cancelled_at is not None:
        return booking
    _require_cancellable(booking)
    _require_not_started(tenant, actor, [occurrence], now)
    return _cancel(
        tenant, actor, booking, [occurrence], "occurrence.cancel", reason=reason, now=now
    )


def cancel_series_from(
    tenant: Tenant,
    actor: User,
    occurrence: Occurrence,
    *,
    reason: str | None = None,
    now: datetime | None = None,
) -> Booking:
    """Cancel this date and every later one of its series ("the rest")."""
    now = now or utcnow()
    booking = _managed_booking_of(tenant, actor, occurrence)
    reason = checked_text("reason", reason, REASON_MAX)
    if booking.status == "cancelled":
        return booking
    _require_cancellable(booking)
    rest = [o for o in booking.active_occurrences if o.start_at >= occurrence.start_at]
    if not rest:
        return booking
    _require_not_started(tenant, actor, rest, now)
    return _cancel(tenant, actor, booking, rest, "booking.cancel_from", reason=reason, now=now)


def cancel_dates(
    tenant: Tenant,
    actor: User,
    occurrences: Sequence[Occurrence],
    *,
    reason: str | None = None,
    now: datetime | None = None,
) -> list[Booking]:
    """Cancel several dates, of one or several bookings, with one reason (a
    closure over them): per booking one cancellation, audited as
    ``booking.cancel`` when no date of it is left, else ``occurrence.cancel``,
    and one mail listing its dates. Dates already cancelled are left alone."""
    now = now or utcnow()
    reason = checked_text("reason", reason, REASON_MAX)
    by_booking: dict[int, list[Occurrence]] = {}
    for occurrence in occurrences:
        require_tenant(tenant, occurrence)
        by_booking.setdefault(occurrence.booking_id, []).append(occurrence)
    cancelled = []
    for dates in by_booking.values():
        booking = _managed_booking_of(tenant, actor, dates[0])
        dates = [o for o in dates if o.cancelled_at is None]
        if not dates:
            continue
        _require_cancellable(booking)
        _require_not_started(tenant, actor, dates, now)
        whole = {o.id for o in booking.active_occurrences} <= {o.id for o in dates}
        action = "booking.cancel" if whole else "occurrence.cancel"
        cancelled.append(_cancel(tenant, actor, booking, dates, action, reason=reason, now=now))
    return cancelled


def _move_snapshot(occurrence: Occurrence) -> dict[str, Any]:
    """A date's place and its booking's status, for the audit log (UTC)."""
    return {
        "occurrence": occurrence.id,
        "start": occurrence.start_at.astimezone(UTC).isoformat(),
        "end": occurrence.end_at.astimezone(UTC).isoformat(),
        "status": occurrence.booking.status,
    }


def move_occurrence(
    tenant: Tenant,
    actor: User,
    occurrence: Occurrence,
    start: datetime,
    end: datetime,
    *,
    reason: str | None = None,
    override_reason: str | None = None,
    now: datetime | None = None,
) -> Booking:
    """Move one date of a booking; the rules and conflicts are checked again
    (its own old claim does not count), and its SEQUENCE rises. ``reason``
    is a note for the audit log; ``override_reason`` lets staff break rules.

    A move by anyone but staff is a new request as far as approval goes:
    where the resource needs approval, a confirmed booking is ``requested``
    again. The moved date keeps its claim only where requests block
    (``request_blocks``); otherwise ``approve_booking`` claims it after a
    fresh conflict check. The other dates keep theirs. Every move is audited."""
    now = now or utcnow()
    booking = _managed_booking_of(tenant, actor, occurrence)
    errors: dict[str, list] = {}
    note = limited_text(errors, "reason", reason, REASON_MAX)
    override = limited_text(errors, "override_reason", override_reason, REASON_MAX)
    if errors:
        raise ValidationFailed(_l("Bitte prüfen Sie die Angaben."), errors)
    _require_cancellable(booking)
    if occurrence.cancelled_at is not None:
        raise ValidationFailed(
            _l("Ein stornierter Termin kann nicht verschoben werden."),
            {"occurrence": [_l("Der Termin ist storniert.")]},
        )
    _require_not_started(tenant, actor, [occurrence], now)
    resource = booking.resource
    staff = is_staff(actor, tenant)
    if not staff and not resource.bookable:
        raise ValidationFailed(
            _l("Bitte prüfen Sie die Angaben."),
            {"resource_id": [_l("Diese Einrichtung kann nicht gebucht werden.")]},
        )
    checked = check_periods(
        tenant,
        actor,
        resource,
        [(start, end)],
        now=now,
        override_reason=override,
        exclude_occurrence_ids=[occurrence.id],
    )
    status = booking.status
    policy = policy_of(resource)
    if not staff and policy.requires_approval and status == "confirmed":
        status = "requested"
    before = _move_snapshot(occurrence)
    fee_before = invoices.current_fee_cents(tenant, booking)
    old_start = occurrence.start_at
    occurrence.start_at, occurrence.end_at = start, end
    if status != booking.status:
        booking.status = status
        _touch(booking.active_occurrences, now)  # every date's calendar status changes
    else:
        _touch([occurrence], now)
    booking.updated_at = now
    db.session.flush()
    if status == "requested" and not policy.request_blocks:
        engine.release_claims([occurrence])  # approve_booking claims it again
    else:
        try:
            engine.move_claims(resource, occurrence)
        except engine.ClaimsTaken as taken:
            items = conflict_items(taken.hits, [(start, end)])
            raise conflict(tenant, resource, items, now=now, suggest=False) from None
    after = {**_move_snapshot(occurrence), "rules": checked.overridden}
    if override and note:
        after["note"] = note
    audit.record(
        tenant,
        actor,
        "occurrence.move",
        booking,
        before=before,
        after=after,
        reason=override or note,
        now=now,
    )
    invoices.follow_move(tenant, booking, fee_before, now)  # another day may cost otherwise
    db.session.flush()
    notifications.date_moved(
        tenant, booking, occurrence, old_start, by_staff=staff, reason=override or note
    )
    return booking
