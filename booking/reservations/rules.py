"""The rules a booking must meet before its claims are written: a sane
period (nobody can override it), a series whose dates do not overlap, and the
resource's effective rules (``resources.policy``: a part's own and its
hall's — opening hours, closures and holidays from
``resources.availability``; notice, advance, duration), which staff may break
with a reason. Closed dates of a series can be skipped instead. The order in
which they are checked, with the conflicts: ``reservations.checks``."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from babel.dates import format_time, get_day_names
from flask_babel import LazyString, get_locale, lazy_ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from booking.accounts.models import User
from booking.core import MAX_YEAR, MIN_YEAR, ValidationFailed
from booking.reservations import engine
from booking.reservations.access import is_staff
from booking.resources import availability
from booking.resources.models import Resource
from booking.resources.policy import policy_of
from booking.tenants.localtime import format_local, isoformat, tenant_zone
from booking.tenants.models import Tenant


@dataclass(frozen=True)
class Skipped:
    """A date of a series that was not booked, and why
    (``conflict``, ``closure`` or ``holiday``)."""

    start: datetime
    end: datetime
    reason: str
    label: str = ""


def check_period(start: datetime, end: datetime, resource: Resource) -> None:
    """Rules nobody can override: an ordered, aware, bounded period."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationFailed(
            _l("Zeitangaben brauchen eine Zeitzone."),
            {"start": [_l("Bitte mit Zeitzone angeben, z. B. +01:00.")]},
        )
    if not (MIN_YEAR <= start.year <= MAX_YEAR and MIN_YEAR <= end.year <= MAX_YEAR):
        raise ValidationFailed(
            _l("Bitte ein Datum zwischen %(a)d und %(b)d angeben.", a=MIN_YEAR, b=MAX_YEAR),
            {
                "start": [
                    _l("Bitte ein Datum zwischen %(a)d und %(b)d angeben.", a=MIN_YEAR, b=MAX_YEAR)
                ]
            },
        )
    if end <= start:
        raise ValidationFailed(
            _l("Das Ende muss nach dem Beginn liegen."),
            {"end": [_l("Das Ende muss nach dem Beginn liegen.")]},
        )
    claim_start, claim_end = engine.claim_period(resource, start, end)
    if claim_end - claim_start > engine.MAX_CLAIM:
        days = engine.MAX_CLAIM.days
        raise ValidationFailed(
            lazy_ngettext(
                "Eine Buchung darf höchstens %(num)d Tag dauern.",
                "Eine Buchung darf höchstens %(num)d Tage dauern.",
                days,
            ),
            {
                "end": [
                    lazy_ngettext(
                        "Höchstens %(num)d Tag (einschließlich Rüstzeiten).",
                        "Höchstens %(num)d Tage (einschließlich Rüstzeiten).",
                        days,
                    )
                ]
            },
        )


def check_series_apart(resource: Resource, dates: Sequence[tuple[datetime, datetime]]) -> None:
    """A series whose dates (with buffers) overlap each other would claim a
    unit twice: refused."""
    periods = [engine.claim_period(resource, s, e) for s, e in dates]
    if any(nxt[0] < prev[1] for prev, nxt in itertools.pairwise(periods)):
        raise ValidationFailed(
            _l("Die Termine der Serie überschneiden sich."),
            {"recurrence": [_l("Wählen Sie ein größeres Intervall oder kürzere Termine.")]},
        )


# --- the resource's rules -----------------------------------------------------

# Rules a booking must meet; staff (admin, clerk) may override each with a
# reason. ``closure`` and ``holiday`` dates can be skipped in a series instead.
RULES = ("opening_hours", "closure", "holiday", "notice", "advance", "duration")
CLOSED_RULES = ("closure", "holiday")


@dataclass(frozen=True)
class Violation:
    """Date number ``index`` breaks ``rule``; ``field`` names the input to fix."""

    index: int
    rule: str
    field: str
    message: str


def _day_name(names: dict[int, str], day: int) -> str:
    return names[day].rstrip(".")


def _clock(minutes: int, locale) -> str:
    if minutes >= 1440:
        return "24:00"
    return format_time(time(minutes // 60, minutes % 60), "short", locale=locale)


def describe_hours(rows: Iterable[tuple[int, int, int]]) -> str:
    """Weekly opening hours in a line, in the request's language: days with
    the same times joined ("Mo–Fr 08:00–22:00, Sa 10:00–18:00"); closed days
    left out."""
    locale = get_locale() or "de"
    names = dict(get_day_names("abbreviated", locale=locale))
    spans: dict[int, tuple[tuple[int, int], ...]] = {
        day: tuple(sorted((o, c) for d, o, c in rows if d == day)) for day in range(7)
    }
    groups: list[tuple[int, int, tuple[tuple[int, int], ...]]] = []
    for day in range(7):
        if not spans[day]:
            continue
        if groups and groups[-1][1] == day - 1 and groups[-1][2] == spans[day]:
            groups[-1] = (groups[-1][0], day, spans[day])
        else:
            groups.append((day, day, spans[day]))
    parts = []
    for first, last, times in groups:
        days = _day_name(names, first)
        if last != first:
            days = f"{days}–{_day_name(names, last)}"
        clocks = ", ".join(f"{_clock(o, locale)}–{_clock(c, locale)}" for o, c in times)
        parts.append(f"{days} {clocks}")
    return "; ".join(parts)


def _hours_message(source: Resource, rows: list[tuple[int, int, int]]) -> str:
    return _(
        "Außerhalb der Öffnungszeiten von „%(name)s“: geöffnet %(hours)s.",
        name=source.name,
        hours=describe_hours(rows),
    )


def rule_violations(
    tenant: Tenant,
    resource: Resource,
    dates: list[tuple[datetime, datetime]],
    *,
    now: datetime,
    related_ids: Iterable[int] | None = None,
    inputs: availability.RuleInputs | None = None,
) -> list[Violation]:
    """Every rule each of ``dates`` breaks, by the resource's effective rules
    (``policy_of``: a part keeps its hall's hours, holidays, notice, advance
    and duration limits). One query for the closures of a whole series, one
    per resource of the chain for its opening hours — or none, given the
    ``inputs`` read for these dates (``availability.rule_inputs``); holidays
    come from the ``holidays`` package."""
    if not dates:
        return []
    policy = policy_of(resource)
    tz = tenant_zone(tenant)
    window = availability.Interval(min(s for s, _e in dates), max(e for _s, e in dates))
    blocked = availability.blocked_intervals(
        tenant,
        resource,
        *window,
        related_ids=related_ids,
        closures=inputs.closures if inputs else None,
    )
    hours = inputs.hours if inputs else None
    notice = timedelta(hours=policy.min_notice_hours)
    today = now.astimezone(tz).date()
    found: list[Violation] = []
    for index, (start, end) in enumerate(dates):

        def add(rule: str, field: str, message, index: int = index) -> None:
            found.append(Violation(index, rule, field, message))

        minutes = (end - start) / timedelta(minutes=1)
        if policy.min_duration_min and minutes < policy.min_duration_min:
            add(
                "duration",
                "end",
                lazy_ngettext(
                    "Mindestens %(num)d Minute.",
                    "Mindestens %(num)d Minuten.",
                    policy.min_duration_min,
                ),
            )
        if policy.max_duration_min and minutes > policy.max_duration_min:
            add(
                "duration",
                "end",
                lazy_ngettext(
                    "Höchstens %(num)d Minute.",
                    "Höchstens %(num)d Minuten.",
                    policy.max_duration_min,
                ),
            )
        if start < now:
            add("notice", "start", _l("Der Beginn liegt in der Vergangenheit."))
        elif start < now + notice:
            add(
                "notice",
                "start",
                lazy_ngettext(
                    "Bitte mindestens %(num)d Stunde im Voraus buchen.",
                    "Bitte mindestens %(num)d Stunden im Voraus buchen.",
                    policy.min_notice_hours,
                ),
            )
        if (
            policy.max_advance_days is not None
            and (start.astimezone(tz).date() - today).days > policy.max_advance_days
        ):
            add(
                "advance",
                "start",
                lazy_ngettext(
                    "Höchstens %(num)d Tag im Voraus buchbar.",
                    "Höchstens %(num)d Tage im Voraus buchbar.",
                    policy.max_advance_days,
                ),
            )
        refused_by = availability.refusing_hours(tenant, resource, start, end, hours=hours)
        if refused_by is not None:
            rows = hours[refused_by.id] if hours else availability.weekly_hours(refused_by)
            add("opening_hours", "start", LazyString(_hours_message, refused_by, rows))
        for block in blocked:
            if block.start < end and block.end > start:
                if block.kind == "closure":
                    add("closure", "start", _l("Gesperrt: %(reason)s", reason=block.label))
                else:
                    add("holiday", "start", _l("Feiertag: %(name)s", name=block.label))
    return found


def _raise_violations(
    tenant: Tenant,
    dates: Sequence[tuple[datetime, datetime]],
    violations: Sequence[Violation],
    *,
    staff: bool,
) -> None:
    series = len(dates) > 1
    fields: dict[str, list[str]] = {}
    for v in violations:
        message = str(v.message)
        if series:
            message = f"{format_local(tenant, dates[v.index][0])}: {message}"
        fields.setdefault(v.field, [])
        if message not in fields[v.field]:
            fields[v.field].append(message)
    if staff:
        fields["override_reason"] = [
            str(_l("Zum Abweichen von diesen Regeln ist eine Begründung nötig."))
        ]
    raise ValidationFailed(
        _l("Die Buchung verstößt gegen die Regeln dieser Einrichtung."),
        fields,
        violations=[
            {
                "start": isoformat(dates[v.index][0], tenant),
                "end": isoformat(dates[v.index][1], tenant),
                "rule": v.rule,
            }
            for v in violations
        ],
    )


def apply_rules(
    tenant: Tenant,
    actor: User,
    resource: Resource,
    dates: list[tuple[datetime, datetime]],
    *,
    now: datetime,
    related_ids: set[int],
    skip_closed: bool,
    override_reason: str | None,
    inputs: availability.RuleInputs | None = None,
) -> tuple[list[tuple[datetime, datetime]], list[Skipped], list[str]]:
    """Check the rules for every date. Returns the dates to keep, the dates
    skipped as closed, and the rules staff overrode; raises 422 otherwise."""
    violations = rule_violations(
        tenant, resource, dates, now=now, related_ids=related_ids, inputs=inputs
    )
    by_index: dict[int, list[Violation]] = {}
    for v in violations:
        by_index.setdefault(v.index, []).append(v)
    skipped: list[Skipped] = []
    remaining: list[Violation] = []
    kept_dates: list[tuple[datetime, datetime]] = []
    for index, date_pair in enumerate(dates):
        found = by_index.get(index, [])
        if found and skip_closed and all(v.rule in CLOSED_RULES for v in found):
            skipped.append(Skipped(*date_pair, found[0].rule, str(found[0].message)))
            continue
        kept_dates.append(date_pair)
        remaining.extend(found)
    if not kept_dates:
        raise ValidationFailed(
            _l("An keinem der Termine ist die Einrichtung geöffnet."),
            {"start": [_l("Alle Termine fallen auf Sperrzeiten oder Feiertage.")]},
        )
    overridden: list[str] = []
    if remaining:
        staff = is_staff(actor, tenant)
        if not (staff and override_reason):
            _raise_violations(tenant, dates, remaining, staff=staff)
        overridden = sorted({v.rule for v in remaining})
    return kept_dates, skipped, overridden
