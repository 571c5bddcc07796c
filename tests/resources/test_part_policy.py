"""A part's effective rules where resources answer them (issue 13): opening
hours of the whole chain, holidays, visibility, the address, and the page
of a part that shows its hall's hours and approval."""

from __future__ import annotations

import html
from datetime import date, timedelta

from booking.core import utcnow
from booking.resources import availability
from booking.resources.access import is_hidden
from tests.times import at, workday


def test_open_intervals_of_a_part_lie_inside_its_halls(tenant, make_resource, day):
    hall = make_resource("Bürgerhaus Nord", hours={day.weekday(): ("08:00", "22:00")})
    part = make_resource("Clubraum", "room", parent=hall, hours={day.weekday(): ("18:00", "24:00")})
    found = availability.open_intervals(tenant, part, at(day, "00:00"), at(day, "23:59"))
    assert found == [availability.Interval(at(day, "18:00"), at(day, "22:00"))]
    assert availability.within_opening_hours(tenant, part, at(day, "18:00"), at(day, "22:00"))
    assert not availability.within_opening_hours(tenant, part, at(day, "21:00"), at(day, "23:00"))
    assert availability.refusing_hours(tenant, part, at(day, "21:00"), at(day, "23:00")) == hall
    assert availability.refusing_hours(tenant, part, at(day, "10:00"), at(day, "12:00")) == part


def test_a_part_without_hours_is_closed_when_its_hall_is(tenant, make_resource):
    hall = make_resource("Bürgerhaus Nord", hours={d: ("08:00", "22:00") for d in range(6)})
    part = make_resource("Clubraum", "room", parent=hall)
    sunday = workday(6)
    assert availability.open_intervals(tenant, part, at(sunday, "02:00"), at(sunday, "05:00")) == []
    assert not availability.within_opening_hours(
        tenant, part, at(sunday, "02:00"), at(sunday, "05:00")
    )


def test_holidays_of_the_hall_block_its_part(tenant, make_resource):
    hall = make_resource("Bürgerhaus Nord", observe_holidays=True)
    part = make_resource("Clubraum", "room", parent=hall, observe_holidays=False)
    unity_day = date(utcnow().year + 1, 10, 3)
    blocked = availability.blocked_intervals(
        tenant, part, at(unity_day, "00:00"), at(unity_day + timedelta(days=1), "00:00")
    )
    assert [b.kind for b in blocked] == ["holiday"]


def test_the_week_view_of_a_part_shows_the_halls_holiday(client, tenant, make_resource):
    hall = make_resource("Bürgerhaus Nord", observe_holidays=True)
    part = make_resource("Clubraum", "room", parent=hall, observe_holidays=False)
    unity_day = date(utcnow().year + 1, 10, 3)
    page = client.get(f"/{tenant.slug}/halls/{part.id}/week?start={unity_day.isoformat()}")
    assert page.status_code == 200
    assert "Tag der Deutschen Einheit" in page.get_data(as_text=True)


def test_a_part_of_an_internal_hall_is_hidden(client, tenant, make_resource):
    hall = make_resource("Bauhof", public=False)
    part = make_resource("Werkraum", "room", parent=hall)
    assert is_hidden(part)
    assert client.get(f"/{tenant.slug}/halls/{part.id}").status_code == 404


def test_the_page_of_a_part_shows_its_halls_rules(client, tenant, make_resource):
    hall = make_resource(
        "Bürgerhaus Nord",
        requires_approval=True,
        address="Nordstraße 5",
        hours={d: ("08:00", "22:00") for d in range(6)},
    )
    part = make_resource("Clubraum", "room", parent=hall)
    page = html.unescape(client.get(f"/{tenant.slug}/halls/{part.id}").get_data(as_text=True))
    assert "Nordstraße 5" in page
    assert "Anfrage; die Verwaltung entscheidet." in page
    assert "Es gelten die Öffnungszeiten von „Bürgerhaus Nord“" in page
    assert "Rund um die Uhr" not in page
    assert "geschlossen" in page  # Sunday


def test_a_part_with_own_hours_shows_both(client, tenant, make_resource):
    hall = make_resource("Bürgerhaus Nord", hours={d: ("08:00", "22:00") for d in range(6)})
    part = make_resource("Clubraum", "room", parent=hall, hours={0: ("18:00", "21:00")})
    page = html.unescape(client.get(f"/{tenant.slug}/halls/{part.id}").get_data(as_text=True))
    assert "Außerdem gelten die Öffnungszeiten von „Bürgerhaus Nord“" in page
    assert "18:00–21:00" in page and "08:00–22:00" in page
