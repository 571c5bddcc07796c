"""The public week view of a hall (busy times only, no names or titles) and
the search for halls free at a given time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from booking.extensions import db
from booking.resources import closures
from booking.resources import service as resources
from tests.reservations.screens.conftest import local
from tests.reservations.screens.helpers import text


def week_url(tenant, resource, start=None) -> str:
    url = f"/{tenant.slug}/halls/{resource.id}/week"
    return url + (f"?start={start.isoformat()}" if start else "")


def test_week_shows_busy_slots_without_titles_or_names(
    client, tenant, hall, book_hours, citizen, club, day
):
    book_hours(citizen, hall, 18, 22, title="Geheimes Jubiläum", organisation=club)
    page = text(client.get(week_url(tenant, hall, day)))
    assert "18:00–22:00" in page
    assert '<span class="status status-busy">belegt</span>' in page
    for private in ("Geheimes Jubiläum", "Carla", citizen.email, "TSV"):
        assert private not in page
    assert '<th scope="row">' in page and '<th scope="col">' in page


def test_week_starts_on_monday_and_links_to_neighbours(client, tenant, hall, day):
    monday = day - timedelta(days=day.weekday())
    page = text(client.get(week_url(tenant, hall, day)))
    assert f"start={(monday - timedelta(days=7)).isoformat()}" in page
    assert f"start={(monday + timedelta(days=7)).isoformat()}" in page
    assert page.count('<th scope="row">') == 7


def test_week_shows_closures_as_closed_without_the_reason(client, tenant, hall, day):
    closures.create_closure(
        tenant,
        None,
        resource=hall,
        start=local(day, 8),
        end=local(day, 12),
        reason="Wasserrohrbruch",
    )
    db.session.commit()
    page = text(client.get(week_url(tenant, hall, day)))
    assert "08:00–12:00" in page and "gesperrt" in page
    assert "Wasserrohrbruch" not in page


def test_a_booked_part_makes_the_whole_hall_busy(
    client, tenant, hall, make_resource, book_hours, citizen, day
):
    part = make_resource("Saal A", "room", parent_id=hall.id)
    book_hours(citizen, part, 14, 16)
    assert "14:00–16:00" in text(client.get(week_url(tenant, hall, day)))


def test_week_shows_public_holidays(client, tenant, hall):
    from datetime import date

    christmas = date(2031, 12, 25)
    page = text(client.get(week_url(tenant, hall, christmas)))
    assert "Feiertag" in page and "ganztägig" in page


@pytest.mark.parametrize("start", ["gestern", "2027-13-01", "99999-01-01", "0001-01-01", ""])
def test_week_with_a_bad_start_shows_this_week(client, tenant, hall, start):
    assert client.get(f"/{tenant.slug}/halls/{hall.id}/week?start={start}").status_code == 200


def test_a_hidden_hall_has_no_public_week(client, sign_in, tenant, make_resource, citizen, clerk):
    hidden = make_resource("Lager", "room", public=False)
    assert client.get(week_url(tenant, hidden)).status_code == 404
    sign_in(citizen)
    assert client.get(week_url(tenant, hidden)).status_code == 404
    sign_in(clerk)
    assert client.get(week_url(tenant, hidden)).status_code == 200


def test_week_links_to_the_booking_form(client, tenant, hall):
    assert f"/{tenant.slug}/halls/{hall.id}/book" in text(client.get(week_url(tenant, hall)))


# --- free search ----------------------------------------------------------------


@pytest.fixture
def three_halls(make_resource, hall):
    small = make_resource("Jugendraum", "room", capacity=20)
    gym = make_resource("Turnhalle", "sports_hall", capacity=300)
    return hall, small, gym


def free_url(tenant, day, frm="18:00", to="20:00", **extra) -> str:
    query = f"date={day.isoformat()}&from={frm}&to={to}"
    for key, value in extra.items():
        query += f"&{key}={value}"
    return f"/{tenant.slug}/halls/free?{query}"


def results(page: str) -> str:
    return page[page.index('id="results-title"') :] if 'id="results-title"' in page else ""


def test_free_search_leaves_out_busy_halls(client, tenant, three_halls, book_hours, citizen, day):
    hall = three_halls[0]
    book_hours(citizen, hall, 19, 21)
    found = results(text(client.get(free_url(tenant, day))))
    assert "Jugendraum" in found and "Turnhalle" in found
    assert "Dorfgemeinschaftshaus" not in found
    # Back to back is free: [21:00, 23:00) does not overlap [19:00, 21:00).
    later = results(text(client.get(free_url(tenant, day, "21:00", "23:00"))))
    assert "Dorfgemeinschaftshaus" in later


def test_free_search_filters_capacity_and_kind(client, tenant, three_halls, day):
    found = results(text(client.get(free_url(tenant, day, min_capacity=100))))
    assert "Jugendraum" not in found and "Dorfgemeinschaftshaus" in found
    found = results(text(client.get(free_url(tenant, day, kind="sports_hall"))))
    assert "Turnhalle" in found and "Dorfgemeinschaftshaus" not in found


def test_free_search_respects_opening_hours(client, tenant, hall, day):
    resources.set_opening_hours(tenant, None, hall, [(d, 8 * 60, 20 * 60) for d in range(7)])
    db.session.commit()
    assert "Dorfgemeinschaftshaus" not in results(
        text(client.get(free_url(tenant, day, "19:00", "21:00")))
    )
    assert "Dorfgemeinschaftshaus" in results(
        text(client.get(free_url(tenant, day, "10:00", "12:00")))
    )


def test_free_search_result_links_prefill_the_booking_form(client, tenant, hall, day):
    page = text(client.get(free_url(tenant, day)))
    assert (
        f"/halls/{hall.id}/book?date={day.isoformat()}&amp;start_time=18:00&amp;end_time=20:00"
        in page
    )


def test_free_search_without_parameters_shows_just_the_form(client, tenant, hall):
    response = client.get(f"/{tenant.slug}/halls/free")
    assert response.status_code == 200
    assert '<label for="date"' in text(response)
    assert "results-title" not in text(response)


@pytest.mark.parametrize(
    "query",
    [
        "date=morgen&from=18:00&to=20:00",
        "date=2027-01-01&from=20:00&to=18:00",
        "date=2027-01-01&from=&to=18:00",
        "date=2027-01-01&from=18:00&to=20:00&min_capacity=-5",
        "date=2027-01-01&from=18:00&to=20:00&kind=rakete",
        "date=0001-01-01&from=00:30&to=01:00",
    ],
)
def test_free_search_bad_input_is_a_form_error(client, tenant, hall, query):
    response = client.get(f"/{tenant.slug}/halls/free?{query}")
    assert response.status_code == 422
    assert "Bitte korrigieren Sie" in text(response)
