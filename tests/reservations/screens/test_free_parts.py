"""The free-hall search offers parts of halls (issue 13): "Saal A" with 60
places for 60 guests, named with its hall; reachable from the menu, the
start page and the hall list, whose date and time filter it answers."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.times import at


def page_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def free_url(tenant, day, frm="18:00", to="20:00", **extra) -> str:
    query = "&".join(
        [f"date={day.isoformat()}", f"from={frm}", f"to={to}"]
        + [f"{k}={v}" for k, v in extra.items()]
    )
    return f"/{tenant.slug}/halls/free?{query}"


def result_names(page: str) -> list[str]:
    return re.findall(r'<th scope="row"><a [^>]*>([^<]+)</a></th>', page)


def test_parts_are_offered_with_their_halls_name(client, tenant, hall_with_halves, day):
    response = client.get(free_url(tenant, day))
    assert response.status_code == 200
    names = result_names(page_of(response))
    assert "Dorfgemeinschaftshaus – Saal A" in names
    assert "Dorfgemeinschaftshaus – Saal B" in names
    assert "Dorfgemeinschaftshaus" in names


def test_sixty_guests_find_the_halves_too(client, tenant, hall_with_halves, make_resource, day):
    make_resource("Vereinsheim", "room", capacity=30)
    names = result_names(page_of(client.get(free_url(tenant, day, min_capacity=60))))
    assert names == [
        "Dorfgemeinschaftshaus",
        "Dorfgemeinschaftshaus – Saal A",
        "Dorfgemeinschaftshaus – Saal B",
    ]
    names = result_names(page_of(client.get(free_url(tenant, day, min_capacity=61))))
    assert names == ["Dorfgemeinschaftshaus"]


def test_a_booked_half_is_not_offered_nor_the_whole(
    client, tenant, hall_with_halves, make_booking, day
):
    _whole, a, _b = hall_with_halves
    make_booking(a, at(day, "17:00"), at(day, "21:00"))
    names = result_names(page_of(client.get(free_url(tenant, day, min_capacity=60))))
    assert names == ["Dorfgemeinschaftshaus – Saal B"]


def test_a_part_follows_its_halls_hours_and_visibility(client, tenant, make_resource, day):
    hall = make_resource("Bürgerhaus Nord", hours={day.weekday(): ("08:00", "12:00")})
    make_resource("Clubraum", "room", parent=hall)
    internal = make_resource("Bauhof", public=False)
    make_resource("Werkraum", "room", parent=internal)
    names = result_names(page_of(client.get(free_url(tenant, day))))
    assert "Bürgerhaus Nord – Clubraum" not in names
    assert not any("Werkraum" in n or "Bauhof" in n for n in names)
    names = result_names(page_of(client.get(free_url(tenant, day, "09:00", "11:00"))))
    assert "Bürgerhaus Nord – Clubraum" in names


def test_another_municipalitys_resources_are_never_listed(
    client, tenant, make_tenant, make_resource, day
):
    other = make_tenant("nachbarort")
    hall = make_resource("Nachbarhalle", of_tenant=other, capacity=80)
    make_resource("Nachbarsaal", "room", parent=hall, of_tenant=other, capacity=60)
    make_resource("Unsere Halle", capacity=80)
    page = page_of(client.get(free_url(tenant, day)))
    assert result_names(page) == ["Unsere Halle"]
    assert "Nachbar" not in page


@pytest.mark.parametrize(
    "query",
    [
        "date=morgen&from=18:00&to=20:00",
        "date=2027-01-01&from=18&to=20:00",
        "date=2027-01-01&from=18:00&to=20:00&min_capacity=viele",
        "date=2027-01-01&from=18:00&to=20:00&min_capacity=0",
        "date=2027-01-01&from=20:00&to=18:00",
    ],
)
def test_malformed_searches_are_a_clear_error(client, tenant, hall_with_halves, query):
    response = client.get(f"/{tenant.slug}/halls/free?{query}")
    assert response.status_code == 422
    page = page_of(response)
    assert "error-summary" in page
    assert result_names(page) == []


def test_the_search_is_linked_from_menu_start_page_and_hall_list(client, tenant):
    target = f'href="/{tenant.slug}/halls/free"'
    home = page_of(client.get(f"/{tenant.slug}/"))
    assert home.count(target) >= 2  # menu and start page
    assert target in page_of(client.get(f"/{tenant.slug}/halls/"))


def test_the_hall_list_filters_by_date_time_and_people(client, tenant, hall_with_halves, day):
    response = client.get(
        f"/{tenant.slug}/halls/?date={day.isoformat()}&from=18:00&to=20:00&min_capacity=60"
    )
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == f"/{tenant.slug}/halls/free"
    assert parse_qs(location.query) == {
        "date": [day.isoformat()],
        "from": ["18:00"],
        "to": ["20:00"],
        "min_capacity": ["60"],
    }
    names = result_names(page_of(client.get(response.headers["Location"])))
    assert "Dorfgemeinschaftshaus – Saal A" in names
    form = page_of(client.get(f"/{tenant.slug}/halls/"))
    assert 'method="get"' in form
    for name in ("date", "from", "to", "min_capacity", "kind"):
        assert f'name="{name}"' in form, name


@pytest.mark.parametrize(
    "query",
    ["date=2027-01-01", "from=18:00&to=20:00", "date=gestern&from=18:00&to=20:00"],
)
def test_an_incomplete_time_filter_on_the_hall_list_is_a_clear_error(
    client, tenant, hall_with_halves, query
):
    response = client.get(f"/{tenant.slug}/halls/?{query}")
    assert response.status_code == 422
    assert "error-summary" in page_of(response)


def test_the_hall_list_shows_only_parts_with_room_for_the_people(
    client, tenant, hall_with_halves, make_resource
):
    whole, _a, _b = hall_with_halves
    make_resource("Foyer", "room", parent=whole, capacity=20)
    page = page_of(client.get(f"/{tenant.slug}/halls/?min_capacity=60"))
    assert "Saal A" in page and "Saal B" in page
    assert "Foyer" not in page
    assert "Foyer" in page_of(client.get(f"/{tenant.slug}/halls/"))
