"""Moving a date is a new request where the resource needs approval: a move
by the owner (not staff) sends a confirmed booking back to ``requested``;
the moved date keeps a claim only where requests block, the other dates
keep theirs, and the clerk's approval confirms it again. Every move is
audited, and the slot rules apply as to a new booking."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from booking.audit.labels import ACTION_LABELS
from booking.audit.models import AuditEntry
from booking.core import ValidationFailed
from booking.extensions import db
from booking.reservations import service
from booking.reservations.errors import BookingConflict
from booking.reservations.models import Claim
from tests.times import at, iso


def active_claims(occurrence) -> list[Claim]:
    return list(
        db.session.scalars(
            select(Claim).where(Claim.occurrence_id == occurrence.id, Claim.active.is_(True))
        )
    )


def move_entries() -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "occurrence.move").order_by(AuditEntry.id)
        )
    )


@pytest.fixture
def approved(tenant, make_resource, make_booking, clerk, day):
    """``approved(**resource_fields)``: a confirmed weekly booking of two dates
    on a hall that needs approval (approved by the clerk)."""

    def make(**fields):
        hall = make_resource("Bürgerhaus", requires_approval=True, **fields)
        booking = make_booking(
            hall, at(day, "18:00"), at(day, "20:00"), recurrence={"freq": "weekly", "count": 2}
        )
        service.approve_booking(tenant, clerk, booking)
        db.session.commit()
        assert booking.status == "confirmed"
        return booking

    return make


def test_the_owner_moving_through_the_api_makes_it_a_request_again(
    api, tenant, citizen, clerk, approved, day
):
    booking = approved()
    first, second = booking.occurrences
    response = api(citizen, tenant).post(
        f"/bookings/{booking.id}/occurrences/{first.id}/move",
        json={"start": iso(at(day, "19:00")), "end": iso(at(day, "21:00")), "reason": "Später"},
    )
    assert response.status_code == 200, response.json
    assert response.json["status"] == "requested"
    assert [o["status"] for o in response.json["occurrences"]] == ["requested", "requested"]
    db.session.expire_all()
    # request_blocks (the default): the moved date holds its new slot meanwhile.
    (claim,) = active_claims(first)
    assert (claim.start_at, claim.end_at) == (at(day, "19:00"), at(day, "21:00"))
    assert len(active_claims(second)) == 1
    # Both dates change status in calendars: both SEQUENCEs rise.
    assert first.sequence >= 2 and second.sequence >= 2

    (entry,) = move_entries()
    assert entry.actor_id == citizen.id
    assert entry.reason == "Später"
    assert entry.before["start"] == at(day, "18:00").isoformat()
    assert entry.before["status"] == "confirmed"
    assert entry.after["start"] == at(day, "19:00").isoformat()
    assert entry.after["end"] == at(day, "21:00").isoformat()
    assert entry.after["status"] == "requested"
    assert entry.action in ACTION_LABELS

    approved_again = api(clerk, tenant).post(f"/bookings/{booking.id}/approve")
    assert approved_again.status_code == 200, approved_again.json
    assert approved_again.json["status"] == "confirmed"


def test_without_blocking_requests_the_moved_date_waits_for_approval(
    tenant, citizen, other_citizen, clerk, approved, make_booking, day
):
    booking = approved(request_blocks=False)
    first, second = booking.occurrences
    service.move_occurrence(tenant, citizen, first, at(day, "14:00"), at(day, "16:00"))
    db.session.commit()
    assert booking.status == "requested"
    assert active_claims(first) == []  # released: approve_booking claims it
    assert len(active_claims(second)) == 1  # the other date keeps its claim

    # Meanwhile the old slot is free for others; the new one is only requested.
    other = make_booking(booking.resource, at(day, "18:00"), at(day, "20:00"), actor=other_citizen)
    assert other.status == "requested"

    service.approve_booking(tenant, clerk, booking)
    db.session.commit()
    assert booking.status == "confirmed"
    (claim,) = active_claims(first)
    assert (claim.start_at, claim.end_at) == (at(day, "14:00"), at(day, "16:00"))


def test_approval_after_a_move_checks_the_new_slot_again(
    tenant, citizen, other_citizen, clerk, approved, make_booking, day
):
    booking = approved(request_blocks=False)
    first = booking.occurrences[0]
    service.move_occurrence(tenant, citizen, first, at(day, "14:00"), at(day, "16:00"))
    db.session.commit()
    # Someone else's request for the same new slot is approved first.
    rival = make_booking(booking.resource, at(day, "15:00"), at(day, "17:00"), actor=other_citizen)
    service.approve_booking(tenant, clerk, rival)
    db.session.commit()
    with pytest.raises(BookingConflict):
        service.approve_booking(tenant, clerk, booking)
    db.session.rollback()
    assert booking.status == "requested"


def test_an_owner_move_without_approval_stays_confirmed_but_is_audited(
    tenant, make_resource, make_booking, citizen, day
):
    room = make_resource()
    booking = make_booking(room, at(day, "10:00"), at(day, "12:00"))
    occurrence = booking.occurrences[0]
    service.move_occurrence(tenant, citizen, occurrence, at(day, "11:00"), at(day, "13:00"))
    db.session.commit()
    assert booking.status == "confirmed"
    assert occurrence.sequence == 1
    (entry,) = move_entries()
    assert entry.actor_id == citizen.id
    assert entry.reason is None
    assert (entry.before["start"], entry.after["start"]) == (
        at(day, "10:00").isoformat(),
        at(day, "11:00").isoformat(),
    )
    assert entry.after["status"] == "confirmed"


def test_a_staff_move_keeps_the_booking_confirmed(tenant, clerk, approved, day):
    booking = approved()
    first = booking.occurrences[0]
    service.move_occurrence(
        tenant, clerk, first, at(day, "19:00"), at(day, "21:00"), reason="Hausmeister"
    )
    db.session.commit()
    assert booking.status == "confirmed"
    (entry,) = move_entries()
    assert (entry.actor_id, entry.reason) == (clerk.id, "Hausmeister")


def test_an_organisation_manager_is_no_staff(
    tenant, make_resource, make_booking, citizen, other_citizen, clerk, day
):
    from booking.accounts import service as accounts

    club = accounts.create_organisation(tenant, other_citizen, name="TSV")
    db.session.commit()
    hall = make_resource(requires_approval=True)
    booking = make_booking(
        hall, at(day, "18:00"), at(day, "20:00"), actor=other_citizen, organisation=club
    )
    service.approve_booking(tenant, clerk, booking)
    db.session.commit()
    service.move_occurrence(
        tenant, other_citizen, booking.occurrences[0], at(day, "19:00"), at(day, "21:00")
    )
    assert booking.status == "requested"


def test_the_slot_rules_apply_to_an_owner_move(
    tenant, make_resource, make_booking, citizen, clerk, day
):
    hall = make_resource(
        requires_approval=True, hours={day.weekday(): ("08:00", "22:00")}, max_duration_min=240
    )
    booking = make_booking(hall, at(day, "18:00"), at(day, "20:00"))
    service.approve_booking(tenant, clerk, booking)
    db.session.commit()
    occurrence = booking.occurrences[0]
    for start, end in [
        (at(day, "21:00"), at(day, "23:00")),  # past closing time
        (at(day, "08:00"), at(day, "13:00")),  # longer than four hours
        (at(day, "20:00"), at(day, "19:00")),  # ends before it starts
    ]:
        with pytest.raises(ValidationFailed):
            service.move_occurrence(tenant, citizen, occurrence, start, end)
        db.session.rollback()
    assert booking.status == "confirmed"
    assert move_entries() == []
    # Staff may break the rule with a reason; the booking stays confirmed.
    service.move_occurrence(
        tenant,
        clerk,
        occurrence,
        at(day, "21:00"),
        at(day, "23:00"),
        override_reason="Abschlussfeier",
    )
    assert booking.status == "confirmed"
    assert move_entries()[0].after["rules"]


def test_a_hall_no_longer_bookable_refuses_an_owner_move(
    tenant, make_resource, make_booking, citizen, clerk, day
):
    from booking.resources import service as resources

    hall = make_resource()
    booking = make_booking(hall, at(day, "18:00"), at(day, "20:00"))
    resources.update_resource(tenant, None, hall, {"bookable": False})
    db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        service.move_occurrence(
            tenant, citizen, booking.occurrences[0], at(day, "19:00"), at(day, "21:00")
        )
    assert "resource_id" in caught.value.fields
    db.session.rollback()
    service.move_occurrence(
        tenant, clerk, booking.occurrences[0], at(day, "19:00"), at(day, "21:00")
    )
    assert booking.occurrences[0].start_at == at(day, "19:00")


def test_a_held_or_requested_booking_keeps_its_status(
    tenant, make_resource, make_booking, citizen, day
):
    hall = make_resource(requires_approval=True)
    booking = make_booking(hall, at(day, "18:00"), at(day, "20:00"))
    assert booking.status == "requested"
    service.move_occurrence(
        tenant, citizen, booking.occurrences[0], at(day, "19:00"), at(day, "21:00")
    )
    assert booking.status == "requested"
    assert len(active_claims(booking.occurrences[0])) == 1
    assert booking.occurrences[0].start_at + timedelta(hours=2) == at(day, "21:00")
