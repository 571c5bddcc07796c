"""The booking-check pipeline (booking.reservations.checks) and the preview
built on it: the same answers as a booking, and nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from booking.core import ValidationFailed, utcnow
from booking.extensions import db
from booking.reservations import checks, engine, service
from booking.reservations.errors import BookingConflict
from booking.reservations.models import Booking, Claim, Occurrence
from booking.resources.models import Closure
from tests.times import at


def rows() -> tuple[int, int, int]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Booking, Occurrence, Claim)
    )


@pytest.fixture
def writes():
    """The INSERT/UPDATE/DELETE/SAVEPOINT statements sent since the last
    ``writes.clear()``."""
    sent: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if statement.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE", "SAVEPOINT"):
            sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield sent
    event.remove(db.engine, "before_cursor_execute", record)


def _series(tenant, citizen, room, day, **kwargs):
    args = dict(
        tenant=tenant,
        actor=citizen,
        resource=room,
        start=at(day, "18:00"),
        end=at(day, "20:00"),
        title="Chorprobe",
        recurrence={"freq": "weekly", "count": 4, "skip_closed": True},
        on_conflict="skip",
        now=utcnow(),
    )
    return {**args, **kwargs}


@pytest.mark.parametrize("approval", [False, True])
def test_preview_answers_what_the_booking_then_does(
    tenant, citizen, other_citizen, make_resource, make_booking, day, writes, approval
):
    room = make_resource(requires_approval=approval)
    make_booking(room, at(day + timedelta(weeks=1), "19:00"), at(day + timedelta(weeks=1), "21:00"))
    db.session.add(
        Closure(
            tenant_id=tenant.id,
            resource_id=room.id,
            start_at=at(day + timedelta(weeks=2), "00:00"),
            end_at=at(day + timedelta(weeks=3), "00:00"),
            reason="Renovierung",
        )
    )
    db.session.commit()
    before = rows()
    args = _series(tenant, other_citizen, room, day)
    writes.clear()
    preview = service.preview_booking(**args)
    assert writes == [] and rows() == before
    result = service.create_booking(**args)
    assert preview.status == result.booking.status == ("requested" if approval else "confirmed")
    assert preview.dates == [(o.start_at, o.end_at) for o in result.booking.occurrences]
    assert preview.skipped == result.skipped
    assert [s.reason for s in preview.skipped] == ["conflict", "closure"]


def test_preview_refuses_a_taken_slot_like_the_booking(
    tenant, citizen, other_citizen, make_resource, make_booking, day, writes
):
    room = make_resource()
    make_booking(room, at(day, "18:00"), at(day, "20:00"))
    args = _series(tenant, other_citizen, room, day, recurrence=None, on_conflict="reject")
    writes.clear()
    with pytest.raises(BookingConflict) as previewed:
        service.preview_booking(**args)
    assert writes == []
    with pytest.raises(BookingConflict) as booked:
        service.create_booking(**args)
    assert previewed.value.details == booked.value.details
    assert previewed.value.details["conflicts"]


def test_preview_refuses_a_broken_rule_like_the_booking(
    tenant, citizen, make_resource, day, writes
):
    room = make_resource(min_duration_min=180)
    args = _series(tenant, citizen, room, day, recurrence=None)
    writes.clear()
    with pytest.raises(ValidationFailed) as previewed:
        service.preview_booking(**args)
    assert writes == []
    with pytest.raises(ValidationFailed) as booked:
        service.create_booking(**args)
    assert previewed.value.fields == booked.value.fields
    assert "end" in previewed.value.fields


def test_the_pipeline_checks_every_period(tenant, citizen, make_resource, day):
    room = make_resource()
    good = (at(day, "18:00"), at(day, "20:00"))
    naive = (good[0].replace(tzinfo=None), good[1].replace(tzinfo=None))
    with pytest.raises(ValidationFailed) as caught:
        checks.check_periods(tenant, citizen, room, [good, naive], now=utcnow())
    assert "start" in caught.value.fields
    overlapping = (at(day, "19:00"), at(day, "21:00"))
    with pytest.raises(ValidationFailed) as caught:
        checks.check_periods(tenant, citizen, room, [good, overlapping], now=utcnow())
    assert "recurrence" in caught.value.fields


def test_without_rules_only_conflicts_count(tenant, citizen, make_resource, make_booking, day):
    room = make_resource(min_duration_min=600)
    past = (utcnow() - timedelta(days=2), utcnow() - timedelta(days=2) + timedelta(hours=1))
    checked = checks.check_periods(tenant, citizen, room, [past], now=utcnow(), rules=False)
    assert checked.dates == [past] and checked.units == [room.id]
    booking = make_booking(room, at(day, "08:00"), at(day, "20:00"), override_reason=None)
    with pytest.raises(BookingConflict) as caught:
        checks.check_periods(
            tenant,
            citizen,
            room,
            [(at(day, "10:00"), at(day, "11:00"))],
            now=utcnow(),
            rules=False,
            suggest=False,
        )
    assert caught.value.suggestions == []
    own = booking.occurrences[0].id
    free = checks.check_periods(
        tenant,
        citizen,
        room,
        [(at(day, "10:00"), at(day, "11:00"))],
        now=utcnow(),
        rules=False,
        exclude_occurrence_ids=[own],
    )
    assert free.conflicts == []


def test_skipping_taken_dates_names_their_conflicts(
    tenant, citizen, other_citizen, hall_with_halves, make_booking, day
):
    whole, a, _b = hall_with_halves
    later = day + timedelta(weeks=1)
    make_booking(a, at(later, "18:00"), at(later, "19:00"))
    periods = [(at(d, "18:00"), at(d, "20:00")) for d in (day, later)]
    checked = checks.check_periods(
        tenant, other_citizen, whole, periods, now=utcnow(), on_conflict="skip"
    )
    assert checked.dates == periods[:1]
    assert [(s.start, s.reason) for s in checked.skipped] == [(periods[1][0], "conflict")]
    assert [(c.start, c.resource_id) for c in checked.conflicts] == [(periods[1][0], a.id)]
    assert sorted(checked.units) == sorted(u.id for u in hall_with_halves[1:])


@pytest.mark.postgres_only
def test_the_constraint_may_be_the_check_when_every_date_is_claimed_at_once(
    database, tenant, citizen, make_resource, day, monkeypatch
):
    room = make_resource()
    calls = []
    real = engine.find_conflicts
    monkeypatch.setattr(engine, "find_conflicts", lambda *a, **k: calls.append(1) or real(*a, **k))
    period = [(at(day, "18:00"), at(day, "20:00"))]
    checks.check_periods(tenant, citizen, room, period, now=utcnow(), constraint_decides=True)
    assert calls == []
    checks.check_periods(tenant, citizen, room, period, now=utcnow())
    checks.check_periods(
        tenant, citizen, room, period, now=utcnow(), constraint_decides=True, on_conflict="skip"
    )
    assert calls == [1, 1]
