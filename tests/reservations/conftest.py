"""Factories for the reservations tests: resources (with parts and opening
hours), users in roles, bookings through the service, local times."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from booking.accounts import service as accounts
from booking.accounts.models import User
from booking.core import utcnow
from booking.extensions import db
from booking.reservations import service
from booking.reservations.models import Booking
from booking.resources.models import OpeningHours, Resource
from booking.tenants.models import Tenant
from tests.conftest import PASSWORD

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


@pytest.fixture(scope="session")
def _password_hash() -> str:
    return accounts.hash_password(PASSWORD)


@pytest.fixture
def make_person(app, _password_hash) -> Callable[..., User]:
    """``make_person(email, tenant=None, roles=())``: a confirmed user, fast
    (the argon2 hash is computed once per session, not per user)."""

    def make(email: str, *, tenant: Tenant | None = None, roles=(), name: str = "") -> User:
        user = User(
            email=email,
            name=name,
            password_hash=_password_hash,
            email_confirmed_at=utcnow(),
        )
        db.session.add(user)
        db.session.flush()
        for role in roles:
            accounts.grant_role(tenant, None, user, role)
        db.session.commit()
        return user

    return make


@pytest.fixture
def admin(tenant, make_person) -> User:
    return make_person("admin@example.org", tenant=tenant, roles=("admin",), name="Anna Admin")


@pytest.fixture
def clerk(tenant, make_person) -> User:
    return make_person("clerk@example.org", tenant=tenant, roles=("clerk",), name="Sven Clerk")


@pytest.fixture
def citizen(make_person) -> User:
    return make_person("citizen@example.org", name="Carla Citizen")


@pytest.fixture
def other_citizen(make_person) -> User:
    return make_person("other@example.org", name="Otto Other")


@pytest.fixture
def make_resource(tenant) -> Callable[..., Resource]:
    """``make_resource(name, kind="hall", parent=None, hours=None, **fields)``.
    ``hours``: ``{weekday: ("08:00", "22:00")}`` (no rows: always open)."""
    counter = iter(range(1, 10_000))

    def make(
        name: str | None = None,
        kind: str = "hall",
        *,
        parent: Resource | None = None,
        hours: dict[int, tuple[str, str]] | None = None,
        of_tenant: Tenant | None = None,
        **fields,
    ) -> Resource:
        owner = of_tenant or tenant
        fields.setdefault("capacity", 100)
        resource = Resource(
            tenant_id=owner.id,
            name=name or f"Raum {next(counter)}",
            kind=kind,
            parent_id=parent.id if parent else None,
            **fields,
        )
        for weekday, (opens, closes) in (hours or {}).items():
            oh, om = (int(p) for p in opens.split(":"))
            ch, cm = (int(p) for p in closes.split(":"))
            resource.opening_hours.append(
                OpeningHours(weekday=weekday, opens_min=oh * 60 + om, closes_min=ch * 60 + cm)
            )
        db.session.add(resource)
        db.session.commit()
        return resource

    return make


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
