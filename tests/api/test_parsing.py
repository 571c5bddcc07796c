"""API input parsed at the boundary (``booking.api.schemas`` and
``booking.api.base.parse``): typed values or a refusal naming every faulty
field, with the status codes the API has always answered."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from booking.api import schemas
from booking.core import MAX_YEAR, MIN_YEAR, NAME_MAX, TITLE_MAX
from booking.extensions import db
from booking.reservations.models import Booking
from booking.resources import service as resources
from booking.resources.models import Resource
from tests.api.helpers import assert_error, booking_body

BERLIN = ZoneInfo("Europe/Berlin")
FALLBACK = "Bitte prüfen Sie die Angaben."
RFC_3339 = "Erwartet wird RFC 3339 mit Zeitzone, z. B. 2027-03-06T18:00:00+01:00."


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def fields(response) -> dict[str, list[str]]:
    return response.get_json()["error"]["details"]["fields"]


# --- booking bodies ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"resource_id": True}, "resource_id", "Bitte eine ganze Zahl angeben."),
        ({"resource_id": 3.0}, "resource_id", "Bitte eine ganze Zahl angeben."),
        ({"resource_id": "drei"}, "resource_id", "Bitte eine ganze Zahl angeben."),
        ({"resource_id": [1]}, "resource_id", "Bitte eine ganze Zahl angeben."),
        ({"organisation_id": False}, "organisation_id", "Bitte eine ganze Zahl angeben."),
        ({"title": 5}, "title", "Bitte einen Text angeben."),
        ({"note": ["Stühle"]}, "note", "Bitte einen Text angeben."),
        ({"override_reason": {"a": 1}}, "override_reason", "Bitte einen Text angeben."),
        ({"on_conflict": 1}, "on_conflict", "Bitte einen Text angeben."),
        ({"start": 1234567890}, "start", RFC_3339),
        ({"start": "2030-01-01T18:00:00"}, "start", RFC_3339),
        ({"end": "übermorgen"}, "end", RFC_3339),
        (
            {"start": "1999-12-31T18:00:00+01:00"},
            "start",
            f"Bitte ein Datum zwischen {MIN_YEAR} und {MAX_YEAR} angeben.",
        ),
    ],
)
def test_a_value_of_the_wrong_type_is_400_naming_the_field(
    api, tenant, citizen, make_resource, change, field, message
):
    hall = make_resource()
    response = api(citizen, tenant).post("/bookings", json=booking_body(hall, **change))
    assert_error(response, 400, "bad_request")
    assert fields(response) == {field: [message]}
    assert count(Booking) == 0


@pytest.mark.parametrize("blank", [None, ""])
def test_required_fields_given_as_null_or_empty_are_missing_422(
    api, tenant, citizen, make_resource, blank
):
    hall = make_resource()
    body = booking_body(hall, start=blank, title=blank)
    response = api(citizen, tenant).post("/bookings", json=body)
    assert_error(response, 422, "validation")
    assert fields(response) == {"start": ["Pflichtangabe."], "title": ["Pflichtangabe."]}


def test_an_empty_body_names_every_required_field(api, tenant, citizen):
    response = api(citizen, tenant).post("/bookings", json={})
    assert_error(response, 422, "validation")
    assert fields(response) == {
        name: ["Pflichtangabe."] for name in ("resource_id", "start", "end", "title")
    }


def test_malformed_and_missing_together_are_400_naming_both(api, tenant, citizen, make_resource):
    hall = make_resource()
    body = booking_body(hall, resource_id="drei")
    del body["title"]
    response = api(citizen, tenant).post("/bookings", json=body)
    assert_error(response, 400, "bad_request")
    assert fields(response) == {
        "resource_id": ["Bitte eine ganze Zahl angeben."],
        "title": ["Pflichtangabe."],
    }


def test_an_id_as_digits_and_texts_with_spaces_are_accepted(api, tenant, citizen, make_resource):
    hall = make_resource()
    title = " " + "x" * TITLE_MAX + "  "  # counted as the service counts: stripped
    response = api(citizen, tenant).post(
        "/bookings", json=booking_body(hall, resource_id=str(hall.id), title=title)
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["title"] == "x" * TITLE_MAX


def test_unknown_fields_of_a_booking_are_ignored(api, tenant, citizen, make_resource):
    hall = make_resource()
    response = api(citizen, tenant).post(
        "/bookings", json=booking_body(hall, payment="invoice", extra={"a": [1]})
    )
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize("value", ["yes", 1, "true"])
def test_skip_closed_must_be_true_or_false_422(api, tenant, citizen, make_resource, value):
    hall = make_resource()
    body = booking_body(hall, skip_closed=value, recurrence={"freq": "weekly", "count": 2})
    response = api(citizen, tenant).post("/bookings", json=body)
    assert_error(response, 422, "validation")
    assert fields(response) == {"skip_closed": ["true oder false."]}


def test_the_character_check_runs_before_the_schema(client, api, tenant, citizen, make_resource):
    hall = make_resource()
    caller = api(citizen, tenant)
    body = booking_body(hall, resource_id="drei", note="a\x00b")
    del body["title"]
    response = client.post(
        caller.base + "/bookings",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {caller.token}"},
    )
    error = assert_error(response, 400, "bad_request")
    assert list(error["details"]["fields"]) == ["note"]


def test_messages_follow_the_language(api, tenant, citizen):
    response = api(citizen, tenant).post(
        "/bookings", json={"title": 5}, environ_base={"HTTP_ACCEPT_LANGUAGE": "en"}
    )
    error = assert_error(response, 400, "bad_request")
    assert error["message"] == "The request is invalid."
    assert error["details"]["fields"]["resource_id"] == ["Required."]
    assert error["details"]["fields"]["title"] == ["Please enter some text."]


# --- the other booking bodies ------------------------------------------------------------


@pytest.fixture
def requested(api, tenant, citizen, make_resource):
    """A booking of a hall needing approval: (its id, its date's id)."""
    hall = make_resource(requires_approval=True)
    created = api(citizen, tenant).post("/bookings", json=booking_body(hall)).get_json()
    return created["id"], created["occurrences"][0]["id"]


@pytest.mark.parametrize(
    ("path", "body", "status", "expected"),
    [
        ("/bookings/{b}/approve", {"reason": 5}, 400, {"reason": ["Bitte einen Text angeben."]}),
        ("/bookings/{b}/reject", {"reason": []}, 400, {"reason": ["Bitte einen Text angeben."]}),
        ("/bookings/{b}/cancel", {"reason": True}, 400, {"reason": ["Bitte einen Text angeben."]}),
        (
            "/bookings/{b}/occurrences/{o}/cancel",
            {"following": "yes"},
            422,
            {"following": ["true oder false."]},
        ),
        (
            "/bookings/{b}/occurrences/{o}/cancel",
            {"following": None},
            422,
            {"following": ["true oder false."]},
        ),
        (
            "/bookings/{b}/occurrences/{o}/move",
            {"end": "2030-01-01T20:00:00+01:00"},
            422,
            {"start": ["Pflichtangabe."]},
        ),
        (
            "/bookings/{b}/occurrences/{o}/move",
            {"start": "morgen", "end": "2030-01-01T20:00:00+01:00", "override_reason": 1},
            400,
            {"start": [RFC_3339], "override_reason": ["Bitte einen Text angeben."]},
        ),
    ],
)
def test_decision_cancel_and_move_bodies(
    api, tenant, clerk, requested, path, body, status, expected
):
    booking_id, occurrence_id = requested
    response = api(clerk, tenant).post(path.format(b=booking_id, o=occurrence_id), json=body)
    assert_error(response, status, "bad_request" if status == 400 else "validation")
    assert fields(response) == expected
    db.session.expire_all()
    assert db.session.get(Booking, booking_id).status == "requested"


# --- query strings -------------------------------------------------------------------------


def test_busy_needs_start_and_end_400(api, tenant, citizen, make_resource):
    hall = make_resource()
    caller = api(citizen, tenant)
    response = caller.get(f"/resources/{hall.id}/busy?end=2030-01-02T00:00:00Z")
    assert_error(response, 400, "bad_request")
    assert fields(response) == {"start": ["Pflichtangabe."]}
    response = caller.get(f"/resources/{hall.id}/busy?start=&end=")
    assert fields(response) == {"start": ["Pflichtangabe."], "end": ["Pflichtangabe."]}


def test_a_plus_in_a_query_string_arriving_as_a_space_is_an_offset(
    api, tenant, citizen, make_resource
):
    hall = make_resource()
    # An unencoded "+" is decoded as a space: "...T00:00:00 01:00".
    path = f"/resources/{hall.id}/busy?start=2030-01-08T00:00:00+01:00&end=2030-01-09T00:00+01:00"
    response = api(citizen, tenant).get(path)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"items": []}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("resource_id=abc", "resource_id"),
        ("resource_id=1.5", "resource_id"),
        ("start=gestern", "start"),
        ("end=2030-01-01T00:00:00", "end"),
    ],
)
def test_bad_list_parameters_are_400(api, tenant, clerk, query, field):
    response = api(clerk, tenant).get(f"/bookings?{query}")
    assert_error(response, 400, "bad_request")
    assert list(fields(response)) == [field]


@pytest.mark.parametrize(("mine", "own_only"), [("1", True), ("0", False), ("false", False)])
def test_mine_is_a_flag(api, tenant, clerk, citizen, make_resource, mine, own_only):
    hall = make_resource()
    api(citizen, tenant).post("/bookings", json=booking_body(hall))
    items = api(clerk, tenant).get(f"/bookings?mine={mine}").get_json()["items"]
    assert len(items) == (0 if own_only else 1)


# --- resource bodies -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"public": 1}, "public", "true oder false."),
        ({"bookable": None}, "bookable", "true oder false."),
        ({"capacity": 12.0}, "capacity", "Bitte eine ganze Zahl angeben."),
        ({"capacity": True}, "capacity", "Bitte eine ganze Zahl angeben."),
        ({"buffer_before_min": None}, "buffer_before_min", "Bitte eine ganze Zahl angeben."),
        ({"min_notice_hours": ""}, "min_notice_hours", "Bitte eine ganze Zahl angeben."),
        ({"address": 12}, "address", "Bitte einen Text angeben."),
        ({"kind": ["hall"]}, "kind", "Bitte einen Text angeben."),
        ({"colour": "blau"}, "colour", "Unbekanntes Feld."),
        ({"name": "x" * (NAME_MAX + 1)}, "name", f"Höchstens {NAME_MAX} Zeichen."),
    ],
)
def test_a_resource_value_of_the_wrong_type_is_422(api, tenant, admin, change, field, message):
    body = {"name": "Bürgerhaus", "kind": "hall", **change}
    response = api(admin, tenant).post("/resources", json=body)
    error = assert_error(response, 422, "validation")
    assert error["message"] == "Die Angaben zur Ressource sind ungültig."
    assert fields(response) == {field: [message]}
    assert count(Resource) == 0


def test_empty_nullable_numbers_and_padded_texts_are_accepted(api, tenant, admin):
    body = {
        "name": "  Bürgerhaus ",
        "kind": "hall",
        "capacity": "",
        "max_advance_days": None,
        "address": "   ",
    }
    response = api(admin, tenant).post("/resources", json=body)
    assert response.status_code == 201, response.get_json()
    created = db.session.get(Resource, response.get_json()["id"])
    assert (created.name, created.capacity, created.max_advance_days, created.address) == (
        "Bürgerhaus",
        None,
        None,
        None,
    )


def test_fields_left_out_keep_the_services_defaults(api, tenant, admin):
    response = api(admin, tenant).post("/resources", json={"name": "Kapelle", "kind": "chapel"})
    created = db.session.get(Resource, response.get_json()["id"])
    for name, default in resources.DEFAULTS.items():
        assert getattr(created, name) == default, name


def test_the_resource_schema_has_exactly_the_services_fields():
    assert set(schemas.CreateResource.model_fields) == set(resources.FIELDS)


# --- the messages ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "data"),
    [
        (schemas.CreateBooking, {"resource_id": [], "start": 1, "end": "x", "title": {}}),
        (schemas.CreateBooking, {"start": "0999-01-01T00:00:00+00:00", "note": "x" * 3000}),
        (schemas.CancelOccurrence, {"following": "x", "reason": 1}),
        (schemas.BookingsQuery, {"resource_id": "x", "start": "x", "status": 1}),
        (schemas.CreateResource, {"capacity": "x", "public": "x", "x": 1, "name": 1}),
    ],
)
def test_every_error_gets_one_of_our_messages(app, schema, data):
    from booking.api.base import parse
    from booking.core import DomainError

    with app.test_request_context(), pytest.raises(DomainError) as refused:
        parse(schema, data)
    messages = [m for ms in refused.value.details["fields"].values() for m in ms]
    assert messages
    assert FALLBACK not in messages
