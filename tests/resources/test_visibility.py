"""One rule for who sees an internal (non-public) resource, in pages and API:
people with a role in the municipality; a part of an internal hall is internal."""

import pytest


@pytest.fixture
def internal(make_resource):
    hall = make_resource("Bauhof-Halle", public=False)
    part = make_resource("Werkstatt", "room", parent=hall)
    return hall, part


def test_citizens_do_not_see_internal_resources_or_their_parts(
    api, citizen, tenant, internal, make_resource
):
    make_resource("Bürgerhaus")
    names = [item["name"] for item in api(citizen, tenant).get("/resources").get_json()["items"]]
    assert names == ["Bürgerhaus"]
    client = api(citizen, tenant)
    for resource in internal:
        assert (
            client.get(
                f"/resources/{resource.id}/busy?start=2027-03-01T00:00:00%2B01:00&end=2027-03-02T00:00:00%2B01:00"
            ).status_code
            == 404
        )


@pytest.mark.parametrize("role", ["admin", "clerk", "caretaker", "funeral_home"])
def test_everyone_with_a_role_sees_them(api, make_user, tenant, internal, role):
    person = make_user(tenant=tenant, roles=(role,))
    names = {item["name"] for item in api(person, tenant).get("/resources").get_json()["items"]}
    assert {"Bauhof-Halle", "Werkstatt"} <= names


def test_hall_page_of_an_internal_part_is_a_404_for_citizens_and_shown_to_a_caretaker(
    client, login, citizen, make_user, tenant, internal
):
    _hall, part = internal
    assert client.get(f"/{tenant.slug}/halls/{part.id}").status_code == 404
    login(citizen)
    assert client.get(f"/{tenant.slug}/halls/{part.id}").status_code == 404
    client.post("/account/logout")
    login(make_user(tenant=tenant, roles=("caretaker",)))
    assert client.get(f"/{tenant.slug}/halls/{part.id}").status_code == 200
