"""The clerk's approval queue, calendar and 'move one date'; the caretaker's
overview and printable day sheet."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from booking.audit.models import AuditEntry
from booking.extensions import db
from booking.resources import closures
from booking.resources import service as resources
from tests.reservations.screens.conftest import TZ, local
from tests.reservations.screens.helpers import text

# --- approvals -------------------------------------------------------------------


@pytest.fixture
def soft_hall(make_resource):
    """Requests here do not block: two may wait for the same time."""
    return make_resource("Turnhalle", "sports_hall", requires_approval=True, request_blocks=False)


def test_queue_lists_requests_oldest_first_with_conflicts(
    client, sign_in, tenant, soft_hall, book_hours, citizen, other_citizen, clerk, day
):
    first = book_hours(citizen, soft_hall, 18, 20, title="Erste Anfrage")
    second = book_hours(other_citizen, soft_hall, 19, 21, title="Zweite Anfrage")
    sign_in(clerk)
    page = text(client.get(f"/{tenant.slug}/staff/approvals"))
    assert page.index("Erste Anfrage") < page.index("Zweite Anfrage")
    assert "Konkurrierende Anfragen" in page
    assert "Carla Citizen" in page and "Otto Other" in page

    # A confirmed booking now holds the time: the first request conflicts.
    resources.update_resource(tenant, None, soft_hall, requires_approval=False)
    db.session.commit()
    book_hours(clerk, soft_hall, 17, 19, title="Feste Buchung")
    page = text(client.get(f"/{tenant.slug}/staff/approvals"))
    assert "1 Termin belegt" in page
    assert first.title in page and second.title in page


def test_approve_through_the_queue(
    client, sign_in, tenant, sports_hall, book_hours, citizen, clerk
):
    request_ = book_hours(citizen, sports_hall, title="Hallenturnier")
    assert request_.status == "requested"
    sign_in(clerk)
    response = client.post(
        f"/{tenant.slug}/staff/approvals/{request_.id}",
        data={"decision": "approve", f"b{request_.id}-reason": "Passt"},
    )
    assert response.status_code == 302
    db.session.refresh(request_)
    assert request_.status == "confirmed"
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "booking.approve")
    ).one()
    assert entry.actor_id == clerk.id and entry.reason == "Passt"
    page = text(client.get(response.headers["Location"]))
    assert "ist freigegeben" in page
    assert "Keine offenen Anfragen." in page


def test_reject_with_a_reason(client, sign_in, tenant, sports_hall, book_hours, citizen, clerk):
    request_ = book_hours(citizen, sports_hall)
    sign_in(clerk)
    client.post(
        f"/{tenant.slug}/staff/approvals/{request_.id}",
        data={
            "decision": "reject",
            f"b{request_.id}-reason": "Schulveranstaltung",
            f"b{request_.id}-confirmed": "1",
        },
    )
    db.session.refresh(request_)
    assert request_.status == "rejected"
    sign_in(citizen)
    page = text(client.get(f"/{tenant.slug}/bookings/mine"))
    assert "abgelehnt" in page
    detail = text(client.get(f"/{tenant.slug}/bookings/{request_.id}"))
    assert "Begründung der Verwaltung" in detail
    assert "Schulveranstaltung" in detail


def test_approve_from_the_detail_page(
    client, sign_in, tenant, sports_hall, book_hours, citizen, admin
):
    request_ = book_hours(citizen, sports_hall)
    sign_in(admin)
    page = text(client.get(f"/{tenant.slug}/bookings/{request_.id}"))
    assert "Anfrage entscheiden" in page
    response = client.post(
        f"/{tenant.slug}/staff/approvals/{request_.id}",
        data={"decision": "approve", "back": "detail"},
    )
    assert response.headers["Location"].endswith(f"/bookings/{request_.id}")
    db.session.refresh(request_)
    assert request_.status == "confirmed"


@pytest.mark.parametrize("who", ["citizen", "caretaker", "other_admin"])
def test_only_staff_decide(client, sign_in, tenant, sports_hall, book_hours, citizen, request, who):
    request_ = book_hours(citizen, sports_hall)
    sign_in(request.getfixturevalue(who))
    response = client.post(
        f"/{tenant.slug}/staff/approvals/{request_.id}", data={"decision": "approve"}
    )
    assert response.status_code == 403
    db.session.refresh(request_)
    assert request_.status == "requested"


def test_a_decision_needs_a_valid_choice(
    client, sign_in, tenant, sports_hall, book_hours, citizen, clerk
):
    request_ = book_hours(citizen, sports_hall)
    sign_in(clerk)
    for data in (
        {},
        {"decision": "maybe"},
        {"decision": "approve", f"b{request_.id}-reason": "x" * 600},
    ):
        response = client.post(f"/{tenant.slug}/staff/approvals/{request_.id}", data=data)
        assert response.status_code == 302
    db.session.refresh(request_)
    assert request_.status == "requested"


def test_approving_a_request_whose_time_is_taken_fails_politely(
    client, sign_in, tenant, soft_hall, book_hours, citizen, clerk
):
    request_ = book_hours(citizen, soft_hall, 18, 20)
    resources.update_resource(tenant, None, soft_hall, requires_approval=False)
    db.session.commit()
    book_hours(clerk, soft_hall, 19, 21)
    sign_in(clerk)
    response = client.post(
        f"/{tenant.slug}/staff/approvals/{request_.id}",
        data={"decision": "approve"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "kann nicht freigegeben werden" in text(response)
    db.session.refresh(request_)
    assert request_.status == "requested"


def test_a_booking_of_another_tenant_cannot_be_decided(
    client, sign_in, tenant, other_tenant, other_admin, clerk, day
):
    from booking.reservations import service as bookings

    hall = resources.create_resource(
        other_tenant, None, name="Andere Halle", kind="hall", requires_approval=True
    )
    db.session.flush()
    other = bookings.create_booking(
        other_tenant, other_admin, hall, local(day, 10), local(day, 12), "Fremd"
    ).booking
    db.session.commit()
    sign_in(clerk)
    response = client.post(
        f"/{tenant.slug}/staff/approvals/{other.id}", data={"decision": "approve"}
    )
    assert response.status_code == 404
    db.session.refresh(other)
    assert other.status == "requested"


# --- calendar --------------------------------------------------------------------


def test_calendar_shows_titles_and_bookers_per_hall_and_day(
    client, sign_in, tenant, hall, sports_hall, book_hours, citizen, club, clerk, day
):
    book_hours(citizen, hall, 18, 22, title="Vereinsabend", organisation=club)
    book_hours(citizen, sports_hall, 9, 11, title="Training")
    closures.create_closure(
        tenant,
        None,
        resource=hall,
        start=local(day + timedelta(days=1), 8),
        end=local(day + timedelta(days=1), 12),
        reason="Grundreinigung",
    )
    db.session.commit()
    sign_in(clerk)
    page = text(client.get(f"/{tenant.slug}/staff/calendar?view=week&date={day.isoformat()}"))
    assert '<th scope="row">Dorfgemeinschaftshaus</th>' in page
    assert "18:00–22:00" in page and "Vereinsabend" in page
    assert "TSV Musterhausen (Carla Citizen)" in page
    assert "Training" in page and "angefragt" in page
    assert "Grundreinigung" in page and "gesperrt" in page
    day_view = text(client.get(f"/{tenant.slug}/staff/calendar?view=day&date={day.isoformat()}"))
    assert "Vereinsabend" in day_view and "Grundreinigung" not in day_view
    next_day = (day + timedelta(days=1)).isoformat()
    assert f"date={next_day}" in day_view


@pytest.mark.parametrize(
    "query", ["?view=month", "?date=gestern", "?date=99999-01-01", "?date=0001-01-01"]
)
def test_calendar_ignores_nonsense_parameters(client, sign_in, tenant, hall, clerk, query):
    sign_in(clerk)
    assert client.get(f"/{tenant.slug}/staff/calendar{query}").status_code == 200


def test_calendar_has_a_date_picker_and_names_a_bad_date(client, sign_in, tenant, hall, clerk):
    sign_in(clerk)
    page = client.get(f"/{tenant.slug}/staff/calendar?date=2027-03-10").get_data(as_text=True)
    assert 'type="date"' in page and 'value="2027-03-10"' in page
    assert "calendar-week" in page  # the fixed-layout week that fits 1280 px
    response = client.get(f"/{tenant.slug}/staff/calendar?date=gestern")
    assert response.status_code == 200
    assert "ist kein gültiges Datum" in text(response)


# --- move one date ----------------------------------------------------------------


def test_clerk_moves_one_date(client, sign_in, tenant, hall, booking, clerk, day):
    occurrence = booking.occurrences[0]
    url = f"/{tenant.slug}/bookings/{booking.id}/occurrences/{occurrence.id}/move"
    sign_in(clerk)
    assert f"/occurrences/{occurrence.id}/move" in text(
        client.get(f"/{tenant.slug}/bookings/{booking.id}")
    )
    form = text(client.get(url))
    assert 'value="18:00"' in form
    new_day = day + timedelta(days=1)
    response = client.post(
        url,
        data={
            "date": new_day.isoformat(),
            "start_time": "17:00",
            "end_time": "21:00",
            "reason": "Tausch",
        },
    )
    assert response.status_code == 302
    db.session.refresh(occurrence)
    assert occurrence.start_at == local(new_day, 17)
    assert occurrence.sequence == 1
    page = text(client.get(f"/{tenant.slug}/bookings/{booking.id}"))
    assert "Termin verlegt" in page


def test_moving_onto_a_taken_time_changes_nothing(
    client, sign_in, tenant, hall, booking, book_hours, other_citizen, clerk, day
):
    book_hours(other_citizen, hall, 10, 12)
    occurrence = booking.occurrences[0]
    sign_in(clerk)
    response = client.post(
        f"/{tenant.slug}/bookings/{booking.id}/occurrences/{occurrence.id}/move",
        data={"date": day.isoformat(), "start_time": "11:00", "end_time": "13:00"},
    )
    assert response.status_code == 409
    assert "Leider schon belegt" in text(response)
    db.session.refresh(occurrence)
    assert occurrence.start_at == local(day, 18)


@pytest.mark.parametrize(
    "data",
    [
        {"date": "kein Datum", "start_time": "10:00", "end_time": "12:00"},
        {"date": "2027-01-01", "start_time": "12:00", "end_time": "10:00"},
        {"date": "2027-01-01", "start_time": "", "end_time": "10:00"},
    ],
)
def test_bad_move_input_is_a_form_error(client, sign_in, tenant, booking, clerk, day, data):
    occurrence = booking.occurrences[0]
    sign_in(clerk)
    response = client.post(
        f"/{tenant.slug}/bookings/{booking.id}/occurrences/{occurrence.id}/move", data=data
    )
    assert response.status_code == 422
    assert "Bitte korrigieren Sie" in text(response)
    db.session.refresh(occurrence)
    assert occurrence.start_at == local(day, 18)


# --- caretaker --------------------------------------------------------------------


def today_local():
    return datetime.now(TZ).date()


def book_today(tenant, admin, resource, title, organisation=None):
    """A booking today at 10–12 (staff override: today may be a holiday or past)."""
    from booking.reservations import service as bookings

    today = today_local()
    result = bookings.create_booking(
        tenant,
        admin,
        resource,
        local(today, 10),
        local(today, 12),
        title,
        organisation=organisation,
        override_reason="Testdaten",
        now=local(today, 0) - timedelta(days=1),
    )
    db.session.commit()
    return result.booking


def test_caretaker_sees_today_and_this_week_of_assigned_halls_only(
    client, sign_in, tenant, hall, make_resource, caretaker, admin
):
    elsewhere = make_resource("Friedhofskapelle Nord", "hall")
    book_today(tenant, admin, hall, "Seniorentreff")
    book_today(tenant, admin, elsewhere, "Fremde Halle")
    sign_in(caretaker)
    page = text(client.get(f"/{tenant.slug}/caretaker/"))
    assert page.count("Seniorentreff") == 2  # today and this week
    assert "Fremde Halle" not in page
    assert "Tagesblatt" in page


def test_caretaker_of_a_part_sees_bookings_of_the_whole_hall(
    client, sign_in, tenant, hall, make_resource, make_user, admin
):
    part = make_resource("Saal A", "room", parent_id=hall.id)
    user = make_user("teil@example.org", tenant=tenant, roles=("caretaker",))
    resources.add_caretaker(tenant, None, part, user)
    db.session.commit()
    book_today(tenant, admin, hall, "Großes Fest")
    sign_in(user)
    assert "Großes Fest" in text(client.get(f"/{tenant.slug}/caretaker/"))


def test_day_sheet_lists_times_hall_title_and_contact(
    client, sign_in, tenant, hall, caretaker, admin, club
):
    book_today(tenant, admin, hall, "Jahreshauptversammlung", organisation=club)
    sign_in(caretaker)
    page = text(client.get(f"/{tenant.slug}/caretaker/day"))
    assert "10:00–12:00" in page
    assert "Dorfgemeinschaftshaus" in page
    assert "Jahreshauptversammlung" in page
    assert "TSV Musterhausen" in page
    assert "Drucken" in page and 'class="no-print"' in page
    tomorrow = (today_local() + timedelta(days=1)).isoformat()
    assert "Jahreshauptversammlung" not in text(
        client.get(f"/{tenant.slug}/caretaker/day?date={tomorrow}")
    )
    assert client.get(f"/{tenant.slug}/caretaker/day?date=quatsch").status_code == 400


def test_caretaker_without_halls_gets_a_hint(client, sign_in, tenant, make_user):
    user = make_user("neu@example.org", tenant=tenant, roles=("caretaker",))
    sign_in(user)
    assert "noch keine Hallen zugeordnet" in text(client.get(f"/{tenant.slug}/caretaker/"))


# --- navigation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "visible", "hidden"),
    [
        ("citizen", ["Meine Buchungen"], ["Freigaben", "Kalender", "Hausmeister"]),
        ("caretaker", ["Meine Buchungen", "Hausmeister"], ["Freigaben", "Kalender"]),
        ("clerk", ["Meine Buchungen", "Freigaben", "Kalender"], ["Hausmeister"]),
        (None, [], ["Meine Buchungen", "Freigaben", "Kalender", "Hausmeister"]),
    ],
)
def test_navigation_per_role(client, sign_in, tenant, request, who, visible, hidden):
    sign_in(request.getfixturevalue(who) if who else None)
    page = text(client.get(f"/{tenant.slug}/"))
    start = page.index('<nav aria-label="Hauptnavigation"')
    nav = page[start : page.index("</nav>", start)]
    for label in visible:
        assert f">{label}</a>" in nav, label
    for label in hidden:
        assert f">{label}</a>" not in nav, label
