"""A part of a hall keeps its hall's rules (issue 13): approval, opening
hours, holidays, notice, advance and duration limits, through
``resources.policy.policy_of``. A part may be stricter; both apply."""

from __future__ import annotations

import html
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from booking.core import ValidationFailed, utcnow
from booking.extensions import db
from booking.reservations.models import Booking
from booking.reservations.rules import describe_hours
from booking.reservations.suggestions import suggestions
from tests.times import BERLIN, at, iso, workday

MON_TO_SAT = {d: ("08:00", "22:00") for d in range(6)}


@pytest.fixture
def buergerhaus(make_resource):
    """The issue's scenario: "Bürgerhaus Nord" needs approval and is open
    Mon–Sat only; its "Clubraum" sets no rules of its own."""
    hall = make_resource("Bürgerhaus Nord", requires_approval=True, hours=MON_TO_SAT)
    part = make_resource("Clubraum", "room", parent=hall, capacity=30)
    return hall, part


def bookings() -> int:
    return db.session.scalar(select(func.count()).select_from(Booking))


def test_a_part_is_closed_when_its_hall_is_api(tenant, buergerhaus, citizen, api):
    _hall, part = buergerhaus
    sunday = workday(6)
    response = api(citizen, tenant).post(
        "/bookings",
        json={
            "resource_id": part.id,
            "start": iso(at(sunday, "02:00")),
            "end": iso(at(sunday, "05:00")),
            "title": "Nachtprobe",
        },
    )
    assert response.status_code == 422, response.json
    error = response.json["error"]
    assert [v["rule"] for v in error["details"]["violations"]] == ["opening_hours"]
    message = " ".join(error["details"]["fields"]["start"])
    assert "Bürgerhaus Nord" in message and "Mo–Sa 08:00–22:00" in message
    assert bookings() == 0


def test_a_part_is_closed_when_its_hall_is_form(client, login, tenant, buergerhaus, citizen):
    _hall, part = buergerhaus
    sunday = workday(6)
    login(citizen)
    data = {
        "title": "Nachtprobe",
        "date": sunday.isoformat(),
        "start_time": "02:00",
        "end_time": "05:00",
        "organisation": "",
        "interval": "1",
        "on_conflict": "reject",
    }
    for action in ("preview", "confirm"):
        response = client.post(
            f"/{tenant.slug}/halls/{part.id}/book", data=data | {"action": action}
        )
        assert response.status_code == 422, action
        page = html.unescape(response.get_data(as_text=True))
        assert "Mo–Sa 08:00–22:00" in page
    assert bookings() == 0


def test_a_weekday_booking_of_the_part_is_a_request(tenant, buergerhaus, citizen, api, day):
    _hall, part = buergerhaus
    response = api(citizen, tenant).post(
        "/bookings",
        json={
            "resource_id": part.id,
            "start": iso(at(day, "18:00")),
            "end": iso(at(day, "20:00")),
            "title": "Vorstandssitzung",
        },
    )
    assert response.status_code == 201, response.json
    assert response.json["status"] == "requested"


def test_the_api_lists_the_part_as_needing_approval(tenant, buergerhaus, citizen, api):
    hall, part = buergerhaus
    items = {r["id"]: r for r in api(citizen, tenant).get("/resources").json["items"]}
    assert items[hall.id]["requires_approval"] is True
    assert items[part.id]["requires_approval"] is True


def test_a_stricter_part_keeps_both_sets_of_hours(
    tenant, make_resource, make_booking, citizen, day
):
    hall = make_resource("Bürgerhaus Nord", hours=MON_TO_SAT)
    part = make_resource(
        "Clubraum", "room", parent=hall, hours={d: ("18:00", "23:00") for d in range(7)}
    )
    # Inside the part's hours, but the hall closes at 22:00.
    with pytest.raises(ValidationFailed) as refused:
        make_booking(part, at(day, "21:00"), at(day, "23:00"))
    assert "Bürgerhaus Nord" in str(refused.value.fields["start"])
    # Inside the hall's hours, but the part opens at 18:00: the part is named.
    with pytest.raises(ValidationFailed) as refused:
        make_booking(part, at(day, "10:00"), at(day, "12:00"))
    assert "Clubraum" in str(refused.value.fields["start"])
    assert "18:00–23:00" in str(refused.value.fields["start"])
    # Sunday: the part is open, the hall is not.
    sunday = workday(6)
    with pytest.raises(ValidationFailed):
        make_booking(part, at(sunday, "18:00"), at(sunday, "20:00"))
    assert make_booking(part, at(day, "18:00"), at(day, "21:00")).status == "confirmed"


def test_the_hall_observes_holidays_for_a_part_that_would_not(make_resource, make_booking, citizen):
    hall = make_resource("Bürgerhaus Nord", observe_holidays=True)
    part = make_resource("Clubraum", "room", parent=hall, observe_holidays=False)
    unity_day = date(utcnow().year + 1, 10, 3)
    with pytest.raises(ValidationFailed) as refused:
        make_booking(part, at(unity_day, "10:00"), at(unity_day, "12:00"))
    assert [v["rule"] for v in refused.value.details["violations"]] == ["holiday"]


@pytest.mark.parametrize(
    ("hall_rules", "rule"),
    [
        ({"min_notice_hours": 72}, "notice"),
        ({"max_advance_days": 10}, "advance"),
        ({"max_duration_min": 60}, "duration"),
        ({"min_duration_min": 240}, "duration"),
    ],
)
def test_notice_advance_and_duration_of_the_hall_hold_for_the_part(
    hall_rules, rule, make_resource, make_booking, day
):
    hall = make_resource("Bürgerhaus Nord", observe_holidays=False, **hall_rules)
    part = make_resource("Clubraum", "room", parent=hall, observe_holidays=False)
    if rule == "notice":
        soon = utcnow().astimezone(BERLIN).date() + timedelta(days=2)
        start, end = at(soon, "10:00"), at(soon, "12:00")
    else:
        start, end = at(day, "10:00"), at(day, "12:00")
    with pytest.raises(ValidationFailed) as refused:
        make_booking(part, start, end)
    assert [v["rule"] for v in refused.value.details["violations"]] == [rule]


def test_suggestions_for_a_part_stay_inside_its_halls_hours(
    tenant, make_resource, make_booking, day
):
    hall = make_resource("Bürgerhaus Nord", hours={d: ("08:00", "12:00") for d in range(7)})
    part = make_resource("Clubraum", "room", parent=hall)
    make_booking(part, at(day, "09:00"), at(day, "11:00"))
    found = suggestions(tenant, part, at(day, "09:00"), at(day, "11:00"))
    assert found
    for s in found:
        local_start, local_end = s.start.astimezone(BERLIN), s.end.astimezone(BERLIN)
        assert local_start.hour >= 8 and (local_end.hour, local_end.minute) <= (12, 0), s


def test_a_part_of_an_internal_hall_is_never_suggested(tenant, make_resource, make_booking, day):
    room = make_resource("Vereinsheim", "room", capacity=20)
    internal = make_resource("Bauhof", public=False)
    make_resource("Werkraum", "room", parent=internal, capacity=40)
    public_hall = make_resource("Turnhalle")
    offered = make_resource("Gymnastikraum", "room", parent=public_hall, capacity=40)
    make_booking(room, at(day, "18:00"), at(day, "20:00"))
    found = suggestions(tenant, room, at(day, "18:00"), at(day, "20:00"))
    elsewhere = {s.resource_id for s in found if s.resource_id != room.id}
    assert offered.id in elsewhere
    assert all(s.resource_id in {room.id, offered.id, public_hall.id} for s in found)


def test_describe_hours_joins_days_with_the_same_times(app):
    rows = [(d, 480, 1320) for d in range(5)] + [(5, 600, 1080), (5, 1140, 1440)]
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert describe_hours(rows) == "Mo–Fr 08:00–22:00; Sa 10:00–18:00, 19:00–24:00"


def test_describe_hours_in_english(app):
    rows = [(d, 480, 1320) for d in range(6)]
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert describe_hours(rows).startswith("Mon–Sat ")
