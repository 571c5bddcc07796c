"""The conflict engine through the service: parts, buffers, back-to-back,
release on cancel, the claim-length cap, busy intervals."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from booking.core import ValidationFailed, utcnow
from booking.extensions import db
from booking.reservations import engine, queries, service
from booking.reservations.errors import BookingConflict
from booking.reservations.models import Booking, Claim, Occurrence
from booking.resources import tree
from booking.resources.models import Closure
from tests.times import at


def active_claims() -> list[Claim]:
    return list(db.session.scalars(select(Claim).where(Claim.active.is_(True))))


def test_halves_can_be_booked_at_the_same_time(hall_with_halves, make_booking, day):
    _whole, a, b = hall_with_halves
    first = make_booking(a, at(day, "18:00"), at(day, "22:00"))
    second = make_booking(b, at(day, "18:00"), at(day, "22:00"))
    assert first.status == second.status == "confirmed"
    assert sorted(c.unit_id for c in active_claims()) == sorted([a.id, b.id])


def test_whole_hall_conflicts_with_a_booked_half(hall_with_halves, make_booking, day):
    whole, a, _b = hall_with_halves
    make_booking(a, at(day, "18:00"), at(day, "22:00"))
    with pytest.raises(BookingConflict) as caught:
        make_booking(whole, at(day, "20:00"), at(day, "23:00"))
    db.session.rollback()
    conflict = caught.value
    assert [(c.start, c.resource_id) for c in conflict.conflicts] == [(at(day, "20:00"), a.id)]
    assert conflict.details["conflicts"][0]["start"].endswith(("+01:00", "+02:00"))
    assert len(active_claims()) == 1


def test_half_conflicts_with_the_booked_whole_hall(hall_with_halves, make_booking, day):
    whole, _a, b = hall_with_halves
    make_booking(whole, at(day, "10:00"), at(day, "12:00"))
    assert {c.unit_id for c in active_claims()} == {hall_with_halves[1].id, b.id}
    with pytest.raises(BookingConflict):
        make_booking(b, at(day, "11:59"), at(day, "13:00"))


def test_back_to_back_bookings_do_not_conflict(make_resource, make_booking, day):
    room = make_resource()
    make_booking(room, at(day, "10:00"), at(day, "12:00"))
    make_booking(room, at(day, "12:00"), at(day, "14:00"))
    make_booking(room, at(day, "08:00"), at(day, "10:00"))
    assert len(active_claims()) == 3


def test_buffers_are_claimed_and_honoured(make_resource, make_booking, day):
    room = make_resource(buffer_before_min=30, buffer_after_min=60)
    make_booking(room, at(day, "10:00"), at(day, "12:00"))
    (claim,) = active_claims()
    assert (claim.start_at, claim.end_at) == (at(day, "09:30"), at(day, "13:00"))
    # 08:00-09:00 claims [07:30, 10:00), overlapping [09:30, 13:00).
    with pytest.raises(BookingConflict):
        make_booking(room, at(day, "08:00"), at(day, "09:00"))
    db.session.rollback()
    # Starts 13:30: its claim [13:00, 15:30) touches [09:30, 13:00) only at the edge.
    make_booking(room, at(day, "13:30"), at(day, "14:30"))
    with pytest.raises(BookingConflict):
        make_booking(room, at(day, "13:15"), at(day, "13:20"))
    db.session.rollback()
    # 08:00-08:30 -> claim [07:30, 09:30): touches, fine.
    make_booking(room, at(day, "08:00"), at(day, "08:30"))


def test_cancelling_releases_the_slot(hall_with_halves, make_booking, citizen, tenant, day):
    whole, a, _b = hall_with_halves
    booking = make_booking(whole, at(day, "18:00"), at(day, "22:00"))
    with pytest.raises(BookingConflict):
        make_booking(a, at(day, "19:00"), at(day, "20:00"))
    db.session.rollback()
    service.cancel_booking(tenant, citizen, booking, now=utcnow())
    db.session.commit()
    assert booking.status == "cancelled"
    assert all(o.cancelled_at is not None and o.sequence == 1 for o in booking.occurrences)
    assert active_claims() == []
    make_booking(a, at(day, "19:00"), at(day, "20:00"))


def test_end_must_follow_start(make_resource, make_booking, day):
    room = make_resource()
    with pytest.raises(ValidationFailed) as caught:
        make_booking(room, at(day, "12:00"), at(day, "12:00"))
    assert "end" in caught.value.fields


def test_claims_longer_than_the_cap_are_refused(make_resource, make_booking, day, admin):
    room = make_resource(buffer_after_min=60)
    start = at(day, "08:00")
    with pytest.raises(ValidationFailed) as caught:
        make_booking(room, start, start + engine.MAX_CLAIM, actor=admin, override_reason="x")
    assert "end" in caught.value.fields
    db.session.rollback()
    make_booking(room, start, start + engine.MAX_CLAIM - timedelta(hours=1))
    assert db.session.scalar(select(func.count()).select_from(Claim)) == 1


def test_a_long_claim_is_still_found_by_the_bounded_query(make_resource, make_booking, day):
    """The lower bound start - MAX_CLAIM must not hide a long claim."""
    room = make_resource()
    start = at(day, "08:00")
    make_booking(room, start, start + engine.MAX_CLAIM - timedelta(minutes=1))
    late = start + engine.MAX_CLAIM - timedelta(minutes=30)
    with pytest.raises(BookingConflict):
        make_booking(room, late, late + timedelta(hours=1))


def test_find_conflicts_checks_a_whole_series_in_one_query(hall_with_halves, make_booking, day):
    whole, a, b = hall_with_halves
    make_booking(a, at(day, "18:00"), at(day, "20:00"))
    later = day + timedelta(days=14)
    make_booking(b, at(later, "19:00"), at(later, "21:00"))
    periods = [
        (at(day + timedelta(days=7 * k), "18:00"), at(day + timedelta(days=7 * k), "20:00"))
        for k in range(4)
    ]
    units = tree.leaf_unit_ids(whole)
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        hits = engine.find_conflicts(units, periods)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1
    assert sorted((h.index, h.unit_id) for h in hits) == [(0, a.id), (2, b.id)]


def test_busy_intervals_merge_claims_closures_and_holidays(
    hall_with_halves, make_booking, tenant, day, admin
):
    whole, a, b = hall_with_halves
    make_booking(a, at(day, "10:00"), at(day, "12:00"))
    make_booking(b, at(day, "11:00"), at(day, "13:00"))
    db.session.add(
        Closure(
            tenant_id=tenant.id,
            resource_id=whole.id,
            start_at=at(day, "20:00"),
            end_at=at(day, "21:00"),
            reason="Wartung",
        )
    )
    db.session.commit()
    busy = queries.busy_intervals(tenant, a, at(day, "00:00"), at(day, "23:00"))
    assert busy == [(at(day, "10:00"), at(day, "12:00")), (at(day, "20:00"), at(day, "21:00"))]
    busy = queries.busy_intervals(tenant, whole, at(day, "00:00"), at(day, "23:00"))
    assert busy == [(at(day, "10:00"), at(day, "13:00")), (at(day, "20:00"), at(day, "21:00"))]
    # Clipped to the window.
    assert queries.busy_intervals(tenant, whole, at(day, "11:00"), at(day, "11:30")) == [
        (at(day, "11:00"), at(day, "11:30"))
    ]


def test_busy_intervals_include_public_holidays_unless_ignored(tenant, make_resource):
    hall = make_resource()
    year = utcnow().year + 1
    christmas = date(year, 12, 25)
    busy = queries.busy_intervals(tenant, hall, at(christmas, "00:00"), at(christmas, "23:00"))
    assert busy == [(at(christmas, "00:00"), at(christmas, "23:00"))]
    hall.observe_holidays = False
    assert (
        queries.busy_intervals(tenant, hall, at(christmas, "00:00"), at(christmas, "23:00")) == []
    )


@pytest.mark.postgres_only
def test_postgres_exclusion_violation_becomes_claims_taken(
    database, tenant, citizen, make_resource, make_booking, day
):
    """Bypassing the check: the EXCLUDE constraint refuses, only the
    savepoint is rolled back, and the winner is reported."""
    room = make_resource()
    winner = make_booking(room, at(day, "18:00"), at(day, "20:00"))
    result = service.create_booking(
        tenant, citizen, room, at(day, "08:00"), at(day, "09:00"), "Davor"
    )
    occurrence = result.booking.occurrences[0]
    occurrence.start_at, occurrence.end_at = at(day, "19:00"), at(day, "21:00")
    db.session.flush()
    with pytest.raises(engine.ClaimsTaken) as caught:
        engine.write_claims(room, [room.id], [occurrence])
    (hit,) = caught.value.hits
    assert (hit.unit_id, hit.occurrence_id) == (room.id, winner.occurrences[0].id)
    # The transaction is still usable: the rest of it commits.
    db.session.commit()
    assert len(active_claims()) == 2


@pytest.mark.postgres_only
def test_a_lost_race_in_skip_mode_drops_only_the_lost_date(
    database, tenant, citizen, other_citizen, make_resource, make_booking, day, monkeypatch
):
    """Simulates another writer winning between check and write (possible on
    PostgreSQL only): the pre-check sees nothing, the constraint refuses."""
    room = make_resource(observe_holidays=False)
    later = day + timedelta(weeks=1)
    make_booking(room, at(later, "18:00"), at(later, "20:00"), actor=other_citizen)
    real = engine.find_conflicts
    calls = []

    def blind_once(*args, **kwargs):
        calls.append(1)
        return [] if len(calls) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(engine, "find_conflicts", blind_once)
    result = service.create_booking(
        tenant,
        citizen,
        room,
        at(day, "18:00"),
        at(day, "20:00"),
        "Serie",
        recurrence={"freq": "weekly", "count": 3},
        on_conflict="skip",
    )
    db.session.commit()
    assert [s.start for s in result.skipped] == [at(later, "18:00")]
    assert [o.start_at for o in result.booking.occurrences] == [
        at(day, "18:00"),
        at(day + timedelta(weeks=2), "18:00"),
    ]
    assert len(active_claims()) == 3
    calls.clear()
    with pytest.raises(BookingConflict) as caught:
        service.create_booking(
            tenant,
            citizen,
            room,
            at(day, "19:00"),
            at(day, "21:00"),
            "Zu spät",
        )
    assert [c.start for c in caught.value.conflicts] == [at(day, "19:00")]


def test_a_refused_booking_leaves_nothing_behind_even_if_the_caller_commits(
    tenant, citizen, make_resource, make_booking, day
):
    room = make_resource()
    make_booking(room, at(day, "18:00"), at(day, "20:00"))
    with pytest.raises(BookingConflict):
        service.create_booking(tenant, citizen, room, at(day, "19:00"), at(day, "21:00"), "Zu spät")
    db.session.commit()  # a careless caller
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1
    assert db.session.scalar(select(func.count()).select_from(Occurrence)) == 1


def test_insert_booking_applies_model_defaults_and_sql_nulls(tenant, citizen, make_resource):
    room = make_resource()
    booking = engine.insert_booking(
        room, user_id=citizen.id, title="Roh", status="confirmed", recurrence=None, now=utcnow()
    )
    db.session.commit()
    assert booking.customer_category == "resident"
    assert booking.resource is room
    stored = db.session.execute(
        select(Booking.id).where(Booking.id == booking.id, Booking.recurrence.is_(None))
    ).scalar()
    assert stored == booking.id
