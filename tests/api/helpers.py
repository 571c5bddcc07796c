"""Helpers of the API tests."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from tests.times import BERLIN


def local(days: int, hour: int) -> datetime:
    """``hour`` o'clock on the first Wednesday ``days`` from today, in Berlin."""
    day = datetime.now(BERLIN).date() + timedelta(days=days)
    while day.weekday() != 2:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour)).replace(tzinfo=BERLIN)


def booking_body(resource, **extra) -> dict:
    """A valid ``POST /bookings`` body for ``resource`` (``extra`` overrides)."""
    return {
        "resource_id": resource.id,
        "start": local(40, 18).isoformat(),
        "end": local(40, 20).isoformat(),
        "title": "Jahreshauptversammlung",
        **extra,
    }


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], dict)
    return body["error"]
