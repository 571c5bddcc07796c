"""Property: any sequence of creates and cancels on a hall with parts never
leaves two active overlapping claims on one unit, and the service accepts
exactly what a brute-force oracle accepts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from booking.extensions import db
from booking.notifications.models import OutboxMessage
from booking.reservations import service
from booking.reservations.errors import BookingConflict
from booking.reservations.models import Booking, Claim, Occurrence
from booking.resources.models import Resource

BASE = datetime(2031, 6, 4, 8, 0, tzinfo=UTC)  # holidays are not observed here
NOW = BASE - timedelta(days=30)
SLOT = timedelta(minutes=30)

create = st.tuples(
    st.just("create"),
    st.integers(0, 3),  # 0 whole hall, 1 half A, 2 half B, 3 room with buffers
    st.integers(0, 16),  # start slot
    st.integers(1, 6),  # length in slots
)
cancel = st.tuples(st.just("cancel"), st.integers(0, 30), st.just(0), st.just(0))
operations = st.lists(st.one_of(create, create, cancel), min_size=1, max_size=14)


def _overlap(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    max_examples=25,
    deadline=None,
)
@given(ops=operations)
def test_random_creates_and_cancels_never_double_claim_a_unit(ops, tenant, citizen, make_resource):
    # Clean the booking tables and their mail between examples (the fixtures stay).
    db.session.rollback()
    db.session.execute(delete(OutboxMessage))
    db.session.execute(delete(Claim))
    db.session.execute(delete(Occurrence))
    db.session.execute(delete(Booking))
    db.session.commit()
    resources = _resources(tenant, make_resource)
    units = {
        0: {resources[1].id, resources[2].id},
        1: {resources[1].id},
        2: {resources[2].id},
        3: {resources[3].id},
    }
    buffers = {0: (0, 0), 1: (0, 0), 2: (0, 0), 3: (30, 15)}

    oracle: list[tuple[set[int], tuple[datetime, datetime], int]] = []  # units, period, id
    created: list[Booking] = []
    for op, a, b, c in ops:
        if op == "create":
            start, end = BASE + b * SLOT, BASE + (b + c) * SLOT
            before, after = buffers[a]
            period = (start - timedelta(minutes=before), end + timedelta(minutes=after))
            expected_ok = not any(
                units[a] & held and _overlap(period, held_period)
                for held, held_period, _id in oracle
            )
            try:
                result = service.create_booking(
                    tenant, citizen, resources[a], start, end, "P", now=NOW
                )
                db.session.commit()
                ok = True
            except BookingConflict:
                db.session.rollback()
                ok = False
            assert ok == expected_ok, (op, a, b, c, oracle)
            if ok:
                created.append(result.booking)
                oracle.append((units[a], period, result.booking.id))
        elif created:
            booking = created[a % len(created)]
            service.cancel_booking(tenant, citizen, booking, now=NOW)
            db.session.commit()
            oracle = [entry for entry in oracle if entry[2] != booking.id]

    claims = db.session.execute(
        select(Claim.unit_id, Claim.start_at, Claim.end_at).where(Claim.active.is_(True))
    ).all()
    for i, first in enumerate(claims):
        for second in claims[i + 1 :]:
            assert not (
                first.unit_id == second.unit_id
                and _overlap((first.start_at, first.end_at), (second.start_at, second.end_at))
            ), (first, second)
    assert len(claims) == sum(len(held) for held, _p, _id in oracle)


def _resources(tenant, make_resource):
    """Whole hall, halves A and B, and a room with buffers — made once per test."""
    existing = list(
        db.session.scalars(
            select(Resource).where(Resource.tenant_id == tenant.id).order_by(Resource.id)
        )
    )
    if existing:
        return existing
    whole = make_resource("Halle", observe_holidays=False)
    a = make_resource("A", "room", parent=whole, observe_holidays=False)
    b = make_resource("B", "room", parent=whole, observe_holidays=False)
    room = make_resource(
        "Raum", "room", observe_holidays=False, buffer_before_min=30, buffer_after_min=15
    )
    return [whole, a, b, room]
