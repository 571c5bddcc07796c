"""POST /bookings with the number of guests (checked against the capacity)
and a contact phone for the caretaker; skipped dates stay on the booking."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.reservations import service
from booking.reservations.models import Booking
from tests.times import at, iso


def body(resource, day, start="18:00", end="20:00", **extra):
    return {
        "resource_id": resource.id,
        "start": iso(at(day, start)),
        "end": iso(at(day, end)),
        "title": "Vereinsfeier",
        **extra,
    }


def bookings() -> int:
    return db.session.scalar(select(func.count()).select_from(Booking))


def test_guests_and_phone_are_stored_and_answered(tenant, make_resource, citizen, api, day):
    hall = make_resource("Bürgerhaus", capacity=80)
    response = api(citizen, tenant).post(
        "/bookings", json=body(hall, day, guests=60, contact_phone="+49 (171) 234-56/78")
    )
    assert response.status_code == 201, response.json
    assert response.json["guests"] == 60
    assert response.json["contact_phone"] == "+49 (171) 234-56/78"
    booking = db.session.get(Booking, response.json["id"])
    assert (booking.guests, booking.contact_phone) == (60, "+49 (171) 234-56/78")


def test_more_guests_than_places_is_a_422_on_guests(tenant, make_resource, citizen, api, day):
    hall = make_resource("Bürgerhaus", capacity=80)
    response = api(citizen, tenant).post("/bookings", json=body(hall, day, guests=81))
    assert response.status_code == 422
    assert "guests" in response.json["error"]["details"]["fields"]
    assert bookings() == 0


@pytest.mark.parametrize("phone", ["0171 2345678; DROP", "x" * 10, "1" * 41, "0171<script>"])
def test_a_malformed_phone_is_a_422(tenant, make_resource, citizen, api, day, phone):
    hall = make_resource("Bürgerhaus", capacity=80)
    response = api(citizen, tenant).post("/bookings", json=body(hall, day, contact_phone=phone))
    assert response.status_code == 422
    assert "contact_phone" in response.json["error"]["details"]["fields"]
    assert bookings() == 0


@pytest.mark.parametrize("guests", [0, -3, "viele", 2.5])
def test_malformed_guests_are_refused(tenant, make_resource, citizen, api, day, guests):
    hall = make_resource("Bürgerhaus", capacity=80)
    response = api(citizen, tenant).post("/bookings", json=body(hall, day, guests=guests))
    assert response.status_code in (400, 422)
    assert bookings() == 0


def test_skipped_dates_are_stored_on_the_booking(
    tenant, make_resource, citizen, other_citizen, day
):
    hall = make_resource("Bürgerhaus", capacity=80)
    second = day + timedelta(weeks=1)
    service.create_booking(
        tenant, other_citizen, hall, at(second, "18:00"), at(second, "20:00"), "x"
    )
    result = service.create_booking(
        tenant,
        citizen,
        hall,
        at(day, "18:00"),
        at(day, "20:00"),
        "Training",
        recurrence={"count": 3},
        on_conflict="skip",
    )
    db.session.commit()
    assert result.booking.skipped == [
        {
            "start": at(second, "18:00").isoformat(),
            "end": at(second, "20:00").isoformat(),
            "reason": "conflict",
            "label": "",
        }
    ]
