"""School holidays (Schulferien): entered by hand or imported from an ICS
file by admins and clerks; a bad file stores nothing; duplicates are skipped
and reported; another municipality's staff see 404, citizens 403."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import func, select

from booking.audit.models import AuditEntry
from booking.core import ValidationFailed
from booking.extensions import db
from booking.resources import school_holidays as service
from booking.resources.models import SchoolHoliday

GOOD_ICS = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Test//Ferien//DE\r
BEGIN:VEVENT\r
UID:herbst-2027@test\r
SUMMARY:Herbstferien\r
DTSTART;VALUE=DATE:20271011\r
DTEND;VALUE=DATE:20271023\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:weihnacht-2027@test\r
SUMMARY:Weihnachtsferien\r
DTSTART;VALUE=DATE:20271223\r
DTEND;VALUE=DATE:20280109\r
END:VEVENT\r
END:VCALENDAR\r
"""

NO_EVENTS_ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//x//DE\r\nEND:VCALENDAR\r\n"

BAD_DATES_ICS = GOOD_ICS.replace(b"DTEND;VALUE=DATE:20280109", b"DTEND;VALUE=DATE:20261201")


def stored(tenant) -> list[tuple[str, date, date]]:
    db.session.expire_all()
    return [
        (h.name, h.first_day, h.last_day)
        for h in db.session.scalars(
            select(SchoolHoliday)
            .where(SchoolHoliday.tenant_id == tenant.id)
            .order_by(SchoolHoliday.first_day)
        )
    ]


def upload(client, tenant, data: bytes, filename: str = "ferien.ics"):
    return client.post(
        f"/{tenant.slug}/admin/resources/school-holidays/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def test_import_of_a_good_file_stores_each_event_with_its_last_day(client, tenant, login, admin):
    login(admin)
    response = upload(client, tenant, GOOD_ICS)
    assert response.status_code == 302
    assert stored(tenant) == [
        ("Herbstferien", date(2027, 10, 11), date(2027, 10, 22)),
        ("Weihnachtsferien", date(2027, 12, 23), date(2028, 1, 8)),
    ]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 Ferienzeiträume übernommen" in html
    assert "Herbstferien" in html and 'enctype="multipart/form-data"' in html
    # Again: nothing new, both reported as already there.
    response = upload(client, tenant, GOOD_ICS)
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "0 Ferienzeiträume übernommen" in html
    assert "Schon eingetragen und übersprungen" in html
    assert len(stored(tenant)) == 2
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "school_holiday.import")
        )
        == 2
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"this is not a calendar", "keine iCalendar-Datei"),
        (b"\xff\xfe\x00garbage", "keine iCalendar-Datei"),
        (NO_EVENTS_ICS, "keine Termine"),
        (BAD_DATES_ICS, "unplausible Daten"),
    ],
)
def test_a_bad_file_is_refused_and_nothing_is_stored(client, tenant, login, admin, data, message):
    service.add_school_holiday(tenant, None, "Osterferien", date(2027, 3, 22), date(2027, 4, 2))
    db.session.commit()
    login(admin)
    response = upload(client, tenant, data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert stored(tenant) == [("Osterferien", date(2027, 3, 22), date(2027, 4, 2))]


def test_a_file_over_1_mib_is_refused(tenant):
    # Over HTTP the request limit (MAX_CONTENT_LENGTH, 1 MiB) answers 413 first.
    with pytest.raises(ValidationFailed, match="zu groß"):
        service.import_ics(tenant, None, GOOD_ICS + b" " * (1024 * 1024))
    db.session.rollback()
    assert stored(tenant) == []


def test_a_file_with_one_bad_event_stores_none_of_its_events(tenant):
    with pytest.raises(ValidationFailed):
        service.import_ics(tenant, None, BAD_DATES_ICS)
    db.session.rollback()
    assert stored(tenant) == []


def test_a_clerk_adds_and_deletes_a_period(client, tenant, login, make_user):
    clerk = make_user(tenant=tenant, roles=("clerk",))
    login(clerk)
    base = f"/{tenant.slug}/admin/resources/school-holidays"
    response = client.post(
        base, data={"name": "Sommerferien", "first_day": "01.07.2027", "last_day": "2027-08-11"}
    )
    assert response.status_code == 302
    assert stored(tenant) == [("Sommerferien", date(2027, 7, 1), date(2027, 8, 11))]
    html = client.get(base).get_data(as_text=True)
    assert "<h2>2027</h2>" in html and "Sommerferien" in html
    holiday_id = db.session.scalar(select(SchoolHoliday.id))
    assert client.post(f"{base}/{holiday_id}/delete").status_code == 302
    assert stored(tenant) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "Ferien", "first_day": "31.02.2027", "last_day": "01.03.2027"}, "Datum"),
        ({"name": "Ferien", "first_day": "gestern", "last_day": "01.03.2027"}, "Datum"),
        ({"name": "", "first_day": "01.03.2027", "last_day": "02.03.2027"}, "Name"),
        ({"name": "Ferien", "first_day": "10.03.2027", "last_day": "01.03.2027"}, "nicht vor"),
        ({"name": "Ferien", "first_day": "01.01.2027", "last_day": "31.12.2027"}, "höchstens"),
    ],
)
def test_malformed_input_is_422_and_nothing_is_stored(client, tenant, login, admin, data, message):
    login(admin)
    response = client.post(f"/{tenant.slug}/admin/resources/school-holidays", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert stored(tenant) == []


def test_another_municipality_and_citizens_get_nowhere(
    client, tenant, login, make_user, make_tenant
):
    holiday = service.add_school_holiday(
        tenant, None, "Osterferien", date(2027, 3, 22), date(2027, 4, 2)
    )
    db.session.commit()
    other = make_tenant("andersdorf")
    login(make_user(tenant=other, roles=("admin",)))
    response = client.post(f"/{other.slug}/admin/resources/school-holidays/{holiday.id}/delete")
    assert response.status_code == 404
    login(make_user(tenant=tenant))
    base = f"/{tenant.slug}/admin/resources/school-holidays"
    assert client.get(base).status_code == 403
    assert upload(client, tenant, GOOD_ICS).status_code == 403
    assert client.post(f"{base}/{holiday.id}/delete").status_code == 403
    assert len(stored(tenant)) == 1


def test_periods_between_is_per_tenant_and_inclusive(tenant, make_tenant):
    service.add_school_holiday(tenant, None, "Herbstferien", date(2027, 10, 11), date(2027, 10, 22))
    other = make_tenant("andersdorf")
    service.add_school_holiday(other, None, "Herbstferien", date(2027, 10, 1), date(2027, 10, 30))
    db.session.flush()
    assert [
        h.name for h in service.periods_between(tenant, date(2027, 10, 22), date(2027, 11, 1))
    ] == ["Herbstferien"]
    assert service.periods_between(tenant, date(2027, 10, 23), date(2027, 11, 1)) == []
    assert len(service.list_school_holidays(tenant, 2027)) == 1
    assert service.list_school_holidays(tenant, 2028) == []
