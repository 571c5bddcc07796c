"""The month overview of a hall (booking.reservations.month): which days
still have room, from opening hours, claims, closures and holidays."""

from __future__ import annotations

import re
from datetime import date, timedelta

import holidays
import pytest

from booking.extensions import db
from booking.reservations.month import month_room, parse_month, subtract, weeks
from booking.resources import closures
from booking.resources.availability import Interval
from tests.times import at

EVERY_DAY_BUT_SUNDAY = {d: ("08:00", "22:00") for d in range(6)}


@pytest.fixture
def open_hall(make_resource):
    return make_resource("Bürgerhaus", hours=EVERY_DAY_BUT_SUNDAY)


def room_of(tenant, hall, day: date):
    found = {r.day: r for r in month_room(tenant, hall, day.replace(day=1))}
    return found


def test_each_day_says_free_partly_full_blocked_or_closed(
    app, tenant, open_hall, make_booking, day
):
    public_holidays = holidays.Germany(subdiv=tenant.state, years=range(day.year, day.year + 2))
    later = [d for d in (day + timedelta(days=n) for n in range(1, 30)) if d.weekday() < 6]
    full, blocked = [d for d in later if d not in public_holidays][:2]
    partly = day
    make_booking(open_hall, at(partly, "18:00"), at(partly, "22:00"))
    make_booking(open_hall, at(full, "08:00"), at(full, "22:00"))
    closures.create_closure(
        tenant,
        None,
        resource=open_hall,
        start=at(blocked, "00:00"),
        end=at(blocked + timedelta(days=1), "00:00"),
        reason="Renovierung",
    )
    db.session.commit()
    found = room_of(tenant, open_hall, partly)
    assert found[partly].status == "partly"
    assert found[partly].free == (Interval(at(partly, "08:00"), at(partly, "18:00")),)
    if full.month == partly.month:
        assert found[full].status == "full" and found[full].free == ()
    for d in (full, blocked):
        rooms = room_of(tenant, open_hall, d)
        assert rooms[d].status == ("full" if d == full else "blocked")
    sunday = next(d for d in found if d.weekday() == 6)
    assert found[sunday].status == "closed"
    free_day = next(
        d
        for d in found
        if d.weekday() < 5 and d not in (partly, full, blocked) and d not in public_holidays
    )
    assert found[free_day].status == "free"
    assert found[free_day].free == (Interval(at(free_day, "08:00"), at(free_day, "22:00")),)


def test_a_gap_shorter_than_half_an_hour_is_no_room(app, tenant, open_hall, make_booking, day):
    make_booking(open_hall, at(day, "08:00"), at(day, "14:00"))
    make_booking(open_hall, at(day, "14:20"), at(day, "22:00"))
    assert room_of(tenant, open_hall, day)[day].status == "full"


def test_a_booked_part_takes_the_whole_hall_but_not_the_other_part(
    app, tenant, hall_with_halves, make_booking, day
):
    whole, a, b = hall_with_halves
    make_booking(a, at(day, "00:00"), at(day + timedelta(days=1), "00:00"))
    assert room_of(tenant, whole, day)[day].status == "full"
    assert room_of(tenant, a, day)[day].status == "full"
    assert room_of(tenant, b, day)[day].status == "free"


def test_public_holidays_are_named(app, tenant, open_hall):
    christmas = date(2031, 12, 25)
    found = room_of(tenant, open_hall, christmas)
    assert found[christmas].status == "holiday"
    assert found[christmas].label == "Erster Weihnachtstag"
    assert found[date(2031, 12, 23)].status == "free"


def test_the_month_is_read_with_a_few_queries(
    app, tenant, open_hall, make_booking, day, count_queries
):
    for n in range(4):  # Wednesday to Saturday
        on = day + timedelta(days=n)
        make_booking(open_hall, at(on, "10:00"), at(on, "12:00"))
    db.session.expire_all()
    with count_queries() as statements:
        month_room(tenant, open_hall, day.replace(day=1))
    assert len(statements) <= 8, statements


def test_subtract_and_weeks():
    d = date(2027, 3, 1)
    iv = Interval(at(d, "08:00"), at(d, "22:00"))
    taken = [Interval(at(d, "10:00"), at(d, "12:00"))]
    assert subtract([iv], taken) == [
        Interval(at(d, "08:00"), at(d, "10:00")),
        Interval(at(d, "12:00"), at(d, "22:00")),
    ]
    march = weeks(d)  # 1 March 2027 is a Monday
    assert march[0][0] == d and len(march) == 5 and all(len(w) == 7 for w in march)
    assert march[-1][2] == date(2027, 3, 31) and march[-1][3] is None


@pytest.mark.parametrize("raw", ["2027-13", "März", "2027-3", "20270-01", "2027-03-01", "0001-01"])
def test_parse_month_refuses_nonsense(raw):
    assert parse_month(raw, date(2027, 3, 5)) is None


def test_parse_month_defaults_to_the_month_of_today():
    assert parse_month("", date(2027, 3, 5)) == date(2027, 3, 1)
    assert parse_month("2027-11", date(2027, 3, 5)) == date(2027, 11, 1)


# --- the page --------------------------------------------------------------------------


def month_url(tenant, hall, first: date | None = None, raw: str | None = None) -> str:
    url = f"/{tenant.slug}/halls/{hall.id}/month"
    if raw is not None:
        return f"{url}?month={raw}"
    return url + (f"?month={first:%Y-%m}" if first else "")


def cell(page: str, day: date) -> str:
    """The table cell of ``day`` (it links to the week starting that day)."""
    match = re.search(
        r'<td class="room-[^"]*">(?:(?!</td>).)*?start=' + day.isoformat() + r".*?</td>",
        page,
        re.S,
    )
    assert match, day
    return match.group(0)


def test_the_page_says_per_day_whether_there_is_room(client, tenant, open_hall, make_booking, day):
    make_booking(open_hall, at(day, "18:00"), at(day, "22:00"), title="Geheime Feier")
    page = client.get(month_url(tenant, open_hall, day)).get_data(as_text=True)
    assert "<caption>" in page and "Freie Tage im" in page
    here = cell(page, day)
    assert "room-partly" in here and "teilweise belegt" in here and "08:00–18:00" in here
    assert f"/halls/{open_hall.id}/book?date={day.isoformat()}" in here
    sunday = day + timedelta(days=(6 - day.weekday()))
    if sunday.month == day.month:
        assert "geschlossen" in cell(page, sunday)
    assert "Geheime Feier" not in page
    previous = (day.replace(day=1) - timedelta(days=1)).replace(day=1)
    assert f"month={previous:%Y-%m}" in page


def test_the_hall_and_week_pages_link_to_the_month(client, tenant, open_hall):
    month_link = f"/{tenant.slug}/halls/{open_hall.id}/month"
    assert month_link in client.get(f"/{tenant.slug}/halls/{open_hall.id}").get_data(as_text=True)
    assert month_link in client.get(f"/{tenant.slug}/halls/{open_hall.id}/week").get_data(
        as_text=True
    )


@pytest.mark.parametrize("raw", ["2027-13", "gestern", "2027-3"])
def test_a_malformed_month_is_a_clear_400(client, tenant, open_hall, raw):
    response = client.get(month_url(tenant, open_hall, raw=raw))
    assert response.status_code == 400
    assert "ist kein gültiger Monat" in response.get_data(as_text=True)


def test_another_municipalitys_hall_has_no_month_here(client, tenant, make_tenant, make_resource):
    other = make_tenant("andersdorf", name="Gemeinde Andersdorf")
    theirs = make_resource("Fremde Halle", of_tenant=other)
    assert client.get(f"/{tenant.slug}/halls/{theirs.id}/month").status_code == 404
    assert client.get(f"/{tenant.slug}/halls/999999/month").status_code == 404


def test_a_hidden_hall_has_no_public_month(client, tenant, make_resource):
    hidden = make_resource("Intern", public=False)
    assert client.get(f"/{tenant.slug}/halls/{hidden.id}/month").status_code == 404


def test_today_counts_from_now_and_earlier_days_are_past(app, tenant, open_hall, day):
    noon = at(day, "12:00")
    found = {r.day: r for r in month_room(tenant, open_hall, day.replace(day=1), noon)}
    assert found[day].status == "free"
    assert found[day].free == (Interval(noon, at(day, "22:00")),)
    if day.day > 1:
        assert found[day - timedelta(days=1)].status == "past"
    late = {r.day: r for r in month_room(tenant, open_hall, day.replace(day=1), at(day, "22:30"))}
    assert late[day].status == "past"
    if (day + timedelta(days=1)).month == day.month:
        assert late[day + timedelta(days=1)].status in ("free", "holiday")
