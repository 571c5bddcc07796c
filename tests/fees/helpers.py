"""Building blocks for the fee tests: local dates in Musterhausen (Europe/Berlin),
holiday callables from the ``holidays`` package, rules with defaults."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import holidays

from booking.fees.rules import FeeRule
from tests.times import BERLIN, at

__all__ = ["BERLIN", "at", "hesse", "no_holidays", "rule", "span", "tuesdays"]


def no_holidays(day: date) -> bool:
    return False


def hesse() -> Callable[[date], bool]:
    """Public holidays in Hesse, as the caller builds them from ``holidays``."""
    calendar = holidays.Germany(subdiv="HE", years=range(2026, 2030))
    return lambda day: day in calendar


def rule(**values: Any) -> FeeRule:
    """A rule for residents, 15,00 € per hour, unless told otherwise."""
    values.setdefault("category", "resident")
    values.setdefault("unit", "hour")
    values.setdefault("amount_cents", 1500)
    return FeeRule(**values)


def span(day: date, start: str, end: str) -> tuple[datetime, datetime]:
    """``start``–``end`` local on ``day``; an end not after the start is on the next day."""
    first, last = at(day, start), at(day, end)
    if last <= first:
        last = at(day + timedelta(days=1), end)
    return first, last


# Tuesday 2 March 2027 and the eleven Tuesdays after it (no holiday among them in Hesse).
FIRST_TUESDAY = date(2027, 3, 2)


def tuesdays(count: int = 12, start: str = "18:00", end: str = "21:00") -> list:
    return [span(FIRST_TUESDAY + timedelta(weeks=n), start, end) for n in range(count)]
