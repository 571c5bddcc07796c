"""The closure screens (Sperrzeiten, ``/admin/resources/closures``): entering
and lifting closures, and a closure over existing bookings, which lists their
dates first and then cancels them with one reason or keeps them, telling each
applicant."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from booking.audit.models import AuditEntry
from booking.extensions import db
from booking.notifications.models import OutboxMessage
from booking.reservations.models import Booking, Claim, Occurrence
from booking.resources import closures
from booking.resources.models import Closure
from booking.tenants.service import create_tenant
from tests.outbox import composed_mail
from tests.reservations.screens.conftest import local


def text_of(response) -> str:
    return response.get_data(as_text=True)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def mails(prefix: str) -> list[OutboxMessage]:
    return composed_mail(OutboxMessage.key.like(f"{prefix}%"))


# --- entering and lifting closures ----------------------------------------------------------


def test_clerk_enters_a_closure_in_local_time_and_it_is_audited(
    client, tenant, login, clerk, make_resource
):
    hall = make_resource("Halle")
    login(clerk)
    url = f"/{tenant.slug}/admin/resources/closures"
    response = client.post(
        url,
        data={
            "resource_id": str(hall.id),
            "mode": "times",
            "start": "2027-03-06T18:00",
            "end": "2027-07-06T08:00",
            "reason": "Renovierung",
        },
    )
    assert response.status_code == 302
    closure = db.session.scalar(select(Closure))
    # Europe/Berlin: +01:00 in March, +02:00 in July.
    assert closure.start_at == datetime(2027, 3, 6, 17, 0, tzinfo=UTC)
    assert closure.end_at == datetime(2027, 7, 6, 6, 0, tzinfo=UTC)
    assert closure.resource_id == hall.id and closure.created_by_id == clerk.id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "closure.create"))
    assert entry.actor_id == clerk.id and entry.object_id == closure.id
    html = text_of(client.get(url))
    assert "Renovierung" in html and "Sperrzeit" in html

    response = client.post(f"{url}/{closure.id}/delete")
    assert response.status_code == 302
    assert count(Closure) == 0
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "closure.delete"))


def test_tenant_wide_closure_through_the_form(client, tenant, login, admin):
    login(admin)
    response = client.post(
        f"/{tenant.slug}/admin/resources/closures",
        data={
            "resource_id": "all",
            "mode": "times",
            "start": "2027-12-24T00:00",
            "end": "2027-12-27T00:00",
            "reason": "Weihnachten",
        },
    )
    assert response.status_code == 302
    assert db.session.scalar(select(Closure)).resource_id is None


@pytest.mark.parametrize(
    "overrides",
    [
        {"reason": ""},
        {"start": ""},
        {"end": "2027-03-06T17:00"},
        {"end": "2027-03-06T18:00"},
        {"start": "morgen"},
        {"resource_id": "999999"},
        {"resource_id": ""},  # nothing chosen: no silent "everything"
        {"mode": "days"},  # whole days without dates
        {"mode": "days", "first_day": "2027-03-08", "last_day": "2027-03-07"},
        {"mode": "days", "first_day": "2027-03-08", "last_day": "morgen"},
    ],
)
def test_invalid_closure_form_saves_nothing(client, tenant, login, clerk, overrides):
    login(clerk)
    data = {
        "resource_id": "all",
        "mode": "times",
        "start": "2027-03-06T18:00",
        "end": "2027-03-07T18:00",
        "reason": "Wahl",
    }
    data.update(overrides)
    response = client.post(f"/{tenant.slug}/admin/resources/closures", data=data)
    assert response.status_code == 422
    assert "error-summary" in text_of(response)
    assert count(Closure) == 0


def test_the_form_preselects_nothing_and_names_what_all_closes(client, tenant, login, clerk):
    login(clerk)
    page = text_of(client.get(f"/{tenant.slug}/admin/resources/closures"))
    assert '<option selected value="">' in page or '<option value="" selected>' in page
    assert "auch Trauerhallen und Friedhofsteams" in page
    assert 'value="all" selected' not in page and 'selected value="all"' not in page


def test_whole_days_include_the_last_day_across_the_clock_change(
    client, tenant, login, clerk, make_resource
):
    hall = make_resource("Halle")
    login(clerk)
    response = client.post(
        f"/{tenant.slug}/admin/resources/closures",
        data={
            "resource_id": str(hall.id),
            "mode": "days",
            "first_day": "2027-03-27",
            "last_day": "2027-03-28",  # clocks go forward in the night to the 28th
            "reason": "Frühjahrsputz",
        },
    )
    assert response.status_code == 302
    closure = db.session.scalar(select(Closure))
    # From 27 March 00:00 CET to 29 March 00:00 CEST: both days whole.
    assert closure.start_at == datetime(2027, 3, 26, 23, 0, tzinfo=UTC)
    assert closure.end_at == datetime(2027, 3, 28, 22, 0, tzinfo=UTC)


def test_a_single_whole_day(client, tenant, login, clerk, make_resource):
    hall = make_resource("Halle")
    login(clerk)
    response = client.post(
        f"/{tenant.slug}/admin/resources/closures",
        data={
            "resource_id": str(hall.id),
            "mode": "days",
            "first_day": "2027-10-31",
            "last_day": "2027-10-31",  # 25 hours long: clocks go back
            "reason": "Wahl",
        },
    )
    assert response.status_code == 302
    closure = db.session.scalar(select(Closure))
    assert closure.start_at == datetime(2027, 10, 30, 22, 0, tzinfo=UTC)
    assert closure.end_at == datetime(2027, 10, 31, 23, 0, tzinfo=UTC)


# --- a closure over existing bookings -------------------------------------------------------


def closure_form(day, *, days: int = 1, resource=None, **overrides) -> dict[str, str]:
    """The whole local ``day`` (and ``days - 1`` more) closed."""
    data = {
        "resource_id": str(resource.id) if resource is not None else "all",
        "mode": "times",
        "start": f"{day.isoformat()}T00:00",
        "end": f"{(day + timedelta(days=days)).isoformat()}T00:00",
        "reason": "Wasserrohrbruch",
    }
    data.update(overrides)
    return data


def listed_on(page: str) -> str:
    match = re.search(r'name="listed" type="hidden" value="([^"]*)"', page) or re.search(
        r'type="hidden" name="listed" value="([^"]*)"', page
    )
    assert match, "no listed dates on the page"
    return match[1]


def confirm(client, tenant, day, page: str, **fields) -> object:
    """Send the confirmation step of ``page`` with ``fields``."""
    data = closure_form(day, **{k: v for k, v in fields.items() if k in ("resource", "days")})
    data.update({"action": "confirm", "listed": listed_on(page)})
    data.update({k: v for k, v in fields.items() if k not in ("resource", "days")})
    return client.post(f"/{tenant.slug}/admin/resources/closures", data=data)


def url(tenant) -> str:
    return f"/{tenant.slug}/admin/resources/closures"


@pytest.fixture
def dates(book_hours, citizen, other_citizen, hall, make_resource, day):
    """Carla's party on ``day`` in the hall, Otto's meeting the day after
    (outside a one-day closure) and a course in another room on ``day``."""
    party = book_hours(citizen, hall, 18, 22, title="Geburtstag Carla")
    later = book_hours(
        other_citizen, hall, 18, 20, on=day + timedelta(days=1), title="Ottos Treffen"
    )
    room = make_resource("Mehrzweckraum", "room")
    course = book_hours(other_citizen, room, 9, 11, title="Sprachkurs")
    return party, later, course


def test_the_form_lists_the_dates_inside_first_and_writes_nothing(
    client, sign_in, tenant, clerk, hall, dates, day
):
    party, _later, _course = dates
    sign_in(clerk)
    response = client.post(url(tenant), data=closure_form(day, resource=hall))
    assert response.status_code == 200
    page = text_of(response)
    assert "<caption" in page and "1 Termin in dieser Sperrzeit" in page
    assert "Geburtstag Carla" in page and "Carla Citizen" in page
    assert "Ottos Treffen" not in page and "Sprachkurs" not in page
    assert "<legend>Was geschieht mit diesen Terminen?" in page
    assert '<label for="cancel_reason">Grund der Absage</label>' in page
    assert listed_on(page) == str(party.occurrences[0].id)
    assert count(Closure) == 0 and mails("closure.") == [] and mails("booking.cancelled") == []
    db.session.refresh(party)
    assert party.status == "confirmed"


def test_a_tenant_wide_closure_lists_every_hall(client, sign_in, tenant, clerk, dates, day):
    party, _later, course = dates
    sign_in(clerk)
    page = text_of(client.post(url(tenant), data=closure_form(day)))
    assert "2 Termine in dieser Sperrzeit" in page
    ids = {party.occurrences[0].id, course.occurrences[0].id}
    assert set(map(int, listed_on(page).split(","))) == ids


def test_a_closure_of_a_half_lists_the_whole_hall_but_not_the_other_half(
    client, sign_in, tenant, clerk, make_resource, book_hours, citizen, day
):
    whole = make_resource("Bürgerhaus")
    a = make_resource("Saal A", "room", parent=whole)
    b = make_resource("Saal B", "room", parent=whole)
    book_hours(citizen, whole, 8, 10, title="Ganzes Haus")
    book_hours(citizen, a, 12, 14, title="Nur A")
    book_hours(citizen, b, 12, 14, title="Nur B")
    sign_in(clerk)
    page = text_of(client.post(url(tenant), data=closure_form(day, resource=a)))
    assert "Ganzes Haus" in page and "Nur A" in page and "Nur B" not in page


def test_cancelling_them_with_one_reason(client, sign_in, tenant, clerk, citizen, hall, dates, day):
    party, later, course = dates
    sign_in(clerk)
    page = text_of(client.post(url(tenant), data=closure_form(day, resource=hall)))
    response = confirm(
        client, tenant, day, page, resource=hall, dates="cancel", cancel_reason="Rohrbruch im Saal"
    )
    assert response.status_code == 302
    closure = db.session.scalar(select(Closure))
    assert closure.reason == "Wasserrohrbruch" and closure.resource_id == hall.id
    db.session.expire_all()
    occurrence = party.occurrences[0]
    assert party.status == "cancelled" and occurrence.cancelled_at is not None
    assert not db.session.scalar(
        select(func.count())
        .select_from(Claim)
        .where(Claim.occurrence_id == occurrence.id, Claim.active.is_(True))
    )
    assert later.status == course.status == "confirmed"
    (mail,) = mails("booking.cancelled")
    assert mail.key == f"booking.cancelled:{party.id}:{occurrence.id}:1"
    assert mail.to_address == citizen.email
    assert "Die Verwaltung hat" in mail.body_text and "Rohrbruch im Saal" in mail.body_text
    assert mails("closure.") == []
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "booking.cancel"))
    assert entry.actor_id == clerk.id and entry.reason == "Rohrbruch im Saal"
    page = text_of(client.get(response.headers["Location"]))
    assert "1 Termin wurde abgesagt" in page


def test_an_empty_cancel_reason_is_the_closures_reason(
    client, sign_in, tenant, clerk, hall, dates, day
):
    _party, _later, _course = dates
    sign_in(clerk)
    page = text_of(client.post(url(tenant), data=closure_form(day, resource=hall)))
    assert "Wasserrohrbruch</textarea>" in page  # prefilled
    response = confirm(client, tenant, day, page, resource=hall, dates="cancel", cancel_reason="")
    assert response.status_code == 302
    (mail,) = mails("booking.cancelled")
    assert "Begründung: Wasserrohrbruch" in mail.body_text


def test_keeping_them_tells_each_applicant(
    client, sign_in, tenant, clerk, citizen, other_citizen, dates, day
):
    party, _later, course = dates
    sign_in(clerk)
    page = text_of(client.post(url(tenant), data=closure_form(day)))
    response = confirm(client, tenant, day, page, dates="keep", cancel_reason="ignoriert")
    assert response.status_code == 302
    closure = db.session.scalar(select(Closure))
    assert closure.resource_id is None
    db.session.expire_all()
    assert party.status == course.status == "confirmed"
    assert party.occurrences[0].cancelled_at is None
    sent = {m.key: m for m in mails("closure.affects")}
    assert set(sent) == {
        f"closure.affects:{closure.id}:{party.occurrences[0].id}",
        f"closure.affects:{closure.id}:{course.occurrences[0].id}",
    }
    to_carla = sent[f"closure.affects:{closure.id}:{party.occurrences[0].id}"]
    assert to_carla.to_address == citizen.email
    assert "Sperrzeit" in to_carla.subject and "Wasserrohrbruch" in to_carla.body_text
    assert mails("booking.cancelled") == []
    assert "2 Termine bleiben bestehen" in text_of(client.get(response.headers["Location"]))


def test_dates_of_a_series_inside_are_cancelled_together_the_rest_stays(
    client, sign_in, tenant, clerk, citizen, hall, book_hours, day
):
    series = book_hours(citizen, hall, 18, 20, title="Chorprobe", recurrence={"count": 3})
    first, second, third = sorted(series.occurrences, key=lambda o: o.start_at)
    sign_in(clerk)
    page = text_of(client.post(url(tenant), data=closure_form(day, days=8, resource=hall)))
    assert "2 Termine in dieser Sperrzeit" in page
    response = confirm(client, tenant, day, page, resource=hall, days=8, dates="cancel")
    assert response.status_code == 302
    db.session.expire_all()
    assert series.status == "confirmed"
    assert first.cancelled_at and second.cancelled_at and third.cancelled_at is None
    (mail,) = mails("booking.cancelled")
    assert mail.key == f"booking.cancelled:{series.id}:{first.id}:2"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "occurrence.cancel"))
    assert entry.object_id == series.id and entry.reason == "Wasserrohrbruch"


def test_without_dates_inside_it_is_entered_at_once(client, sign_in, tenant, clerk, hall, day):
    sign_in(clerk)
    response = client.post(url(tenant), data=closure_form(day, resource=hall))
    assert response.status_code == 302
    assert count(Closure) == 1 and mails("closure.") == []


def test_going_back_keeps_the_values_and_writes_nothing(
    client, sign_in, tenant, clerk, hall, dates, day
):
    sign_in(clerk)
    page = text_of(client.post(url(tenant), data=closure_form(day, resource=hall)))
    response = confirm(client, tenant, day, page, resource=hall, action="edit")
    assert response.status_code == 200
    html = text_of(response)
    assert 'value="Wasserrohrbruch"' in html and "error-summary" not in html
    assert count(Closure) == 0


def test_a_refused_confirmation_writes_nothing(client, sign_in, tenant, clerk, hall, dates, day):
    party, _later, _course = dates
    sign_in(clerk)
    page = text_of(client.post(url(tenant), data=closure_form(day, resource=hall)))
    for fields, status in (
        ({}, 422),  # no choice
        ({"dates": "maybe"}, 422),
        ({"dates": "cancel", "cancel_reason": "x" * 501}, 422),
        ({"dates": "cancel", "end": f"{day.isoformat()}T00:00"}, 422),  # end = start
        ({"dates": "cancel", "start": "morgen"}, 422),
        ({"dates": "cancel", "listed": "1,zwei"}, 400),
        ({"dates": "cancel", "action": "explode"}, 400),
    ):
        response = confirm(client, tenant, day, page, resource=hall, **fields)
        assert response.status_code == status, (fields, response.status_code)
        if status == 422:
            assert "error-summary" in text_of(response), fields
    assert count(Closure) == 0
    assert mails("booking.cancelled") == [] and mails("closure.") == []
    db.session.expire_all()
    assert party.status == "confirmed" and party.occurrences[0].cancelled_at is None


def test_dates_changed_since_the_list_was_shown_are_shown_again(
    client, sign_in, tenant, clerk, citizen, hall, dates, book_hours, day
):
    party, _later, _course = dates
    sign_in(clerk)
    page = text_of(client.post(url(tenant), data=closure_form(day, resource=hall)))
    newcomer = book_hours(citizen, hall, 8, 10, title="Frühstück")
    response = confirm(client, tenant, day, page, resource=hall, dates="cancel")
    assert response.status_code == 409
    html = text_of(response)
    assert "error-summary" in html and "Frühstück" in html
    assert count(Closure) == 0 and mails("booking.cancelled") == []
    expected = {party.occurrences[0].id, newcomer.occurrences[0].id}
    assert set(map(int, listed_on(html).split(","))) == expected
    response = confirm(client, tenant, day, html, resource=hall, dates="cancel")
    assert response.status_code == 302
    assert len(mails("booking.cancelled")) == 2


def test_a_citizen_gets_403_and_nothing_is_written(
    client, sign_in, tenant, citizen, hall, dates, day
):
    party, _later, _course = dates
    sign_in(citizen)
    assert client.get(url(tenant)).status_code == 403
    assert client.post(url(tenant), data=closure_form(day, resource=hall)).status_code == 403
    data = {
        **closure_form(day, resource=hall),
        "action": "confirm",
        "dates": "cancel",
        "listed": str(party.occurrences[0].id),
    }
    assert client.post(url(tenant), data=data).status_code == 403
    assert count(Closure) == 0 and mails("booking.cancelled") == []


def test_another_municipalitys_clerk_neither_sees_nor_touches_them(
    client, sign_in, login, tenant, hall, dates, day, make_user
):
    party, _later, _course = dates
    closure = closures.create_closure(
        tenant,
        None,
        start=local(day, 0),
        end=local(day, 6),
        reason="Wahl",
        resource=hall,
    )
    db.session.commit()
    elsewhere = create_tenant("andersdorf", "Gemeinde Andersdorf")
    db.session.commit()
    foreign_clerk = make_user("clerk@andersdorf.example", tenant=elsewhere, roles=("clerk",))
    sign_in(foreign_clerk)
    # Musterhausen's closure under Andersdorf's address does not exist.
    assert client.post(f"{url(elsewhere)}/{closure.id}/delete").status_code == 404
    # Musterhausen's hall is no choice in Andersdorf.
    response = client.post(url(elsewhere), data=closure_form(day, resource=hall))
    assert response.status_code == 422
    # Andersdorf closed everywhere: Musterhausen's dates are not listed nor cancelled.
    response = client.post(url(elsewhere), data=closure_form(day))
    assert response.status_code == 302
    data = {
        **closure_form(day),
        "action": "confirm",
        "dates": "cancel",
        "listed": str(party.occurrences[0].id),
    }
    assert client.post(url(elsewhere), data=data).status_code == 409
    db.session.expire_all()
    assert party.status == "confirmed" and party.occurrences[0].cancelled_at is None
    assert mails("booking.cancelled") == [] and mails("closure.") == []
    assert count(Closure) == 2  # Musterhausen's and Andersdorf's first one
    assert db.session.get(Closure, closure.id) is not None
    # And Musterhausen's own address is not theirs.
    assert client.get(url(tenant)).status_code == 403


def test_the_page_passes_basic_accessibility_checks(
    client, sign_in, tenant, clerk, hall, dates, day
):
    sign_in(clerk)
    page = text_of(client.post(url(tenant), data={**closure_form(day, resource=hall)}))
    assert '<th scope="col">' in page and '<th scope="row">' in page
    assert re.search(r'<input id="dates-0" name="dates"[^>]*type="radio"', page)
    assert '<label for="dates-0">' in page and '<label for="dates-1">' in page
    response = confirm(client, tenant, day, page, resource=hall)
    html = text_of(response)
    assert response.status_code == 422
    assert 'role="alert"' in html and 'href="#dates"' in html
    assert '<fieldset id="dates"' in html and 'aria-describedby="dates-error"' in html


def test_occurrence_and_booking_rows_are_untouched_by_a_check(
    client, sign_in, tenant, clerk, hall, dates, day
):
    sign_in(clerk)
    before = (count(Booking), count(Occurrence), count(Claim), count(AuditEntry))
    client.post(url(tenant), data=closure_form(day, resource=hall))
    assert (count(Booking), count(Occurrence), count(Claim), count(AuditEntry)) == before
