"""Booking rules: opening hours, closures, holidays, notice, advance, duration.
Each refuses with 422; staff may override with a reason, which is audited."""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest
from sqlalchemy import select

from booking.audit.models import AuditEntry
from booking.core import ValidationFailed, utcnow
from booking.extensions import db
from booking.reservations import service
from booking.reservations.models import Booking
from booking.resources.models import Closure
from tests.times import BERLIN, at, iso, workday


def _case(rule, tenant, make_resource, day):
    """A resource and a (start, end) that breaks exactly ``rule``."""
    if rule == "opening_hours":
        room = make_resource(hours={day.weekday(): ("08:00", "20:00")})
        return room, at(day, "19:00"), at(day, "21:00")
    if rule == "closure":
        room = make_resource()
        db.session.add(
            Closure(
                tenant_id=tenant.id,
                resource_id=room.id,
                start_at=at(day, "00:00"),
                end_at=at(day + timedelta(days=1), "00:00"),
                reason="Bodenarbeiten",
            )
        )
        db.session.commit()
        return room, at(day, "19:00"), at(day, "21:00")
    if rule == "holiday":
        room = make_resource()
        unity_day = date(utcnow().year + 1, 10, 3)
        return room, at(unity_day, "10:00"), at(unity_day, "12:00")
    if rule == "notice":
        room = make_resource(min_notice_hours=72, observe_holidays=False)
        soon = utcnow().astimezone(BERLIN).date() + timedelta(days=2)
        return room, at(soon, "10:00"), at(soon, "11:00")
    if rule == "advance":
        room = make_resource(max_advance_days=10)
        return room, at(day, "10:00"), at(day, "11:00")
    if rule == "duration":
        room = make_resource(min_duration_min=60, max_duration_min=180)
        return room, at(day, "10:00"), at(day, "14:00")
    raise AssertionError(rule)


RULES = ["opening_hours", "closure", "holiday", "notice", "advance", "duration"]


@pytest.mark.parametrize("rule", RULES)
def test_each_rule_refuses_a_citizen_with_422(rule, tenant, make_resource, day, citizen, api):
    room, start, end = _case(rule, tenant, make_resource, day)
    response = api(citizen, tenant).post(
        "/bookings",
        json={
            "resource_id": room.id,
            "start": iso(start),
            "end": iso(end),
            "title": "Feier",
            "override_reason": "Ich will aber",
        },
    )
    assert response.status_code == 422, response.json
    error = response.json["error"]
    assert error["code"] == "validation"
    assert [v["rule"] for v in error["details"]["violations"]] == [rule]
    assert error["details"]["fields"]
    assert db.session.scalar(select(Booking.id)) is None


@pytest.mark.parametrize("rule", RULES)
def test_staff_need_a_reason_to_override(rule, tenant, make_resource, day, clerk, api):
    room, start, end = _case(rule, tenant, make_resource, day)
    body = {"resource_id": room.id, "start": iso(start), "end": iso(end), "title": "Amt"}
    response = api(clerk, tenant).post("/bookings", json=body)
    assert response.status_code == 422
    assert "override_reason" in response.json["error"]["details"]["fields"]


@pytest.mark.parametrize("rule", RULES)
def test_staff_override_with_reason_succeeds_and_is_audited(
    rule, tenant, make_resource, day, admin, api
):
    room, start, end = _case(rule, tenant, make_resource, day)
    response = api(admin, tenant).post(
        "/bookings",
        json={
            "resource_id": room.id,
            "start": iso(start),
            "end": iso(end),
            "title": "Ratssitzung",
            "override_reason": "Beschluss des Gemeinderats",
        },
    )
    assert response.status_code == 201, response.json
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "booking.override"))
    assert entry is not None
    assert entry.object_id == response.json["id"]
    assert entry.actor_id == admin.id
    assert entry.reason == "Beschluss des Gemeinderats"
    assert entry.after["rules"] == [rule]


def test_opening_hours_may_run_across_midnight(tenant, make_resource, citizen, make_booking):
    saturday = workday(5)
    sunday = saturday + timedelta(days=1)
    room = make_resource(hours={5: ("08:00", "24:00"), 6: ("00:00", "02:00")})
    booking = make_booking(room, at(saturday, "20:00"), at(sunday, "01:30"))
    assert booking.status == "confirmed"
    with pytest.raises(ValidationFailed):
        make_booking(room, at(saturday, "20:00"), at(sunday, "02:30"))


def test_opening_hours_are_local_time_across_dst(tenant, make_resource, make_booking):
    """08:00-20:00 local: a 19:00-20:00 booking fits in winter and summer."""
    winter = workday(2, after_days=40)
    summer = winter + timedelta(days=26 * 7)
    room = make_resource(hours={2: ("08:00", "20:00")}, observe_holidays=False)
    make_booking(room, at(winter, "19:00"), at(winter, "20:00"))
    make_booking(room, at(summer, "19:00"), at(summer, "20:00"))
    with pytest.raises(ValidationFailed):
        make_booking(room, at(summer, "07:30"), at(summer, "08:30"))


def test_a_closure_of_the_hall_closes_its_halves_and_a_tenant_wide_one_everything(
    tenant, hall_with_halves, make_booking, make_resource, day
):
    whole, a, _b = hall_with_halves
    other = make_resource("Sportplatz", "sports_hall")
    db.session.add(
        Closure(
            tenant_id=tenant.id,
            resource_id=whole.id,
            start_at=at(day, "08:00"),
            end_at=at(day, "12:00"),
            reason="Reinigung",
        )
    )
    db.session.add(
        Closure(
            tenant_id=tenant.id,
            resource_id=None,
            start_at=at(day, "14:00"),
            end_at=at(day, "15:00"),
            reason="Betriebsversammlung",
        )
    )
    db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        make_booking(a, at(day, "11:00"), at(day, "13:00"))
    assert "Reinigung" in caught.value.fields["start"][0]
    make_booking(other, at(day, "11:00"), at(day, "13:00"))
    with pytest.raises(ValidationFailed):
        make_booking(other, at(day, "14:30"), at(day, "16:00"))
    make_booking(a, at(day, "12:00"), at(day, "14:00"))


def test_a_closure_of_a_half_closes_the_whole_hall(tenant, hall_with_halves, make_booking, day):
    whole, _a, b = hall_with_halves
    db.session.add(
        Closure(
            tenant_id=tenant.id,
            resource_id=b.id,
            start_at=at(day, "08:00"),
            end_at=at(day, "12:00"),
            reason="Wasserschaden",
        )
    )
    db.session.commit()
    with pytest.raises(ValidationFailed):
        make_booking(whole, at(day, "09:00"), at(day, "10:00"))


def test_holidays_follow_the_tenants_state(make_tenant, make_resource, citizen, make_booking):
    year = utcnow().year + 1
    # Corpus Christi (Fronleichnam) is a holiday in Hesse, not in Berlin.
    corpus = next(
        d for d, name in holidays.Germany(subdiv="HE", years=year).items() if "Corpus" in name
    )
    berlin = make_tenant("berlin-test", name="Berlin", state="BE")
    hesse_room = make_resource()
    berlin_room = make_resource(of_tenant=berlin)
    with pytest.raises(ValidationFailed):
        make_booking(hesse_room, at(corpus, "10:00"), at(corpus, "12:00"))
    result = service.create_booking(
        berlin, citizen, berlin_room, at(corpus, "10:00"), at(corpus, "12:00"), "Fest"
    )
    assert result.booking.status == "confirmed"


def test_a_booking_in_the_past_is_refused(tenant, make_resource, make_booking):
    room = make_resource()
    yesterday = utcnow() - timedelta(days=1)
    with pytest.raises(ValidationFailed) as caught:
        make_booking(room, yesterday, yesterday + timedelta(hours=1))
    assert "start" in caught.value.fields


def test_a_resource_that_is_not_bookable_is_refused_even_for_staff(
    make_resource, make_booking, admin, day
):
    building = make_resource(bookable=False)
    with pytest.raises(ValidationFailed) as caught:
        make_booking(building, at(day, "10:00"), at(day, "11:00"), actor=admin, override_reason="x")
    assert "resource_id" in caught.value.fields
