"""The cache of rendered feeds: an unchanged feed is never rendered twice;
a committed change the feed shows makes the next poll render anew, a change
it does not show (another hall, another tenant) or a rolled-back one does
not; two writers of one key are no error; a GET writes nothing but the cache."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking.core import utcnow
from booking.extensions import db
from booking.feeds import cache
from booking.feeds.models import FeedCache, FeedToken
from booking.jobs import registry
from booking.reservations import service as bookings
from booking.resources import closures
from booking.resources import service as resources
from tests.conftest import PASSWORD
from tests.feeds.feed_helpers import book, events, soon, subscribe


@pytest.fixture
def hall(make_resource):
    return make_resource("Bürgerhaus", address="Hauptstraße 1", observe_holidays=False)


def cached_keys() -> set[str]:
    db.session.rollback()
    return set(db.session.scalars(select(FeedCache.key)))


def test_a_second_get_is_served_from_the_cache(client, tenant, clerk, citizen, hall):
    book(tenant, citizen, hall, soon(10))
    path = subscribe(tenant, clerk, "resource", resource=hall)
    before = cache.renders
    first = client.get(path)
    assert cache.renders == before + 1
    assert cached_keys() == {f"{tenant.id}:resource:{hall.id}:staff:de"}
    second = client.get(path)
    assert cache.renders == before + 1
    assert second.get_data() == first.get_data()
    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.headers["Last-Modified"] == first.headers["Last-Modified"]


def test_staff_of_one_resource_share_one_rendering(client, tenant, clerk, admin, hall):
    first = subscribe(tenant, clerk, "resource", resource=hall)
    second = subscribe(tenant, admin, "resource", resource=hall)
    before = cache.renders
    assert client.get(first).get_data() == client.get(second).get_data()
    assert cache.renders == before + 1


def polled_anew(client, path: str) -> bool:
    """GET ``path``; whether that rendered the feed (rather than reading the cache)."""
    before = cache.renders
    assert client.get(path).status_code == 200
    return cache.renders == before + 1


def test_a_committed_change_renders_only_the_feeds_that_show_it(
    client, tenant, clerk, citizen, hall, make_tenant, make_resource, make_user
):
    other = make_tenant("nachbarort")
    other_clerk = make_user("c2@example.org", tenant=other, roles=("clerk",))
    elsewhere = make_resource("Sporthalle")
    whole = subscribe(tenant, clerk, "tenant")
    this_hall = subscribe(tenant, clerk, "resource", resource=hall)
    other_hall = subscribe(tenant, clerk, "resource", resource=elsewhere)
    other_tenant = subscribe(other, other_clerk, "tenant")
    paths = (whole, this_hall, other_hall, other_tenant)
    assert [polled_anew(client, p) for p in paths] == [True] * 4
    assert [polled_anew(client, p) for p in paths] == [False] * 4

    book(tenant, citizen, hall, soon(10))
    assert [polled_anew(client, p) for p in paths] == [True, True, False, False]
    assert len(events(client.get(whole).get_data())) == 1
    assert len(cached_keys()) == 4  # replaced, not added


@pytest.mark.parametrize("change", ["closure", "resource", "cancel"])
def test_every_kind_of_change_renders_anew(client, tenant, clerk, citizen, admin, hall, change):
    booking = book(tenant, citizen, hall, soon(10))
    path = subscribe(tenant, clerk, "tenant")
    etag = client.get(path).headers["ETag"]
    assert not polled_anew(client, path)
    if change == "closure":
        closures.create_closure(
            tenant, clerk, start=soon(20, "00:00"), end=soon(21, "00:00"), reason="Putz"
        )
    elif change == "resource":
        resources.update_resource(tenant, admin, hall, key_handover="Im Rathaus")
    else:
        bookings.cancel_booking(tenant, citizen, booking)
    db.session.commit()
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 200
    assert not polled_anew(client, path)  # and then from the cache again


def test_a_rolled_back_change_renders_nothing_anew(client, tenant, clerk, citizen, hall):
    book(tenant, citizen, hall, soon(10))
    path = subscribe(tenant, clerk, "tenant")
    client.get(path)
    bookings.create_booking(tenant, citizen, hall, soon(12), soon(12, "20:00"), "Nie")
    db.session.flush()
    db.session.rollback()
    assert not polled_anew(client, path)


def test_a_get_writes_nothing_but_the_cache(client, tenant, clerk, count_queries):
    path = subscribe(tenant, clerk, "tenant")
    client.get(path)
    db.session.rollback()
    with count_queries() as statements:
        client.get(path)
    writes = [
        s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    db.session.rollback()
    db.session.execute(FeedCache.__table__.delete())
    db.session.commit()
    with count_queries() as statements:
        client.get(path)
    writes = [
        s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert len(writes) == 1 and "feed_cache" in writes[0]
    token = db.session.scalars(select(FeedToken)).one()
    assert token.revoked_at is None


def test_a_cached_poll_takes_three_queries_at_most(
    client, tenant, clerk, citizen, hall, count_queries
):
    book(tenant, citizen, hall, soon(10), recurrence={"freq": "weekly", "count": 10})
    path = subscribe(tenant, clerk, "tenant")
    etag = client.get(path).headers["ETag"]
    with count_queries() as statements:
        client.get(path)
    feed_queries = [s for s in statements if "feed_cache" in s or "count(" in s.lower()]
    assert len(feed_queries) == 2  # the version, the cached bytes
    with count_queries() as statements:
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert not [s for s in statements if "feed_cache" in s]


def test_two_writers_of_one_key_are_no_error(app, tenant):
    cache.store("k", tenant.id, "v1", b"one")
    db.session.commit()
    cache.store("k", tenant.id, "v1", b"two")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(FeedCache)) == 1
    assert cache.decompress(cache.cached("k", "v1")[0]) == b"two"


@pytest.mark.postgres_only  # SQLite serialises writers: no race to run
def test_concurrent_first_polls_do_not_fail(app, client, tenant, clerk):
    """Several workers rendering the same key at once: all answer 200."""
    path = subscribe(tenant, clerk, "tenant")
    results: list[int] = []
    barrier = threading.Barrier(4)

    def poll() -> None:
        with app.app_context():
            barrier.wait()
            results.append(app.test_client().get(path).status_code)
            db.session.remove()

    threads = [threading.Thread(target=poll) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * 4
    assert len(cached_keys()) == 1


def test_a_stale_row_is_replaced_not_added(client, tenant, clerk, citizen, hall):
    path = subscribe(tenant, clerk, "tenant")
    client.get(path)
    db.session.rollback()
    row = db.session.scalars(select(FeedCache)).one()
    row.version = "old"
    db.session.commit()
    client.get(path)
    db.session.rollback()
    rows = db.session.scalars(select(FeedCache)).all()
    assert len(rows) == 1 and rows[0].version != "old"
    assert rows[0].rendered_at <= utcnow()


def test_rows_not_rendered_for_a_week_are_purged_by_the_job(client, tenant, clerk, citizen):
    old, fresh = subscribe(tenant, clerk, "tenant"), subscribe(tenant, citizen, "mine")
    client.get(old)
    client.get(fresh)
    db.session.execute(
        FeedCache.__table__.update()
        .where(FeedCache.key.like("%:tenant:%"))
        .values(rendered_at=utcnow() - cache.KEEP - timedelta(minutes=1))
    )
    db.session.commit()
    assert registry.get("feeds.purge_cache").run(utcnow()) == {"dropped": 1}
    db.session.commit()
    assert cached_keys() == {f"{tenant.id}:mine:user:{citizen.id}:de"}
    assert polled_anew(client, old)  # rendered once more when polled again


def test_deleting_an_account_drops_its_own_cached_feeds(client, login, tenant, citizen, clerk):
    mine, staff = subscribe(tenant, citizen, "mine"), subscribe(tenant, clerk, "tenant")
    client.get(mine)
    client.get(staff)
    login(citizen)
    response = client.post(
        "/account/delete", data={"delete-password": PASSWORD, "delete-sure": "y"}
    )
    assert response.status_code == 302
    assert cached_keys() == {f"{tenant.id}:tenant:staff:de"}
