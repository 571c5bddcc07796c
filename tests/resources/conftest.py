"""Fixtures of the resources tests (people and ``make_resource`` come from
``tests/conftest.py``)."""

from __future__ import annotations

import pytest


@pytest.fixture
def hall_with_halves(make_resource):
    hall = make_resource("Dorfgemeinschaftshaus", capacity=120)
    a = make_resource("Saal A", "room", capacity=60, parent_id=hall.id)
    b = make_resource("Saal B", "room", capacity=60, parent_id=hall.id)
    return hall, a, b
