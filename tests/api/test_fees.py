"""API: GET/PUT /resources/<id>/fee-rules, POST /bookings/quote, the fee in
booking answers and the ``category`` of POST /bookings."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from booking.accounts import service as accounts
from booking.audit.models import AuditEntry
from booking.extensions import db
from booking.fees import service as fees
from booking.fees.models import Invoice
from booking.fees.schedule import load_schedule
from booking.payments.models import Payment
from booking.reservations.models import Booking, Claim, Occurrence
from tests.api.helpers import assert_error, booking_body

HALL_RULES = [rule.to_dict() for rule in load_schedule().for_kind("hall").rules]
# The example hall on a Wednesday evening, as a resident: one day and cleaning.
RESIDENT_FEE = 20000 + 6000


@pytest.fixture
def hall(make_resource, tenant):
    hall = make_resource("Bürgerhaus", capacity=200)
    fees.set_fee_rules(tenant, None, hall, HALL_RULES)
    db.session.commit()
    return hall


@pytest.fixture
def club(tenant, citizen):
    organisation = accounts.create_organisation(tenant, citizen, name="TSV Musterhausen")
    db.session.commit()
    return organisation


def put(client_api, path, **kwargs):
    return client_api._call("PUT", path, **kwargs)


def counts() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Booking, Occurrence, Claim, AuditEntry, Invoice, Payment)
    )


# --- fee rules ------------------------------------------------------------------------


def test_get_fee_rules_of_a_part_says_they_are_inherited(api, tenant, citizen, make_resource, hall):
    part = make_resource("Saal A", "room", parent=hall)
    answer = api(citizen, tenant).get(f"/resources/{part.id}/fee-rules")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["inherited_from"] == hall.id
    assert [r["category"] for r in body["items"]] == [r["category"] for r in HALL_RULES]
    own = api(citizen, tenant).get(f"/resources/{hall.id}/fee-rules").get_json()
    assert own["inherited_from"] is None
    assert own["items"] == body["items"]


def test_get_fee_rules_without_rules_is_empty(api, tenant, citizen, make_resource):
    room = make_resource("Jugendraum", "room")
    assert api(citizen, tenant).get(f"/resources/{room.id}/fee-rules").get_json() == {
        "items": [],
        "inherited_from": None,
    }


def test_admin_replaces_the_rules_and_it_is_audited(api, tenant, admin, hall):
    items = [{"category": "resident", "unit": "hour", "amount_cents": 1250}]
    answer = put(api(admin, tenant), f"/resources/{hall.id}/fee-rules", json={"items": items})
    assert answer.status_code == 200, answer.get_json()
    (rule,) = answer.get_json()["items"]
    assert rule["amount_cents"] == 1250 and rule["unit"] == "hour"
    db.session.expire_all()
    assert [r["category"] for r in hall.fee_rules] == ["resident"]
    entry = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "resource.fee_rules")
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).one()
    assert entry.actor_id == admin.id and entry.object_id == hall.id
    assert len(entry.before["items"]) == 4
    assert entry.after["items"] == [rule]


def test_put_names_the_faulty_entry_and_changes_nothing(api, tenant, admin, hall):
    items = [*HALL_RULES[:2], {"category": "external", "unit": "hour", "amount_cents": -5}]
    before = counts()
    answer = put(api(admin, tenant), f"/resources/{hall.id}/fee-rules", json={"items": items})
    error = assert_error(answer, 422, "validation")
    assert "items[2].amount_cents" in error["details"]["fields"]
    db.session.expire_all()
    assert hall.fee_rules == HALL_RULES
    assert counts() == before


def test_put_without_items_is_a_422(api, tenant, admin, hall):
    answer = put(api(admin, tenant), f"/resources/{hall.id}/fee-rules", json={})
    assert "items" in assert_error(answer, 422, "validation")["details"]["fields"]


def test_put_malformed_json_is_a_400(api, tenant, admin, hall):
    answer = put(
        api(admin, tenant),
        f"/resources/{hall.id}/fee-rules",
        data='{"items": [',
        content_type="application/json",
    )
    assert_error(answer, 400, "bad_request")
    db.session.expire_all()
    assert hall.fee_rules == HALL_RULES


def test_put_by_a_clerk_is_a_403(api, tenant, clerk, hall):
    answer = put(api(clerk, tenant), f"/resources/{hall.id}/fee-rules", json={"items": []})
    assert_error(answer, 403, "forbidden")
    db.session.expire_all()
    assert hall.fee_rules == HALL_RULES


def test_another_municipality_gets_404(api, make_tenant, make_user, hall):
    other = make_tenant("nachbarort")
    their_admin = make_user(tenant=other, roles=("admin",))
    client_api = api(their_admin, other)
    assert_error(client_api.get(f"/resources/{hall.id}/fee-rules"), 404, "not_found")
    answer = put(client_api, f"/resources/{hall.id}/fee-rules", json={"items": []})
    assert_error(answer, 404, "not_found")
    db.session.expire_all()
    assert hall.fee_rules == HALL_RULES


# --- quote and the fee in answers -------------------------------------------------------


def test_quote_prices_the_booking_and_writes_nothing(api, tenant, citizen, hall):
    before = counts()
    answer = api(citizen, tenant).post("/bookings/quote", json=booking_body(hall))
    assert answer.status_code == 200, answer.get_json()
    fee = answer.get_json()["fee"]
    assert set(fee) == {"amount_cents", "currency", "items", "deposit_cents"}
    assert fee["amount_cents"] == RESIDENT_FEE
    assert fee["currency"] == "EUR"
    assert fee["deposit_cents"] == 20000
    assert sum(item["amount_cents"] for item in fee["items"]) == RESIDENT_FEE
    assert all(item["label"] for item in fee["items"])
    assert counts() == before


def test_quote_gives_the_errors_of_post_bookings(api, tenant, citizen, hall):
    client_api = api(citizen, tenant)
    body = booking_body(hall, guests=500, contact_phone="abc")
    quoted = assert_error(client_api.post("/bookings/quote", json=body), 422, "validation")
    booked = assert_error(client_api.post("/bookings", json=body), 422, "validation")
    assert quoted["details"] == booked["details"]
    assert {"guests", "contact_phone"} <= set(quoted["details"]["fields"])
    bad = booking_body(hall, start="morgen")
    assert_error(client_api.post("/bookings/quote", json=bad), 400, "bad_request")


def test_quote_checks_the_payment_and_starts_none(api, tenant, citizen, hall):
    client_api = api(citizen, tenant)
    bad = client_api.post("/bookings/quote", json=booking_body(hall, payment="bitcoin"))
    assert "payment" in assert_error(bad, 422, "validation")["details"]["fields"]
    before = counts()
    online = client_api.post("/bookings/quote", json=booking_body(hall, payment="online"))
    assert online.status_code == 200
    assert set(online.get_json()) == {"fee"}
    assert counts() == before
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0


def test_quote_of_a_taken_slot_is_a_conflict(api, tenant, citizen, other_citizen, hall):
    assert api(citizen, tenant).post("/bookings", json=booking_body(hall)).status_code == 201
    before = counts()
    answer = api(other_citizen, tenant).post("/bookings/quote", json=booking_body(hall))
    assert answer.status_code == 409
    assert counts() == before


def test_quote_of_another_municipality_s_hall_is_a_404(api, make_tenant, make_user, hall):
    other = make_tenant("nachbarort")
    stranger = make_user(tenant=other)
    answer = api(stranger, other).post("/bookings/quote", json=booking_body(hall))
    assert_error(answer, 404, "not_found")


def test_booking_answers_carry_the_real_fee(api, tenant, citizen, hall):
    client_api = api(citizen, tenant)
    created = client_api.post("/bookings", json=booking_body(hall))
    assert created.status_code == 201
    fee = created.get_json()["fee"]
    assert fee["amount_cents"] == RESIDENT_FEE and fee["deposit_cents"] == 20000
    read = client_api.get(f"/bookings/{created.get_json()['id']}").get_json()
    assert read["fee"] == fee
    listed = client_api.get("/bookings?mine=true").get_json()["items"]
    assert listed[0]["fee"] == fee


def test_a_free_resource_answers_a_zero_fee(api, tenant, citizen, make_resource):
    room = make_resource("Jugendraum", "room")
    created = api(citizen, tenant).post("/bookings", json=booking_body(room))
    assert created.get_json()["fee"] == {
        "amount_cents": 0,
        "currency": "EUR",
        "items": [],
        "deposit_cents": 0,
    }


# --- the customer category ---------------------------------------------------------------


def stored_category(answer) -> str:
    return db.session.get(Booking, answer.get_json()["id"]).customer_category


def test_a_person_books_as_resident_by_default(api, tenant, citizen, hall):
    answer = api(citizen, tenant).post("/bookings", json=booking_body(hall))
    assert stored_category(answer) == "resident"


def test_a_club_books_as_local_club_by_default(api, tenant, citizen, club, hall):
    answer = api(citizen, tenant).post(
        "/bookings", json=booking_body(hall, organisation_id=club.id)
    )
    assert answer.status_code == 201
    assert stored_category(answer) == "local_club"
    assert answer.get_json()["fee"]["amount_cents"] == 8000 + 3000


@pytest.mark.parametrize("category", ["resident", "external", "commercial"])
def test_an_applicant_may_choose(api, tenant, citizen, hall, category):
    answer = api(citizen, tenant).post("/bookings", json=booking_body(hall, category=category))
    assert answer.status_code == 201, answer.get_json()
    assert stored_category(answer) == category


def test_local_club_only_for_the_applicant_s_own_club(api, tenant, citizen, club, hall):
    client_api = api(citizen, tenant)
    before = counts()
    for path in ("/bookings/quote", "/bookings"):
        answer = client_api.post(path, json=booking_body(hall, category="local_club"))
        assert "category" in assert_error(answer, 422, "validation")["details"]["fields"]
    assert counts() == before
    body = booking_body(hall, category="local_club", organisation_id=club.id)
    assert client_api.post("/bookings", json=body).status_code == 201


def test_a_non_local_club_may_not_claim_local_club(api, tenant, citizen, hall):
    away = accounts.create_organisation(tenant, citizen, name="SV Auswärts", is_local=False)
    db.session.commit()
    body = booking_body(hall, category="local_club", organisation_id=away.id)
    answer = api(citizen, tenant).post("/bookings", json=body)
    assert_error(answer, 422, "validation")
    default = api(citizen, tenant).post(
        "/bookings", json=booking_body(hall, organisation_id=away.id)
    )
    assert stored_category(default) == "external"


def test_staff_may_set_any_category(api, tenant, clerk, hall):
    answer = api(clerk, tenant).post("/bookings", json=booking_body(hall, category="local_club"))
    assert answer.status_code == 201, answer.get_json()
    assert stored_category(answer) == "local_club"


def test_an_unknown_category_is_a_422(api, tenant, clerk, hall):
    answer = api(clerk, tenant).post("/bookings/quote", json=booking_body(hall, category="vip"))
    assert "category" in assert_error(answer, 422, "validation")["details"]["fields"]
    wrong_type = api(clerk, tenant).post("/bookings/quote", json=booking_body(hall, category=3))
    assert_error(wrong_type, 400, "bad_request")


def test_a_category_without_a_tariff_is_a_422(api, tenant, admin, citizen, hall):
    items = [{"category": "resident", "unit": "hour", "amount_cents": 1000}]
    put(api(admin, tenant), f"/resources/{hall.id}/fee-rules", json={"items": items})
    answer = api(citizen, tenant).post("/bookings", json=booking_body(hall, category="external"))
    assert "category" in assert_error(answer, 422, "validation")["details"]["fields"]
