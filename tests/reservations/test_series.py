"""Weekly series: local-time generation across DST, count/until/interval,
the cap, all-or-nothing versus skipping conflicting dates, skipping closed
dates on request."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import holidays
import pytest
from sqlalchemy import event

from booking.core import ValidationFailed, utcnow
from booking.extensions import db
from booking.reservations import rules, service
from booking.reservations.recurrence import Recurrence, expand, parse_recurrence
from booking.resources.models import Closure
from tests.times import BERLIN, at, iso, workday


def last_sunday_of_march_ahead() -> date:
    """The next spring DST change that is at least three weeks away."""
    year = utcnow().year
    while True:
        day = date(year, 3, 31)
        day -= timedelta(days=(day.weekday() - 6) % 7)
        if day - timedelta(days=21) > utcnow().date():
            return day
        year += 1


def test_weekly_series_keeps_local_time_across_the_spring_dst_change(
    tenant, make_resource, citizen, api
):
    change = last_sunday_of_march_ahead()
    first = change - timedelta(days=12)  # the Tuesday twelve days before
    room = make_resource(observe_holidays=False)
    response = api(citizen, tenant).post(
        "/bookings",
        json={
            "resource_id": room.id,
            "start": iso(at(first, "18:00")),
            "end": iso(at(first, "20:00")),
            "title": "Chorprobe",
            "recurrence": {"freq": "weekly", "interval": 1, "count": 4},
        },
    )
    assert response.status_code == 201, response.json
    occurrences = response.json["occurrences"]
    assert [o["start"][11:] for o in occurrences] == [
        "18:00:00+01:00",
        "18:00:00+01:00",
        "18:00:00+02:00",
        "18:00:00+02:00",
    ]
    assert all(o["end"][11:19] == "20:00:00" for o in occurrences)
    starts = [datetime.fromisoformat(o["start"]).astimezone(UTC) for o in occurrences]
    assert starts[2] - starts[1] == timedelta(days=7, hours=-1)


def test_expand_in_autumn_keeps_18_00_and_counts_until_inclusively():
    first = datetime(2030, 10, 15, 18, 0, tzinfo=BERLIN).astimezone(UTC)
    dates = expand(
        first,
        first + timedelta(hours=2),
        Recurrence(interval=1, until=date(2030, 11, 5)),
        BERLIN,
    )
    assert [d[0].astimezone(BERLIN).strftime("%m-%d %H:%M %z") for d in dates] == [
        "10-15 18:00 +0200",
        "10-22 18:00 +0200",
        "10-29 18:00 +0100",
        "11-05 18:00 +0100",
    ]


def test_expand_every_second_week_with_count():
    first = datetime(2030, 1, 8, 9, 0, tzinfo=BERLIN).astimezone(UTC)
    dates = expand(first, first + timedelta(hours=1), Recurrence(interval=2, count=3), BERLIN)
    assert [d[0].astimezone(BERLIN).date() for d in dates] == [
        date(2030, 1, 8),
        date(2030, 1, 22),
        date(2030, 2, 5),
    ]


def test_expand_refuses_more_than_the_cap():
    first = datetime(2030, 1, 8, 9, 0, tzinfo=UTC)
    expand(first, first + timedelta(hours=1), Recurrence(count=10), BERLIN, max_occurrences=10)
    with pytest.raises(ValidationFailed):
        expand(first, first + timedelta(hours=1), Recurrence(count=11), BERLIN, max_occurrences=10)
    with pytest.raises(ValidationFailed):
        expand(
            first,
            first + timedelta(hours=1),
            Recurrence(until=date(2030, 12, 31)),
            BERLIN,
            max_occurrences=10,
        )


@pytest.mark.parametrize(
    "data",
    [
        "weekly",
        {"freq": "monthly", "count": 3},
        {"freq": "weekly"},
        {"freq": "weekly", "count": 3, "until": "2030-01-01"},
        {"freq": "weekly", "count": 0},
        {"freq": "weekly", "count": True},
        {"freq": "weekly", "count": "3"},
        {"freq": "weekly", "interval": 0, "count": 3},
        {"freq": "weekly", "interval": 53, "count": 3},
        {"freq": "weekly", "until": "next year"},
        {"freq": "weekly", "until": 20300101},
        {"freq": "weekly", "count": 2, "skip_closed": "yes"},
    ],
)
def test_bad_recurrences_are_422(data, tenant, make_resource, citizen, api, day):
    with pytest.raises(ValidationFailed):
        parse_recurrence(data)
    room = make_resource()
    response = api(citizen, tenant).post(
        "/bookings",
        json={
            "resource_id": room.id,
            "start": iso(at(day, "18:00")),
            "end": iso(at(day, "20:00")),
            "title": "Serie",
            "recurrence": data,
        },
    )
    assert response.status_code == 422
    assert "recurrence" in response.json["error"]["details"]["fields"]


def test_until_before_the_first_date_is_422(tenant, make_resource, citizen, day):
    room = make_resource()
    with pytest.raises(ValidationFailed):
        service.create_booking(
            tenant,
            citizen,
            room,
            at(day, "18:00"),
            at(day, "20:00"),
            "Serie",
            recurrence={"freq": "weekly", "until": (day - timedelta(days=1)).isoformat()},
        )


def test_the_series_cap_is_passed_in(tenant, make_resource, citizen, day):
    room = make_resource(observe_holidays=False)
    kwargs = {"recurrence": {"freq": "weekly", "count": 5}}
    with pytest.raises(ValidationFailed):
        service.create_booking(
            tenant,
            citizen,
            room,
            at(day, "18:00"),
            at(day, "20:00"),
            "S",
            max_occurrences=4,
            **kwargs,
        )
    result = service.create_booking(
        tenant, citizen, room, at(day, "18:00"), at(day, "20:00"), "S", max_occurrences=5, **kwargs
    )
    assert len(result.booking.occurrences) == 5


def test_the_api_reads_the_cap_from_config(app, tenant, make_resource, citizen, api, day):
    room = make_resource(observe_holidays=False)
    app.config["SERIES_MAX_OCCURRENCES"] = 3
    try:
        response = api(citizen, tenant).post(
            "/bookings",
            json={
                "resource_id": room.id,
                "start": iso(at(day, "18:00")),
                "end": iso(at(day, "20:00")),
                "title": "Serie",
                "recurrence": {"freq": "weekly", "count": 4},
            },
        )
    finally:
        app.config["SERIES_MAX_OCCURRENCES"] = 60
    assert response.status_code == 422


@pytest.fixture
def thirty_weeks(tenant, make_resource, make_booking, other_citizen):
    """A 30-week Tuesday series request, with week 10 already taken."""
    room = make_resource(observe_holidays=False)
    first = workday(1)
    taken = first + timedelta(weeks=9)
    make_booking(room, at(taken, "19:00"), at(taken, "21:00"), actor=other_citizen)
    body = {
        "resource_id": room.id,
        "start": iso(at(first, "18:00")),
        "end": iso(at(first, "20:00")),
        "title": "Training",
        "recurrence": {"freq": "weekly", "interval": 1, "count": 30},
    }
    return room, taken, body


def test_a_30_week_series_with_one_taken_date_is_refused_naming_it(
    tenant, citizen, api, thirty_weeks
):
    room, taken, body = thirty_weeks
    response = api(citizen, tenant).post("/bookings", json=body)
    assert response.status_code == 409
    error = response.json["error"]
    assert error["code"] == "conflict"
    assert [
        {k: c[k] for k in ("start", "end", "resource_id")} for c in error["details"]["conflicts"]
    ] == [
        {"start": iso(at(taken, "18:00")), "end": iso(at(taken, "20:00")), "resource_id": room.id}
    ]
    assert "suggestions" in error["details"]
    assert api(citizen, tenant).get("/bookings?mine=1").json["items"] == []


def test_a_30_week_series_skipping_the_taken_date_books_29(tenant, citizen, api, thirty_weeks):
    _room, taken, body = thirty_weeks
    response = api(citizen, tenant).post("/bookings", json={**body, "on_conflict": "skip"})
    assert response.status_code == 201, response.json
    data = response.json
    assert len(data["occurrences"]) == 29
    assert data["skipped"] == [
        {"start": iso(at(taken, "18:00")), "end": iso(at(taken, "20:00")), "reason": "conflict"}
    ]
    assert iso(at(taken, "18:00")) not in {o["start"] for o in data["occurrences"]}


def test_skip_closed_leaves_out_holidays_and_closures(tenant, make_resource, citizen):
    year = utcnow().year + 1
    unity = date(year, 10, 3)
    first = unity - timedelta(weeks=2)
    closed = unity + timedelta(weeks=1)
    room = make_resource()
    db.session.add(
        Closure(
            tenant_id=tenant.id,
            resource_id=room.id,
            start_at=at(closed, "00:00"),
            end_at=at(closed + timedelta(days=1), "00:00"),
            reason="Renovierung",
        )
    )
    db.session.commit()
    calendar = holidays.Germany(subdiv="HE", years=year)
    expected_holidays = [
        first + timedelta(weeks=k) for k in range(5) if first + timedelta(weeks=k) in calendar
    ]
    assert unity in expected_holidays
    rule = {"freq": "weekly", "count": 5}
    with pytest.raises(ValidationFailed):
        service.create_booking(
            tenant, citizen, room, at(first, "10:00"), at(first, "12:00"), "X", recurrence=rule
        )
    result = service.create_booking(
        tenant,
        citizen,
        room,
        at(first, "10:00"),
        at(first, "12:00"),
        "X",
        recurrence={**rule, "skip_closed": True},
    )
    skipped = {(s.start.astimezone(BERLIN).date(), s.reason) for s in result.skipped}
    assert skipped == {(d, "holiday") for d in expected_holidays} | {(closed, "closure")}
    assert len(result.booking.occurrences) == 5 - len(skipped)


def test_a_series_whose_dates_overlap_each_other_is_422(tenant, make_resource, citizen, day):
    """Eight days every week would claim the unit twice at once."""
    room = make_resource(observe_holidays=False)
    with pytest.raises(ValidationFailed) as caught:
        service.create_booking(
            tenant,
            citizen,
            room,
            at(day, "10:00"),
            at(day + timedelta(days=8), "10:00"),
            "Dauerausstellung",
            recurrence={"freq": "weekly", "count": 2},
        )
    assert "recurrence" in caught.value.fields


def test_rules_for_a_whole_series_take_two_queries(tenant, make_resource, day):
    room = make_resource(hours={day.weekday(): ("08:00", "22:00")})
    dates = [
        (at(day + timedelta(weeks=k), "18:00"), at(day + timedelta(weeks=k), "20:00"))
        for k in range(20)
    ]
    db.session.commit()
    db.session.refresh(tenant)
    db.session.refresh(room)
    db.session.expire(room, ["opening_hours"])
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        found = rules.rule_violations(tenant, room, dates, now=utcnow(), related_ids={room.id})
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) <= 3  # BEGIN (SQLite), closures, opening hours
    assert [v.rule for v in found if v.rule != "holiday"] == []
