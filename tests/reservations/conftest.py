"""Fixtures of the reservations tests: a hall with halves, bookings through
the service, local times (people and ``make_resource`` come from
``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from booking.accounts.models import User
from booking.core import utcnow
from booking.extensions import db
from booking.reservations import service
from booking.reservations.models import Booking
from booking.resources.models import Resource

BERLIN = ZoneInfo("Europe/Berlin")


def at(day: date, clock: str, tz: ZoneInfo = BERLIN) -> datetime:
    """Local wall-clock time on ``day`` as an aware UTC instant."""
    hours, minutes = (int(part) for part in clock.split(":"))
    return datetime.combine(day, time(hours, minutes)).replace(tzinfo=tz).astimezone(UTC)


def iso(instant: datetime, tz: ZoneInfo = BERLIN) -> str:
    return instant.astimezone(tz).isoformat()


def workday(weekday: int = 2, *, after_days: int = 40, state: str = "HE") -> date:
    """A future date on ``weekday`` (0 = Monday) that is no public holiday."""
    day = datetime.now(BERLIN).date() + timedelta(days=after_days)
    day += timedelta(days=(weekday - day.weekday()) % 7)
    calendar = holidays.Germany(subdiv=state, years=range(day.year, day.year + 2))
    while day in calendar:
        day += timedelta(days=7)
    return day


@pytest.fixture
def day() -> date:
    """A Wednesday some weeks ahead, no holiday."""
    return workday()


@pytest.fixture
def hall(make_resource) -> tuple[Resource, Resource, Resource]:
    """A hall with halves A and B."""
    whole = make_resource("Dorfgemeinschaftshaus", capacity=200)
    a = make_resource("Saal A", "room", parent=whole, capacity=100)
    b = make_resource("Saal B", "room", parent=whole, capacity=100)
    return whole, a, b


@pytest.fixture
def make_booking(tenant, citizen) -> Callable[..., Booking]:
    """``make_booking(resource, start, end, actor=citizen, **kwargs)`` through
    the service, committed. Returns the booking."""

    def make(
        resource: Resource,
        start: datetime,
        end: datetime,
        *,
        actor: User | None = None,
        title: str = "Probe",
        **kwargs,
    ) -> Booking:
        kwargs.setdefault("now", utcnow())
        result = service.create_booking(
            tenant, actor or citizen, resource, start, end, title, **kwargs
        )
        db.session.commit()
        return result.booking

    return make
