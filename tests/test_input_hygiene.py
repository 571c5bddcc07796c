"""Input that cannot be abused: no control characters or lone surrogates in
any text (one check for API bodies, one for forms and query strings), a
maximum length for every text field (in the services, shared by API and
forms), and a maximum request size (413)."""

from __future__ import annotations

import json
from datetime import UTC
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from booking import core
from booking.audit.models import AuditEntry
from booking.core import ValidationFailed
from booking.extensions import db
from booking.reservations import forms as booking_forms
from booking.reservations import service as bookings
from booking.reservations.models import Booking
from booking.resources import forms as resource_forms
from booking.resources.models import Resource
from tests.api.helpers import assert_error, booking_body, local

BERLIN = ZoneInfo("Europe/Berlin")
# Control characters and surrogates as JSON spells them (json.dumps escapes them).
BAD_TEXTS = {"surrogate": "a\ud800b", "nul": "a\x00b", "escape": "a\x1bb"}


def post_raw(client, user_api, path: str, body: dict):
    """POST ``body`` as JSON text exactly as ``json.dumps`` writes it: a lone
    surrogate travels as the escape ``\\ud800``, NUL as ``\\u0000``."""
    return client.post(
        user_api.base + path,
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {user_api.token}"},
    )


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- the character rule ----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "forbidden"),
    [
        ("Sommerfest", False),
        ("Zeile 1\r\nZeile 2\tmit Tab", False),
        ("Grüße, € und 😀", False),
        ("a\x00b", True),
        ("a\x07b", True),
        ("a\x7fb", True),
        ("a\x85b", True),
        ("a\ud800b", True),
        ("a\udfffb", True),
    ],
)
def test_the_character_rule(value, forbidden):
    assert core.has_forbidden_characters(value) is forbidden


# --- API bodies ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(BAD_TEXTS))
@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda bad: {"title": bad}, "title"),
        (lambda bad: {"note": bad}, "note"),
        (lambda bad: {"recurrence": {"freq": "weekly", "until": bad}}, "recurrence.until"),
        (lambda bad: {"on_conflict": bad}, "on_conflict"),
        (lambda bad: {"extra": [{"deep": bad}]}, "extra[0].deep"),
    ],
)
def test_bad_characters_in_a_booking_body_are_400_naming_the_field(
    client, api, tenant, citizen, make_resource, kind, change, field
):
    hall = make_resource("Bürgerhaus")
    response = post_raw(
        client, api(citizen, tenant), "/bookings", booking_body(hall, **change(BAD_TEXTS[kind]))
    )
    error = assert_error(response, 400, "bad_request")
    assert list(error["details"]["fields"]) == [field]
    assert count(Booking) == 0


@pytest.mark.parametrize("kind", sorted(BAD_TEXTS))
@pytest.mark.parametrize("field", ["name", "address", "description", "accessibility"])
def test_bad_characters_in_a_resource_body_are_400(client, api, tenant, admin, kind, field):
    body = {"name": "Bürgerhaus", "kind": "hall", field: f"Text {BAD_TEXTS[kind]}"}
    response = post_raw(client, api(admin, tenant), "/resources", body)
    error = assert_error(response, 400, "bad_request")
    assert field in error["details"]["fields"]
    assert count(Resource) == 0


def test_a_bad_key_is_named_without_repeating_the_bad_character(
    client, api, tenant, citizen, make_resource
):
    hall = make_resource()
    body = booking_body(hall, **{"x\ud800": 1})
    error = assert_error(
        post_raw(client, api(citizen, tenant), "/bookings", body), 400, "bad_request"
    )
    assert list(error["details"]["fields"]) == ["x\ufffd"]


def test_approve_and_move_bodies_pass_the_same_check(
    client, api, tenant, citizen, clerk, make_resource
):
    hall = make_resource(requires_approval=True)
    created = api(citizen, tenant).post("/bookings", json=booking_body(hall)).json
    occ = created["occurrences"][0]["id"]
    clerk_api = api(clerk, tenant)
    for path, body in [
        (f"/bookings/{created['id']}/approve", {"reason": "ok\x00"}),
        (
            f"/bookings/{created['id']}/occurrences/{occ}/move",
            {
                "start": local(40, 19).isoformat(),
                "end": local(40, 21).isoformat(),
                "reason": "\ud800",
            },
        ),
    ]:
        error = assert_error(post_raw(client, clerk_api, path, body), 400, "bad_request")
        assert list(error["details"]["fields"]) == ["reason"]
    assert db.session.get(Booking, created["id"]).status == "requested"


def test_line_breaks_and_tabs_are_fine(api, tenant, citizen, make_resource):
    hall = make_resource()
    response = api(citizen, tenant).post(
        "/bookings", json=booking_body(hall, note="Aufbau ab 16 Uhr\r\nBitte\tStühle")
    )
    assert response.status_code == 201, response.json
    assert db.session.get(Booking, response.json["id"]).note == "Aufbau ab 16 Uhr\r\nBitte\tStühle"


def test_a_deeply_nested_body_is_400_not_500(client, api, tenant, citizen):
    user_api = api(citizen, tenant)
    response = client.post(
        user_api.base + "/bookings",
        data='{"a": ' + "[" * 100_000 + "]" * 100_000 + "}",
        content_type="application/json",
        headers={"Authorization": f"Bearer {user_api.token}"},
    )
    assert_error(response, 400, "bad_request")


def test_bad_characters_in_an_api_query_string_are_400(api, tenant, citizen):
    response = api(citizen, tenant).get("/resources?kind=hall%00")
    error = assert_error(response, 400, "bad_request")
    assert list(error["details"]["fields"]) == ["kind"]


# --- forms and query strings of the pages ------------------------------------------------


def _book_form(day_offset: int = 40, **overrides) -> dict[str, str]:
    data = {
        "title": "Sommerfest",
        "date": local(day_offset, 18).date().isoformat(),
        "start_time": "18:00",
        "end_time": "20:00",
        "organisation": "",
        "interval": "1",
        "on_conflict": "reject",
        "action": "confirm",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("bad", ["a\x00b", "a\x1bb", "a\x7fb"])
@pytest.mark.parametrize("field", ["title", "note"])
def test_a_control_character_in_a_form_is_a_400_page_naming_the_field(
    client, login, tenant, citizen, make_resource, field, bad
):
    hall = make_resource()
    login(citizen)
    response = client.post(f"/{tenant.slug}/halls/{hall.id}/book", data=_book_form(**{field: bad}))
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert f"„{field}“" in response.get_data(as_text=True)
    assert count(Booking) == 0


def test_a_control_character_in_a_field_name_is_refused(
    client, login, tenant, citizen, make_resource
):
    hall = make_resource()
    login(citizen)
    data = _book_form(**{"x\x00y": "1"})
    response = client.post(f"/{tenant.slug}/halls/{hall.id}/book", data=data)
    assert response.status_code == 400
    assert "x\ufffdy" in response.get_data(as_text=True)
    assert count(Booking) == 0


def test_a_form_with_line_breaks_is_accepted(client, login, tenant, citizen, make_resource):
    hall = make_resource()
    login(citizen)
    response = client.post(
        f"/{tenant.slug}/halls/{hall.id}/book", data=_book_form(note="Zeile 1\r\nZeile 2\t!")
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert db.session.scalars(select(Booking)).one().note == "Zeile 1\r\nZeile 2\t!"


def test_nul_on_the_login_form_is_a_400_not_a_500(client, tenant, citizen):
    response = client.post("/account/login", data={"email": "a\x00@example.org", "password": "x"})
    assert response.status_code == 400
    assert "„email“" in response.get_data(as_text=True)


def test_a_control_character_in_a_query_string_is_a_400_page(client, tenant):
    response = client.get(f"/{tenant.slug}/halls/free?kind=%00&date=2030-01-01")
    assert response.status_code == 400
    assert "„kind“" in response.get_data(as_text=True)


def test_a_control_character_in_the_tenant_slug_is_404(client, tenant):
    assert client.get("/muster%00hausen/halls/free").status_code == 404
    assert client.get("/muster%00hausen/api/v1/me").status_code == 404


# --- maximum lengths -------------------------------------------------------------------


def test_the_forms_use_the_services_limits():
    def longest(field) -> int:
        (length,) = [v for v in field.kwargs["validators"] if hasattr(v, "max")]
        return length.max

    form = booking_forms.BookingForm
    assert longest(form.title) == core.TITLE_MAX
    assert longest(form.note) == core.NOTE_MAX
    assert longest(form.override_reason) == core.REASON_MAX
    for reason in (
        booking_forms.CancelForm.reason,
        booking_forms.DecisionForm.reason,
        booking_forms.MoveForm.reason,
        booking_forms.MoveForm.override_reason,
    ):
        assert longest(reason) == core.REASON_MAX
    resource = resource_forms.ResourceForm
    assert longest(resource.name) == core.NAME_MAX
    assert longest(resource.address) == core.ADDRESS_MAX
    assert longest(resource.description) == core.LONG_TEXT_MAX
    assert longest(resource.accessibility) == core.LONG_TEXT_MAX
    assert longest(booking_forms.ClosureForm.reason) == core.CLOSURE_REASON_MAX
    assert longest(booking_forms.ClosureDatesForm.cancel_reason) == core.REASON_MAX
    # Where a column has a length, the limit is that length.
    assert Booking.__table__.c.title.type.length == core.TITLE_MAX
    assert Resource.__table__.c.name.type.length == core.NAME_MAX
    assert Resource.__table__.c.address.type.length == core.ADDRESS_MAX


@pytest.mark.parametrize(
    ("field", "limit"),
    [("title", core.TITLE_MAX), ("note", core.NOTE_MAX), ("override_reason", core.REASON_MAX)],
)
def test_too_long_booking_texts_are_422_in_the_api(api, tenant, clerk, make_resource, field, limit):
    hall = make_resource()
    client = api(clerk, tenant)
    response = client.post("/bookings", json=booking_body(hall, **{field: "x" * (limit + 1)}))
    error = assert_error(response, 422, "validation")
    assert list(error["details"]["fields"]) == [field]
    assert count(Booking) == 0
    at_limit = client.post("/bookings", json=booking_body(hall, **{field: "x" * limit}))
    assert at_limit.status_code == 201, at_limit.json


def test_a_huge_note_is_refused_by_the_service(tenant, citizen, make_resource):
    hall = make_resource()
    with pytest.raises(ValidationFailed) as caught:
        bookings.create_booking(
            tenant,
            citizen,
            hall,
            local(40, 18).astimezone(UTC),
            local(40, 20).astimezone(UTC),
            "Feier",
            note="x" * 5_000_000,
        )
    assert set(caught.value.fields) == {"note"}


@pytest.mark.parametrize("verb", ["approve", "reject", "cancel", "occurrence-cancel", "move"])
def test_a_too_long_reason_is_422_for_every_verb(api, tenant, citizen, clerk, make_resource, verb):
    hall = make_resource(requires_approval=True)
    created = api(citizen, tenant).post("/bookings", json=booking_body(hall)).json
    occ = created["occurrences"][0]["id"]
    reason = "x" * 100_000
    path, body = {
        "approve": (f"/bookings/{created['id']}/approve", {"reason": reason}),
        "reject": (f"/bookings/{created['id']}/reject", {"reason": reason}),
        "cancel": (f"/bookings/{created['id']}/cancel", {"reason": reason}),
        "occurrence-cancel": (
            f"/bookings/{created['id']}/occurrences/{occ}/cancel",
            {"reason": reason},
        ),
        "move": (
            f"/bookings/{created['id']}/occurrences/{occ}/move",
            {
                "start": local(40, 19).isoformat(),
                "end": local(40, 21).isoformat(),
                "reason": reason,
            },
        ),
    }[verb]
    error = assert_error(api(clerk, tenant).post(path, json=body), 422, "validation")
    assert list(error["details"]["fields"]) == ["reason"]
    db.session.expire_all()
    assert db.session.get(Booking, created["id"]).status == "requested"
    assert (
        db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "Booking")).all()
        == []
    )


def test_a_too_long_override_reason_on_a_move_is_422(api, tenant, citizen, clerk, make_resource):
    hall = make_resource()
    created = api(citizen, tenant).post("/bookings", json=booking_body(hall)).json
    occ = created["occurrences"][0]["id"]
    response = api(clerk, tenant).post(
        f"/bookings/{created['id']}/occurrences/{occ}/move",
        json={
            "start": local(40, 19).isoformat(),
            "end": local(40, 21).isoformat(),
            "override_reason": "x" * (core.REASON_MAX + 1),
        },
    )
    error = assert_error(response, 422, "validation")
    assert list(error["details"]["fields"]) == ["override_reason"]


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        ("name", core.NAME_MAX),
        ("address", core.ADDRESS_MAX),
        ("description", core.LONG_TEXT_MAX),
        ("accessibility", core.LONG_TEXT_MAX),
    ],
)
def test_too_long_resource_texts_are_422(api, tenant, admin, field, limit):
    body = {"name": "Bürgerhaus", "kind": "hall", field: "x" * (limit + 1)}
    error = assert_error(api(admin, tenant).post("/resources", json=body), 422, "validation")
    assert list(error["details"]["fields"]) == [field]


# --- request size ---------------------------------------------------------------------------


def test_an_oversized_api_body_is_413_too_large(client, api, tenant, citizen, make_resource, app):
    hall = make_resource()
    user_api = api(citizen, tenant)
    body = json.dumps(booking_body(hall, note="x" * app.config["MAX_CONTENT_LENGTH"]))
    response = client.post(
        user_api.base + "/bookings",
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {user_api.token}"},
    )
    assert_error(response, 413, "too_large")
    assert count(Booking) == 0


def test_an_oversized_form_is_a_413_page(client, login, tenant, citizen, make_resource, app):
    hall = make_resource()
    login(citizen)
    response = client.post(
        f"/{tenant.slug}/halls/{hall.id}/book",
        data=_book_form(note="x" * app.config["MAX_CONTENT_LENGTH"]),
    )
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "(413)" in response.get_data(as_text=True)
    assert count(Booking) == 0


def test_the_request_size_is_a_setting(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
