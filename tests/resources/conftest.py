"""Factories for the resources tests."""

from __future__ import annotations

import pytest

from booking.extensions import db
from booking.resources import service


@pytest.fixture
def admin(tenant, make_user):
    return make_user("admin@example.org", tenant=tenant, roles=("admin",), name="Anna Admin")


@pytest.fixture
def clerk(tenant, make_user):
    return make_user("clerk@example.org", tenant=tenant, roles=("clerk",), name="Sven Clerk")


@pytest.fixture
def citizen(make_user):
    return make_user("citizen@example.org", name="Carla Citizen")


@pytest.fixture
def make_resource(tenant, admin):
    """``make_resource(name, kind="hall", **fields)`` through the service, committed."""

    def make(name: str, kind: str = "hall", *, of_tenant=None, **fields):
        resource = service.create_resource(
            of_tenant or tenant, None, name=name, kind=kind, **fields
        )
        db.session.commit()
        return resource

    return make


@pytest.fixture
def hall_with_halves(make_resource):
    hall = make_resource("Dorfgemeinschaftshaus", capacity=120)
    a = make_resource("Saal A", "room", capacity=60, parent_id=hall.id)
    b = make_resource("Saal B", "room", capacity=60, parent_id=hall.id)
    return hall, a, b
