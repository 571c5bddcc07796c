"""Serving feeds: who gets 404 (nothing says why), the public busy feed
carries nothing personal, conditional requests answer 304 without rendering,
HEAD, headers, no session or cookie."""

from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar

from booking.accounts import service as accounts
from booking.core import utcnow
from booking.extensions import db
from booking.feeds import cache
from booking.feeds.models import FeedToken
from booking.feeds.tokens import revoke_feed
from booking.logs import redact
from booking.resources import service as resources
from tests.feeds.feed_helpers import book, by_uid, events, soon, subscribe


def assert_plain_404(response):
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    for word in ("widerrufen", "revoked", "Rolle", "deaktiviert", "Token"):
        assert word not in text


def test_a_revoked_token_is_404_at_once(client, tenant, clerk, hall):
    path = subscribe(tenant, clerk, "resource", resource=hall)
    assert client.get(path).status_code == 200
    feed = db.session.query(FeedToken).one()
    revoke_feed(feed, utcnow())
    db.session.commit()
    assert_plain_404(client.get(path))
    assert_plain_404(client.head(path))


def test_a_token_under_another_tenants_slug_is_404(client, tenant, clerk, hall, make_tenant):
    other = make_tenant("nachbarort")
    path = subscribe(tenant, clerk, "tenant")
    assert client.get(path).status_code == 200
    assert_plain_404(client.get(path.replace(f"/{tenant.slug}/", f"/{other.slug}/")))


@pytest.mark.parametrize("token", ["x", "A" * 43, "A" * 500, "%00"])
def test_unknown_tokens_are_404(client, tenant, token):
    response = client.get(f"/{tenant.slug}/feeds/{token}.ics")
    assert response.status_code in (400, 404)


def test_a_caretaker_who_lost_the_role_is_404(client, tenant, hall, caretaker):
    path = subscribe(tenant, caretaker, "resource", resource=hall)
    assert client.get(path).status_code == 200
    accounts.revoke_role(tenant, None, caretaker, "caretaker")
    db.session.commit()
    assert_plain_404(client.get(path))


def test_a_caretaker_no_longer_assigned_is_404(client, tenant, hall, caretaker):
    path = subscribe(tenant, caretaker, "resource", resource=hall)
    resources.remove_caretaker(tenant, None, hall, caretaker.id)
    db.session.commit()
    assert_plain_404(client.get(path))
    # Assigned again: the old address stays dead (a lost phone's copy too).
    resources.add_caretaker(tenant, None, hall, caretaker)
    db.session.commit()
    assert_plain_404(client.get(path))


def test_a_deactivated_owner_is_404(client, tenant, clerk, citizen):
    staff_path = subscribe(tenant, clerk, "tenant")
    mine_path = subscribe(tenant, citizen, "mine")
    clerk.active = False
    citizen.active = False
    db.session.commit()
    assert_plain_404(client.get(staff_path))
    assert_plain_404(client.get(mine_path))
    clerk.active = citizen.active = True  # switched on again: the old addresses stay dead
    db.session.commit()
    assert_plain_404(client.get(staff_path))
    assert_plain_404(client.get(mine_path))


def test_a_clerk_who_lost_the_role_is_404(client, tenant, clerk):
    path = subscribe(tenant, clerk, "tenant")
    accounts.revoke_role(tenant, None, clerk, "clerk")
    db.session.commit()
    assert_plain_404(client.get(path))
    accounts.grant_role(tenant, None, clerk, "clerk")
    db.session.commit()
    assert_plain_404(client.get(path))


def test_losing_one_role_leaves_the_feeds_the_others_cover(client, tenant, hall, make_user):
    both = make_user("zwei@example.org", tenant=tenant, roles=("clerk", "caretaker"))
    resources.add_caretaker(tenant, None, hall, both)
    db.session.commit()
    tenant_path = subscribe(tenant, both, "tenant")
    halls_path = subscribe(tenant, both, "resource")
    mine_path = subscribe(tenant, both, "mine")
    accounts.revoke_role(tenant, None, both, "clerk")
    db.session.commit()
    assert_plain_404(client.get(tenant_path))
    assert client.get(halls_path).status_code == 200
    assert client.get(mine_path).status_code == 200


def test_no_login_session_or_cookie(client, tenant, clerk):
    path = subscribe(tenant, clerk, "tenant")
    response = client.get(path)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"].startswith("private")
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_the_token_never_reaches_a_log_line(tenant):
    line = f'127.0.0.1 - - "GET /{tenant.slug}/feeds/SECRETTOKEN123.ics HTTP/1.1" 200'
    assert "SECRETTOKEN123" not in redact(line)
    # Other spellings reach the same route: escaped letters or slash, capitals.
    for path in (
        "feeds%2FSECRETTOKEN123.ics",
        "fe%65ds/SECRETTOKEN123.ics",
        "FEEDS/SECRETTOKEN123",
    ):
        assert "SECRETTOKEN123" not in redact(f"GET /{tenant.slug}/{path} HTTP/1.1"), path


def test_polling_is_not_rate_limited(client, tenant, clerk):
    path = subscribe(tenant, clerk, "tenant")
    for _ in range(30):
        assert client.get(path).status_code == 200


# --- conditional requests, HEAD ---------------------------------------------------------


def test_if_none_match_answers_304_without_rendering(client, tenant, clerk, citizen, hall):
    book(tenant, citizen, hall, soon(10))
    path = subscribe(tenant, clerk, "resource", resource=hall)
    first = client.get(path)
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"]
    renders = cache.renders
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag
    assert cache.renders == renders
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


def test_if_modified_since_answers_304(client, tenant, clerk, citizen, hall):
    book(tenant, citizen, hall, soon(10))
    path = subscribe(tenant, clerk, "resource", resource=hall)
    first = client.get(path)
    stamp = first.headers["Last-Modified"]
    renders = cache.renders
    response = client.get(path, headers={"If-Modified-Since": stamp})
    assert response.status_code == 304
    assert cache.renders == renders
    old = "Mon, 01 Jan 2024 00:00:00 GMT"
    assert client.get(path, headers={"If-Modified-Since": old}).status_code == 200


def test_a_change_answers_200_to_the_old_etag(client, tenant, clerk, citizen, hall):
    path = subscribe(tenant, clerk, "resource", resource=hall)
    first = client.get(path)
    booking = book(tenant, citizen, hall, soon(10), title="Neu")
    response = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert response.status_code == 200
    assert response.headers["ETag"] != first.headers["ETag"]
    assert len(events(response.get_data())) == 1
    # A cancellation too (the count of dates stays the same).
    from booking.reservations import service as bookings

    second = response.headers["ETag"]
    bookings.cancel_booking(tenant, citizen, booking)
    db.session.commit()
    third = client.get(path, headers={"If-None-Match": second})
    assert third.status_code == 200
    (event,) = events(third.get_data())
    assert str(event["STATUS"]) == "CANCELLED"


def test_a_lifted_closure_changes_the_etag(client, tenant, clerk, hall):
    from booking.resources import closures

    path = subscribe(tenant, clerk, "tenant")
    closure = closures.create_closure(
        tenant,
        clerk,
        start=soon(5, "00:00"),
        end=soon(6, "00:00"),
        reason="Reinigung",
        resource=hall,
    )
    db.session.commit()
    with_closure = client.get(path)
    closures.delete_closure(tenant, clerk, closure.id)
    db.session.commit()
    response = client.get(path, headers={"If-None-Match": with_closure.headers["ETag"]})
    assert response.status_code == 200
    assert b"closure-" not in response.get_data()


def test_head_has_headers_and_no_body(client, tenant, clerk, citizen, hall):
    book(tenant, citizen, hall, soon(10))
    path = subscribe(tenant, clerk, "resource", resource=hall)
    get = client.get(path)
    head = client.head(path)
    assert head.status_code == 200
    assert head.get_data() == b""
    assert head.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert head.headers["ETag"] == get.headers["ETag"]
    assert int(head.headers["Content-Length"]) == len(get.get_data())
    conditional = client.head(path, headers={"If-None-Match": get.headers["ETag"]})
    assert conditional.status_code == 304


# --- the public busy feed ---------------------------------------------------------------


def make_private_booking(tenant, make_user, hall):
    applicant = make_user(
        "geheim.person@example.org", name="Gertrud Geheimname", roles=(), tenant=tenant
    )
    return book(
        tenant,
        applicant,
        hall,
        soon(10),
        title="Geheime Verlobungsfeier",
        contact_phone="0170 9876543",
        note="Bitte Blumen aufstellen",
        guests=30,
    )


PERSONAL = (
    b"Gertrud",
    b"Geheimname",
    b"geheim.person",
    b"example.org",
    b"0170",
    b"9876543",
    b"Verlobungsfeier",
    b"Geheime",
    b"Blumen",
    b"Familie Meier",
    b"DESCRIPTION",
)


def test_busy_feed_is_public_and_carries_nothing_personal(client, tenant, hall, make_user):
    booking = make_private_booking(tenant, make_user, hall)
    response = client.get(f"/{tenant.slug}/resources/{hall.id}/busy.ics")
    assert response.status_code == 200
    assert response.content_type == "text/calendar; charset=utf-8"
    body = response.get_data()
    for word in PERSONAL:
        assert word not in body, word
    (event,) = events(body)
    assert str(event["SUMMARY"]) == "belegt"
    assert (
        str(event["UID"]) == f"occurrence-{booking.occurrences[0].id}@{tenant.slug}.kommunalbuchung"
    )
    assert str(Calendar.from_ical(body)["X-WR-CALNAME"]) == "Bürgerhaus – belegt"
    assert response.headers["Cache-Control"].startswith("public")
    english = client.get(f"/{tenant.slug}/resources/{hall.id}/busy.ics?lang=en").get_data()
    assert str(events(english)[0]["SUMMARY"]) == "booked"


def test_busy_feed_shows_the_parts_and_the_whole(client, tenant, hall, citizen, make_resource):
    part = make_resource("Saal A", "room", parent=hall)
    whole = book(tenant, citizen, hall, soon(10))
    half = book(tenant, citizen, part, soon(12))
    body = client.get(f"/{tenant.slug}/resources/{part.id}/busy.ics").get_data()
    assert set(by_uid(body)) == {
        f"occurrence-{b.occurrences[0].id}@{tenant.slug}.kommunalbuchung" for b in (whole, half)
    }


def test_busy_feed_of_a_hidden_or_foreign_resource_is_404(
    client, tenant, make_resource, make_tenant
):
    hidden = make_resource("Lager", public=False)
    part_of_hidden = make_resource("Keller", "room", parent=hidden)
    other = make_tenant("nachbarort")
    foreign = make_resource("Fremdhalle", of_tenant=other)
    for rid in (hidden.id, part_of_hidden.id, foreign.id, 999999, 2**63):
        assert_plain_404(client.get(f"/{tenant.slug}/resources/{rid}/busy.ics"))
        response = client.get(f"/{tenant.slug}/api/v1/resources/{rid}/busy.ics")
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"


def test_busy_feed_under_the_api_base_needs_no_token(client, tenant, hall, make_user):
    make_private_booking(tenant, make_user, hall)
    response = client.get(f"/{tenant.slug}/api/v1/resources/{hall.id}/busy.ics")
    assert response.status_code == 200
    body = response.get_data()
    for word in PERSONAL:
        assert word not in body, word
    assert str(events(body)[0]["SUMMARY"]) == "belegt"
    plain = client.get(f"/{tenant.slug}/resources/{hall.id}/busy.ics")
    assert plain.headers["ETag"] == response.headers["ETag"]


def test_busy_feed_marks_a_cancelled_date_cancelled(client, tenant, hall, citizen):
    from booking.reservations import service as bookings

    booking = book(tenant, citizen, hall, soon(10), title="Absage")
    bookings.cancel_booking(tenant, citizen, booking, reason="Carla ist krank")
    db.session.commit()
    body = client.get(f"/{tenant.slug}/resources/{hall.id}/busy.ics").get_data()
    (event,) = events(body)
    assert str(event["STATUS"]) == "CANCELLED"
    assert b"Carla" not in body and b"krank" not in body and b"Absage" not in body


def test_the_window_day_is_part_of_the_version(app, tenant, clerk):
    from booking.feeds import render

    feed = db.session.query(FeedToken).first()
    assert feed is None
    subscribe(tenant, clerk, "tenant")
    feed = db.session.query(FeedToken).one()
    spec = render.spec_for_token(tenant, feed)
    now = utcnow()
    today = render.version(spec, render.window(tenant, now))
    tomorrow = render.version(spec, render.window(tenant, now + timedelta(days=1)))
    assert today.etag != tomorrow.etag


def test_gzip_for_clients_that_accept_it(client, tenant, clerk, citizen, hall):
    import gzip

    book(tenant, citizen, hall, soon(10), title="Komprimiert")
    path = subscribe(tenant, clerk, "resource", resource=hall)
    plain = client.get(path)
    assert "Content-Encoding" not in plain.headers
    for _ in range(2):  # rendered, then from the cache
        packed = client.get(path, headers={"Accept-Encoding": "gzip, deflate"})
        assert packed.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in packed.headers["Vary"]
        assert packed.headers["ETag"] == plain.headers["ETag"]
        assert gzip.decompress(packed.get_data()) == plain.get_data()
    refused = client.get(path, headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers
    assert refused.get_data() == plain.get_data()


def test_busy_feed_does_not_name_a_part_that_is_not_public(
    client, tenant, hall, citizen, clerk, make_resource
):
    secret = make_resource("Geheimkeller", "room", parent=hall, public=False)
    book(tenant, clerk, secret, soon(10))
    body = client.get(f"/{tenant.slug}/resources/{hall.id}/busy.ics").get_data()
    (event,) = events(body)
    assert b"Geheimkeller" not in body
    assert str(event["LOCATION"]) == "Bürgerhaus, Hauptstraße 1, 12345 Musterhausen"
    assert_plain_404(client.get(f"/{tenant.slug}/resources/{secret.id}/busy.ics"))


def test_removing_personal_data_changes_the_etag(client, tenant, clerk, citizen, hall):
    """Deleting an account or the retention job bump no timestamp: the
    version still sees it, so no calendar keeps the old name or phone."""
    from sqlalchemy import update

    from booking.reservations.models import Booking

    booking = book(tenant, citizen, hall, soon(10), contact_phone="0170 1")
    path = subscribe(tenant, clerk, "tenant")
    before = client.get(path)
    assert b"Carla Citizen" in before.get_data()
    db.session.execute(
        update(Booking).where(Booking.id == booking.id).values(user_id=None, contact_phone=None)
    )
    db.session.commit()
    after = client.get(path, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert b"Carla Citizen" not in after.get_data() and b"0170 1" not in after.get_data()
