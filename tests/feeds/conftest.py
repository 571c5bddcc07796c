"""Fixtures of the feed tests: a caretaker and the hall assigned to them."""

from __future__ import annotations

import pytest

from booking.extensions import db
from booking.resources import service as resources


@pytest.fixture
def caretaker(tenant, make_user):
    return make_user("hm@example.org", tenant=tenant, roles=("caretaker",), name="Hans Hausmeister")


@pytest.fixture
def hall(tenant, make_resource, caretaker):
    hall = make_resource(
        "Bürgerhaus",
        address="Hauptstraße 1, 12345 Musterhausen",
        key_handover="Schlüssel bei Familie Meier, Hausnr. 3",
        observe_holidays=False,
    )
    resources.add_caretaker(tenant, None, hall, caretaker)
    db.session.commit()
    return hall
