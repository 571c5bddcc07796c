"""What the bookings tell people, composed by ``notifications.notify``: the
applicant hears of every step of their booking (with the calendar file
where the dates stand), the clerks get one digest of new requests per run,
applicants and caretakers a reminder before each date.

Every mail has a key made of its kind, the object and the moment it is
about, so a service, a job run twice or two schedulers at once never send a
second copy (the outbox's unique key is the guarantee)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from booking import transaction
from booking.accounts.models import User
from booking.accounts.service import users_with_role
from booking.core import utcnow
from booking.extensions import db
from booking.feeds import ics
from booking.notifications.models import OutboxMessage
from booking.notifications.service import attachment_maker, mail_source, notify
from booking.reservations.models import Booking, Occurrence
from booking.resources import tree
from booking.resources.models import Resource, ResourceCaretaker
from booking.resources.policy import policy_of
from booking.tenants.models import Tenant
from booking.tenants.service import in_tenant

log = logging.getLogger(__name__)

STAFF_DIGEST_ROLES = ("clerk", "admin")
KEY_CHUNK = 500
# A large first run (many dates entering the window) commits in steps.
CHECKPOINT_EVERY = 200


def _stamp(instant: datetime) -> str:
    return instant.strftime("%Y%m%dT%H%M%S")


def place(resource: Resource) -> str:
    """Where it is: "Saal A, Dorfgemeinschaftshaus, Lindenstraße 1" — a part
    named with its hall, the address of the nearest one that has one."""
    names = [r.name for r in (resource, *tree.ancestors(resource))]
    address = policy_of(resource).address
    return ", ".join([*names, *([address] if address else [])])


def key_handover(resource: Resource) -> str | None:
    """How to get the key: the resource's note, else its hall's."""
    return policy_of(resource).key_handover


@attachment_maker("booking_calendar")
def _calendar(*, booking: Booking, tenant: Tenant, **_context) -> tuple[str, str, bytes]:
    """The booking's calendar file, as it stands when the mail is composed."""
    return (
        ics.booking_filename(booking),
        "text/calendar; method=PUBLISH",
        ics.booking_calendar(booking, tenant),
    )


def _to_applicant(
    kind: str,
    booking: Booking,
    tenant: Tenant,
    key: str,
    *,
    calendar: bool = False,
    **context,
) -> None:
    """Mail the person who booked (nobody once the booking is anonymised)."""
    person = booking.user
    if person is None:
        return
    notify(
        kind,
        person.email,
        tenant,
        key=key,
        locale=person.locale,
        attachment="booking_calendar" if calendar else None,
        booking=booking,
        person=person,
        place=place(booking.resource),
        **context,
    )


def booking_created(tenant: Tenant, booking: Booking) -> None:
    """Received (a request) or confirmed at once; nothing in any other status."""
    if booking.status == "requested":
        _to_applicant("booking_requested", booking, tenant, f"booking.requested:{booking.id}")
    elif booking.status == "confirmed":
        booking_confirmed(tenant, booking)


@mail_source
def queue_first_mails(now: datetime) -> None:
    """The first mail of each new booking (``first_mail_due``), queued by
    ``mail.deliver`` rather than by the request that made it: a statement
    less in every booking, and the mail goes out in the same run as before.
    What the booking has become meanwhile decides: a request approved
    meanwhile gets its confirmation only (the approval's, under the same
    key), a cancelled one nothing; a held booking waits for its payment.
    A booking whose mail cannot be queued (a programming error, logged) is
    not tried again, and holds up nobody else's mail."""
    while True:
        due = db.session.scalars(
            select(Booking)
            .options(selectinload(Booking.user), selectinload(Booking.resource))
            .where(_owes_first_mail())
            .order_by(Booking.id)
            .limit(CHECKPOINT_EVERY)
            .with_for_update(skip_locked=True)
        ).all()
        if not due:
            return
        for booking in due:
            try:
                booking_created(db.session.get(Tenant, booking.tenant_id), booking)
            except SQLAlchemyError:
                raise  # the database, not the booking: the next run tries again
            except Exception:
                log.exception("the first mail of booking %s could not be queued", booking.id)
        for booking in due:  # after the inserts: one UPDATE for all, not one flush each
            booking.first_mail_due = False
        transaction.checkpoint()


def _owes_first_mail():
    return and_(Booking.first_mail_due, Booking.status != "held")


def first_mails_owed(tenant: Tenant) -> int:
    """How many of the municipality's bookings wait for ``mail.deliver`` to
    queue their first mail (shown in the outbox, which lists only what is
    queued)."""
    return db.session.scalar(
        select(func.count())
        .select_from(Booking)
        .where(in_tenant(Booking, tenant), _owes_first_mail())
    )


def booking_confirmed(tenant: Tenant, booking: Booking, reason: str | None = None) -> None:
    _to_applicant(
        "booking_confirmed",
        booking,
        tenant,
        f"booking.confirmed:{booking.id}:{_stamp(booking.updated_at)}",
        calendar=True,
        reason=reason,
    )


def booking_rejected(tenant: Tenant, booking: Booking, reason: str | None = None) -> None:
    _to_applicant(
        "booking_rejected", booking, tenant, f"booking.rejected:{booking.id}", reason=reason
    )


def dates_cancelled(
    tenant: Tenant,
    booking: Booking,
    occurrences: Sequence[Occurrence],
    *,
    by_staff: bool,
    reason: str | None = None,
) -> None:
    """Cancelled, by the applicant (a confirmation) or by staff (with the reason)."""
    first = min(occurrences, key=lambda o: o.start_at)
    _to_applicant(
        "booking_cancelled",
        booking,
        tenant,
        f"booking.cancelled:{booking.id}:{first.id}:{len(occurrences)}",
        calendar=True,
        dates=sorted(occurrences, key=lambda o: o.start_at),
        whole=booking.status == "cancelled",
        by_staff=by_staff,
        reason=reason,
    )


def date_moved(
    tenant: Tenant,
    booking: Booking,
    occurrence: Occurrence,
    old_start: datetime,
    *,
    by_staff: bool,
    reason: str | None = None,
) -> None:
    _to_applicant(
        "booking_moved",
        booking,
        tenant,
        f"occurrence.moved:{occurrence.id}:{occurrence.sequence}",
        calendar=booking.status == "confirmed",
        occurrence=occurrence,
        old_start=old_start,
        by_staff=by_staff,
        reason=reason,
    )


def closure_affects(
    tenant: Tenant, closure_id: int, reason: str, occurrences: Iterable[Occurrence]
) -> int:
    """Tell each applicant whose date falls into a new closure; returns how many."""
    told = 0
    for occurrence in occurrences:
        booking = occurrence.booking
        _to_applicant(
            "booking_closure",
            booking,
            tenant,
            f"closure.affects:{closure_id}:{occurrence.id}",
            occurrence=occurrence,
            closure_reason=reason,
        )
        told += 1
    return told


# --- jobs ---------------------------------------------------------------------------------


def _existing_keys(keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(keys), KEY_CHUNK):
        chunk = keys[i : i + KEY_CHUNK]
        found.update(
            db.session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.in_(chunk)))
        )
    return found


def _caretakers_by_resource(tenant: Tenant, resource_ids: set[int]) -> dict[int, list[User]]:
    """The caretakers of each resource: assigned to it or to a hall it is part of."""
    resources = tree.load(tenant.id)
    wanted = {rid: [rid, *resources.ancestors(rid)] for rid in resource_ids}
    all_ids = {i for ids in wanted.values() for i in ids}
    rows = db.session.execute(
        select(ResourceCaretaker.resource_id, User)
        .join(User, User.id == ResourceCaretaker.user_id)
        .where(ResourceCaretaker.resource_id.in_(all_ids))
    ).all()
    by_resource: dict[int, list[User]] = {}
    for resource_id, user in rows:
        by_resource.setdefault(resource_id, []).append(user)
    result = {}
    for rid, ids in wanted.items():
        people = {u.id: u for i in ids for u in by_resource.get(i, [])}
        result[rid] = list(people.values())
    return result


def send_reminders(now: datetime | None = None) -> dict[str, int]:
    """``reminders.bookings``: every confirmed date starting within the
    municipality's ``reminder_days`` gets one reminder per recipient (the
    applicant and the hall's caretakers); a moved date gets a new one."""
    now = now or utcnow()
    queued = 0
    for tenant in db.session.scalars(select(Tenant).order_by(Tenant.id)):
        horizon = now + timedelta(days=tenant.reminder_days)
        occurrences = list(
            db.session.scalars(
                select(Occurrence)
                .join(Booking, Booking.id == Occurrence.booking_id)
                .options(
                    selectinload(Occurrence.booking).selectinload(Booking.user),
                    selectinload(Occurrence.booking).selectinload(Booking.resource),
                )
                .where(
                    in_tenant(Occurrence, tenant),
                    Occurrence.cancelled_at.is_(None),
                    Occurrence.start_at > now,
                    Occurrence.start_at <= horizon,
                    Booking.status == "confirmed",
                )
                .order_by(Occurrence.start_at)
            )
        )
        if not occurrences:
            continue
        caretakers = _caretakers_by_resource(tenant, {o.resource_id for o in occurrences})
        wanted: list[tuple[str, Occurrence, User, bool]] = []
        for occurrence in occurrences:
            booking = occurrence.booking
            # A burial's chapel and crew dates: the funeral home hears about
            # the burial (cemetery.burials), the caretakers get the reminder.
            applicant = booking.user if booking.origin == "booking" else None
            people = [(applicant, False)] if applicant else []
            people += [(c, True) for c in caretakers.get(occurrence.resource_id, [])]
            for person, is_caretaker in people:
                key = f"reminder:{occurrence.id}:{_stamp(occurrence.start_at)}:{person.id}"
                wanted.append((key, occurrence, person, is_caretaker))
        known = _existing_keys([w[0] for w in wanted])
        for key, occurrence, person, is_caretaker in wanted:
            if key in known:
                continue
            notify(
                "booking_reminder",
                person.email,
                tenant,
                key=key,
                locale=person.locale,
                booking=occurrence.booking,
                occurrence=occurrence,
                place=place(occurrence.booking.resource),
                key_handover=key_handover(occurrence.booking.resource),
                person=person,
                for_caretaker=is_caretaker,
            )
            queued += 1
            if queued % CHECKPOINT_EVERY == 0:
                transaction.checkpoint()  # SQLite: let bookings in between
    return {"queued": queued}


def send_staff_digest(now: datetime | None = None) -> dict[str, int]:
    """``bookings.digest``: the clerks (and admins) of each municipality get
    one mail naming the requests that came in since the last digest."""
    now = now or utcnow()
    queued = 0
    for tenant in db.session.scalars(select(Tenant).order_by(Tenant.id)):
        new = list(
            db.session.scalars(
                select(Booking)
                .options(selectinload(Booking.resource), selectinload(Booking.occurrences))
                .where(
                    in_tenant(Booking, tenant),
                    Booking.status == "requested",
                    Booking.staff_notified_at.is_(None),
                )
                .order_by(Booking.created_at)
            )
        )
        if not new:
            continue
        staff = {u.id: u for role in STAFF_DIGEST_ROLES for u in users_with_role(tenant, role)}
        for person in staff.values():
            notify(
                "staff_digest",
                person.email,
                tenant,
                key=f"digest:{tenant.id}:{person.id}:{new[-1].id}",
                locale=person.locale,
                person=person,
                bookings=new,
            )
            queued += 1
        for booking in new:
            booking.staff_notified_at = now
    return {"queued": queued}
