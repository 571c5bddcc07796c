"""Domain errors of reservations; ``booking.errors`` maps them to answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

from booking.core import Conflict
from booking.reservations.engine import Hit
from booking.tenants.localtime import isoformat, zone


@dataclass(frozen=True)
class ConflictItem:
    """A requested date that cannot be had (``start``, ``end``), the unit that
    is taken, and the busy time in the way: the claim that overlaps it
    (``busy_start``, ``busy_end``, buffers included) and its occurrence."""

    start: datetime
    end: datetime
    resource_id: int
    busy_start: datetime | None = None
    busy_end: datetime | None = None
    occurrence_id: int | None = None


def conflict_items(
    hits: Sequence[Hit], dates: Sequence[tuple[datetime, datetime]]
) -> list[ConflictItem]:
    """The engine's hits as the requested dates they block, one per date,
    unit and busy time in the way (a date between two bookings is blocked
    twice), in time order."""
    items: dict[tuple[int, int, datetime, datetime], ConflictItem] = {}
    for hit in hits:
        start, end = dates[hit.index]
        items.setdefault(
            (hit.index, hit.unit_id, hit.start, hit.end),
            ConflictItem(start, end, hit.unit_id, hit.start, hit.end, hit.occurrence_id),
        )
    return sorted(items.values(), key=lambda c: (c.start, c.resource_id, c.busy_start))


@dataclass(frozen=True)
class Suggestion:
    """A free alternative: another resource at the same time, or the same
    resource at another time. ``for_start``: the start of the requested
    date it stands in for (a series may clash on several)."""

    resource_id: int
    start: datetime
    end: datetime
    for_start: datetime | None = None


class BookingConflict(Conflict):
    """409: a unit is already claimed. ``details`` carries ``conflicts`` and
    ``suggestions`` as RFC 3339 in the tenant's offset (API.md)."""

    def __init__(
        self,
        conflicts: Sequence[ConflictItem],
        suggestions: Sequence[Suggestion] = (),
        *,
        timezone: str = "Europe/Berlin",
        message=None,
    ):
        tz = zone(timezone)
        if message is None:
            message = (
                _l("Der gewünschte Zeitraum ist bereits belegt.")
                if len({c.start for c in conflicts}) <= 1
                else lazy_ngettext(
                    "%(num)d der gewünschten Termine ist bereits belegt.",
                    "%(num)d der gewünschten Termine sind bereits belegt.",
                    len({c.start for c in conflicts}),
                )
            )
        super().__init__(
            message,
            {
                "conflicts": [
                    {
                        "start": isoformat(c.start, tz),
                        "end": isoformat(c.end, tz),
                        "resource_id": c.resource_id,
                        "busy_start": isoformat(c.busy_start or c.start, tz),
                        "busy_end": isoformat(c.busy_end or c.end, tz),
                    }
                    for c in conflicts
                ],
                "suggestions": [
                    {
                        "resource_id": s.resource_id,
                        "start": isoformat(s.start, tz),
                        "end": isoformat(s.end, tz),
                    }
                    for s in suggestions
                ],
            },
        )
        self.conflicts = list(conflicts)
        self.suggestions = list(suggestions)
