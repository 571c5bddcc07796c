"""Fixtures of the reservations tests: bookings through the service (people,
``make_resource``, ``day`` and ``hall_with_halves`` come from
``tests/conftest.py``, local times from ``tests/times.py``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from booking.accounts.models import User
from booking.core import utcnow
from booking.extensions import db
from booking.reservations import service
from booking.reservations.models import Booking
from booking.resources.models import Resource


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
