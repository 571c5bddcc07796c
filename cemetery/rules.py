"""The cemetery's arithmetic, pure (no database): rest periods, terms in
whole years, the extension a burial needs, a plot's status.

Periods of years follow §§ 187(1), 188(2) and (3) BGB: a period that starts
with an event on day D (a burial, acquiring a right) ends with the day of
the same date N years later; where that date does not exist (29 February
in a common year) with the last day of that month. Both the rest period's
``rest_until`` and a right's ``end_date`` are the last day included."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cemetery.models import Cemetery, GraveType


def add_years(day: date, years: int) -> date:
    """``day`` plus ``years`` calendar years; 29 February → 28 February
    in a common year (§ 188(3) BGB)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def age_at(born: date, day: date) -> int:
    """Completed years of life on ``day``."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def is_child(
    cemetery: Cemetery, born: date | None, died: date, grave_type: GraveType | None = None
) -> bool:
    """Whether the child's rest periods apply: a Kindergrab, or death before
    the cemetery's ``child_age``."""
    if grave_type is not None and grave_type.for_children:
        return True
    return born is not None and age_at(born, died) < cemetery.child_age


def rest_years(cemetery: Cemetery, kind: str, child: bool) -> int:
    """The Ruhezeit in years for a coffin or an urn, an adult or a child."""
    if child:
        return (
            cemetery.rest_years_child_coffin if kind == "coffin" else cemetery.rest_years_child_urn
        )
    return cemetery.rest_years_coffin if kind == "coffin" else cemetery.rest_years_urn


def rest_until(
    cemetery: Cemetery,
    kind: str,
    burial_date: date,
    died: date,
    born: date | None = None,
    grave_type: GraveType | None = None,
) -> date:
    """The last day of the rest period of a burial on ``burial_date``."""
    child = is_child(cemetery, born, died, grave_type)
    return add_years(burial_date, rest_years(cemetery, kind, child))


def term_end(start: date, years: int) -> date:
    """The last day of a right of ``years`` years acquired on ``start``."""
    return add_years(start, years)


def years_to_cover(end_date: date, until: date) -> int:
    """The whole years a right ending on ``end_date`` must be extended by so
    that it lasts until ``until`` (0 when it does already). A year begun
    counts in full."""
    years = 0
    while add_years(end_date, years) < until:
        years += 1
    return years


@dataclass(frozen=True)
class PlotState:
    """What a plot's status follows from."""

    blocked: bool
    right_end: date | None  # the active right's last day, None: no active right
    last_rest_until: date | None  # the latest rest period of its burials
    has_burials: bool


def plot_status(state: PlotState, today: date) -> str:
    """``blocked``; ``occupied`` while a rest period runs; ``expired`` when
    the right ended (the plot is to be cleared); ``rest_ended`` when every
    rest period ended but the right runs; ``reserved`` for a right without
    a burial; else ``free``."""
    if state.blocked:
        return "blocked"
    if state.last_rest_until is not None and state.last_rest_until >= today:
        return "occupied"
    if state.right_end is not None:
        if state.right_end < today:
            return "expired"
        return "rest_ended" if state.has_burials else "reserved"
    return "free"
