"""A series with ``skip_school_holidays`` leaves out the dates whose local
start day falls in one of the municipality's school holidays, and says so
(reason ``school_holiday``, the period's name as label)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from booking.core import ValidationFailed
from booking.extensions import db
from booking.reservations import service
from booking.resources import school_holidays
from tests.times import at, iso


def weekly(resource, day, count=4, **rule):
    return {
        "resource_id": resource.id,
        "start": iso(at(day, "18:00")),
        "end": iso(at(day, "20:00")),
        "title": "Schulsport",
        "recurrence": {"freq": "weekly", "count": count, **rule},
    }


def test_api_series_skips_the_dates_in_school_holidays(tenant, make_resource, citizen, api, day):
    room = make_resource(observe_holidays=False)
    second = day + timedelta(weeks=1)
    school_holidays.add_school_holiday(
        tenant, None, "Herbstferien", second - timedelta(days=2), second
    )
    other = make_resource(observe_holidays=False)  # only the tenant's holidays count
    db.session.commit()
    client = api(citizen, tenant)
    response = client.post("/bookings", json=weekly(room, day, skip_school_holidays=True))
    assert response.status_code == 201, response.get_data(as_text=True)
    starts = [o["start"] for o in response.json["occurrences"]]
    assert iso(at(second, "18:00")) not in starts
    assert len(starts) == 3
    assert [(s["start"], s["reason"]) for s in response.json["skipped"]] == [
        (iso(at(second, "18:00")), "school_holiday")
    ]
    # Without the flag every date is booked.
    response = client.post("/bookings", json=weekly(other, day))
    assert response.status_code == 201
    assert len(response.json["occurrences"]) == 4
    assert response.json["skipped"] == []


def test_the_skipped_date_carries_the_period_name(tenant, make_resource, citizen, day, make_tenant):
    room = make_resource(observe_holidays=False)
    school_holidays.add_school_holiday(tenant, None, "Herbstferien", day, day)
    elsewhere = make_tenant("andersdorf")
    third = day + timedelta(weeks=2)
    school_holidays.add_school_holiday(elsewhere, None, "Ferien anderswo", third, third)
    result = service.create_booking(
        tenant,
        citizen,
        room,
        at(day, "18:00"),
        at(day, "20:00"),
        "Schulsport",
        recurrence={"freq": "weekly", "count": 3, "skip_school_holidays": True},
    )
    assert [(s.start, s.reason, s.label) for s in result.skipped] == [
        (at(day, "18:00"), "school_holiday", "Herbstferien")
    ]
    assert len(result.booking.occurrences) == 2


def test_a_series_entirely_in_school_holidays_is_422(tenant, make_resource, citizen, day):
    room = make_resource(observe_holidays=False)
    school_holidays.add_school_holiday(tenant, None, "Sommerferien", day, day + timedelta(weeks=3))
    with pytest.raises(ValidationFailed, match="Schulferien"):
        service.create_booking(
            tenant,
            citizen,
            room,
            at(day, "18:00"),
            at(day, "20:00"),
            "Schulsport",
            recurrence={"freq": "weekly", "count": 2, "skip_school_holidays": True},
        )
