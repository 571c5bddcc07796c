"""Local times for tests: wall-clock times in Musterhausen (Europe/Berlin)
as aware UTC instants, RFC 3339 strings, and future working days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

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
