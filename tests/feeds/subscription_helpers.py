"""Fixtures and helpers of the subscription tests (page and API): halls, a
caretaker of one of them, a cemetery whose chapel is that hall, another
municipality with a hall of its own."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.feeds.models import FeedToken
from booking.resources import service as resources
from cemetery.models import Cemetery

__all__ = [
    "caretaker",
    "cemetery",
    "foreign_cemetery",
    "foreign_hall",
    "halls",
    "other_tenant",
]

FEED_URL = re.compile(r"https?://[^\s\"'<>]+/feeds/([A-Za-z0-9_-]+)\.ics")


@pytest.fixture
def halls(make_resource):
    """``(dgh, saal_a, sporthalle)``: a hall with a part, and another hall."""
    dgh = make_resource("Dorfgemeinschaftshaus")
    part = make_resource("Saal A", "room", parent=dgh)
    other = make_resource("Sporthalle", "sports_hall")
    return dgh, part, other


@pytest.fixture
def caretaker(tenant, make_user, halls):
    """Caretaker of the Dorfgemeinschaftshaus (and so of Saal A), not of the Sporthalle."""
    user = make_user(
        "hausmeister@example.org", tenant=tenant, roles=("caretaker",), name="Hans Haus"
    )
    resources.add_caretaker(tenant, None, halls[0], user)
    db.session.commit()
    return user


@pytest.fixture
def cemetery(tenant, halls):
    """A cemetery whose chapel is the Dorfgemeinschaftshaus (the caretaker's)."""
    found = Cemetery(tenant_id=tenant.id, name="Waldfriedhof", chapel_resource_id=halls[0].id)
    db.session.add(found)
    db.session.commit()
    return found


@pytest.fixture
def other_tenant(make_tenant):
    return make_tenant("andersdorf", name="Gemeinde Andersdorf")


@pytest.fixture
def foreign_hall(make_resource, other_tenant):
    return make_resource("Bürgerhaus Andersdorf", of_tenant=other_tenant)


@pytest.fixture
def foreign_cemetery(other_tenant):
    found = Cemetery(tenant_id=other_tenant.id, name="Bergfriedhof")
    db.session.add(found)
    db.session.commit()
    return found


def feed_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(FeedToken))


def tokens_in(text: str) -> list[str]:
    return FEED_URL.findall(text)
