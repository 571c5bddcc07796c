"""The rules a booking must meet before its claims are written: a sane
period (nobody can override it), a series whose dates do not overlap, and the
resource's rules from ``availability`` (opening hours, closures, holidays,
notice, advance, duration), which staff may break with a reason. Closed
dates of a series can be skipped instead."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

from booking.accounts.models import User
from booking.core import MAX_YEAR, MIN_YEAR, ValidationFailed
from booking.reservations import engine
from booking.reservations.access import is_staff
from booking.resources import availability
from booking.resources.models import Resource
from booking.tenants.localtime import format_local, isoformat
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


def _raise_violations(
    tenant: Tenant,
    dates: Sequence[tuple[datetime, datetime]],
    violations: Sequence[availability.Violation],
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
) -> tuple[list[tuple[datetime, datetime]], list[Skipped], list[str]]:
    """Check the rules for every date. Returns the dates to keep, the dates
    skipped as closed, and the rules staff overrode; raises 422 otherwise."""
    violations = availability.rule_violations(
        tenant, resource, dates, now=now, related_ids=related_ids
    )
    by_index: dict[int, list[availability.Violation]] = {}
    for v in violations:
        by_index.setdefault(v.index, []).append(v)
    skipped: list[Skipped] = []
    remaining: list[availability.Violation] = []
    kept_dates: list[tuple[datetime, datetime]] = []
    for index, date_pair in enumerate(dates):
        found = by_index.get(index, [])
        if found and skip_closed and all(v.rule in availability.CLOSED_RULES for v in found):
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
