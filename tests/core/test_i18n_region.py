"""English is formatted for the visitor's region (en-GB: 24-hour clock and
day/month; en-US otherwise), German as de_DE; hints show examples in those
formats; holiday names follow the visitor's language."""

from datetime import date

import pytest
from flask_babel import refresh

from booking.extensions import db
from booking.i18n import date_example, datetime_example, time_example
from booking.reservations import service as bookings
from booking.resources.availability import holiday_intervals
from tests.times import at

MONDAY = date(2027, 12, 20)  # the week of Christmas 2027
WEDNESDAY = date(2027, 12, 22)


@pytest.fixture
def week_page(client, tenant, citizen, make_resource):
    hall = make_resource("Bürgerhaus", observe_holidays=True)
    bookings.create_booking(
        tenant, citizen, hall, at(WEDNESDAY, "18:00"), at(WEDNESDAY, "20:00"), "Probe"
    )
    db.session.commit()

    def get(accept_language: str) -> str:
        response = client.get(
            f"/{tenant.slug}/halls/{hall.id}/week?start={MONDAY.isoformat()}",
            headers={"Accept-Language": accept_language},
        )
        assert response.status_code == 200
        return response.get_data(as_text=True)

    return get


def test_british_english_shows_the_24_hour_clock_and_day_before_month(week_page):
    page = week_page("en-GB,en;q=0.9")
    assert "Wednesday" in page  # the English catalogue, via the en fallback
    assert "18:00" in page
    assert "PM" not in page
    assert "22 Dec 2027" in page or "22/12/2027" in page
    assert "Christmas Day" in page


def test_american_english_shows_am_pm(week_page):
    page = week_page("en-US,en;q=0.9")
    assert "Wednesday" in page
    assert "6:00\u202fPM" in page or "6:00 PM" in page
    assert "Dec 22, 2027" in page
    assert "Christmas Day" in page


def test_german_stays_german(week_page):
    page = week_page("de-DE,de;q=0.9")
    assert "Mittwoch" in page
    assert "18:00" in page
    assert "Erster Weihnachtstag" in page
    assert "Christmas" not in page


@pytest.mark.parametrize(
    "header", ["", "*", ";;;q=abc,,", "xx-YY;q=2", "en-;q=0.5", "e" * 300, "de-DE;q=x, en"]
)
def test_a_malformed_accept_language_is_german_or_english_never_an_error(client, tenant, header):
    response = client.get(f"/{tenant.slug}/", headers={"Accept-Language": header})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="de">' in page or '<html lang="en">' in page


def test_no_accept_language_is_german(client, tenant):
    assert '<html lang="de">' in client.get(f"/{tenant.slug}/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("de", ("06.03.2027", "18:00", "06.03.2027, 18:00")),
        ("en-GB", ("06/03/2027", "18:00", "06/03/2027, 18:00")),
        ("en-IE", ("06/03/2027", "18:00", "06/03/2027, 18:00")),
        ("en-US", ("3/6/27", "6:00\u202fPM", "3/6/27, 6:00\u202fPM")),
        ("en", ("3/6/27", "6:00\u202fPM", "3/6/27, 6:00\u202fPM")),
        # a German browser that also accepts English is German
        ("de-DE,en;q=0.5", ("06.03.2027", "18:00", "06.03.2027, 18:00")),
    ],
)
def test_examples_are_in_the_visitors_formats(app, header, expected):
    with app.test_request_context(headers={"Accept-Language": header}):
        refresh()
        assert (date_example(), time_example(), datetime_example()) == expected


def test_the_switcher_keeps_the_language_and_the_browser_gives_the_region(client, tenant):
    client.post("/lang", data={"lang": "en"}, headers={"Accept-Language": "de-DE"})
    page = client.get(f"/{tenant.slug}/", headers={"Accept-Language": "de-DE"})
    assert '<html lang="en">' in page.get_data(as_text=True)
    with client.session_transaction() as session:
        assert session["lang"] == "en"
    with client.application.test_request_context(headers={"Accept-Language": "de-DE"}):
        from flask import session as request_session

        request_session["lang"] = "en"
        refresh()
        assert date_example() == "06/03/2027"  # English, formatted for Germany: en_GB


def test_a_saved_english_is_formatted_for_the_region(client, tenant, make_resource, login, citizen):
    citizen.locale = "en"
    db.session.commit()
    login(citizen)
    hall = make_resource("Halle")
    page = client.get(
        f"/{tenant.slug}/halls/{hall.id}/book", headers={"Accept-Language": "en-GB"}
    ).get_data(as_text=True)
    assert "For example 06/03/2027" in page or "06/03/2027" in page
    assert "06.03.2027" not in page


def test_holiday_names_follow_the_request_and_are_german_outside_one(app, tenant):
    start, end = at(date(2027, 12, 25), "00:00"), at(date(2027, 12, 26), "00:00")
    with app.test_request_context(headers={"Accept-Language": "en-GB"}):
        refresh()
        assert [b.label for b in holiday_intervals(tenant, start, end)] == ["Christmas Day"]
    with app.test_request_context(headers={"Accept-Language": "de"}):
        refresh()
        assert [b.label for b in holiday_intervals(tenant, start, end)] == ["Erster Weihnachtstag"]
    with app.app_context():
        assert [b.label for b in holiday_intervals(tenant, start, end)] == ["Erster Weihnachtstag"]


def test_the_opening_hours_hint_shows_times_in_the_visitors_format(
    client, tenant, make_user, login, make_resource
):
    hall = make_resource("Halle")
    login(make_user(tenant=tenant, roles=("admin",)))
    url = f"/{tenant.slug}/admin/resources/{hall.id}/hours"
    german = client.get(url, headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "08:00–12:00 und 14:00–22:00" in german
    american = client.get(url, headers={"Accept-Language": "en-US"}).get_data(as_text=True)
    assert "8:00\u202fAM–12:00\u202fPM" in american
