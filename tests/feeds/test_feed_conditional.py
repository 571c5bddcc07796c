"""A poll whose copy is current (If-None-Match) is answered from the version
query alone: nothing rendered, the cached bytes not read, and the same few
statements however many dates the feed holds."""

from __future__ import annotations

from datetime import timedelta

from booking.extensions import db
from booking.feeds import cache
from tests.feeds.feed_helpers import book, soon, subscribe


def test_a_304_renders_nothing_reads_no_cache_row_and_does_not_grow(
    client, tenant, clerk, citizen, hall, count_queries
):
    path = subscribe(tenant, clerk, "resource", resource=hall)

    def poll_304() -> list[str]:
        etag = client.get(path).headers["ETag"]  # renders (or reads) the current version
        db.session.commit()
        renders = cache.renders
        with count_queries() as statements:
            response = client.get(path, headers={"If-None-Match": etag})
        assert response.status_code == 304
        assert response.get_data() == b""
        assert cache.renders == renders
        return statements

    book(tenant, citizen, hall, soon(10))
    few = poll_304()
    for n in range(12):
        book(tenant, citizen, hall, soon(11 + n) + timedelta(hours=n % 3))
    many = poll_304()
    assert len(many) == len(few)
    assert not [s for s in many if "feed_cache" in s.lower()]


def test_a_stale_etag_is_served_from_the_cache_without_rendering(
    client, tenant, clerk, citizen, hall
):
    book(tenant, citizen, hall, soon(10))
    path = subscribe(tenant, clerk, "resource", resource=hall)
    first = client.get(path, headers={"Accept-Encoding": "gzip"})
    renders = cache.renders
    again = client.get(path, headers={"If-None-Match": '"old"', "Accept-Encoding": "gzip"})
    assert again.status_code == 200
    assert again.headers["Content-Encoding"] == "gzip"
    assert again.get_data() == first.get_data()
    assert cache.renders == renders
