"""Small helpers for the screen tests."""

from __future__ import annotations

import html
import re
from datetime import date

from sqlalchemy import func, select

from booking.extensions import db
from booking.reservations.models import Booking, Occurrence

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def hidden_fields(page: str) -> dict[str, str]:
    """The hidden inputs of the confirmation step (name -> value)."""
    return {name: html.unescape(value) for name, value in HIDDEN.findall(page)}


def form_data(day: date, **overrides) -> dict[str, str]:
    data = {
        "title": "Sommerfest",
        "date": day.isoformat(),
        "start_time": "18:00",
        "end_time": "22:00",
        "organisation": "",
        "interval": "1",
        "on_conflict": "reject",
        "action": "preview",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def count(model=Booking) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def count_occurrences() -> int:
    return count(Occurrence)


def text(response) -> str:
    return response.get_data(as_text=True)
