"""The public hall pages and the administration screens."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.resources import closures, service, tree
from booking.resources.models import Closure, Resource

EVERY_DAY_8_TO_24 = [(day, 480, 1440) for day in range(7)]


def text_of(response) -> str:
    return response.get_data(as_text=True)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def input_value(html: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, name
    value = re.search(r'value="([^"]*)"', match[0])
    return value[1] if value else None


# --- public catalogue and detail -------------------------------------------------------------


@pytest.fixture
def catalogue(tenant, make_resource, make_tenant, hall_with_halves):
    hall, a, b = hall_with_halves
    sports = make_resource("Sporthalle", "sports_hall", capacity=200, requires_approval=True)
    room = make_resource("Mehrzweckraum", "room", capacity=40)
    make_resource("Bauhof-Lager", "equipment", public=False)
    make_resource("Alte Schule", "hall", bookable=False)
    make_resource("Nachbarhalle", of_tenant=make_tenant("nachbarort"))
    return {"hall": hall, "a": a, "b": b, "sports": sports, "room": room}


def test_catalogue_lists_public_bookable_halls_with_parts(client, tenant, catalogue):
    response = client.get(f"/{tenant.slug}/halls/")
    assert response.status_code == 200
    html = text_of(response)
    for name in ("Dorfgemeinschaftshaus", "Saal A", "Saal B", "Sporthalle", "Mehrzweckraum"):
        assert name in html
    for name in ("Bauhof-Lager", "Alte Schule", "Nachbarhalle"):
        assert name not in html
    assert f'href="/{tenant.slug}/halls/{catalogue["a"].id}"' in html


def test_catalogue_filters_by_kind_and_capacity_without_javascript(client, tenant, catalogue):
    html = text_of(client.get(f"/{tenant.slug}/halls/?kind=sports_hall"))
    assert "Sporthalle" in html and "Dorfgemeinschaftshaus" not in html
    html = text_of(client.get(f"/{tenant.slug}/halls/?kind=&min_capacity=100"))
    assert "Dorfgemeinschaftshaus" in html and "Sporthalle" in html
    assert "Mehrzweckraum" not in html
    assert 'method="get"' in html


@pytest.mark.parametrize("query", ["min_capacity=abc", "min_capacity=0", "kind=castle"])
def test_bad_filters_are_shown_not_crashed(client, tenant, catalogue, query):
    response = client.get(f"/{tenant.slug}/halls/?{query}")
    assert response.status_code == 422
    html = text_of(response)
    assert "error-summary" in html
    assert "Mehrzweckraum" in html  # unfiltered list


def test_detail_shows_facts_hours_and_parts(client, tenant, admin, catalogue):
    hall = catalogue["hall"]
    service.update_resource(
        tenant,
        admin,
        hall,
        address="Hauptstraße 1",
        description="Großer Saal mit Bühne.",
        accessibility="Stufenloser Zugang.",
    )
    service.set_opening_hours(tenant, admin, hall, [(0, 480, 1440), (5, 600, 720)])
    db.session.commit()
    response = client.get(f"/{tenant.slug}/halls/{hall.id}")
    assert response.status_code == 200
    html = text_of(response)
    for expected in (
        "Dorfgemeinschaftshaus",
        "120",
        "Hauptstraße 1",
        "Großer Saal mit Bühne.",
        "Stufenloser Zugang.",
        "Montag",
        "08:00–24:00",
        "Samstag",
        "10:00–12:00",
        "geschlossen",
        "Saal A",
        f'href="/{tenant.slug}/halls/{catalogue["b"].id}"',
    ):
        assert expected in html, expected


def test_the_key_handover_note_stays_off_public_pages_and_the_api(
    client, api, tenant, admin, citizen, catalogue
):
    hall = catalogue["hall"]
    service.update_resource(tenant, admin, hall, key_handover="Schlüssel im Tresor 4711")
    db.session.commit()
    assert "4711" not in client.get(f"/{tenant.slug}/halls/{hall.id}").get_data(as_text=True)
    assert "4711" not in client.get(f"/{tenant.slug}/halls/").get_data(as_text=True)
    assert "4711" not in api(citizen, tenant).get("/resources").get_data(as_text=True)


def test_detail_without_hours_says_around_the_clock(client, tenant, catalogue):
    html = text_of(client.get(f"/{tenant.slug}/halls/{catalogue['room'].id}"))
    assert "Rund um die Uhr" in html


def test_detail_of_a_hidden_resource_is_for_staff_only(
    client, tenant, login, citizen, admin, make_resource
):
    hidden = make_resource("Bauhof-Lager", "equipment", public=False)
    assert client.get(f"/{tenant.slug}/halls/{hidden.id}").status_code == 404
    login(citizen)
    assert client.get(f"/{tenant.slug}/halls/{hidden.id}").status_code == 404
    login(admin)
    assert client.get(f"/{tenant.slug}/halls/{hidden.id}").status_code == 200


@pytest.mark.parametrize("resource_id", ["foreign", 999_999, 10**15])
def test_detail_of_another_tenants_or_missing_resource_is_404(
    client, tenant, make_tenant, make_resource, resource_id
):
    foreign = make_resource("Nachbarhalle", of_tenant=make_tenant("nachbarort"))
    rid = foreign.id if resource_id == "foreign" else resource_id
    assert client.get(f"/{tenant.slug}/halls/{rid}").status_code == 404


def test_home_links_each_resource_to_its_page(client, tenant, catalogue):
    html = text_of(client.get(f"/{tenant.slug}/"))
    assert f'href="/{tenant.slug}/halls/{catalogue["hall"].id}"' in html


# --- access to the administration -----------------------------------------------------------


def admin_urls(tenant, resource_id: int, closure_id: int, user_id: int):
    base = f"/{tenant.slug}/admin/resources"
    return [
        ("GET", f"{base}/"),
        ("GET", f"{base}/new"),
        ("POST", f"{base}/new"),
        ("GET", f"{base}/{resource_id}"),
        ("GET", f"{base}/{resource_id}/edit"),
        ("POST", f"{base}/{resource_id}/edit"),
        ("GET", f"{base}/{resource_id}/hours"),
        ("POST", f"{base}/{resource_id}/hours"),
        ("POST", f"{base}/{resource_id}/caretakers"),
        ("POST", f"{base}/{resource_id}/caretakers/{user_id}/remove"),
    ], [
        ("GET", f"{base}/closures"),
        ("POST", f"{base}/closures"),
        ("POST", f"{base}/closures/{closure_id}/delete"),
    ]


@pytest.fixture
def admin_setup(tenant, make_resource, make_user):
    hall = make_resource("Halle", capacity=50)
    caretaker = make_user(tenant=tenant, roles=("caretaker",))
    service.add_caretaker(tenant, None, hall, caretaker)
    closure = closures.create_closure(
        tenant,
        None,
        start=datetime(2027, 1, 1, tzinfo=UTC),
        end=datetime(2027, 1, 2, tzinfo=UTC),
        reason="Wahl",
    )
    db.session.commit()
    return hall, closure, caretaker


@pytest.mark.parametrize("role", [None, "caretaker", "funeral_home"])
def test_citizens_and_other_roles_cannot_reach_admin_screens(
    client, tenant, login, make_user, admin_setup, role
):
    hall, closure, caretaker = admin_setup
    login(make_user(tenant=tenant, roles=(role,) if role else ()))
    resource_urls, closure_urls = admin_urls(tenant, hall.id, closure.id, caretaker.id)
    for method, url in resource_urls + closure_urls:
        response = client.open(url, method=method, data={"name": "X", "kind": "hall"})
        assert response.status_code == 403, (method, url)
    assert hall.capacity == 50 and count(Closure) == 1 and hall.caretakers


def test_clerks_manage_closures_but_not_halls(client, tenant, login, clerk, admin_setup):
    hall, closure, caretaker = admin_setup
    login(clerk)
    resource_urls, _closure_urls = admin_urls(tenant, hall.id, closure.id, caretaker.id)
    for method, url in resource_urls:
        assert client.open(url, method=method).status_code == 403, (method, url)
    assert client.get(f"/{tenant.slug}/admin/resources/closures").status_code == 200


def test_anonymous_is_sent_to_login(client, tenant, admin_setup):
    response = client.get(f"/{tenant.slug}/admin/resources/")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_admin_of_another_tenant_gets_403(client, tenant, login, make_tenant, make_user):
    other = make_tenant("nachbarort")
    login(make_user(tenant=other, roles=("admin",)))
    assert client.get(f"/{tenant.slug}/admin/resources/").status_code == 403


def test_admin_screens_404_for_another_tenants_objects(
    client, tenant, login, admin, make_tenant, make_resource
):
    other = make_tenant("nachbarort")
    foreign = make_resource("Nachbarhalle", of_tenant=other)
    foreign_closure = closures.create_closure(
        other,
        None,
        start=datetime(2027, 1, 1, tzinfo=UTC),
        end=datetime(2027, 1, 2, tzinfo=UTC),
        reason="Wahl",
    )
    db.session.commit()
    login(admin)
    base = f"/{tenant.slug}/admin/resources"
    assert client.get(f"{base}/{foreign.id}").status_code == 404
    assert client.get(f"{base}/{foreign.id}/edit").status_code == 404
    assert client.post(f"{base}/closures/{foreign_closure.id}/delete").status_code == 404
    assert client.post(f"{base}/closures/{10**15}/delete").status_code == 404
    assert count(Closure) == 1


def test_admin_index_links_resources_and_closures(client, tenant, login, admin, clerk):
    login(admin)
    html = text_of(client.get(f"/{tenant.slug}/admin/"))
    assert f"/{tenant.slug}/admin/resources/" in html
    assert f"/{tenant.slug}/admin/resources/closures" in html
    login(clerk)
    html = text_of(client.get(f"/{tenant.slug}/admin/"))
    assert f'href="/{tenant.slug}/admin/resources/"' not in html
    assert f"/{tenant.slug}/admin/resources/closures" in html


# --- halls and parts through the forms --------------------------------------------------------


def resource_form(**overrides):
    data = {
        "name": "Bürgerhaus",
        "kind": "hall",
        "parent_id": "",
        "capacity": "80",
        "address": "Lindenweg 2",
        "description": "",
        "accessibility": "",
        "public": "y",
        "bookable": "y",
        "request_blocks": "y",
        "observe_holidays": "y",
        "buffer_before_min": "0",
        "buffer_after_min": "15",
        "min_notice_hours": "24",
        "max_advance_days": "",
        "min_duration_min": "",
        "max_duration_min": "",
    }
    data.update(overrides)
    return data


def test_admin_creates_a_hall_and_a_part(client, tenant, login, admin):
    login(admin)
    base = f"/{tenant.slug}/admin/resources"
    response = client.post(f"{base}/new", data=resource_form())
    assert response.status_code == 302
    hall = db.session.scalar(select(Resource).where(Resource.name == "Bürgerhaus"))
    assert (hall.capacity, hall.buffer_after_min, hall.min_notice_hours) == (80, 15, 24)
    assert hall.requires_approval is False and hall.max_advance_days is None
    assert response.headers["Location"].endswith(f"{base}/{hall.id}")
    assert "wurde angelegt" in text_of(client.get(response.headers["Location"]))

    form_html = text_of(client.get(f"{base}/new?parent_id={hall.id}"))
    assert re.search(
        rf'<option selected value="{hall.id}">|<option value="{hall.id}" selected', form_html
    )
    response = client.post(
        f"{base}/new",
        data=resource_form(name="Saal A", kind="room", parent_id=str(hall.id), capacity="40"),
    )
    assert response.status_code == 302
    part = db.session.scalar(select(Resource).where(Resource.name == "Saal A"))
    assert part.parent_id == hall.id
    assert tree.leaf_unit_ids(hall) == [part.id]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": ""}, None),
        ({"capacity": "abc"}, None),
        ({"capacity": "0"}, "Mindestens 1."),
        ({"buffer_after_min": "-5"}, "Darf nicht negativ sein."),
        ({"kind": "castle"}, None),
        ({"min_duration_min": "120", "max_duration_min": "60"}, "Höchstdauer"),
        ({"parent_id": "999999"}, None),
    ],
)
def test_invalid_resource_form_shows_errors_and_saves_nothing(
    client, tenant, login, admin, overrides, message
):
    login(admin)
    response = client.post(f"/{tenant.slug}/admin/resources/new", data=resource_form(**overrides))
    assert response.status_code == 422
    html = text_of(response)
    assert "error-summary" in html and 'aria-invalid="true"' in html
    if message:
        assert message in html
    assert count(Resource) == 0


def test_admin_edits_every_field(client, tenant, login, admin, make_resource):
    hall = make_resource("Halle", capacity=50)
    other = make_resource("Großhalle")
    login(admin)
    url = f"/{tenant.slug}/admin/resources/{hall.id}/edit"
    html = text_of(client.get(url))
    assert input_value(html, "capacity") == "50"
    response = client.post(
        url,
        data={
            "name": "Halle Nord",
            "kind": "room",
            "parent_id": str(other.id),
            "capacity": "30",
            "address": "Nordweg 1",
            "description": "Hell.",
            "accessibility": "Rampe.",
            "requires_approval": "y",
            "buffer_before_min": "10",
            "buffer_after_min": "20",
            "min_notice_hours": "48",
            "max_advance_days": "365",
            "min_duration_min": "60",
            "max_duration_min": "600",
        },
    )
    assert response.status_code == 302
    db.session.refresh(hall)
    assert (hall.name, hall.kind, hall.parent_id, hall.capacity) == (
        "Halle Nord",
        "room",
        other.id,
        30,
    )
    assert (hall.address, hall.description, hall.accessibility) == ("Nordweg 1", "Hell.", "Rampe.")
    assert (hall.public, hall.bookable, hall.requires_approval) == (False, False, True)
    assert (hall.request_blocks, hall.observe_holidays) == (False, False)
    assert (hall.buffer_before_min, hall.buffer_after_min, hall.min_notice_hours) == (10, 20, 48)
    assert (hall.max_advance_days, hall.min_duration_min, hall.max_duration_min) == (365, 60, 600)


def test_edit_form_offers_no_parent_that_makes_a_cycle(
    client, tenant, login, admin, hall_with_halves
):
    hall, a, _b = hall_with_halves
    login(admin)
    html = text_of(client.get(f"/{tenant.slug}/admin/resources/{hall.id}/edit"))
    assert f'value="{a.id}"' not in html
    response = client.post(
        f"/{tenant.slug}/admin/resources/{hall.id}/edit",
        data=resource_form(name=hall.name, parent_id=str(a.id)),
    )
    assert response.status_code == 422
    db.session.refresh(hall)
    assert hall.parent_id is None


def test_admin_list_and_detail_pages(client, tenant, login, admin, hall_with_halves):
    hall, a, b = hall_with_halves
    login(admin)
    html = text_of(client.get(f"/{tenant.slug}/admin/resources/"))
    assert all(r.name in html for r in (hall, a, b))
    html = text_of(client.get(f"/{tenant.slug}/admin/resources/{hall.id}"))
    assert "Saal A" in html and "Teil anlegen" in html


# --- opening hours editor ----------------------------------------------------------------------


def hours_form(**days):
    data = {}
    for day in range(7):
        opens, closes = days.get(f"d{day}", ("", ""))
        data[f"day_{day}_opens"] = opens
        data[f"day_{day}_closes"] = closes
    return data


def stored_hours(resource):
    db.session.expire_all()
    resource = db.session.get(Resource, resource.id)
    return [(h.weekday, h.opens_min, h.closes_min) for h in resource.opening_hours]


def test_opening_hours_round_trip_through_the_form(client, tenant, login, admin, make_resource):
    hall = make_resource("Halle")
    service.set_opening_hours(tenant, None, hall, EVERY_DAY_8_TO_24)
    db.session.commit()
    login(admin)
    url = f"/{tenant.slug}/admin/resources/{hall.id}/hours"
    html = text_of(client.get(url))
    assert 'type="time"' in html
    posted = {}
    for day in range(7):
        posted[f"day_{day}_opens"] = input_value(html, f"day_{day}_opens")
        posted[f"day_{day}_closes"] = input_value(html, f"day_{day}_closes")
    assert posted["day_0_opens"] == "08:00" and posted["day_0_closes"] == "00:00"
    assert (
        'name="always_open"' in html
        and "checked" not in re.search(r'<input[^>]*name="always_open"[^>]*>', html)[0]
    )
    response = client.post(url, data=posted)
    assert response.status_code == 302
    assert stored_hours(hall) == EVERY_DAY_8_TO_24
    # Change: weekdays 08:00–22:00, Saturday until midnight, Sunday closed.
    response = client.post(
        url,
        data=hours_form(**{f"d{d}": ("08:00", "22:00") for d in range(5)}, d5=("10:00", "24:00")),
    )
    assert response.status_code == 302
    assert stored_hours(hall) == [(d, 480, 1320) for d in range(5)] + [(5, 600, 1440)]
    html = text_of(client.get(url))
    assert input_value(html, "day_6_opens") in (None, "")
    assert input_value(html, "day_4_closes") == "22:00"


def test_around_the_clock_checkbox_clears_the_hours(client, tenant, login, admin, make_resource):
    hall = make_resource("Halle")
    service.set_opening_hours(tenant, None, hall, EVERY_DAY_8_TO_24)
    db.session.commit()
    login(admin)
    url = f"/{tenant.slug}/admin/resources/{hall.id}/hours"
    response = client.post(url, data={**hours_form(), "always_open": "y"})
    assert response.status_code == 302
    assert stored_hours(hall) == []
    html = text_of(client.get(url))
    assert "checked" in re.search(r'<input[^>]*name="always_open"[^>]*>', html)[0]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (hours_form(), "mindestens einen Tag"),
        (hours_form(d1=("08:00", "")), "beide Zeiten"),
        (hours_form(d1=("22:00", "06:00")), "vor der Schließzeit"),
        (hours_form(d1=("8 Uhr", "12:00")), "Uhrzeit wie 08:00"),
        (hours_form(d1=("25:00", "26:00")), "Uhrzeit wie 08:00"),
        (hours_form(d1=("24:00", "00:00")), "vor 24:00"),
    ],
)
def test_invalid_opening_hours_form_changes_nothing(
    client, tenant, login, admin, make_resource, data, message
):
    hall = make_resource("Halle")
    service.set_opening_hours(tenant, None, hall, [(2, 600, 720)])
    db.session.commit()
    login(admin)
    response = client.post(f"/{tenant.slug}/admin/resources/{hall.id}/hours", data=data)
    assert response.status_code == 422
    assert message in text_of(response)
    assert stored_hours(hall) == [(2, 600, 720)]


# --- caretakers ---------------------------------------------------------------------------------


def test_admin_assigns_and_removes_a_caretaker(
    client, tenant, login, admin, make_user, make_resource
):
    hall = make_resource("Halle")
    caretaker = make_user(tenant=tenant, roles=("caretaker",), name="Hans Hausmeister")
    login(admin)
    base = f"/{tenant.slug}/admin/resources/{hall.id}"
    assert "Hans Hausmeister" in text_of(client.get(base))
    response = client.post(f"{base}/caretakers", data={"user_id": str(caretaker.id)})
    assert response.status_code == 302
    assert service.resources_for_caretaker(tenant, caretaker) == [hall]
    response = client.post(f"{base}/caretakers/{caretaker.id}/remove")
    assert response.status_code == 302
    db.session.expire_all()
    assert service.resources_for_caretaker(tenant, caretaker) == []


def test_caretaker_form_refuses_people_without_the_role(
    client, tenant, login, admin, citizen, make_resource
):
    hall = make_resource("Halle")
    login(admin)
    base = f"/{tenant.slug}/admin/resources/{hall.id}"
    assert citizen.email not in text_of(client.get(base))
    response = client.post(
        f"{base}/caretakers", data={"user_id": str(citizen.id)}, follow_redirects=True
    )
    assert "Bitte einen Hausmeister aus der Liste wählen." in text_of(response)
    db.session.expire_all()
    assert db.session.get(Resource, hall.id).caretakers == []


# --- demo data ------------------------------------------------------------------------------------


def test_demo_seed_brings_the_halls(runner, client):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    dgh = db.session.scalar(select(Resource).where(Resource.name == "Dorfgemeinschaftshaus"))
    assert sorted(part.name for part in dgh.children) == ["Saal A", "Saal B"]
    assert [c.user_id for c in dgh.caretakers]
    html = text_of(client.get("/musterhausen/halls/"))
    for name in ("Dorfgemeinschaftshaus", "Saal A", "Saal B", "Sporthalle", "Mehrzweckraum"):
        assert name in html
    html = text_of(client.get(f"/musterhausen/halls/{dgh.id}"))
    assert "08:00–24:00" in html and "Sonntag" in html
