"""The JSON API's common ground: bearer tokens, /me, and the error shapes of API.md."""

from __future__ import annotations

import pytest

from booking.accounts import service as accounts
from booking.extensions import db
from booking.resources.models import Resource
from booking.resources.service import create_resource
from tests.api.helpers import assert_error


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer kb_not-a-real-token",
        "Bearer no-prefix-at-all",
        "Bearer kb_" + "x" * 300,
    ],
)
def test_missing_or_bad_token_is_401(client, tenant, header):
    headers = {"Authorization": header} if header is not None else {}
    assert_error(client.get(f"/{tenant.slug}/api/v1/me", headers=headers), 401, "unauthorized")


def test_session_cookies_do_not_authenticate_the_api(client, login, make_user, tenant):
    login(make_user())
    assert_error(client.get(f"/{tenant.slug}/api/v1/me"), 401, "unauthorized")


def test_revoked_token_and_deactivated_user_get_401(client, make_user, tenant):
    user = make_user()
    token, plain = accounts.create_api_token(user, "x")
    db.session.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.get(f"/{tenant.slug}/api/v1/me", headers=headers).status_code == 200

    user.active = False
    db.session.commit()
    assert_error(client.get(f"/{tenant.slug}/api/v1/me", headers=headers), 401, "unauthorized")

    user.active = True
    accounts.revoke_api_token(user, token.id)
    db.session.commit()
    assert_error(client.get(f"/{tenant.slug}/api/v1/me", headers=headers), 401, "unauthorized")


def test_me_lists_the_roles_of_this_tenant_only(api, make_user, make_tenant):
    here, there = make_tenant("hier"), make_tenant("dort")
    user = make_user("anna@example.org", name="Anna")
    for tenant, role in [(here, "clerk"), (here, "caretaker"), (there, "admin")]:
        accounts.grant_role(tenant, None, user, role)
    db.session.commit()
    client = api(user, here)
    body = client.get("/me").get_json()
    assert body == {
        "id": user.id,
        "email": "anna@example.org",
        "name": "Anna",
        "locale": None,
        "tenant": "hier",
        "roles": ["caretaker", "clerk"],
    }
    client.base = "/dort/api/v1"
    assert client.get("/me").get_json()["roles"] == ["admin"]


def test_the_token_records_its_last_use(api, make_user, tenant):
    user = make_user()
    client = api(user, tenant)
    client.get("/me")
    (token,) = accounts.api_tokens(user)
    db.session.refresh(token)
    assert token.last_used_at is not None


def test_unknown_tenant_and_unknown_path_are_404_json(api, client, make_user, tenant):
    user_api = api(make_user(), tenant)
    assert_error(client.get("/no-such-town/api/v1/me"), 404, "not_found")
    user_api.base = "/no-such-town/api/v1"
    assert_error(user_api.get("/me"), 404, "not_found")
    user_api.base = f"/{tenant.slug}/api/v1"
    assert_error(user_api.get("/no-such-thing"), 404, "not_found")


def test_an_object_of_another_tenant_is_404_not_403(api, make_user, make_tenant):
    here, there = make_tenant("hier"), make_tenant("dort")
    admin_there = make_user(tenant=there, roles=["admin"])
    foreign = create_resource(there, admin_there, name="Fremde Halle", kind="hall")
    db.session.commit()
    # Even an admin of both municipalities does not reach it through the wrong one.
    user = make_user(tenant=here, roles=["admin"])
    accounts.grant_role(there, None, user, "admin")
    db.session.commit()
    client = api(user, here)
    path = f"/resources/{foreign.id}/busy?start=2027-03-06T00:00:00%2B01:00&end=2027-03-07T00:00:00%2B01:00"
    assert_error(client.get(path), 404, "not_found")
    client.base = "/dort/api/v1"
    assert client.get(path).status_code == 200


def test_a_missing_role_is_403(api, make_user, tenant):
    client = api(make_user(tenant=tenant, roles=["clerk"]), tenant)
    response = client.post("/resources", json={"name": "Halle", "kind": "hall"})
    assert_error(response, 403, "forbidden")
    assert db.session.scalars(db.select(Resource)).all() == []


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("{not json", "application/json"),
        ('["a", "list"]', "application/json"),
        ("name=Halle", "application/x-www-form-urlencoded"),
        ("", "application/json"),
    ],
)
def test_malformed_json_is_400(client, make_user, tenant, data, content_type):
    user = make_user(tenant=tenant, roles=["admin"])
    _token, plain = accounts.create_api_token(user, "x")
    db.session.commit()
    response = client.post(
        f"/{tenant.slug}/api/v1/resources",
        data=data,
        content_type=content_type,
        headers={"Authorization": f"Bearer {plain}"},
    )
    assert_error(response, 400, "bad_request")
    assert db.session.scalars(db.select(Resource)).all() == []


def test_invalid_fields_are_422_with_field_details(api, make_user, tenant):
    client = api(make_user(tenant=tenant, roles=["admin"]), tenant)
    error = assert_error(client.post("/resources", json={"kind": "castle"}), 422, "validation")
    assert {"name", "kind"} <= set(error["details"]["fields"])


def test_wrong_method_is_405_json(api, make_user, tenant):
    client = api(make_user(), tenant)
    assert_error(client.delete("/me"), 405, "method_not_allowed")


# --- guessing tokens -------------------------------------------------------------------


def _me(client, tenant, token: str, address: str):
    return client.get(
        f"/{tenant.slug}/api/v1/me",
        headers={"Authorization": f"Bearer {token}"},
        environ_base={"REMOTE_ADDR": address},
    )


def test_failed_token_guesses_are_limited_per_address(client, make_user, tenant):
    user = make_user()
    _token, plain = accounts.create_api_token(user, "x")
    db.session.commit()
    guesser = "203.0.113.7"
    for attempt in range(20):
        response = _me(client, tenant, f"kb_guess-{attempt}", guesser)
        assert_error(response, 401, "unauthorized")
    # Every further attempt from there is refused, a fresh guess as a right token.
    for token in ("kb_guess-21", "kb_guess-22", plain):
        response = _me(client, tenant, token, guesser)
        assert_error(response, 429, "rate_limited")
        assert int(response.headers["Retry-After"]) >= 1
    # The right token from another address still works.
    assert _me(client, tenant, plain, "198.51.100.9").status_code == 200


def test_successful_calls_do_not_count_as_failures(client, make_user, tenant):
    user = make_user()
    _token, plain = accounts.create_api_token(user, "x")
    db.session.commit()
    for _ in range(30):
        assert _me(client, tenant, plain, "203.0.113.8").status_code == 200
    assert_error(_me(client, tenant, "kb_wrong", "203.0.113.8"), 401, "unauthorized")
