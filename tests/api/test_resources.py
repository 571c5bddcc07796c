"""``GET/POST /resources`` in the API.md shape."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.resources.models import Resource

ITEM_KEYS = {"id", "name", "kind", "capacity", "parent_id", "requires_approval", "bookable"}


def count_resources() -> int:
    return db.session.scalar(select(func.count()).select_from(Resource))


def test_list_has_exactly_the_documented_keys(api, tenant, citizen, hall_with_halves):
    hall, a, _b = hall_with_halves
    response = api(citizen, tenant).get("/resources")
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert len(items) == 3
    assert all(set(item) == ITEM_KEYS for item in items)
    by_name = {item["name"]: item for item in items}
    assert by_name["Saal A"] == {
        "id": a.id,
        "name": "Saal A",
        "kind": "room",
        "capacity": 60,
        "parent_id": hall.id,
        "requires_approval": False,
        "bookable": True,
    }


def test_list_shows_only_this_tenants_resources(
    api, tenant, citizen, make_tenant, make_resource, make_user
):
    make_resource("Bürgerhaus")
    other = make_tenant("nachbarort")
    make_resource("Nachbarhalle", of_tenant=other)
    names = [i["name"] for i in api(citizen, tenant).get("/resources").get_json()["items"]]
    assert names == ["Bürgerhaus"]
    other_admin = make_user(tenant=other, roles=("admin",))
    names = [i["name"] for i in api(other_admin, other).get("/resources").get_json()["items"]]
    assert names == ["Nachbarhalle"]


def test_hidden_resources_are_listed_for_staff_only(api, tenant, citizen, clerk, make_resource):
    make_resource("Bürgerhaus")
    make_resource("Bestattungsteam", "crew", public=False)
    citizen_names = [i["name"] for i in api(citizen, tenant).get("/resources").get_json()["items"]]
    clerk_names = [i["name"] for i in api(clerk, tenant).get("/resources").get_json()["items"]]
    assert citizen_names == ["Bürgerhaus"]
    assert clerk_names == ["Bestattungsteam", "Bürgerhaus"]


def test_list_needs_a_token(client, tenant):
    response = client.get(f"/{tenant.slug}/api/v1/resources")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_admin_creates_a_resource(api, tenant, admin, make_resource):
    hall = make_resource("Dorfgemeinschaftshaus")
    response = api(admin, tenant).post(
        "/resources",
        json={
            "name": "Saal C",
            "kind": "room",
            "capacity": 30,
            "parent_id": hall.id,
            "requires_approval": True,
            "buffer_before_min": 15,
            "buffer_after_min": 30,
        },
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert set(body) == ITEM_KEYS
    assert body["parent_id"] == hall.id and body["requires_approval"] is True
    created = db.session.get(Resource, body["id"])
    assert created.tenant_id == tenant.id
    assert (created.buffer_before_min, created.buffer_after_min) == (15, 30)


def test_minimal_body_is_enough(api, tenant, admin):
    response = api(admin, tenant).post("/resources", json={"name": "Kapelle", "kind": "chapel"})
    assert response.status_code == 201
    assert response.get_json()["capacity"] is None


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"name": "Halle", "kind": "hall", "capacity": "abc"}, {"capacity"}),
        ({"name": 12, "kind": "hall"}, {"name"}),
        ({"name": "Halle", "kind": "hall", "capacity": "12"}, {"capacity"}),
        ({"name": "Halle", "kind": "hall", "capacity": 12.5}, {"capacity"}),
        ({"name": "Halle", "kind": "hall", "capacity": True}, {"capacity"}),
        ({"name": "Halle", "kind": "hall", "requires_approval": "yes"}, {"requires_approval"}),
        ({"name": "Halle", "kind": "hall", "public": 1}, {"public"}),
        ({"name": "Halle", "kind": "hall", "parent_id": "1"}, {"parent_id"}),
        ({"name": "Halle", "kind": "castle"}, {"kind"}),
        ({"name": "", "kind": "castle", "capacity": 0}, {"name", "kind", "capacity"}),
        ({"kind": "hall"}, {"name"}),
        ({"name": "Halle"}, {"kind"}),
        ({"name": ["Halle"], "kind": "hall"}, {"name"}),
        ({"name": "Halle", "kind": "hall", "buffer_after_min": -5}, {"buffer_after_min"}),
        ({"name": "Halle", "kind": "hall", "buffer_before_min": "15"}, {"buffer_before_min"}),
        ({"name": "Halle", "kind": "hall", "requires_approval": "nein"}, {"requires_approval"}),
        ({"name": "Halle", "kind": "hall", "parent_id": "x"}, {"parent_id"}),
        ({"name": "Halle", "kind": "hall", "parent_id": 10**15}, {"parent_id"}),
        ({"name": "Halle", "kind": "hall", "capacity": 10**15}, {"capacity"}),
        ({"name": "Halle", "kind": "hall", "now": "2020-01-01"}, {"now"}),
        ({"name": "Halle", "kind": "hall", "tenant_id": 1}, {"tenant_id"}),
    ],
)
def test_bad_values_answer_422_per_field(api, tenant, admin, body, fields):
    response = api(admin, tenant).post("/resources", json=body)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation"
    assert set(error["details"]["fields"]) == fields
    assert all(isinstance(m, str) for msgs in error["details"]["fields"].values() for m in msgs)
    assert count_resources() == 0


def test_duplicate_name_is_422(api, tenant, admin, make_resource):
    make_resource("Bürgerhaus")
    response = api(admin, tenant).post("/resources", json={"name": "Bürgerhaus", "kind": "hall"})
    assert response.status_code == 422
    assert "name" in response.get_json()["error"]["details"]["fields"]


@pytest.mark.parametrize("raw", ["[1, 2]", '"Halle"', "42", "null", "{not json", ""])
def test_non_object_json_is_400(api, tenant, admin, client, raw):
    caller = api(admin, tenant)
    response = client.post(
        f"/{tenant.slug}/api/v1/resources",
        data=raw,
        headers={"Authorization": f"Bearer {caller.token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"
    assert count_resources() == 0


@pytest.mark.parametrize("role", [None, "clerk", "caretaker", "funeral_home"])
def test_non_admins_may_not_create(api, tenant, make_user, role):
    user = make_user(tenant=tenant, roles=(role,) if role else ())
    response = api(user, tenant).post("/resources", json={"name": "Halle", "kind": "hall"})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    assert count_resources() == 0


def test_admin_of_another_tenant_may_not_create_here(api, tenant, make_tenant, make_user):
    other = make_tenant("nachbarort")
    other_admin = make_user(tenant=other, roles=("admin",))
    response = api(other_admin, tenant).post("/resources", json={"name": "Halle", "kind": "hall"})
    assert response.status_code == 403


def test_parent_of_another_tenant_is_422_like_a_missing_parent(
    api, tenant, admin, make_tenant, make_resource
):
    other = make_tenant("nachbarort")
    foreign = make_resource("Nachbarhalle", of_tenant=other)
    caller = api(admin, tenant)
    foreign_answer = caller.post(
        "/resources", json={"name": "Teil", "kind": "room", "parent_id": foreign.id}
    )
    missing_answer = caller.post(
        "/resources", json={"name": "Teil", "kind": "room", "parent_id": foreign.id + 999}
    )
    assert foreign_answer.status_code == missing_answer.status_code == 422
    assert (
        foreign_answer.get_json()["error"]["details"]
        == missing_answer.get_json()["error"]["details"]
    )
    assert count_resources() == 1
    assert caller.get("/resources").get_json()["items"] == []
