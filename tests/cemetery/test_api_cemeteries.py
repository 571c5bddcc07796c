"""The register's API (API.md "Cemetery"): shapes, roles, other tenants'
objects as 404s, bad input as 400/422."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from booking.extensions import db
from cemetery import fees, rights
from cemetery.models import Cemetery, GraveRight, Plot
from tests.cemetery.test_register import add_burial


@pytest.fixture
def other(make_tenant, make_cemetery, make_plot):
    """Another municipality's cemetery, plot and right."""
    tenant = make_tenant("nachbarort")
    cemetery = make_cemetery("Friedhof Nachbarort", of_tenant=tenant)
    plot = make_plot(cemetery, "N-1")
    holder = rights.find_or_create_contact(tenant, name="Nora Nachbar")
    right = rights.acquire_right(tenant, None, plot, holder, start=date(2020, 1, 1), bill=False)
    db.session.commit()
    return cemetery, plot, right


@pytest.fixture
def right(tenant, cemetery, make_plot):
    plot = make_plot(cemetery, "W-1", "wahlgrab")
    holder = rights.find_or_create_contact(tenant, name="Hans Halter", city="Gießen")
    right = rights.acquire_right(tenant, None, plot, holder, start=date(2000, 5, 1), bill=False)
    db.session.commit()
    return right


# --- cemeteries ----------------------------------------------------------------------


def test_list_cemeteries(api, tenant, clerk, funeral_home, cemetery, other):
    for user in (clerk, funeral_home):
        response = api(user, tenant).get("/cemeteries")
        assert response.status_code == 200
        assert response.json == {
            "items": [
                {
                    "id": cemetery.id,
                    "name": "Friedhof Musterhausen",
                    "chapel_resource_id": cemetery.chapel_resource_id,
                    "crew_resource_id": cemetery.crew_resource_id,
                }
            ]
        }


def test_cemeteries_need_a_token_and_a_role(client, api, tenant, citizen):
    assert client.get(f"/{tenant.slug}/api/v1/cemeteries").status_code == 401
    response = api(citizen, tenant).get("/cemeteries")
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"


def test_staff_create_a_cemetery_with_its_resources(api, tenant, admin, clerk, funeral_home):
    response = api(admin, tenant).post(
        "/cemeteries", json={"name": "Waldfriedhof", "rest_years_urn": 15}
    )
    assert response.status_code == 201
    body = response.json
    assert body["name"] == "Waldfriedhof"
    assert body["chapel_resource_id"] and body["crew_resource_id"]
    assert db.session.get(Cemetery, body["id"]).rest_years_urn == 15
    assert api(clerk, tenant).post("/cemeteries", json={"name": "X"}).status_code == 201
    assert api(funeral_home, tenant).post("/cemeteries", json={"name": "Y"}).status_code == 403


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({}, 422, "name"),
        ({"name": "Z", "rest_years_coffin": 0}, 422, "rest_years_coffin"),
        ({"name": "Z", "unbekannt": 1}, 422, "unbekannt"),
        ({"name": "Z", "chapel_resource_id": "abc"}, 400, "chapel_resource_id"),
        ({"name": "Z", "chapel_resource_id": 999999}, 422, "chapel_resource_id"),
        ({"name": "Z", "burial_hours": {"9": [[1, 2]]}}, 422, "burial_hours"),
        ({"name": "Z", "lead_days_urn": "2"}, 400, "lead_days_urn"),
    ],
)
def test_create_cemetery_refuses_bad_bodies(api, tenant, admin, body, status, field):
    response = api(admin, tenant).post("/cemeteries", json=body)
    assert response.status_code == status, response.json
    assert field in response.json["error"]["details"]["fields"]
    assert db.session.scalar(select(Cemetery.id)) is None


def test_malformed_json_is_400(api, tenant, admin):
    response = api(admin, tenant).post("/cemeteries", data="{nope", content_type="application/json")
    assert response.status_code == 400 and response.json["error"]["code"] == "bad_request"


# --- plots ---------------------------------------------------------------------------


def test_list_plots_with_status_and_filters(api, tenant, funeral_home, cemetery, make_plot, right):
    free = make_plot(cemetery, "R-1", "reihengrab")
    occupied = make_plot(cemetery, "R-2", "reihengrab")
    holder = right.holder
    rights.acquire_right(tenant, None, occupied, holder, start=date(2020, 1, 1), bill=False)
    add_burial(occupied, buried=date(2020, 1, 1))
    client = api(funeral_home, tenant)
    response = client.get(f"/cemeteries/{cemetery.id}/plots")
    assert response.status_code == 200
    by_code = {item["code"]: item for item in response.json["items"]}
    assert by_code["R-1"] == {
        "id": free.id,
        "code": "R-1",
        "grave_type": "reihengrab",
        "status": "free",
    }
    assert by_code["R-2"]["status"] == "occupied"
    assert by_code["W-1"]["status"] == "reserved"
    response = client.get(f"/cemeteries/{cemetery.id}/plots?status=free&grave_type=reihengrab")
    assert [item["code"] for item in response.json["items"]] == ["R-1"]
    response = client.get(f"/cemeteries/{cemetery.id}/plots?grave_type=wahlgrab")
    assert [item["code"] for item in response.json["items"]] == ["W-1"]


@pytest.mark.parametrize("query", ["status=frei", "grave_type=unbekannt", "section_id=x"])
def test_list_plots_refuses_bad_parameters(api, tenant, clerk, cemetery, query):
    response = api(clerk, tenant).get(f"/cemeteries/{cemetery.id}/plots?{query}")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"


def test_plots_of_another_tenant_are_404(api, tenant, clerk, other):
    cemetery, plot, right = other
    client = api(clerk, tenant)
    assert client.get(f"/cemeteries/{cemetery.id}/plots").status_code == 404
    assert (
        client.post(
            f"/cemeteries/{cemetery.id}/plots", json={"code": "X", "grave_type": "wahlgrab"}
        ).status_code
        == 404
    )
    assert client.get(f"/plots/{plot.id}").status_code == 404
    response = client.post(f"/grave-rights/{right.id}/extend", json={"years": 1})
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    assert client.get("/plots/99999999999").status_code == 404


def test_create_plot(api, tenant, clerk, funeral_home, cemetery):
    response = api(clerk, tenant).post(
        f"/cemeteries/{cemetery.id}/plots",
        json={"code": "B-04-12", "grave_type": "wahlgrab", "section": "B"},
    )
    assert response.status_code == 201
    assert response.json["code"] == "B-04-12" and response.json["status"] == "free"
    plot = db.session.get(Plot, response.json["id"])
    assert plot.section.name == "B"
    response = api(funeral_home, tenant).post(
        f"/cemeteries/{cemetery.id}/plots", json={"code": "B-04-13", "grave_type": "wahlgrab"}
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"grave_type": "wahlgrab"}, 422, "code"),
        ({"code": "A", "grave_type": "nix"}, 422, "grave_type"),
        ({"code": 5, "grave_type": "wahlgrab"}, 400, "code"),
        ({"code": "A", "grave_type": "wahlgrab", "x": "links"}, 400, "x"),
        ({"code": "A" * 41, "grave_type": "wahlgrab"}, 422, "code"),
    ],
)
def test_create_plot_refuses_bad_bodies(api, tenant, clerk, cemetery, body, status, field):
    response = api(clerk, tenant).post(f"/cemeteries/{cemetery.id}/plots", json=body)
    assert response.status_code == status, response.json
    assert field in response.json["error"]["details"]["fields"]


def test_duplicate_plot_code_is_422(api, tenant, clerk, cemetery, make_plot):
    make_plot(cemetery, "A-1")
    response = api(clerk, tenant).post(
        f"/cemeteries/{cemetery.id}/plots", json={"code": "A-1", "grave_type": "wahlgrab"}
    )
    assert response.status_code == 422
    assert "code" in response.json["error"]["details"]["fields"]


def test_plot_detail_with_rights_and_burials(api, tenant, clerk, funeral_home, right):
    add_burial(right.plot, buried=date(2001, 2, 3), name="Erna Halter")
    response = api(clerk, tenant).get(f"/plots/{right.plot_id}")
    assert response.status_code == 200
    body = response.json
    assert body["code"] == "W-1" and body["status"] == "rest_ended"
    assert body["rights"][0]["holder"] == "Hans Halter"
    assert body["rights"][0]["end_date"] == "2030-05-01"
    assert body["rights"][0]["events"][0]["kind"] == "acquired"
    assert body["burials"][0]["name"] == "Erna Halter"
    assert body["burials"][0]["rest_until"] == "2026-02-03"
    assert api(funeral_home, tenant).get(f"/plots/{right.plot_id}").status_code == 403


# --- extending -----------------------------------------------------------------------


def test_extend_a_right(api, tenant, clerk, right):
    fees.load_example(tenant, None)
    db.session.commit()
    response = api(clerk, tenant).post(f"/grave-rights/{right.id}/extend", json={"years": 2})
    assert response.status_code == 200, response.json
    assert response.json["end_date"] == "2032-05-01"
    fee = response.json["fee"]
    assert fee["currency"] == "EUR" and fee["amount_cents"] == 2 * 6500
    assert sum(item["amount_cents"] for item in fee["items"]) == fee["amount_cents"]
    db.session.expire_all()
    assert db.session.get(GraveRight, right.id).end_date == date(2032, 5, 1)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"years": 0}, 422),
        ({"years": 101}, 422),
        ({"years": "2"}, 400),
        ({"years": 1.5}, 400),
        ({}, 422),
        ({"years": True}, 400),
    ],
)
def test_extend_refuses_bad_years(api, tenant, clerk, right, body, status):
    response = api(clerk, tenant).post(f"/grave-rights/{right.id}/extend", json=body)
    assert response.status_code == status, response.json
    assert "years" in response.json["error"]["details"]["fields"]
    db.session.expire_all()
    assert db.session.get(GraveRight, right.id).end_date == date(2030, 5, 1)


def test_extend_refuses_non_extendable_graves(api, tenant, clerk, cemetery, make_plot):
    plot = make_plot(cemetery, "R-9", "reihengrab")
    holder = rights.find_or_create_contact(tenant, name="Rita Reihe")
    right = rights.acquire_right(tenant, None, plot, holder, start=date(2020, 1, 1), bill=False)
    db.session.commit()
    response = api(clerk, tenant).post(f"/grave-rights/{right.id}/extend", json={"years": 1})
    assert response.status_code == 422
    assert "nicht verlängert" in response.json["error"]["message"]


def test_extend_needs_staff(api, tenant, funeral_home, citizen, right):
    for user in (funeral_home, citizen):
        response = api(user, tenant).post(f"/grave-rights/{right.id}/extend", json={"years": 1})
        assert response.status_code == 403
