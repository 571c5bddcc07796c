"""Status changes and their audit trail, moving a date, the approval queue,
suggestions, calendar queries and the busy endpoint."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from booking.audit.models import AuditEntry
from booking.core import Forbidden, NotFound, ValidationFailed, utcnow
from booking.extensions import db
from booking.reservations import queries, service
from booking.reservations.errors import BookingConflict
from booking.reservations.models import Claim
from booking.resources.models import Closure
from tests.times import BERLIN, at, iso


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_staff_status_changes_are_audited_citizen_cancels_are_not(
    tenant, make_resource, make_booking, citizen, clerk, day
):
    room = make_resource(requires_approval=True)
    first = make_booking(room, at(day, "10:00"), at(day, "11:00"))
    second = make_booking(room, at(day, "12:00"), at(day, "13:00"))
    third = make_booking(room, at(day, "14:00"), at(day, "15:00"))
    before = len(audit_actions())
    service.approve_booking(tenant, clerk, first)
    service.reject_booking(tenant, clerk, second, reason="Doppelt angefragt")
    service.cancel_booking(tenant, clerk, first, reason="Hallenschaden")
    service.cancel_booking(tenant, citizen, third)
    db.session.commit()
    assert audit_actions()[before:] == ["booking.approve", "booking.reject", "booking.cancel"]
    reject = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "booking.reject"))
    assert reject.before == {"status": "requested"}
    assert reject.after == {"status": "rejected"}
    assert reject.reason == "Doppelt angefragt"
    assert reject.actor_id == clerk.id


def test_approve_raises_occurrence_sequence(tenant, make_resource, make_booking, clerk, day):
    room = make_resource(requires_approval=True)
    booking = make_booking(room, at(day, "10:00"), at(day, "11:00"))
    assert booking.occurrences[0].sequence == 0
    service.approve_booking(tenant, clerk, booking)
    assert booking.occurrences[0].sequence == 1
    assert booking.occurrences[0].status == "confirmed"


def test_a_citizen_cannot_cancel_a_date_that_has_begun(
    tenant, make_resource, make_booking, citizen, clerk, day
):
    room = make_resource(observe_holidays=False)
    booking = make_booking(
        room, at(day, "10:00"), at(day, "11:00"), recurrence={"freq": "weekly", "count": 3}
    )
    during_first = at(day, "10:30")
    with pytest.raises(ValidationFailed):
        service.cancel_booking(tenant, citizen, booking, now=during_first)
    with pytest.raises(ValidationFailed):
        service.cancel_occurrence(tenant, citizen, booking.occurrences[0], now=during_first)
    # The rest of the series can go.
    service.cancel_series_from(tenant, citizen, booking.occurrences[1], now=during_first)
    assert [o.status for o in booking.occurrences] == ["confirmed", "cancelled", "cancelled"]
    # Staff may cancel the running one.
    service.cancel_occurrence(tenant, clerk, booking.occurrences[0], now=during_first)
    assert booking.status == "cancelled"


def test_move_rechecks_and_does_not_conflict_with_itself(
    tenant, make_resource, make_booking, citizen, other_citizen, day
):
    room = make_resource(buffer_after_min=30)
    booking = make_booking(room, at(day, "10:00"), at(day, "12:00"))
    make_booking(room, at(day, "14:00"), at(day, "15:00"), actor=other_citizen)
    occurrence = booking.occurrences[0]
    service.move_occurrence(tenant, citizen, occurrence, at(day, "11:00"), at(day, "13:00"))
    db.session.commit()
    assert occurrence.sequence == 1
    claim = db.session.scalar(select(Claim).where(Claim.occurrence_id == occurrence.id))
    assert (claim.start_at, claim.end_at, claim.active) == (
        at(day, "11:00"),
        at(day, "13:30"),
        True,
    )
    # 12:00-14:00 plus 30 min buffer runs into the 14:00 booking.
    with pytest.raises(BookingConflict) as caught:
        service.move_occurrence(tenant, citizen, occurrence, at(day, "12:00"), at(day, "14:00"))
    db.session.rollback()
    assert caught.value.conflicts[0].start == at(day, "12:00")
    # Suggestions never propose the slot the occurrence already holds as taken.
    suggested = {(s.start, s.end) for s in caught.value.suggestions if s.resource_id == room.id}
    assert (at(day, "11:30"), at(day, "13:30")) in suggested
    # Another citizen cannot even see it.
    with pytest.raises(NotFound):
        service.move_occurrence(
            tenant, other_citizen, occurrence, at(day, "16:00"), at(day, "17:00")
        )


def test_move_onto_a_closure_needs_a_staff_reason(
    tenant, make_resource, make_booking, citizen, clerk, day
):
    room = make_resource()
    booking = make_booking(room, at(day, "10:00"), at(day, "11:00"))
    db.session.add(
        Closure(
            tenant_id=tenant.id,
            resource_id=room.id,
            start_at=at(day, "15:00"),
            end_at=at(day, "18:00"),
            reason="Wartung",
        )
    )
    db.session.commit()
    occurrence = booking.occurrences[0]
    with pytest.raises(ValidationFailed):
        service.move_occurrence(tenant, citizen, occurrence, at(day, "16:00"), at(day, "17:00"))
    with pytest.raises(ValidationFailed):
        service.move_occurrence(tenant, clerk, occurrence, at(day, "16:00"), at(day, "17:00"))
    service.move_occurrence(
        tenant,
        clerk,
        occurrence,
        at(day, "16:00"),
        at(day, "17:00"),
        override_reason="Notfall",
    )
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "occurrence.move"))
    assert entry.reason == "Notfall"
    assert entry.after["rules"] == ["closure"]


def test_approval_queue_is_oldest_first_with_current_conflicts(
    tenant, make_resource, make_booking, citizen, other_citizen, clerk, day
):
    room = make_resource(requires_approval=True, request_blocks=False)
    now = utcnow()
    older = make_booking(room, at(day, "18:00"), at(day, "20:00"), now=now)
    newer = make_booking(
        room,
        at(day, "19:00"),
        at(day, "21:00"),
        actor=other_citizen,
        now=now + timedelta(minutes=5),
    )
    alone = make_booking(room, at(day, "08:00"), at(day, "09:00"), now=now + timedelta(minutes=10))
    queue = queries.approval_queue(tenant)
    assert [item.booking.id for item in queue] == [older.id, newer.id, alone.id]
    assert [b.id for b in queue[0].competing] == [newer.id]
    assert queue[2].competing == []
    assert all(item.conflicts == [] for item in queue)
    service.approve_booking(tenant, clerk, newer)
    db.session.commit()
    queue = queries.approval_queue(tenant)
    assert [item.booking.id for item in queue] == [older.id, alone.id]
    assert [c.start for c in queue[0].conflicts] == [at(day, "18:00")]
    with pytest.raises(Forbidden):
        service.approve_booking(tenant, citizen, alone)


def test_suggestions_stay_within_opening_hours_and_skip_closed_days(
    tenant, make_resource, make_booking, other_citizen, citizen, day
):
    weekday = day.weekday()
    room = make_resource(hours={weekday: ("08:00", "12:00"), (weekday + 1) % 7: ("08:00", "12:00")})
    make_booking(room, at(day, "08:00"), at(day, "12:00"), actor=other_citizen)
    with pytest.raises(BookingConflict) as caught:
        make_booking(room, at(day, "09:00"), at(day, "11:00"))
    slots = [(s.start, s.end) for s in caught.value.suggestions if s.resource_id == room.id]
    tomorrow = day + timedelta(days=1)
    # The same time the next day comes first; everything fits 08:00-12:00.
    assert slots[0] == (at(tomorrow, "09:00"), at(tomorrow, "11:00"))
    for start, end in slots:
        local_day = start.astimezone(BERLIN).date()
        assert at(local_day, "08:00") <= start and end <= at(local_day, "12:00")


def test_occurrences_between_for_calendars(tenant, hall_with_halves, make_booking, citizen, day):
    _whole, a, b = hall_with_halves
    on_a = make_booking(a, at(day, "10:00"), at(day, "12:00"))
    on_b = make_booking(b, at(day, "13:00"), at(day, "14:00"))
    cancelled = make_booking(a, at(day, "16:00"), at(day, "17:00"))
    service.cancel_booking(tenant, citizen, cancelled)
    db.session.commit()
    found = queries.occurrences_between(tenant, at(day, "00:00"), at(day, "23:00"))
    assert [o.booking_id for o in found] == [on_a.id, on_b.id]
    only_a = queries.occurrences_between(
        tenant, at(day, "00:00"), at(day, "23:00"), resource_ids=[a.id]
    )
    assert [o.booking_id for o in only_a] == [on_a.id]
    everything = queries.occurrences_between(
        tenant, at(day, "00:00"), at(day, "23:00"), include_cancelled=True
    )
    assert len(everything) == 3
    assert queries.occurrences_between(tenant, at(day, "12:00"), at(day, "13:00")) == []


# --- the busy endpoint --------------------------------------------------------


def busy_url(resource, start, end):
    return f"/resources/{resource.id}/busy?start={iso(start)}&end={iso(end)}".replace("+", "%2B")


def test_busy_lists_times_only_including_closures(
    tenant, hall_with_halves, make_booking, citizen, other_citizen, api, day
):
    whole, a, _b = hall_with_halves
    make_booking(whole, at(day, "18:00"), at(day, "20:00"), title="Geheime Feier")
    db.session.add(
        Closure(
            tenant_id=tenant.id,
            resource_id=None,
            start_at=at(day, "07:00"),
            end_at=at(day, "08:00"),
            reason="Reinigung",
        )
    )
    db.session.commit()
    response = api(other_citizen, tenant).get(busy_url(a, at(day, "00:00"), at(day, "23:59")))
    assert response.status_code == 200
    assert response.json == {
        "items": [
            {"start": iso(at(day, "07:00")), "end": iso(at(day, "08:00"))},
            {"start": iso(at(day, "18:00")), "end": iso(at(day, "20:00"))},
        ]
    }
    assert "Geheime" not in response.get_data(as_text=True)
    assert "Reinigung" not in response.get_data(as_text=True)


def test_busy_accepts_an_unescaped_plus_in_the_offset(tenant, make_resource, citizen, api, day):
    room = make_resource()
    start, end = iso(at(day, "00:00")), iso(at(day, "12:00"))
    response = api(citizen, tenant).get(f"/resources/{room.id}/busy?start={start}&end={end}")
    assert response.status_code == 200
    assert response.json == {"items": []}


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("", 400),
        ("start=2030-01-01T00:00:00Z", 400),
        ("start=2030-01-01T00:00:00&end=2030-01-02T00:00:00", 400),
        ("start=gestern&end=heute", 400),
        ("start=2030-01-02T00:00:00Z&end=2030-01-01T00:00:00Z", 422),
        ("start=2030-01-01T00:00:00Z&end=2030-04-04T00:00:01Z", 422),
        ("start=2030-01-01T00:00:00Z&end=2030-04-04T00:00:00Z", 200),
    ],
)
def test_busy_parameters(query, status, tenant, make_resource, citizen, api):
    room = make_resource()
    response = api(citizen, tenant).get(f"/resources/{room.id}/busy?{query}")
    assert response.status_code == status
    if status != 200:
        assert response.json["error"]["code"] == ("bad_request" if status == 400 else "validation")


def test_busy_needs_a_token_and_hides_other_tenants(
    client, tenant, make_tenant, make_resource, citizen, api
):
    other = make_tenant("nachbar", name="Nachbar")
    foreign = make_resource(of_tenant=other)
    room = make_resource()
    path = "/busy?start=2030-01-01T00:00:00Z&end=2030-01-02T00:00:00Z"
    assert client.get(f"/{tenant.slug}/api/v1/resources/{room.id}{path}").status_code == 401
    assert api(citizen, tenant).get(f"/resources/{foreign.id}{path}").status_code == 404
    hidden = make_resource(public=False)
    assert api(citizen, tenant).get(f"/resources/{hidden.id}{path}").status_code == 404
