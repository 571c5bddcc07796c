"""Weekly series: parsing the rule and materialising its dates.

Dates are generated in the tenant's LOCAL time (zoneinfo): a booking every
Tuesday 18:00–20:00 stays 18:00–20:00 on the wall clock across DST changes,
so its UTC instants move by an hour in spring and autumn.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

from booking.core import ValidationFailed
from booking.tenants.localtime import wall_clock_to_utc

FREQUENCIES = ("weekly",)
MAX_INTERVAL = 52
DEFAULT_MAX_OCCURRENCES = 60


@dataclass(frozen=True)
class Recurrence:
    """Every ``interval`` weeks, until a local date (inclusive) or ``count``
    dates in all (the first included). ``skip_closed``: leave out dates that
    fall on a closure or public holiday instead of refusing the series.
    ``skip_school_holidays``: leave out dates in the tenant's school holidays
    (Schulferien), where a club's training pauses."""

    freq: str = "weekly"
    interval: int = 1
    until: date | None = None
    count: int | None = None
    skip_closed: bool = False
    skip_school_holidays: bool = False

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"freq": self.freq, "interval": self.interval}
        if self.until is not None:
            data["until"] = self.until.isoformat()
        if self.count is not None:
            data["count"] = self.count
        if self.skip_closed:
            data["skip_closed"] = True
        if self.skip_school_holidays:
            data["skip_school_holidays"] = True
        return data


def _invalid(message) -> ValidationFailed:
    return ValidationFailed(_l("Die Wiederholung ist ungültig."), {"recurrence": [message]})


def _positive_int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return None
    return value


def parse_recurrence(data: Any) -> Recurrence:
    """A ``Recurrence`` from the API/JSON shape, or ``ValidationFailed``."""
    if isinstance(data, Recurrence):
        return data
    if not isinstance(data, dict):
        raise _invalid(_l("Die Wiederholung muss ein Objekt sein."))
    freq = data.get("freq", "weekly")
    if freq not in FREQUENCIES:
        raise _invalid(_l("Nur wöchentliche Wiederholung (freq: weekly) ist möglich."))
    interval = _positive_int(data.get("interval", 1))
    if interval is None or interval > MAX_INTERVAL:
        raise _invalid(
            lazy_ngettext(
                "Das Intervall muss zwischen 1 und %(num)d Woche liegen.",
                "Das Intervall muss zwischen 1 und %(num)d Wochen liegen.",
                MAX_INTERVAL,
            )
        )
    has_until = data.get("until") is not None
    has_count = data.get("count") is not None
    if has_until == has_count:
        raise _invalid(_l("Geben Sie entweder ein Enddatum (until) oder eine Anzahl (count) an."))
    until = count = None
    if has_until:
        try:
            until = date.fromisoformat(data["until"])
        except (TypeError, ValueError):
            raise _invalid(_l("Das Enddatum muss ein Datum wie 2027-06-30 sein.")) from None
    else:
        count = _positive_int(data["count"])
        if count is None:
            raise _invalid(_l("Die Anzahl muss eine positive ganze Zahl sein."))
    skip_closed = data.get("skip_closed", False)
    if not isinstance(skip_closed, bool):
        raise _invalid(_l("skip_closed muss true oder false sein."))
    skip_school_holidays = data.get("skip_school_holidays", False)
    if not isinstance(skip_school_holidays, bool):
        raise _invalid(_l("skip_school_holidays muss true oder false sein."))
    return Recurrence(freq, interval, until, count, skip_closed, skip_school_holidays)


def expand(
    start: datetime,
    end: datetime,
    rule: Recurrence | None,
    tz: ZoneInfo,
    max_occurrences: int = DEFAULT_MAX_OCCURRENCES,
) -> list[tuple[datetime, datetime]]:
    """The series' ``(start, end)`` pairs in UTC, the first being the given one.
    Refuses (422) a series longer than ``max_occurrences``."""
    if rule is None:
        return [(start, end)]
    local_start = start.astimezone(tz).replace(tzinfo=None)
    local_end = end.astimezone(tz).replace(tzinfo=None)
    if rule.until is not None and rule.until < local_start.date():
        raise _invalid(_l("Das Enddatum liegt vor dem ersten Termin."))
    too_long = _invalid(
        lazy_ngettext(
            "Eine Serie darf höchstens %(num)d Termin haben.",
            "Eine Serie darf höchstens %(num)d Termine haben.",
            max_occurrences,
        )
    )
    if rule.count is not None and rule.count > max_occurrences:
        raise too_long
    step = timedelta(weeks=rule.interval)
    dates = []
    k = 0
    while True:
        wall_start = local_start + k * step
        if rule.count is not None and k >= rule.count:
            break
        if rule.until is not None and wall_start.date() > rule.until:
            break
        if len(dates) >= max_occurrences:
            raise too_long
        occ_start = wall_clock_to_utc(wall_start, tz)
        occ_end = wall_clock_to_utc(local_end + k * step, tz)
        if occ_start < occ_end:
            dates.append((occ_start, occ_end))
        k += 1
    return dates
