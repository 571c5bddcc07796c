"""The resource rules: validation, the tree of parts, opening hours,
caretakers, closures, access."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from booking.audit.models import AuditEntry
from booking.core import Forbidden, NotFound, ValidationFailed
from booking.extensions import db
from booking.reservations.models import Booking, Claim, Occurrence
from booking.resources import closures, service, tree
from booking.resources.models import Closure, OpeningHours, Resource

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def fields_of(excinfo) -> dict:
    return excinfo.value.fields


def create(tenant, actor=None, **data):
    data.setdefault("name", "Halle")
    data.setdefault("kind", "hall")
    return service.create_resource(tenant, actor, now=NOW, **data)


# --- create / update validation ----------------------------------------------------


def test_create_resource_with_defaults(tenant, admin):
    hall = create(tenant, admin, name="  Bürgerhaus ", capacity=80)
    assert hall.name == "Bürgerhaus"
    assert hall.tenant_id == tenant.id
    assert (hall.capacity, hall.bookable, hall.public, hall.requires_approval) == (
        80,
        True,
        True,
        False,
    )
    assert hall.buffer_before_min == hall.buffer_after_min == 0
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "resource.create"))
    assert entry.object_id == hall.id and entry.actor_id == admin.id


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": None}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"kind": "castle"}, "kind"),
        ({"kind": None}, "kind"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": -5}, "capacity"),
        ({"capacity": 10**12}, "capacity"),
        ({"buffer_before_min": -1}, "buffer_before_min"),
        ({"buffer_after_min": -30}, "buffer_after_min"),
        ({"buffer_after_min": None}, "buffer_after_min"),
        ({"min_notice_hours": None}, "min_notice_hours"),
        ({"public": None}, "public"),
        ({"min_notice_hours": -1}, "min_notice_hours"),
        ({"max_advance_days": -1}, "max_advance_days"),
        ({"min_duration_min": 0}, "min_duration_min"),
        ({"min_duration_min": 120, "max_duration_min": 60}, "max_duration_min"),
        ({"parent_id": 999_999}, "parent_id"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_invalid_values_are_refused_per_field_and_change_nothing(tenant, admin, data, field):
    with pytest.raises(ValidationFailed) as excinfo:
        create(tenant, admin, **data)
    assert field in fields_of(excinfo)
    db.session.rollback()
    assert count(Resource) == 0


def test_valid_limits_are_accepted(tenant, admin):
    hall = create(
        tenant,
        admin,
        capacity=None,
        min_duration_min=60,
        max_duration_min=60,
        min_notice_hours=0,
        max_advance_days=0,
        buffer_before_min=0,
    )
    assert hall.capacity is None and hall.min_duration_min == hall.max_duration_min == 60


def test_name_is_unique_per_tenant_case_insensitive(tenant, admin, make_tenant):
    create(tenant, admin, name="Bürgerhaus")
    with pytest.raises(ValidationFailed) as excinfo:
        create(tenant, admin, name="bürgerhaus")
    assert "name" in fields_of(excinfo)
    other = make_tenant("nachbarort")
    assert create(other, None, name="Bürgerhaus").tenant_id == other.id


def test_update_keeps_own_name_and_refuses_another(tenant, admin):
    hall = create(tenant, admin, name="Bürgerhaus")
    create(tenant, admin, name="Turnhalle", kind="sports_hall")
    service.update_resource(tenant, admin, hall, name="Bürgerhaus", capacity=90, now=NOW)
    assert hall.capacity == 90 and hall.kind == "hall"
    with pytest.raises(ValidationFailed) as excinfo:
        service.update_resource(tenant, admin, hall, name="TURNHALLE", now=NOW)
    assert "name" in fields_of(excinfo)


def test_failed_update_changes_nothing(tenant, admin):
    hall = create(tenant, admin, capacity=50)
    db.session.commit()
    with pytest.raises(ValidationFailed):
        service.update_resource(tenant, admin, hall, capacity=10, buffer_after_min=-1, now=NOW)
    assert hall.capacity == 50


def test_update_is_audited_with_the_changed_fields(tenant, admin):
    hall = create(tenant, admin, capacity=50)
    service.update_resource(tenant, admin, hall, capacity=70, now=NOW)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "resource.update"))
    assert entry.before == {"capacity": 50} and entry.after == {"capacity": 70}


def test_parent_of_another_tenant_is_refused_like_a_missing_one(app, tenant, admin, make_tenant):
    other = make_tenant("nachbarort")
    foreign = create(other, None, name="Fremde Halle")
    with pytest.raises(ValidationFailed) as foreign_err:
        create(tenant, admin, name="Teil", parent_id=foreign.id)
    with pytest.raises(ValidationFailed) as missing_err:
        create(tenant, admin, name="Teil", parent_id=foreign.id + 1000)
    with app.test_request_context():
        assert str(fields_of(foreign_err)["parent_id"][0]) == str(
            fields_of(missing_err)["parent_id"][0]
        )
    hall = create(tenant, admin, name="Eigene Halle")
    with pytest.raises(ValidationFailed):
        service.update_resource(tenant, admin, hall, parent_id=foreign.id, now=NOW)
    assert hall.parent_id is None


def test_parent_may_not_create_a_cycle(tenant, admin, hall_with_halves):
    hall, a, _b = hall_with_halves
    with pytest.raises(ValidationFailed) as excinfo:
        service.update_resource(tenant, admin, hall, parent_id=a.id, now=NOW)
    assert "parent_id" in fields_of(excinfo)
    with pytest.raises(ValidationFailed):
        service.update_resource(tenant, admin, hall, parent_id=hall.id, now=NOW)
    deeper = create(tenant, admin, name="Bühne", kind="room", parent_id=a.id)
    with pytest.raises(ValidationFailed):
        service.update_resource(tenant, admin, hall, parent_id=deeper.id, now=NOW)
    assert hall.parent_id is None


def test_resource_of_another_tenant_cannot_be_updated(tenant, admin, make_tenant):
    other = make_tenant("nachbarort")
    foreign = create(other, None, name="Fremde Halle")
    with pytest.raises(NotFound):
        service.update_resource(tenant, admin, foreign, capacity=3, now=NOW)


@pytest.mark.parametrize("role", [None, "clerk", "caretaker", "funeral_home"])
def test_only_admins_manage_resources(tenant, make_user, role):
    user = make_user(tenant=tenant, roles=(role,) if role else ())
    with pytest.raises(Forbidden):
        create(tenant, user)
    hall = create(tenant, None, name="Halle 2")
    with pytest.raises(Forbidden):
        service.update_resource(tenant, user, hall, capacity=3, now=NOW)
    with pytest.raises(Forbidden):
        service.set_opening_hours(tenant, user, hall, [], now=NOW)


def test_admin_of_another_tenant_is_no_admin_here(tenant, make_tenant, make_user):
    other = make_tenant("nachbarort")
    foreign_admin = make_user(tenant=other, roles=("admin",))
    with pytest.raises(Forbidden):
        create(tenant, foreign_admin)


# --- changing the parts ---------------------------------------------------------------------


def _claim(tenant, resource, unit_id, start, end, *, active=True):
    booking = Booking(tenant_id=tenant.id, resource_id=resource.id, title="x", status="confirmed")
    db.session.add(booking)
    db.session.flush()
    occ = Occurrence(
        tenant_id=tenant.id,
        booking_id=booking.id,
        resource_id=resource.id,
        start_at=start,
        end_at=end,
    )
    db.session.add(occ)
    db.session.flush()
    db.session.add(
        Claim(
            tenant_id=tenant.id,
            occurrence_id=occ.id,
            unit_id=unit_id,
            start_at=start,
            end_at=end,
            active=active,
        )
    )
    db.session.flush()


def test_parts_are_frozen_while_bookings_are_to_come(tenant, admin, make_resource):
    room = make_resource("Mehrzweckraum", "room")
    _claim(tenant, room, room.id, NOW + timedelta(days=3), NOW + timedelta(days=3, hours=2))
    # A leaf with a future booking cannot get parts: its claims would no longer count.
    with pytest.raises(ValidationFailed) as excinfo:
        create(tenant, admin, name="Ecke", kind="room", parent_id=room.id)
    assert "parent_id" in fields_of(excinfo)
    hall = make_resource("Halle")
    with pytest.raises(ValidationFailed):
        service.update_resource(tenant, admin, room, parent_id=hall.id, now=NOW)
    # Other fields may still change.
    service.update_resource(tenant, admin, room, capacity=30, now=NOW)
    assert room.parent_id is None and room.capacity == 30


def test_parts_may_change_after_the_last_booking_or_when_released(tenant, admin, make_resource):
    room = make_resource("Mehrzweckraum", "room")
    _claim(tenant, room, room.id, NOW - timedelta(days=3), NOW - timedelta(days=2))
    _claim(tenant, room, room.id, NOW + timedelta(days=3), NOW + timedelta(days=4), active=False)
    part = create(tenant, admin, name="Ecke", kind="room", parent_id=room.id)
    assert tree.leaf_unit_ids(room) == [part.id]


# --- opening hours -------------------------------------------------------------------------


def test_set_opening_hours_replaces_and_audits(tenant, admin, make_resource):
    hall = make_resource("Halle")
    service.set_opening_hours(tenant, admin, hall, [(0, 480, 1440), (6, 600, 720)], now=NOW)
    service.set_opening_hours(tenant, admin, hall, [(1, 480, 720), (1, 720, 1320)], now=NOW)
    db.session.commit()
    rows = [(h.weekday, h.opens_min, h.closes_min) for h in hall.opening_hours]
    assert rows == [(1, 480, 720), (1, 720, 1320)]
    assert count(OpeningHours) == 2
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "resource.opening_hours")
    ).all()
    assert len(entries) == 2
    service.set_opening_hours(tenant, admin, hall, [], now=NOW)
    assert hall.opening_hours == []


@pytest.mark.parametrize(
    ("rows", "key"),
    [
        ([(7, 480, 600)], "hours"),
        ([(-1, 480, 600)], "hours"),
        ([(0, 600, 600)], "day_0"),
        ([(0, 700, 600)], "day_0"),
        ([(0, -10, 600)], "day_0"),
        ([(2, 480, 1441)], "day_2"),
        ([(3, 480, 720), (3, 700, 900)], "day_3"),
        ([(4, 480, 720), (4, 480, 720)], "day_4"),
        ([(0, "8", 600)], "hours"),
        ([(0, 480)], "hours"),
    ],
)
def test_invalid_opening_hours_are_refused(tenant, admin, make_resource, rows, key):
    hall = make_resource("Halle")
    service.set_opening_hours(tenant, admin, hall, [(5, 480, 600)], now=NOW)
    with pytest.raises(ValidationFailed) as excinfo:
        service.set_opening_hours(tenant, admin, hall, rows, now=NOW)
    assert key in fields_of(excinfo)
    assert [(h.weekday, h.opens_min, h.closes_min) for h in hall.opening_hours] == [(5, 480, 600)]


# --- caretakers -------------------------------------------------------------------------------


def test_caretaker_must_hold_the_role_in_this_tenant(
    tenant, admin, make_user, make_tenant, make_resource
):
    hall = make_resource("Halle")
    citizen = make_user()
    other = make_tenant("nachbarort")
    foreign_caretaker = make_user(tenant=other, roles=("caretaker",))
    for user in (citizen, foreign_caretaker):
        with pytest.raises(ValidationFailed) as excinfo:
            service.add_caretaker(tenant, admin, hall, user, now=NOW)
        assert "user_id" in fields_of(excinfo)
    assert hall.caretakers == []
    caretaker = make_user(tenant=tenant, roles=("caretaker",))
    service.add_caretaker(tenant, admin, hall, caretaker, now=NOW)
    service.add_caretaker(tenant, admin, hall, caretaker, now=NOW)  # twice: still once
    assert [c.user_id for c in hall.caretakers] == [caretaker.id]
    assert service.caretakers_of(hall) == [caretaker]


def test_caretaker_sees_assigned_resources_with_their_parts(
    tenant, admin, make_user, hall_with_halves, make_resource
):
    hall, a, b = hall_with_halves
    make_resource("Sporthalle", "sports_hall")
    caretaker = make_user(tenant=tenant, roles=("caretaker",))
    service.add_caretaker(tenant, admin, hall, caretaker, now=NOW)
    assert service.resources_for_caretaker(tenant, caretaker) == [hall, a, b]
    service.remove_caretaker(tenant, admin, hall, caretaker.id, now=NOW)
    assert service.resources_for_caretaker(tenant, caretaker) == []
    with pytest.raises(NotFound):
        service.remove_caretaker(tenant, admin, hall, caretaker.id, now=NOW)


def test_only_admins_assign_caretakers(tenant, clerk, make_user, make_resource):
    hall = make_resource("Halle")
    caretaker = make_user(tenant=tenant, roles=("caretaker",))
    with pytest.raises(Forbidden):
        service.add_caretaker(tenant, clerk, hall, caretaker, now=NOW)


# --- closures ------------------------------------------------------------------------------------


def closure(tenant, actor, **kw):
    kw.setdefault("start", NOW + timedelta(days=1))
    kw.setdefault("end", NOW + timedelta(days=2))
    kw.setdefault("reason", "Renovierung")
    return closures.create_closure(tenant, actor, now=NOW, **kw)


def test_closure_creation_is_audited(tenant, clerk, make_resource):
    hall = make_resource("Halle")
    created = closure(tenant, clerk, resource=hall)
    db.session.commit()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "closure.create"))
    assert entry.actor_id == clerk.id and entry.object_id == created.id
    assert entry.after["reason"] == "Renovierung" and entry.after["resource_id"] == hall.id
    assert created.created_by_id == clerk.id


def test_tenant_wide_closure_and_delete_is_audited(tenant, admin):
    created = closure(tenant, admin, reason="Betriebsferien")
    assert created.resource_id is None
    closures.delete_closure(tenant, admin, created.id, now=NOW)
    assert count(Closure) == 0
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "closure.delete"))
    assert entry.before["reason"] == "Betriebsferien"


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"reason": ""}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"reason": None}, "reason"),
        ({"end": NOW + timedelta(days=1)}, "end"),
        ({"end": NOW}, "end"),
        ({"start": None}, "start"),
        ({"start": datetime(2027, 3, 2, 8, 0)}, "start"),
    ],
)
def test_invalid_closures_are_refused(tenant, admin, kw, field):
    with pytest.raises(ValidationFailed) as excinfo:
        closure(tenant, admin, **kw)
    assert field in fields_of(excinfo)
    db.session.rollback()
    assert count(Closure) == 0


@pytest.mark.parametrize("role", [None, "caretaker", "funeral_home"])
def test_only_staff_manage_closures(tenant, admin, make_user, role):
    user = make_user(tenant=tenant, roles=(role,) if role else ())
    with pytest.raises(Forbidden):
        closure(tenant, user)
    existing = closure(tenant, admin)
    with pytest.raises(Forbidden):
        closures.delete_closure(tenant, user, existing.id, now=NOW)


def test_closure_of_another_tenant_is_not_found(tenant, admin, make_tenant):
    other = make_tenant("nachbarort")
    foreign = closure(other, None)
    with pytest.raises(NotFound):
        closures.delete_closure(tenant, admin, foreign.id, now=NOW)
    foreign_hall = create(other, None, name="Fremde Halle")
    with pytest.raises(NotFound):
        closure(tenant, admin, resource=foreign_hall)


def test_list_closures_for_a_part_includes_hall_and_tenant_wide(
    tenant, admin, hall_with_halves, make_tenant
):
    hall, a, b = hall_with_halves
    on_hall = closure(tenant, admin, resource=hall)
    on_b = closure(tenant, admin, resource=b)
    everywhere = closure(tenant, admin, start=NOW + timedelta(days=5), end=NOW + timedelta(days=6))
    past = closure(tenant, admin, start=NOW - timedelta(days=5), end=NOW - timedelta(days=4))
    closure(make_tenant("nachbarort"), None)
    assert closures.list_closures(tenant, a) == [past, on_hall, everywhere]
    assert closures.list_closures(tenant, a, ending_after=NOW) == [on_hall, everywhere]
    assert closures.list_closures(tenant, b, include_tenant_wide=False) == [on_hall, on_b]
    assert len(closures.list_closures(tenant)) == 4


# --- catalogue ---------------------------------------------------------------------------------


def test_public_resources_filters(tenant, make_resource, make_tenant, hall_with_halves):
    hall, _a, _b = hall_with_halves
    sports = make_resource("Sporthalle", "sports_hall", capacity=200)
    room = make_resource("Mehrzweckraum", "room", capacity=40)
    make_resource("Lager", "equipment", public=False)
    make_resource("Alte Halle", "hall", bookable=False)
    make_resource("Nachbarhalle", "hall", of_tenant=make_tenant("nachbarort"))
    assert service.public_resources(tenant) == [hall, room, sports]
    assert service.public_resources(tenant, kind="hall") == [hall]
    assert service.public_resources(tenant, min_capacity=100) == [hall, sports]
    assert service.public_resources(tenant, kind="room", min_capacity=41) == []
