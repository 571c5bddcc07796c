"""One rule for every verb on a booking in the API: a booking the caller may
not see is 404, exactly like a missing id (no probing of ids); a caller who
sees it but lacks the right gets 403."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.extensions import db
from booking.reservations.models import Booking
from booking.resources import service as resources
from tests.api.helpers import assert_error

BERLIN = ZoneInfo("Europe/Berlin")
MISSING = 987_654


def local(hour: int) -> datetime:
    day = datetime.now(BERLIN).date() + timedelta(days=40)
    while day.weekday() != 2:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour)).replace(tzinfo=BERLIN)


def move_body() -> dict:
    return {"start": local(19).isoformat(), "end": local(21).isoformat()}


# verb -> (method, path with {b} booking and {o} occurrence, body)
VERBS = {
    "get": ("GET", "/bookings/{b}", None),
    "approve": ("POST", "/bookings/{b}/approve", None),
    "reject": ("POST", "/bookings/{b}/reject", {"reason": "nein"}),
    "cancel": ("POST", "/bookings/{b}/cancel", None),
    "cancel one date": ("POST", "/bookings/{b}/occurrences/{o}/cancel", None),
    "cancel the rest": ("POST", "/bookings/{b}/occurrences/{o}/cancel", {"following": True}),
    "move one date": ("POST", "/bookings/{b}/occurrences/{o}/move", move_body()),
}


def call(client, verb: str, booking_id: int, occurrence_id: int):
    method, path, body = VERBS[verb]
    path = path.format(b=booking_id, o=occurrence_id)
    return client.get(path) if method == "GET" else client.post(path, json=body)


@pytest.fixture
def request_of_citizen(api, tenant, citizen, make_resource):
    hall = make_resource("Bürgerhaus", requires_approval=True)
    response = api(citizen, tenant).post(
        "/bookings",
        json={
            "resource_id": hall.id,
            "start": local(18).isoformat(),
            "end": local(20).isoformat(),
            "title": "Geburtstag",
        },
    )
    assert response.status_code == 201, response.json
    return response.json


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_someone_elses_booking_is_404_like_a_missing_one(
    api, tenant, other_citizen, request_of_citizen, verb
):
    foreign = api(other_citizen, tenant)
    booking_id = request_of_citizen["id"]
    occurrence_id = request_of_citizen["occurrences"][0]["id"]
    existing = assert_error(call(foreign, verb, booking_id, occurrence_id), 404, "not_found")
    missing = assert_error(call(foreign, verb, MISSING, MISSING), 404, "not_found")
    assert existing == missing  # the same answer: nothing to learn from the id
    missing_date = assert_error(call(foreign, verb, booking_id, MISSING), 404, "not_found")
    assert missing_date == missing
    db.session.expire_all()
    assert db.session.get(Booking, booking_id).status == "requested"


@pytest.mark.parametrize("verb", [v for v in sorted(VERBS) if VERBS[v][0] == "POST"])
def test_a_malformed_body_does_not_tell_that_a_booking_exists(
    api, tenant, other_citizen, request_of_citizen, verb
):
    """The object is looked up before the body is read: a 400 for a bad body
    on someone else's booking would tell that the id exists."""
    _method, path, _body = VERBS[verb]
    foreign = api(other_citizen, tenant)
    booking_id = request_of_citizen["id"]
    occurrence_id = request_of_citizen["occurrences"][0]["id"]
    bad = {"reason": 5, "following": "ja", "start": 5, "end": None}
    existing = foreign.post(path.format(b=booking_id, o=occurrence_id), json=bad)
    missing = foreign.post(path.format(b=MISSING, o=MISSING), json=bad)
    assert existing.status_code == missing.status_code == 404
    assert existing.json == missing.json


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_another_municipalitys_staff_get_404(api, make_tenant, make_user, request_of_citizen, verb):
    elsewhere = make_tenant("nachbarort")
    foreign_admin = make_user(tenant=elsewhere, roles=("admin",))
    client = api(foreign_admin, elsewhere)
    booking_id = request_of_citizen["id"]
    occurrence_id = request_of_citizen["occurrences"][0]["id"]
    assert_error(call(client, verb, booking_id, occurrence_id), 404, "not_found")


@pytest.mark.parametrize("verb", ["approve", "reject"])
def test_the_owner_sees_the_booking_but_may_not_decide_it(
    api, tenant, citizen, request_of_citizen, verb
):
    own = api(citizen, tenant)
    assert_error(call(own, verb, request_of_citizen["id"], 0), 403, "forbidden")
    assert own.get(f"/bookings/{request_of_citizen['id']}").status_code == 200


@pytest.mark.parametrize(
    "verb", ["approve", "reject", "cancel", "cancel one date", "move one date"]
)
def test_an_assigned_caretaker_sees_it_but_may_not_change_it(
    api, tenant, make_user, request_of_citizen, verb
):
    booking = db.session.get(Booking, request_of_citizen["id"])
    caretaker = make_user(tenant=tenant, roles=("caretaker",))
    resources.add_caretaker(tenant, None, booking.resource, caretaker)
    db.session.commit()
    client = api(caretaker, tenant)
    occurrence_id = request_of_citizen["occurrences"][0]["id"]
    assert client.get(f"/bookings/{booking.id}").status_code == 200
    assert_error(call(client, verb, booking.id, occurrence_id), 403, "forbidden")


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_a_clerk_may_do_everything(api, tenant, clerk, request_of_citizen, verb):
    client = api(clerk, tenant)
    occurrence_id = request_of_citizen["occurrences"][0]["id"]
    response = call(client, verb, request_of_citizen["id"], occurrence_id)
    assert response.status_code == 200, response.json
    assert response.json["id"] == request_of_citizen["id"]


def test_the_owner_may_still_cancel_their_own_request(api, tenant, citizen, request_of_citizen):
    response = api(citizen, tenant).post(f"/bookings/{request_of_citizen['id']}/cancel")
    assert response.status_code == 200
    assert response.json["status"] == "cancelled"
