"""The chapel's and the crew's bookings of a burial cannot be cancelled,
moved, approved or rejected through the hall-booking paths, and do not
appear in the funeral home's "my bookings"."""

from __future__ import annotations

import pytest

from booking.core import Conflict
from booking.extensions import db
from booking.reservations import queries
from booking.reservations import service as bookings
from booking.reservations.models import Booking
from tests.cemetery.test_burials import FRI, request
from tests.times import at


@pytest.fixture
def burial(tenant, cemetery, make_plot, funeral_home):
    return request(tenant, funeral_home, cemetery, make_plot(cemetery, "G-1"), ceremony_minutes=30)


def chapel_booking(burial) -> Booking:
    return db.session.get(Booking, burial.chapel_booking_id)


def test_not_cancelled_through_the_booking_paths(app, tenant, burial, funeral_home, clerk):
    booking = chapel_booking(burial)
    for actor in (funeral_home, clerk):
        with pytest.raises(Conflict) as excinfo:
            bookings.cancel_booking(tenant, actor, booking)
        assert "Bestattung" in str(excinfo.value.message)
        with pytest.raises(Conflict):
            bookings.cancel_occurrence(tenant, actor, booking.occurrences[0])
        with pytest.raises(Conflict):
            bookings.cancel_series_from(tenant, actor, booking.occurrences[0])
    assert booking.status == "confirmed"


def test_not_moved_approved_or_rejected(app, tenant, burial, clerk):
    booking = chapel_booking(burial)
    occurrence = booking.occurrences[0]
    with pytest.raises(Conflict):
        bookings.move_occurrence(tenant, clerk, occurrence, at(FRI, "10:00"), at(FRI, "11:00"))
    with pytest.raises(Conflict):
        bookings.approve_booking(tenant, clerk, booking)
    with pytest.raises(Conflict):
        bookings.reject_booking(tenant, clerk, booking)


def test_not_in_my_bookings(app, tenant, burial, funeral_home, client, login):
    assert queries.bookings_of_user(tenant, funeral_home) == []
    login(funeral_home)
    page = client.get(f"/{tenant.slug}/bookings/mine").get_data(as_text=True)
    assert "Bestattung Erika" not in page


def test_cancel_through_the_web_is_refused(app, tenant, burial, funeral_home, client, login):
    booking = chapel_booking(burial)
    login(funeral_home)
    response = client.post(f"/{tenant.slug}/bookings/{booking.id}/cancel", data={"reason": ""})
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == "confirmed"
