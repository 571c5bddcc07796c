"""The opening-hours page keeps what the admin typed: times typed while
"around the clock" is ticked are an error (nothing saved, never "saved"),
several time windows per weekday, and "copy Monday" that saves nothing."""

from __future__ import annotations

import re

from booking.extensions import db
from booking.resources import service
from booking.resources.models import Resource


def text_of(response) -> str:
    return response.get_data(as_text=True)


def input_value(html: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, name
    value = re.search(r'value="([^"]*)"', match[0])
    return value[1] if value else None


def stored_hours(resource):
    db.session.expire_all()
    resource = db.session.get(Resource, resource.id)
    return [(h.weekday, h.opens_min, h.closes_min) for h in resource.opening_hours]


def url_of(tenant, hall) -> str:
    return f"/{tenant.slug}/admin/resources/{hall.id}/hours"


def test_a_new_hall_shows_around_the_clock_ticked(client, tenant, login, admin, make_resource):
    hall = make_resource("Halle")
    login(admin)
    html = text_of(client.get(url_of(tenant, hall)))
    assert "checked" in re.search(r'<input[^>]*name="always_open"[^>]*>', html)[0]


def test_times_typed_with_around_the_clock_ticked_are_an_error_not_saved(
    client, tenant, login, admin, make_resource
):
    # The box is ticked by default; a clerk types Monday's hours and saves.
    hall = make_resource("Halle")
    login(admin)
    response = client.post(
        url_of(tenant, hall),
        data={"always_open": "y", "day_0_opens": "08:00", "day_0_closes": "22:00"},
    )
    assert response.status_code == 422
    html = text_of(response)
    assert "sind gespeichert" not in html
    assert "„Rund um die Uhr geöffnet“ ist angekreuzt" in html
    # The error sits on Monday's field and the typed times are still there.
    assert 'id="day_0_opens-error"' in html
    assert input_value(html, "day_0_opens") == "08:00"
    assert stored_hours(hall) == []


def test_times_typed_with_the_box_ticked_do_not_clear_stored_hours(
    client, tenant, login, admin, make_resource
):
    hall = make_resource("Halle")
    service.set_opening_hours(tenant, None, hall, [(2, 600, 720)])
    db.session.commit()
    login(admin)
    response = client.post(
        url_of(tenant, hall),
        data={"always_open": "y", "day_4_opens": "09:00", "day_4_closes": "12:00"},
    )
    assert response.status_code == 422
    assert 'id="day_4_opens-error"' in text_of(response)
    assert stored_hours(hall) == [(2, 600, 720)]


def test_several_windows_per_weekday_are_saved_and_shown(
    client, tenant, login, admin, make_resource
):
    hall = make_resource("Halle")
    login(admin)
    response = client.post(
        url_of(tenant, hall),
        data={
            "day_0_opens": "14:00",
            "day_0_closes": "22:00",
            "day_0_opens_2": "08:00",
            "day_0_closes_2": "12:00",
            "day_5_opens": "10:00",
            "day_5_closes": "00:00",
        },
    )
    assert response.status_code == 302
    assert stored_hours(hall) == [(0, 480, 720), (0, 840, 1320), (5, 600, 1440)]
    html = text_of(client.get(url_of(tenant, hall)))
    assert "checked" not in re.search(r'<input[^>]*name="always_open"[^>]*>', html)[0]
    assert input_value(html, "day_0_opens") == "08:00"
    assert input_value(html, "day_0_closes") == "12:00"
    assert input_value(html, "day_0_opens_2") == "14:00"
    assert input_value(html, "day_0_closes_2") == "22:00"
    assert input_value(html, "day_0_opens_3") in (None, "")
    assert "Montag, Zeitfenster 2: öffnet um" in html


def test_more_stored_windows_than_rows_are_all_shown(client, tenant, login, admin, make_resource):
    # The API may store four windows on a day: the form grows, nothing is lost on save.
    hall = make_resource("Halle")
    four = [(1, 360, 480), (1, 540, 660), (1, 720, 900), (1, 960, 1200)]
    service.set_opening_hours(tenant, None, hall, four)
    db.session.commit()
    login(admin)
    html = text_of(client.get(url_of(tenant, hall)))
    posted = {
        name: input_value(html, name) or ""
        for name in re.findall(r'<input[^>]*name="(day_\d_(?:opens|closes)(?:_\d)?)"', html)
    }
    assert posted["day_1_opens_4"] == "16:00"
    response = client.post(url_of(tenant, hall), data=posted)
    assert response.status_code == 302
    assert stored_hours(hall) == four


def test_overlapping_windows_are_an_error(client, tenant, login, admin, make_resource):
    hall = make_resource("Halle")
    service.set_opening_hours(tenant, None, hall, [(2, 600, 720)])
    db.session.commit()
    login(admin)
    response = client.post(
        url_of(tenant, hall),
        data={
            "day_3_opens": "08:00",
            "day_3_closes": "14:00",
            "day_3_opens_2": "12:00",
            "day_3_closes_2": "22:00",
        },
    )
    assert response.status_code == 422
    html = text_of(response)
    assert "überschneiden sich" in html
    assert 'id="day_3_opens_2-error"' in html
    assert stored_hours(hall) == [(2, 600, 720)]


def test_copy_monday_fills_the_form_and_saves_nothing(client, tenant, login, admin, make_resource):
    hall = make_resource("Halle")
    service.set_opening_hours(tenant, None, hall, [(2, 600, 720)])
    db.session.commit()
    login(admin)
    monday = {
        "day_0_opens": "08:00",
        "day_0_closes": "12:00",
        "day_0_opens_2": "14:00",
        "day_0_closes_2": "22:00",
    }
    response = client.post(url_of(tenant, hall), data={**monday, "copy_monday": "all"})
    assert response.status_code == 200
    html = text_of(response)
    assert "Noch ist nichts gespeichert" in html
    for day in range(7):
        assert input_value(html, f"day_{day}_opens") == "08:00"
        assert input_value(html, f"day_{day}_closes_2") == "22:00"
    assert stored_hours(hall) == [(2, 600, 720)]
    # Monday to Friday only.
    response = client.post(url_of(tenant, hall), data={**monday, "copy_monday": "workdays"})
    html = text_of(response)
    assert input_value(html, "day_4_opens_2") == "14:00"
    assert input_value(html, "day_5_opens") in (None, "")
    # Then saving the copied form stores it.
    posted = {
        name: input_value(html, name) or ""
        for name in re.findall(r'<input[^>]*name="(day_\d_(?:opens|closes)(?:_\d)?)"', html)
    }
    assert client.post(url_of(tenant, hall), data=posted).status_code == 302
    assert stored_hours(hall) == sorted(
        [(d, 480, 720) for d in range(5)] + [(d, 840, 1320) for d in range(5)]
    )


def test_copy_with_an_unknown_target_is_a_bad_request(client, tenant, login, admin, make_resource):
    hall = make_resource("Halle")
    login(admin)
    response = client.post(url_of(tenant, hall), data={"copy_monday": "mars"})
    assert response.status_code == 400
    assert stored_hours(hall) == []


def test_hours_page_of_another_tenant_is_404_and_for_a_citizen_403(
    client, tenant, login, make_user, make_tenant, make_resource
):
    hall = make_resource("Halle")
    other = make_tenant("andersdorf")
    stranger = make_user(tenant=other, roles=("admin",), email="admin@andersdorf.example")
    login(stranger)
    assert client.get(f"/{other.slug}/admin/resources/{hall.id}/hours").status_code == 404
    citizen = make_user(tenant=tenant, email="buerger@example.org")
    login(citizen)
    response = client.post(url_of(tenant, hall), data={"day_0_opens": "08:00"})
    assert response.status_code == 403
    assert stored_hours(hall) == []
