"""``POST /feeds`` and ``DELETE /feeds/<id>`` (API.md, "Feeds"): 201 with an
absolute ``.ics`` URL for a scope the caller may hold; 400 for a malformed
body or an id of the wrong type, 422 for an unknown scope or a missing id,
404 for another municipality's object, 403 for a scope the caller may not
hold, each with nothing written; revoking is the owner's or an admin's
(204), 404 for anyone else and for a revoked feed, whose URL then answers 404."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from booking.core import utcnow
from booking.extensions import db
from booking.feeds import tokens
from booking.feeds.models import FeedToken
from tests.api.helpers import assert_error
from tests.feeds.subscription_helpers import *  # noqa: F403  (the fixtures)
from tests.feeds.subscription_helpers import FEED_URL, feed_count


def created(response) -> tuple[FeedToken, str]:
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert set(body) == {"id", "url"}
    match = FEED_URL.fullmatch(body["url"])
    assert match is not None and body["url"].startswith("http://localhost/musterhausen/feeds/")
    feed = db.session.get(FeedToken, body["id"])
    assert feed.token_hash == tokens.token_hash(match.group(1))
    return feed, match.group(1)


# --- creating ----------------------------------------------------------------------------


def test_anyone_signed_in_gets_a_feed_of_their_bookings(api, tenant, citizen):
    feed, plain = created(api(citizen, tenant).post("/feeds", json={"scope": "mine"}))
    assert (feed.user_id, feed.scope, feed.resource_id, feed.cemetery_id) == (
        citizen.id,
        "mine",
        None,
        None,
    )
    assert tokens.feed_for_token(tenant, plain) == feed


def test_without_a_token_is_401(client, tenant):
    response = client.post("/musterhausen/api/v1/feeds", json={"scope": "mine"})
    assert_error(response, 401, "unauthorized")
    assert feed_count() == 0


def test_the_url_is_built_from_base_url(app, api, tenant, citizen, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://buchung.example.de")
    response = api(citizen, tenant).post("/feeds", json={"scope": "mine"})
    assert response.status_code == 201
    url = response.get_json()["url"]
    assert url.startswith("https://buchung.example.de/musterhausen/feeds/")
    assert url.endswith(".ics")


def test_staff_get_the_tenant_feed_others_403(api, tenant, clerk, admin, citizen, caretaker):
    for user in (clerk, admin):
        feed, _plain = created(api(user, tenant).post("/feeds", json={"scope": "tenant"}))
        assert feed.scope == "tenant"
    for user in (citizen, caretaker):
        response = api(user, tenant).post("/feeds", json={"scope": "tenant"})
        assert_error(response, 403, "forbidden")
    assert feed_count() == 2


def test_resource_feed_for_staff_and_assigned_caretakers(api, tenant, clerk, caretaker, halls):
    dgh, part, other = halls
    for user, resource in ((clerk, other), (caretaker, dgh), (caretaker, part)):
        body = {"scope": "resource", "resource_id": resource.id}
        feed, _plain = created(api(user, tenant).post("/feeds", json=body))
        assert (feed.user_id, feed.resource_id) == (user.id, resource.id)


def test_a_caretakers_halls_in_one_feed_without_a_resource_id(api, tenant, caretaker, citizen):
    feed, _plain = created(api(caretaker, tenant).post("/feeds", json={"scope": "resource"}))
    assert (feed.scope, feed.resource_id) == ("resource", None)
    response = api(citizen, tenant).post("/feeds", json={"scope": "resource"})
    assert_error(response, 422, "validation")
    assert feed_count() == 1


@pytest.mark.parametrize("who", ["citizen", "caretaker"])
def test_resource_feed_refused_with_403(api, tenant, citizen, caretaker, halls, who):
    user = {"citizen": citizen, "caretaker": caretaker}[who]
    body = {"scope": "resource", "resource_id": halls[2].id}  # the Sporthalle: not theirs
    assert_error(api(user, tenant).post("/feeds", json=body), 403, "forbidden")
    assert feed_count() == 0


def test_cemetery_feed(api, tenant, clerk, caretaker, citizen, cemetery):
    body = {"scope": "cemetery", "cemetery_id": cemetery.id}
    for user in (clerk, caretaker):  # the caretaker looks after its chapel
        feed, _plain = created(api(user, tenant).post("/feeds", json=body))
        assert feed.cemetery_id == cemetery.id
    assert_error(api(citizen, tenant).post("/feeds", json=body), 403, "forbidden")
    assert feed_count() == 2


@pytest.mark.parametrize(
    "body",
    [
        {"scope": "resource", "resource_id": "{foreign_hall}"},
        {"scope": "cemetery", "cemetery_id": "{foreign_cemetery}"},
        {"scope": "resource", "resource_id": 987654},
        {"scope": "resource", "resource_id": 99999999999},
        {"scope": "cemetery", "cemetery_id": 987654},
    ],
)
def test_another_tenants_or_unknown_object_is_404(
    api, tenant, clerk, foreign_hall, foreign_cemetery, body
):
    ids = {"{foreign_hall}": foreign_hall.id, "{foreign_cemetery}": foreign_cemetery.id}
    body = {key: ids.get(value, value) for key, value in body.items()}
    assert_error(api(clerk, tenant).post("/feeds", json=body), 404, "not_found")
    assert feed_count() == 0


def test_a_hidden_resource_is_404_for_a_citizen(api, tenant, citizen, make_resource):
    internal = make_resource("Bauhof", public=False)
    body = {"scope": "resource", "resource_id": internal.id}
    assert_error(api(citizen, tenant).post("/feeds", json=body), 404, "not_found")
    assert feed_count() == 0


def test_another_tenants_user_cannot_use_their_roles_here(
    api, tenant, other_tenant, make_user, halls
):
    foreign_clerk = make_user("clerk@andersdorf.example", tenant=other_tenant, roles=("clerk",))
    client = api(foreign_clerk, tenant)
    assert_error(client.post("/feeds", json={"scope": "tenant"}), 403, "forbidden")
    body = {"scope": "resource", "resource_id": halls[0].id}
    assert_error(client.post("/feeds", json=body), 403, "forbidden")
    assert feed_count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "scope"),
        ({"scope": ""}, "scope"),
        ({"scope": "everything"}, "scope"),
        ({"scope": "resource"}, "resource_id"),
        ({"scope": "resource", "resource_id": None}, "resource_id"),
        ({"scope": "cemetery"}, "cemetery_id"),
    ],
)
def test_unknown_scope_or_missing_id_is_422(api, tenant, clerk, body, field):
    error = assert_error(api(clerk, tenant).post("/feeds", json=body), 422, "validation")
    assert field in error["details"]["fields"], error
    assert feed_count() == 0


@pytest.mark.parametrize(
    "body",
    [
        {"scope": "resource", "resource_id": "abc"},
        {"scope": "resource", "resource_id": 1.5},
        {"scope": "resource", "resource_id": True},
        {"scope": "cemetery", "cemetery_id": [1]},
        {"scope": 5},
        {"scope": "mine\u0000"},
    ],
)
def test_wrong_types_are_400(api, tenant, clerk, body):
    assert_error(api(clerk, tenant).post("/feeds", json=body), 400, "bad_request")
    assert feed_count() == 0


@pytest.mark.parametrize("data", ["{", "[]", '"mine"', "", "null"])
def test_malformed_json_is_400(api, tenant, clerk, data):
    client = api(clerk, tenant)
    response = client._call("POST", "/feeds", data=data, content_type="application/json")
    assert_error(response, 400, "bad_request")
    assert feed_count() == 0


# --- revoking ------------------------------------------------------------------------------


def _feed(tenant, user, scope="mine", **objects):
    feed, plain = tokens.create_feed(tenant, user, scope, now=utcnow(), **objects)
    db.session.commit()
    return feed, plain


def _revoked(feed) -> bool:
    db.session.expire_all()
    return db.session.get(FeedToken, feed.id).revoked_at is not None


def test_owner_revokes_with_204_and_the_url_is_dead(app, api, client, tenant, citizen):
    feed, plain = _feed(tenant, citizen)
    owner = api(citizen, tenant)
    response = owner.delete(f"/feeds/{feed.id}")
    assert response.status_code == 204 and response.get_data() == b""
    assert _revoked(feed)
    assert tokens.feed_for_token(tenant, plain) is None
    assert_error(owner.delete(f"/feeds/{feed.id}"), 404, "not_found")
    if "feeds.feed" in app.view_functions:
        assert client.get(f"/musterhausen/feeds/{plain}.ics").status_code == 404


def test_admin_revokes_anyones_feed(api, tenant, admin, caretaker, halls):
    feed, _plain = _feed(tenant, caretaker, "resource", resource=halls[0])
    assert api(admin, tenant).delete(f"/feeds/{feed.id}").status_code == 204
    assert _revoked(feed)


def test_nobody_else_revokes(api, tenant, citizen, other_citizen, clerk, caretaker):
    feed, _plain = _feed(tenant, citizen)
    for user in (other_citizen, clerk, caretaker):
        assert_error(api(user, tenant).delete(f"/feeds/{feed.id}"), 404, "not_found")
    assert not _revoked(feed)


def test_another_tenants_feed_is_404_even_for_its_admin_here(
    api, tenant, other_tenant, admin, make_user
):
    foreign_owner = make_user("owner@andersdorf.example")
    feed, _plain = _feed(other_tenant, foreign_owner)
    # Our admin, on our tenant's path: not ours.
    assert_error(api(admin, tenant).delete(f"/feeds/{feed.id}"), 404, "not_found")
    # Our admin on the other tenant's path: no admin there.
    assert_error(api(admin, other_tenant).delete(f"/feeds/{feed.id}"), 404, "not_found")
    # The owner on our tenant's path: the feed is not of this tenant.
    assert_error(api(foreign_owner, tenant).delete(f"/feeds/{feed.id}"), 404, "not_found")
    assert not _revoked(feed)


@pytest.mark.parametrize("feed_id", ["987654", "99999999999", "abc", "-1"])
def test_unknown_or_malformed_ids_are_404(api, tenant, admin, feed_id):
    assert api(admin, tenant).delete(f"/feeds/{feed_id}").status_code == 404


def test_nothing_lists_the_token_afterwards(api, tenant, citizen):
    response = api(citizen, tenant).post("/feeds", json={"scope": "mine"})
    _feed_row, plain = created(response)
    stored = db.session.scalars(select(FeedToken.token_hash)).all()
    assert plain not in stored


def test_one_person_holds_at_most_twenty_feeds(api, tenant, citizen):
    from booking.feeds.tokens import MAX_FEEDS_PER_PERSON

    client = api(citizen, tenant)
    for _ in range(MAX_FEEDS_PER_PERSON):
        created(client.post("/feeds", json={"scope": "mine"}))
    error = assert_error(client.post("/feeds", json={"scope": "mine"}), 422, "validation")
    assert "scope" in error["details"]["fields"]
    assert feed_count() == MAX_FEEDS_PER_PERSON
