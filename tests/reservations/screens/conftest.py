"""Factories for the screen tests: a municipality with halls, people in
every role, bookings made through the service, and signing in."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from booking.accounts import service as accounts
from booking.extensions import db
from booking.reservations import service as bookings
from booking.resources import service as resources

TZ = ZoneInfo("Europe/Berlin")


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """Wall-clock time in Musterhausen as an aware UTC instant."""
    return datetime.combine(day, time(hour, minute)).replace(tzinfo=TZ).astimezone(UTC)


def working_day(after_days: int = 21) -> date:
    """A Wednesday at least ``after_days`` ahead that is no public holiday in
    Hesse (and whose next four Wednesdays are none either)."""
    day = datetime.now(TZ).date() + timedelta(days=after_days)
    while True:
        day += timedelta(days=(2 - day.weekday()) % 7)
        weeks = [day + timedelta(weeks=n) for n in range(5)]
        closed = holidays.Germany(subdiv="HE", years={d.year for d in weeks})
        if not any(d in closed for d in weeks):
            return day
        day += timedelta(days=1)


@pytest.fixture
def day() -> date:
    return working_day()


@pytest.fixture
def sign_in(client, login):
    """Sign ``user`` in through the real login form (signing out whoever was
    signed in); ``sign_in(None)`` only signs out."""

    def do(user) -> None:
        client.post("/account/logout")
        if user is not None:
            login(user)

    return do


@pytest.fixture
def caretaker(tenant, make_user, hall):
    user = make_user("caretaker@example.org", tenant=tenant, roles=("caretaker",), name="Hans Haus")
    resources.add_caretaker(tenant, None, hall, user)
    db.session.commit()
    return user


@pytest.fixture
def other_tenant(make_tenant):
    return make_tenant("andersdorf", name="Gemeinde Andersdorf")


@pytest.fixture
def other_admin(other_tenant, make_user):
    return make_user("admin@andersdorf.example", tenant=other_tenant, roles=("admin",))


@pytest.fixture
def hall(make_resource):
    return make_resource(
        "Dorfgemeinschaftshaus", capacity=120, address="Hauptstraße 1, 12345 Musterhausen"
    )


@pytest.fixture
def sports_hall(make_resource):
    return make_resource("Sporthalle", "sports_hall", capacity=200, requires_approval=True)


@pytest.fixture
def club(tenant, citizen):
    organisation = accounts.create_organisation(tenant, citizen, name="TSV Musterhausen")
    db.session.commit()
    return organisation


@pytest.fixture
def book_hours(tenant, day):
    """``book_hours(user, resource, start_hour=18, end_hour=22, *, on=day,
    title="Probe", **kw)``: whole hours on a local day via the service,
    committed; returns the booking (the reservations tests' ``make_booking``
    takes a resource and two instants instead)."""

    def make(user, resource, start_hour=18, end_hour=22, *, on=None, title="Probe", **kw):
        when = on or day
        result = bookings.create_booking(
            tenant, user, resource, local(when, start_hour), local(when, end_hour), title, **kw
        )
        db.session.commit()
        return result.booking

    return make


@pytest.fixture
def booking(book_hours, citizen, hall):
    return book_hours(citizen, hall, title="Geburtstag Carla")
