"""The time grids on the hall's week page (public) and the staff calendar:
blocks where their times and parts put them, status in words, no personal
data in public, the table kept, and the usual access rules."""

from __future__ import annotations

import re
from datetime import date, timedelta

import holidays
import pytest

from booking.extensions import db
from booking.resources import closures
from tests.times import at, workday

OPEN_8_TO_22 = {d: ("08:00", "22:00") for d in range(7)}


@pytest.fixture
def day(tenant) -> date:
    """A Wednesday weeks ahead whose Tuesday and Thursday are no holidays either
    (Ascension Day is a Thursday): the tests book on all three."""
    found = workday()
    closed = holidays.Germany(subdiv=tenant.state, years=range(found.year, found.year + 2))
    while any(found + timedelta(days=n) in closed for n in (-1, 0, 1)):
        found += timedelta(days=7)
    return found


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def day_columns(page: str) -> list[str]:
    """The HTML of each day column of the (first) grid, Monday first."""
    grid = page.split('<div class="tg-body">', 1)[1]
    return re.split(r'<div class="tg-day tg-cols-\d+[^"]*">', grid)[1:8]


def blocks(column: str) -> list[tuple[str, str]]:
    """``(classes, content)`` of each block in a day column."""
    return [
        (m.group(1), m.group(2))
        for m in re.finditer(
            r'<(?:a|div) class="tg-block ([^"]+)"[^>]*>(.*?)</(?:a|div)>', column, re.S
        )
    ]


@pytest.fixture
def halls(make_resource):
    whole = make_resource("Bürgerhaus", hours=OPEN_8_TO_22)
    a = make_resource("Saal A", "room", parent=whole)
    b = make_resource("Saal B", "room", parent=whole)
    return whole, a, b


def week_page(client, tenant, resource, day: date) -> str:
    response = client.get(f"/{tenant.slug}/halls/{resource.id}/week?start={day.isoformat()}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


# --- public week -----------------------------------------------------------------------


def test_public_week_places_parts_side_by_side_and_the_whole_hall_across(
    client, tenant, halls, make_booking, day
):
    whole, a, b = halls
    tuesday = day - timedelta(days=1)
    make_booking(a, at(day, "18:00"), at(day, "22:00"), title="Geheime Probe")
    make_booking(b, at(day, "09:00"), at(day, "10:30"), title="Geheimes Treffen")
    make_booking(whole, at(tuesday, "10:00"), at(tuesday, "12:00"), title="Geheimer Empfang")
    page = week_page(client, tenant, whole, day)
    columns = day_columns(page)
    # Opening hours 08–22: 15-minute rows from 08:00; lanes Saal A, Saal B.
    assert '<span class="tg-hour tg-r1 tg-h4">08:00</span>' in page
    assert "<span>Saal A</span><span>Saal B</span>" in page
    wednesday = dict(blocks(columns[day.weekday()]))
    assert "tg-busy tg-r41 tg-h16 tg-c1 tg-w1" in wednesday  # 18:00–22:00, Saal A
    assert "tg-busy tg-r5 tg-h6 tg-c2 tg-w1" in wednesday  # 09:00–10:30, Saal B
    ((tue_classes, tue_text),) = blocks(columns[tuesday.weekday()])
    assert tue_classes == "tg-busy tg-r9 tg-h8 tg-c1 tg-w2"  # the whole hall: both parts
    assert "10:00–12:00" in tue_text and "belegt" in tue_text
    for private in ("Geheim", "Carla", "citizen@"):
        assert private not in page
    # The grid is decoration over the table, which stays for screen readers.
    assert 'class="tg-frame" aria-hidden="true"' in page
    assert page.count('<th scope="row">') == 7
    assert '<a class="tg-block' not in page


def test_public_week_shows_closures_striped_and_labelled_without_the_reason(
    client, tenant, halls, day
):
    whole, a, _b = halls
    closures.create_closure(
        tenant, None, resource=a, start=at(day, "08:00"), end=at(day, "12:00"), reason="Rohrbruch"
    )
    db.session.commit()
    page = week_page(client, tenant, whole, day)
    ((classes, text),) = blocks(day_columns(page)[day.weekday()])
    assert classes == "tg-closed tg-r1 tg-h16 tg-c1 tg-w1"  # only Saal A
    assert "gesperrt" in text and "Rohrbruch" not in page


def test_hours_follow_the_bookings_outside_opening_hours_and_over_midnight(
    client, tenant, make_resource, make_booking, day
):
    hall = make_resource("Festhalle")  # no opening hours: open around the clock
    make_booking(hall, at(day, "21:00"), at(day + timedelta(days=1), "02:00"), title="Nacht")
    page = week_page(client, tenant, hall, day)
    assert '<span class="tg-hour tg-r1 tg-h4">00:00</span>' in page
    assert ">23:00</span>" in page
    columns = day_columns(page)
    ((first, first_text),) = blocks(columns[day.weekday()])
    ((second, second_text),) = blocks(columns[day.weekday() + 1])
    assert first.endswith("tg-r85 tg-h12 tg-c1 tg-w1") and "21:00–24:00" in first_text
    assert "weiter am Folgetag" in first_text
    assert second.endswith("tg-r1 tg-h8 tg-c1 tg-w1") and "00:00–02:00" in second_text
    assert "ab Vortag" in second_text


def test_an_empty_week_without_hours_shows_eight_to_eight(client, tenant, make_resource, day):
    page = week_page(client, tenant, make_resource("Leerhalle"), day)
    assert '<span class="tg-hour tg-r1 tg-h4">08:00</span>' in page
    assert ">19:00</span>" in page and ">20:00</span>" not in page
    assert all(not blocks(c) for c in day_columns(page))


def test_holidays_fill_the_day_with_their_name(client, tenant, halls):
    christmas = date(2031, 12, 25)
    page = week_page(client, tenant, halls[0], christmas)
    ((classes, text),) = blocks(day_columns(page)[christmas.weekday()])
    assert classes.startswith("tg-holiday tg-r1 tg-h56 tg-c1 tg-w2")
    assert "Feiertag: Erster Weihnachtstag" in text and "ganztägig" in text


def test_a_malformed_week_start_says_so(client, tenant, halls):
    response = client.get(f"/{tenant.slug}/halls/{halls[0].id}/week?start=2027-02-30")
    assert response.status_code == 200
    assert "ist kein gültiges Datum" in response.get_data(as_text=True)


def test_another_municipalitys_hall_has_no_week_here(client, tenant, make_tenant, make_resource):
    other = make_tenant("andersdorf", name="Gemeinde Andersdorf")
    theirs = make_resource("Fremde Halle", of_tenant=other)
    assert client.get(f"/{tenant.slug}/halls/{theirs.id}/week").status_code == 404


# --- staff calendar --------------------------------------------------------------------


def calendar(client, tenant, day: date, **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"date": day.isoformat(), **params}.items())
    response = client.get(f"/{tenant.slug}/staff/calendar?{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_staff_grid_links_each_booking_with_title_status_and_booker(
    client, login, tenant, halls, make_booking, clerk, make_resource, day
):
    whole, a, _b = halls
    sports = make_resource("Turnhalle", "sports_hall", requires_approval=True)
    confirmed = make_booking(a, at(day, "18:00"), at(day, "22:00"), title="Chorprobe")
    requested = make_booking(sports, at(day, "09:00"), at(day, "11:00"), title="Training")
    closures.create_closure(
        tenant, None, resource=whole, start=at(day, "08:00"), end=at(day, "12:00"), reason="Putz"
    )
    db.session.commit()
    login(clerk)
    page = calendar(client, tenant, day)
    hall_grid = page.split("<h3>Bürgerhaus", 1)[1].split('<div class="tg-hall', 1)[0]
    found = dict(blocks(day_columns(hall_grid)[day.weekday()]))
    chor = next(c for c in found if "tg-confirmed" in c)
    assert chor == "tg-confirmed tg-r41 tg-h16 tg-c1 tg-w1"
    assert "Chorprobe" in found[chor] and "bestätigt" in found[chor]
    assert "Carla" in found[chor] or confirmed.user.display_name in found[chor]
    closed = next(c for c in found if "tg-closed" in c)
    assert closed == "tg-closed tg-r1 tg-h16 tg-c1 tg-w2"
    assert "Sperrzeit" in found[closed] and "Putz" in found[closed]
    assert f'<a class="tg-block {chor}" href="/{tenant.slug}/bookings/{confirmed.id}">' in page
    sports_grid = page.split("<h3>Turnhalle", 1)[1]
    ((req_classes, req_text),) = blocks(day_columns(sports_grid)[day.weekday()])
    assert "tg-requested" in req_classes and "angefragt" in req_text and "Training" in req_text
    assert f'href="/{tenant.slug}/bookings/{requested.id}"' in sports_grid
    # The grid is a labelled, focusable region; the table stays below.
    assert 'role="region" tabindex="0" aria-label="Zeitraster Bürgerhaus"' in page
    assert '<th scope="row">Bürgerhaus</th>' in page


def test_staff_grid_shows_a_request_beside_the_booking_it_overlaps(
    client, login, tenant, make_resource, make_booking, clerk, day
):
    hall = make_resource("Vereinsheim", requires_approval=True, request_blocks=False)
    make_booking(hall, at(day, "18:00"), at(day, "22:00"), title="Erste Anfrage")
    make_booking(hall, at(day, "19:00"), at(day, "21:00"), title="Zweite Anfrage")
    login(clerk)
    page = calendar(client, tenant, day)
    found = blocks(day_columns(page.split("<h3>Vereinsheim", 1)[1])[day.weekday()])
    assert [c.split()[-2:] for c, _t in found] == [["tg-c1", "tg-w1"], ["tg-c2", "tg-w1"]]
    assert all("angefragt" in t for _c, t in found)


def test_staff_calendar_puts_halls_first_then_chapels_and_crews(
    client, login, tenant, make_resource, clerk, day
):
    make_resource("Aussegnungshalle", "chapel")
    make_resource("Bautrupp", "crew")
    make_resource("Zentrum", "hall")
    login(clerk)
    page = calendar(client, tenant, day)
    assert page.index("Hallen und Räume</h2>") < page.index("<h3>Zentrum")
    assert page.index("<h3>Zentrum") < page.index("Trauerhallen</h2>")
    assert page.index("Trauerhallen</h2>") < page.index("<h3>Aussegnungshalle")
    assert page.index("<h3>Aussegnungshalle") < page.index("Bestattungsteams</h2>")
    only_chapels = calendar(client, tenant, day, show="chapel")
    assert "<h3>Aussegnungshalle" in only_chapels and "<h3>Zentrum" not in only_chapels


def test_staff_calendar_shows_one_hall_and_refuses_another_municipalitys(
    client, login, tenant, make_tenant, make_resource, clerk, day
):
    mine = make_resource("Zentrum")
    make_resource("Anderes Haus")
    theirs = make_resource("Fremd", of_tenant=make_tenant("andersdorf", name="Andersdorf"))
    login(clerk)
    page = calendar(client, tenant, day, show=mine.id)
    assert "<h3>Zentrum" in page and "<h3>Anderes Haus" not in page
    url = f"/{tenant.slug}/staff/calendar?show={theirs.id}"
    assert client.get(url).status_code == 404
    assert "<h3>Anderes Haus" in calendar(client, tenant, day, show="nonsense")


def test_the_day_view_is_a_grid_of_one_day(client, login, tenant, halls, make_booking, clerk, day):
    make_booking(halls[1], at(day, "18:00"), at(day, "20:00"), title="Tagesprobe")
    login(clerk)
    page = calendar(client, tenant, day, view="day")
    assert "tg-single" in page and page.count('<div class="tg-dayhead') == 1
    assert "Tagesprobe" in page


def test_people_without_a_staff_role_get_no_calendar(client, login, tenant, citizen, halls):
    assert client.get(f"/{tenant.slug}/staff/calendar").status_code in (302, 401, 403)
    login(citizen)
    assert client.get(f"/{tenant.slug}/staff/calendar").status_code == 403
