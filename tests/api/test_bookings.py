"""The Bookings calls of API.md: shapes, error shapes, access."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from booking.core import ValidationFailed
from booking.extensions import db
from booking.reservations import service
from booking.reservations.models import Booking, Claim
from booking.resources.models import ResourceCaretaker
from tests.times import at, iso


def body(resource, day, start="18:00", end="20:00", **extra):
    return {
        "resource_id": resource.id,
        "start": iso(at(day, start)),
        "end": iso(at(day, end)),
        "title": "Jahreshauptversammlung",
        **extra,
    }


def active_claims() -> int:
    return db.session.scalar(select(func.count()).select_from(Claim).where(Claim.active.is_(True)))


def test_create_answers_201_with_the_documented_shape(tenant, make_resource, citizen, api, day):
    room = make_resource()
    response = api(citizen, tenant).post("/bookings", json=body(room, day))
    assert response.status_code == 201
    data = response.json
    assert set(data) == {
        "id",
        "status",
        "resource_id",
        "title",
        "guests",
        "contact_phone",
        "occurrences",
        "skipped",
        "fee",
    }
    assert data["status"] == "confirmed"
    assert data["resource_id"] == room.id
    assert data["title"] == "Jahreshauptversammlung"
    assert data["skipped"] == []
    assert data["fee"] == {"amount_cents": 0, "currency": "EUR", "items": [], "deposit_cents": 0}
    (occ,) = data["occurrences"]
    assert set(occ) == {"id", "start", "end", "status"}
    assert occ["start"] == iso(at(day, "18:00"))
    assert occ["status"] == "confirmed"
    assert occ["start"][-6:] in ("+01:00", "+02:00")


def test_a_resource_requiring_approval_gives_a_request(tenant, make_resource, citizen, api, day):
    room = make_resource(requires_approval=True)
    response = api(citizen, tenant).post("/bookings", json=body(room, day))
    assert response.status_code == 201
    assert response.json["status"] == "requested"
    assert response.json["occurrences"][0]["status"] == "requested"
    assert active_claims() == 1  # request_blocks defaults to True


def test_a_non_blocking_request_claims_nothing_until_approved(
    tenant, make_resource, citizen, clerk, api, day
):
    room = make_resource(requires_approval=True, request_blocks=False)
    response = api(citizen, tenant).post("/bookings", json=body(room, day))
    assert response.json["status"] == "requested"
    assert active_claims() == 0
    approved = api(clerk, tenant).post(f"/bookings/{response.json['id']}/approve")
    assert approved.status_code == 200
    assert approved.json["status"] == "confirmed"
    assert active_claims() == 1


def test_approval_rechecks_conflicts(
    tenant, make_resource, citizen, other_citizen, clerk, api, day
):
    room = make_resource(requires_approval=True, request_blocks=False)
    first = api(citizen, tenant).post("/bookings", json=body(room, day)).json
    second = (
        api(other_citizen, tenant).post("/bookings", json=body(room, day, "19:00", "21:00")).json
    )
    assert first["status"] == second["status"] == "requested"
    staff = api(clerk, tenant)
    assert staff.post(f"/bookings/{second['id']}/approve").status_code == 200
    response = staff.post(f"/bookings/{first['id']}/approve")
    assert response.status_code == 409
    assert response.json["error"]["details"]["conflicts"][0]["start"] == iso(at(day, "18:00"))
    assert db.session.get(Booking, first["id"]).status == "requested"
    # Rejecting it instead works.
    rejected = staff.post(f"/bookings/{first['id']}/reject", json={"reason": "belegt"})
    assert rejected.status_code == 200
    assert rejected.json["status"] == "rejected"


def test_approving_twice_is_422(tenant, make_resource, citizen, clerk, api, day):
    room = make_resource(requires_approval=True)
    booking_id = api(citizen, tenant).post("/bookings", json=body(room, day)).json["id"]
    staff = api(clerk, tenant)
    assert staff.post(f"/bookings/{booking_id}/approve").status_code == 200
    assert staff.post(f"/bookings/{booking_id}/approve").status_code == 422


def test_a_citizen_cannot_approve_or_reject(tenant, make_resource, citizen, api, day):
    room = make_resource(requires_approval=True)
    client = api(citizen, tenant)
    booking_id = client.post("/bookings", json=body(room, day)).json["id"]
    for action in ("approve", "reject"):
        response = client.post(f"/bookings/{booking_id}/{action}")
        assert response.status_code == 403
        assert response.json["error"]["code"] == "forbidden"
    assert db.session.get(Booking, booking_id).status == "requested"


def test_others_cannot_see_a_booking_the_owner_and_staff_can(
    tenant, make_resource, citizen, other_citizen, clerk, admin, api, day
):
    room = make_resource()
    booking_id = api(citizen, tenant).post("/bookings", json=body(room, day)).json["id"]
    assert api(citizen, tenant).get(f"/bookings/{booking_id}").status_code == 200
    assert api(clerk, tenant).get(f"/bookings/{booking_id}").status_code == 200
    assert api(admin, tenant).get(f"/bookings/{booking_id}").status_code == 200
    stranger = api(other_citizen, tenant)
    for response in (
        stranger.get(f"/bookings/{booking_id}"),
        stranger.post(f"/bookings/{booking_id}/cancel"),
    ):
        assert response.status_code == 404
        assert response.json["error"]["code"] == "not_found"
    assert db.session.get(Booking, booking_id).status == "confirmed"


def test_mine_lists_only_own_bookings(tenant, make_resource, citizen, other_citizen, api, day):
    room = make_resource()
    mine = api(citizen, tenant).post("/bookings", json=body(room, day)).json["id"]
    api(other_citizen, tenant).post("/bookings", json=body(room, day, "20:00", "22:00"))
    items = api(citizen, tenant).get("/bookings?mine=1").json["items"]
    assert [b["id"] for b in items] == [mine]


def test_listing_by_resource_is_for_staff_and_assigned_caretakers(
    tenant, hall_with_halves, citizen, clerk, make_user, api, day
):
    whole, a, b = hall_with_halves
    client = api(citizen, tenant)
    on_whole = client.post("/bookings", json=body(whole, day, "08:00", "10:00")).json["id"]
    on_a = client.post("/bookings", json=body(a, day)).json["id"]
    on_b = client.post("/bookings", json=body(b, day)).json["id"]
    caretaker = make_user("hausmeister@example.org", tenant=tenant, roles=("caretaker",))
    db.session.add(ResourceCaretaker(resource_id=a.id, user_id=caretaker.id))
    db.session.commit()
    window = f"start={iso(at(day, '00:00'))}&end={iso(at(day, '23:00'))}".replace("+", "%2B")

    response = api(clerk, tenant).get(f"/bookings?resource_id={a.id}&{window}")
    assert {i["id"] for i in response.json["items"]} == {on_whole, on_a}
    assert {i["id"] for i in api(clerk, tenant).get("/bookings").json["items"]} == {
        on_whole,
        on_a,
        on_b,
    }
    keeper = api(caretaker, tenant)
    assert {i["id"] for i in keeper.get(f"/bookings?resource_id={a.id}").json["items"]} == {
        on_whole,
        on_a,
    }
    assert keeper.get(f"/bookings?resource_id={b.id}").status_code == 403
    assert keeper.get("/bookings").status_code == 403
    assert keeper.get(f"/bookings/{on_a}").status_code == 200
    assert keeper.post(f"/bookings/{on_a}/cancel").status_code == 403
    assert client.get("/bookings").status_code == 403
    assert client.get(f"/bookings?resource_id={a.id}").status_code == 403
    # A later window finds nothing.
    later = f"start={iso(at(day + timedelta(days=1), '00:00'))}".replace("+", "%2B")
    assert api(clerk, tenant).get(f"/bookings?{later}").json["items"] == []


def test_cancel_releases_the_slot(tenant, hall_with_halves, citizen, other_citizen, api, day):
    whole, a, _b = hall_with_halves
    owner = api(citizen, tenant)
    booking_id = owner.post("/bookings", json=body(whole, day)).json["id"]
    assert api(other_citizen, tenant).post("/bookings", json=body(a, day)).status_code == 409
    response = owner.post(f"/bookings/{booking_id}/cancel")
    assert response.status_code == 200
    assert response.json["status"] == "cancelled"
    assert [o["status"] for o in response.json["occurrences"]] == ["cancelled"]
    assert active_claims() == 0
    assert api(other_citizen, tenant).post("/bookings", json=body(a, day)).status_code == 201
    # Cancelling again changes nothing.
    assert owner.post(f"/bookings/{booking_id}/cancel").json["status"] == "cancelled"


def test_cancel_one_date_and_the_rest_of_a_series(tenant, make_resource, citizen, api, day):
    room = make_resource(observe_holidays=False)
    client = api(citizen, tenant)
    data = client.post(
        "/bookings", json=body(room, day, recurrence={"freq": "weekly", "count": 4})
    ).json
    ids = [o["id"] for o in data["occurrences"]]
    one = client.post(f"/bookings/{data['id']}/occurrences/{ids[1]}/cancel")
    assert one.status_code == 200
    assert [o["status"] for o in one.json["occurrences"]] == [
        "confirmed",
        "cancelled",
        "confirmed",
        "confirmed",
    ]
    assert active_claims() == 3
    rest = client.post(
        f"/bookings/{data['id']}/occurrences/{ids[2]}/cancel", json={"following": True}
    )
    assert [o["status"] for o in rest.json["occurrences"]] == [
        "confirmed",
        "cancelled",
        "cancelled",
        "cancelled",
    ]
    assert rest.json["status"] == "confirmed"
    assert active_claims() == 1
    last = client.post(f"/bookings/{data['id']}/occurrences/{ids[0]}/cancel")
    assert last.json["status"] == "cancelled"
    assert active_claims() == 0


def test_an_occurrence_of_another_booking_is_404(tenant, make_resource, citizen, api, day):
    room = make_resource()
    client = api(citizen, tenant)
    first = client.post("/bookings", json=body(room, day)).json
    second = client.post("/bookings", json=body(room, day, "20:00", "21:00")).json
    other_occ = second["occurrences"][0]["id"]
    response = client.post(f"/bookings/{first['id']}/occurrences/{other_occ}/cancel")
    assert response.status_code == 404


def test_move_an_occurrence(tenant, make_resource, citizen, api, day):
    room = make_resource()
    client = api(citizen, tenant)
    data = client.post("/bookings", json=body(room, day)).json
    occ = data["occurrences"][0]["id"]
    client.post("/bookings", json=body(room, day, "21:00", "22:00"))
    moved = client.post(
        f"/bookings/{data['id']}/occurrences/{occ}/move",
        json={"start": iso(at(day, "18:30")), "end": iso(at(day, "20:30"))},
    )
    assert moved.status_code == 200, moved.json
    assert moved.json["occurrences"][0]["start"] == iso(at(day, "18:30"))
    clash = client.post(
        f"/bookings/{data['id']}/occurrences/{occ}/move",
        json={"start": iso(at(day, "20:00")), "end": iso(at(day, "21:30"))},
    )
    assert clash.status_code == 409


def test_conflict_answers_409_with_conflicts_and_suggestions(
    tenant, make_resource, citizen, other_citizen, api, day
):
    room = make_resource("Bürgerhaus", capacity=150, hours={day.weekday(): ("08:00", "23:00")})
    make_resource("Kleiner Saal", "room", capacity=50)
    bigger = make_resource("Stadthalle", capacity=400)
    api(other_citizen, tenant).post("/bookings", json=body(room, day))
    response = api(citizen, tenant).post("/bookings", json=body(room, day, "19:00", "21:00"))
    assert response.status_code == 409
    error = response.json["error"]
    assert error["code"] == "conflict"
    assert error["message"]
    # start/end: the requested date; busy_start/busy_end: the claim in the way.
    assert error["details"]["conflicts"] == [
        {
            "start": iso(at(day, "19:00")),
            "end": iso(at(day, "21:00")),
            "resource_id": room.id,
            "busy_start": iso(at(day, "18:00")),
            "busy_end": iso(at(day, "20:00")),
        }
    ]
    suggestions = error["details"]["suggestions"]
    assert all(set(s) == {"resource_id", "start", "end"} for s in suggestions)
    assert {
        "resource_id": bigger.id,
        "start": iso(at(day, "19:00")),
        "end": iso(at(day, "21:00")),
    } in suggestions
    same = [s for s in suggestions if s["resource_id"] == room.id]
    # The nearest free two hours: right after 20:00 on the same evening.
    assert same[0] == {
        "resource_id": room.id,
        "start": iso(at(day, "20:00")),
        "end": iso(at(day, "22:00")),
    }
    assert not any(s["resource_id"] not in (room.id, bigger.id) for s in suggestions)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"start": "2030-01-01T18:00:00"}, "start"),  # naive
        ({"start": "morgen um sechs"}, "start"),
        ({"end": 1234567890}, "end"),
        ({"start": "2030-01-01"}, "start"),
    ],
)
def test_unparsable_or_naive_instants_are_400(
    payload, field, tenant, make_resource, citizen, api, day
):
    room = make_resource()
    response = api(citizen, tenant).post("/bookings", json={**body(room, day), **payload})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"
    assert field in response.json["error"]["details"]["fields"]


def test_malformed_json_is_400(tenant, citizen, api, client):
    caller = api(citizen, tenant)
    response = client.post(
        f"/{tenant.slug}/api/v1/bookings",
        data="{kaputt",
        content_type="application/json",
        headers={"Authorization": f"Bearer {caller.token}"},
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"
    assert caller.post("/bookings", json=[1, 2]).status_code == 400
    wrong_id = {"resource_id": "drei", "start": "x", "end": "y", "title": "t"}
    assert caller.post("/bookings", json=wrong_id).status_code == 400


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"end": None}, "end"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"on_conflict": "maybe"}, "on_conflict"),
    ],
)
def test_missing_or_invalid_fields_are_422(change, field, tenant, make_resource, citizen, api, day):
    room = make_resource()
    response = api(citizen, tenant).post("/bookings", json={**body(room, day), **change})
    assert response.status_code == 422
    assert field in response.json["error"]["details"]["fields"]


def test_end_before_start_is_422(tenant, make_resource, citizen, api, day):
    room = make_resource()
    response = api(citizen, tenant).post("/bookings", json=body(room, day, "20:00", "18:00"))
    assert response.status_code == 422
    assert "end" in response.json["error"]["details"]["fields"]
    response = api(citizen, tenant).post("/bookings", json=body(room, day, "20:00", "20:00"))
    assert response.status_code == 422


def test_another_tenants_resource_and_booking_are_404(
    tenant, make_tenant, make_resource, citizen, make_user, api, day
):
    other = make_tenant("nachbarort", name="Nachbarort")
    foreign_room = make_resource(of_tenant=other)
    own_room = make_resource()
    response = api(citizen, tenant).post("/bookings", json=body(foreign_room, day))
    assert response.status_code == 404
    neighbour_admin = make_user("admin@nachbarort.example", tenant=other, roles=("admin",))
    foreign = api(neighbour_admin, other).post("/bookings", json=body(foreign_room, day)).json
    home_clerk = make_user("clerk@home.example", tenant=tenant, roles=("clerk",))
    staff = api(home_clerk, tenant)
    for response in (
        staff.get(f"/bookings/{foreign['id']}"),
        staff.post(f"/bookings/{foreign['id']}/approve"),
        staff.post(f"/bookings/{foreign['id']}/cancel"),
        staff.post(
            f"/bookings/{foreign['id']}/occurrences/{foreign['occurrences'][0]['id']}/cancel"
        ),
        staff.get(
            f"/resources/{foreign_room.id}/busy?start=2030-01-01T00:00:00Z&end=2030-01-02T00:00:00Z"
        ),
        staff.get("/bookings/999999999"),
    ):
        assert response.status_code == 404
        assert response.json["error"]["code"] == "not_found"
    # Own booking of the same id space still works.
    assert staff.post("/bookings", json=body(own_room, day)).status_code == 201
    assert db.session.get(Booking, foreign["id"]).status == "confirmed"


def test_without_a_token_it_is_401(client, tenant):
    response = client.post(f"/{tenant.slug}/api/v1/bookings", json={})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


def test_ids_past_32_bits_are_404_not_500(tenant, make_resource, citizen, clerk, api, day):
    huge = 2**40
    room = make_resource()
    client = api(clerk, tenant)
    booking = client.post("/bookings", json=body(room, day)).json
    for response in (
        client.get(f"/bookings/{huge}"),
        client.post(f"/bookings/{huge}/approve"),
        client.post(f"/bookings/{huge}/cancel"),
        client.post(f"/bookings/{booking['id']}/occurrences/{huge}/cancel"),
        client.get(f"/resources/{huge}/busy?start=2030-01-01T00:00:00Z&end=2030-01-02T00:00:00Z"),
        client.post("/bookings", json={**body(room, day), "resource_id": huge}),
        client.post("/bookings", json={**body(room, day), "organisation_id": huge}),
        client.get(f"/bookings?resource_id={huge}"),
    ):
        assert response.status_code == 404, response.json


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("9999-12-31T23:00:00+01:00", "9999-12-31T23:59:00+01:00"),
        ("0001-01-01T00:00:00+01:00", "0001-01-01T02:00:00+01:00"),
    ],
)
def test_instants_in_absurd_years_are_refused_not_a_server_error(
    api, tenant, citizen, make_resource, start, end
):
    hall = make_resource("Grenzfall")
    response = api(citizen, tenant).post(
        "/bookings", json={"resource_id": hall.id, "start": start, "end": end, "title": "x"}
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


def test_the_service_refuses_years_outside_the_supported_range(tenant, citizen, make_resource):
    hall = make_resource("Grenzfall")
    with pytest.raises(ValidationFailed):
        service.create_booking(
            tenant,
            citizen,
            hall,
            datetime(1999, 6, 1, 18, tzinfo=UTC),
            datetime(1999, 6, 1, 20, tzinfo=UTC),
            "x",
            now=datetime(1999, 1, 1, tzinfo=UTC),
        )
