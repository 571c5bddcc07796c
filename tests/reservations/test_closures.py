"""A closure over existing bookings in the service (``reservations.closures``,
``queries.dates_in``, ``service.cancel_dates``); the screens:
``tests/reservations/screens/test_closures.py``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking.core import Forbidden, NotFound, ValidationFailed
from booking.extensions import db
from booking.reservations import closures, queries
from booking.reservations import service as bookings
from booking.resources.models import Closure
from tests.times import at


def closures_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Closure))


def test_dates_in_takes_related_resources_and_only_active_dates(
    tenant, hall_with_halves, make_booking, make_resource, clerk, day
):
    whole, a, b = hall_with_halves
    on_whole = make_booking(whole, at(day, "08:00"), at(day, "10:00"))
    on_a = make_booking(a, at(day, "12:00"), at(day, "14:00"))
    on_b = make_booking(b, at(day, "12:00"), at(day, "14:00"))
    elsewhere = make_booking(make_resource("Turnhalle"), at(day, "12:00"), at(day, "14:00"))
    gone = make_booking(a, at(day, "16:00"), at(day, "17:00"))
    bookings.cancel_booking(tenant, clerk, gone)
    db.session.commit()
    start, end = at(day, "00:00"), at(day + timedelta(days=1), "00:00")

    def ids(resource_ids):
        return [o.booking_id for o in queries.dates_in(tenant, resource_ids, start, end)]

    assert ids([a.id]) == [on_whole.id, on_a.id]
    assert ids([whole.id]) == [on_whole.id, on_a.id, on_b.id]
    assert sorted(ids(None)) == sorted([on_whole.id, on_a.id, on_b.id, elsewhere.id])


def test_affected_dates_leave_out_what_has_ended(tenant, make_resource, make_booking, day):
    hall = make_resource("Halle")
    booking = make_booking(hall, at(day, "18:00"), at(day, "20:00"))
    start, end = at(day, "00:00"), at(day + timedelta(days=1), "00:00")
    assert closures.affected_dates(tenant, hall, start, end, at(day, "19:00")) == list(
        booking.occurrences
    )
    assert closures.affected_dates(tenant, hall, start, end, at(day, "20:00")) == []


def test_dates_inside_need_a_choice_and_the_expected_ids(
    tenant, clerk, make_resource, make_booking, day
):
    hall = make_resource("Halle")
    booking = make_booking(hall, at(day, "18:00"), at(day, "20:00"))
    args = {
        "resource": hall,
        "start": at(day, "00:00"),
        "end": at(day + timedelta(days=1), "00:00"),
        "reason": "Wahl",
    }
    assert closures.preview_closure(tenant, clerk, **args) == list(booking.occurrences)
    assert closures_count() == 0
    with pytest.raises(ValidationFailed) as refused:
        closures.enter_closure(tenant, clerk, **args)
    assert set(refused.value.fields) == {"dates"}
    db.session.rollback()
    with pytest.raises(closures.DatesChanged):
        closures.enter_closure(tenant, clerk, **args, dates="keep", expected=[])
    db.session.rollback()
    with pytest.raises(ValidationFailed) as refused:
        closures.enter_closure(tenant, clerk, **args, dates="cancel", cancel_reason="x" * 501)
    assert set(refused.value.fields) == {"cancel_reason"}
    db.session.rollback()
    entered = closures.enter_closure(
        tenant, clerk, **args, dates="cancel", expected=[booking.occurrences[0].id]
    )
    assert entered.cancelled == [booking] and booking.status == "cancelled"


@pytest.mark.parametrize("role", [None, "caretaker"])
def test_only_staff_enter_a_closure_over_dates(
    tenant, make_user, make_resource, make_booking, day, role
):
    hall = make_resource("Halle")
    make_booking(hall, at(day, "18:00"), at(day, "20:00"))
    person = make_user(tenant=tenant, roles=(role,) if role else ())
    args = {
        "resource": hall,
        "start": at(day, "00:00"),
        "end": at(day + timedelta(days=1), "00:00"),
        "reason": "Wahl",
    }
    with pytest.raises(Forbidden):
        closures.preview_closure(tenant, person, **args)
    with pytest.raises(Forbidden):
        closures.enter_closure(tenant, person, **args, dates="cancel")
    db.session.rollback()
    assert closures_count() == 0


def test_cancel_dates_refuses_another_municipalitys_date(
    tenant, make_tenant, make_user, make_resource, clerk, day
):
    elsewhere = make_tenant("andersdorf")
    foreign_hall = make_resource("Fremde Halle", of_tenant=elsewhere)
    person = make_user()
    foreign = bookings.create_booking(
        elsewhere, person, foreign_hall, at(day, "18:00"), at(day, "20:00"), "Fest"
    ).booking
    db.session.commit()

    with pytest.raises(NotFound):
        bookings.cancel_dates(tenant, clerk, foreign.occurrences)
    db.session.rollback()
    assert foreign.occurrences[0].cancelled_at is None
