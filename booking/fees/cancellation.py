"""What cancelling costs: a resource's cancellation policy and the pure
function ``cancel`` that applies it to dates of a priced booking.

A policy is a list of bands, e.g.::

    [{"days_before": 14, "percent": 0},
     {"days_before": 3, "percent": 50},
     {"days_before": 0, "percent": 100}]

read as "free until 14 days before, 50 % until 3 days before, then 100 %":
a date cancelled ``d`` days before its start owes the ``percent`` of the
band with the largest ``days_before`` not above ``d``.

- ``d`` counts **local calendar days** in the tenant's zone between the
  cancellation instant and the date's start: cancelling at any time on
  1 March (00:00 to 23:59) a date on 15 March is 14 days before, whatever the
  clock times and DST changes in between.
- Closer than the smallest band (e.g. the policy above without its 0-day
  band, one day before) owes 100 %; so does a date that has already begun
  (``now >= start``), whatever the policy says.
- An empty policy (``FREE_CANCELLATION``) lets every date be cancelled free
  until it begins.
- A policy is valid when ``days_before`` are whole numbers ≥ 0, strictly
  decreasing (ordered, no duplicates), and ``percent`` whole numbers 0–100
  that never fall as the date comes nearer.
- The charge of a date is its fee (``OccurrenceFee.amount_cents`` from
  ``booking.fees.pricing.price``: base, surcharge and cleaning) times the
  percentage, rounded half up to whole cents.
- The deposit is owed while any date remains; cancelling every remaining
  date releases it (and returns what was paid of it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from booking.core import ValidationFailed
from booking.fees.pricing import Fee, percent_of

# A band further ahead than ten years is a typing error.
MAX_DAYS_BEFORE = 3650

_KNOWN_FIELDS = frozenset(("days_before", "percent"))


@dataclass(frozen=True)
class Band:
    """Cancelling at least ``days_before`` local days ahead owes ``percent``."""

    days_before: int
    percent: int

    def to_dict(self) -> dict[str, int]:
        return {"days_before": self.days_before, "percent": self.percent}


@dataclass(frozen=True)
class CancellationPolicy:
    """Bands ordered from the furthest ahead to the nearest."""

    bands: tuple[Band, ...] = ()

    def __post_init__(self) -> None:
        problems = _problems([band.to_dict() for band in self.bands], "")
        if problems:
            raise ValueError(
                "invalid cancellation policy: "
                + "; ".join(f"{name}: {messages[0]}" for name, messages in problems.items())
            )

    def percent(self, days_before: int) -> int:
        """The percentage owed when cancelling ``days_before`` local days ahead
        (of a date that has not begun)."""
        if not self.bands:
            return 0
        for band in self.bands:
            if days_before >= band.days_before:
                return band.percent
        return 100

    def to_list(self) -> list[dict[str, int]]:
        return [band.to_dict() for band in self.bands]


def _problems(items: list[Any], where: str) -> dict[str, list[Any]]:
    fields: dict[str, list[Any]] = {}
    previous: tuple[int, int, int] | None = None  # index, days_before, percent
    for index, data in enumerate(items):
        prefix = f"{where}[{index}]"
        if not isinstance(data, dict):
            fields[prefix] = [_l("Bitte eine Stufe (ein Objekt) angeben.")]
            continue
        for name in sorted(set(data) - _KNOWN_FIELDS):
            fields[f"{prefix}.{name}"] = [_l("Unbekanntes Feld.")]
        days, percent = data.get("days_before"), data.get("percent")
        days_ok = percent_ok = False
        if "days_before" not in data:
            fields[f"{prefix}.days_before"] = [_l("Pflichtangabe.")]
        elif type(days) is not int:
            fields[f"{prefix}.days_before"] = [_l("Bitte eine ganze Zahl angeben.")]
        elif not 0 <= days <= MAX_DAYS_BEFORE:
            fields[f"{prefix}.days_before"] = [
                _l("Zwischen 0 und %(max)d Tagen.", max=MAX_DAYS_BEFORE)
            ]
        else:
            days_ok = True
        if "percent" not in data:
            fields[f"{prefix}.percent"] = [_l("Pflichtangabe.")]
        elif type(percent) is not int:
            fields[f"{prefix}.percent"] = [_l("Bitte eine ganze Zahl angeben.")]
        elif not 0 <= percent <= 100:
            fields[f"{prefix}.percent"] = [_l("Zwischen 0 und 100 Prozent.")]
        else:
            percent_ok = True
        if not (days_ok and percent_ok):
            previous = None
            continue
        assert isinstance(days, int) and isinstance(percent, int)
        if previous is not None:
            before_index, before_days, before_percent = previous
            if days == before_days:
                fields[f"{prefix}.days_before"] = [
                    _l(
                        "Diese Tageszahl gibt es schon (Eintrag %(number)d).",
                        number=before_index + 1,
                    )
                ]
            elif days > before_days:
                fields[f"{prefix}.days_before"] = [
                    _l("Bitte die Stufen nach Tagen absteigend ordnen (die weiteste zuerst).")
                ]
            elif percent < before_percent:
                fields[f"{prefix}.percent"] = [
                    _l(
                        "Der Anteil darf nicht kleiner sein als bei früherer Stornierung "
                        "(%(percent)d %%).",
                        percent=before_percent,
                    )
                ]
        previous = (index, days, percent)
    return fields


FREE_CANCELLATION = CancellationPolicy()


def parse_policy(items: object, *, where: str = "cancellation") -> CancellationPolicy:
    """A policy from ``items`` (a list of ``{"days_before", "percent"}``), or
    ``ValidationFailed`` naming each faulty entry and field as
    ``{where}[{index}].{field}``: missing, not whole numbers, out of range,
    unknown fields, a repeated or rising ``days_before``, a falling ``percent``."""
    if not isinstance(items, list):
        raise ValidationFailed(
            _l("Bitte prüfen Sie die Stornobedingungen."),
            {where: [_l("Bitte eine Liste von Stufen angeben.")]},
        )
    fields = _problems(items, where)
    if fields:
        raise ValidationFailed(_l("Bitte prüfen Sie die Stornobedingungen."), fields)
    return CancellationPolicy(tuple(Band(data["days_before"], data["percent"]) for data in items))


def days_before(start: datetime, now: datetime, tz: ZoneInfo) -> int:
    """Local calendar days from ``now`` to ``start`` in zone ``tz`` (0 on the
    day itself, negative afterwards)."""
    return (start.astimezone(tz).date() - now.astimezone(tz).date()).days


def charge_percent(policy: CancellationPolicy, start: datetime, now: datetime, tz: ZoneInfo) -> int:
    """The percentage of a date's fee owed when it is cancelled at ``now``."""
    if now >= start:
        return 100
    return policy.percent(days_before(start, now, tz))


@dataclass(frozen=True)
class CancelledDate:
    """One cancelled date: its fee, how far ahead, the share still owed."""

    start: datetime
    end: datetime
    fee_cents: int
    days_before: int
    percent: int
    charge_cents: int

    @property
    def released_cents(self) -> int:
        """What the customer no longer owes for this date."""
        return self.fee_cents - self.charge_cents


@dataclass(frozen=True)
class Cancellation:
    """The money side of cancelling ``dates``.

    ``remaining_cents`` is the fee still owed for the booking afterwards
    (the dates kept plus the cancellation charges); of it, ``due_cents`` is
    not paid yet, and ``refund_cents`` is what was paid beyond it.
    ``deposit_cents`` is the deposit still asked for (0 once no date
    remains), ``deposit_refund_cents`` what is returned of a paid deposit
    now."""

    dates: tuple[CancelledDate, ...]
    remaining_cents: int
    due_cents: int
    refund_cents: int
    deposit_cents: int
    deposit_refund_cents: int

    @property
    def charge_cents(self) -> int:
        """The cancellation charges of the cancelled dates together."""
        return sum(date.charge_cents for date in self.dates)

    @property
    def released_cents(self) -> int:
        return sum(date.released_cents for date in self.dates)


def cancel(
    policy: CancellationPolicy,
    fee: Fee,
    cancelled: Iterable[tuple[datetime, datetime]],
    now: datetime,
    tz: ZoneInfo,
    *,
    owed_cents: int | None = None,
    paid_cents: int = 0,
    deposit_paid_cents: int = 0,
) -> Cancellation:
    """Cancel the dates ``cancelled`` (``(start, end)`` pairs, each one of
    ``fee.occurrences``) of a booking whose remaining dates are priced as
    ``fee`` (``price`` over the dates not cancelled before), at ``now``.

    ``owed_cents`` is the fee owed before this cancellation (default
    ``fee.amount_cents``; pass the invoice's total when earlier cancellations
    left charges on it), ``paid_cents`` what was paid of it,
    ``deposit_paid_cents`` what was paid of the deposit.

    Raises ``ValueError`` for a date not in ``fee.occurrences``, a naive
    ``now``, or amounts that do not fit together."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware instant")
    wanted = set(cancelled)
    by_date = {(o.start, o.end): o for o in fee.occurrences}
    unknown = wanted - set(by_date)
    if unknown:
        raise ValueError(f"not dates of this fee: {sorted(unknown)}")
    owed = fee.amount_cents if owed_cents is None else owed_cents
    if owed < 0 or paid_cents < 0 or deposit_paid_cents < 0:
        raise ValueError("amounts must not be negative")
    dates = []
    for key, occurrence in by_date.items():
        if key not in wanted:
            continue
        percent = charge_percent(policy, occurrence.start, now, tz)
        dates.append(
            CancelledDate(
                start=occurrence.start,
                end=occurrence.end,
                fee_cents=occurrence.amount_cents,
                days_before=days_before(occurrence.start, now, tz),
                percent=percent,
                charge_cents=percent_of(occurrence.amount_cents, percent),
            )
        )
    released = sum(date.released_cents for date in dates)
    remaining = owed - released
    if remaining < 0:
        raise ValueError("owed_cents is less than the fee of the cancelled dates")
    everything = bool(by_date) and len(wanted) == len(by_date)
    return Cancellation(
        dates=tuple(dates),
        remaining_cents=remaining,
        due_cents=max(0, remaining - paid_cents),
        refund_cents=max(0, paid_cents - remaining),
        deposit_cents=0 if everything else fee.deposit_cents,
        deposit_refund_cents=deposit_paid_cents if everything else 0,
    )
