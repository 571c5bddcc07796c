"""``POST /burials``, ``/confirm``, ``/cancel`` (API.md "Cemetery")."""

from __future__ import annotations

from datetime import date
from unittest import mock

import pytest

from booking.extensions import db
from cemetery.models import Burial
from tests.cemetery.test_burials import HOLDER, NOW, THU
from tests.times import at, iso


@pytest.fixture(autouse=True)
def fixed_now():
    with mock.patch("booking.api.burials.utcnow", return_value=NOW):
        yield


def body(cemetery, plot, **extra):
    return {
        "cemetery_id": cemetery.id,
        "plot_id": plot.id,
        "kind": "coffin",
        "deceased": {"name": "Erika Mustermann", "born": "1940-02-01", "died": "2030-06-01"},
        "start": iso(at(THU, "10:00")),
        "ceremony_minutes": 30,
        "public_listing": True,
        "holder": HOLDER,
        **extra,
    }


@pytest.fixture
def plot(cemetery, make_plot):
    return make_plot(cemetery, "A-1")


def test_create_confirm_cancel(app, tenant, cemetery, plot, funeral_home, clerk, api):
    home = api(funeral_home, tenant)
    response = home.post("/burials", json=body(cemetery, plot))
    assert response.status_code == 201, response.json
    data = response.json
    assert data["status"] == "requested"
    assert data["plot_id"] == plot.id
    assert data["rest_until"] == "2055-06-06"
    assert data["appointment"] == {
        "start": iso(at(THU, "10:00")),
        "end": iso(at(THU, "11:30")),
    }
    # The funeral home may not confirm; the clerk may.
    assert home.post(f"/burials/{data['id']}/confirm").status_code == 403
    office = api(clerk, tenant)
    confirmed = office.post(f"/burials/{data['id']}/confirm")
    assert confirmed.status_code == 200
    assert confirmed.json["status"] == "confirmed"
    cancelled = home.post(f"/burials/{data['id']}/cancel", json={"reason": "verschoben"})
    assert cancelled.status_code == 200
    assert cancelled.json["status"] == "cancelled"


def test_the_same_slot_twice_is_a_conflict(
    app, tenant, cemetery, plot, make_plot, funeral_home, api
):
    home = api(funeral_home, tenant)
    assert home.post("/burials", json=body(cemetery, plot)).status_code == 201
    other = make_plot(cemetery, "A-2")
    response = home.post("/burials", json=body(cemetery, other))
    assert response.status_code == 409
    assert response.json["error"]["code"] == "conflict"
    assert db.session.query(Burial).count() == 1


def test_an_occupied_plot_is_a_conflict(app, tenant, cemetery, make_plot, funeral_home, api):
    grave = make_plot(cemetery, "R-1", "reihengrab")
    home = api(funeral_home, tenant)
    assert home.post("/burials", json=body(cemetery, grave, ceremony_minutes=0)).status_code == 201
    response = home.post(
        "/burials",
        json=body(cemetery, grave, ceremony_minutes=0, start=iso(at(THU, "13:00"))),
    )
    assert response.status_code == 409


def test_rule_breaches_are_422(app, tenant, cemetery, plot, funeral_home, api):
    home = api(funeral_home, tenant)
    response = home.post("/burials", json=body(cemetery, plot, start=iso(at(THU, "07:00"))))
    assert response.status_code == 422
    assert "start" in response.json["error"]["details"]["fields"]
    response = home.post(
        "/burials",
        json=body(cemetery, plot, start=iso(at(date(2030, 6, 4), "10:00"))),
    )
    assert response.status_code == 422
    response = home.post("/burials", json=body(cemetery, plot, deceased={"name": "X"}))
    assert response.status_code == 422
    assert "deceased.died" in response.json["error"]["details"]["fields"]


def test_malformed_bodies_are_400(app, tenant, cemetery, plot, funeral_home, api):
    home = api(funeral_home, tenant)
    assert home.post("/burials", json=body(cemetery, plot, start="tomorrow")).status_code == 400
    assert home.post("/burials", json=body(cemetery, plot, ceremony_minutes="x")).status_code == 400
    assert home.post("/burials", json=[1]).status_code == 400


def test_roles_and_tenants(
    app, tenant, cemetery, plot, funeral_home, citizen, make_tenant, make_user, make_cemetery, api
):
    assert api(citizen, tenant).post("/burials", json=body(cemetery, plot)).status_code == 403
    other = make_tenant("anderswo")
    foreign = make_cemetery(of_tenant=other)
    home = api(funeral_home, tenant)
    response = home.post("/burials", json={**body(cemetery, plot), "cemetery_id": foreign.id})
    assert response.status_code == 404
    created = home.post("/burials", json=body(cemetery, plot)).json
    # Another funeral home does not see it; another tenant's clerk neither.
    rival = make_user("b2@example.org", tenant=tenant, roles=("funeral_home",))
    assert api(rival, tenant).post(f"/burials/{created['id']}/cancel").status_code == 404
    assert api(rival, tenant).get(f"/burials/{created['id']}").status_code == 404
    foreign_clerk = make_user("c2@example.org", tenant=other, roles=("clerk",))
    assert api(foreign_clerk, other).post(f"/burials/{created['id']}/confirm").status_code == 404
    assert home.get(f"/burials/{created['id']}").status_code == 200
    assert home.get("/burials/99999999999").status_code == 404
