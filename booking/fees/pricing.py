"""The price of a booking: one pure function, ``price``, from a resource's
fee rules, the customer category and the booking's dates to an itemised
``Fee`` in integer cents (EUR). No database, no request, no clock.

The rules, each one tested in ``tests/fees/test_pricing.py``:

- **Per date.** A booking is priced date by date (``occurrences``: the
  dates that will take place, so a skipped date costs nothing) and summed; a
  series of 12 Tuesdays costs 12 dates, and a Saturday among them carries the
  weekend surcharge on that date only.
- **Per hour** (``unit: "hour"``): each date's duration is billed per
  *started* billing step of ``hour_step_minutes`` (default
  ``HOUR_STEP_MINUTES`` = 60: "je angefangene Stunde", the common wording of
  municipal fee schedules; 30 bills per started half hour). The duration is
  the real time between start and end, so the night the clocks go forward
  a date from midnight to midnight lasts (and costs) 23 hours.
- **Per day** (``unit: "day"``): as ``DayDefinition`` says. By default
  (``mode="calendar"``, ``starts_at=00:00``) every calendar day in the
  tenant's zone that the date touches counts, so an evening 18:00–02:00 costs
  two days; ``starts_at=time(6)`` lets a day run 06:00–06:00 (that evening
  is one day); ``mode="rolling"`` bills per started 24 hours of wall-clock time
  from the start (any date up to 24 h is one day, also across a DST change).
  An end at exactly the day boundary does not touch the next day.
- **Flat** (``unit: "booking"``): ``amount_cents`` per date of the booking
  ("a series priced per occurrence").
- **Minimum charge**: a date's base fee (usage) is at least
  ``minimum_cents``.
- **Weekend/holiday surcharge**: ``weekend_surcharge_percent`` of the date's
  base fee (after the minimum) for a date whose start falls, on the tenant's
  local calendar, on a Saturday, a Sunday or a day for which ``is_holiday``
  says yes (the caller asks the ``holidays`` package for the tenant's state).
- **Cleaning**: ``cleaning_cents`` once per date (a hall is cleaned after
  every use). It carries no surcharge.
- **Deposit** (Kaution): ``deposit_cents`` once per booking, separate from
  ``amount_cents`` and its items.
- **Free use**: a rule with ``free: true`` makes every date cost nothing; the
  fee has one item saying so ("Gebührenfrei (örtlicher Verein)") and a
  deposit only when the rule sets one.
- **Rounding**: every fractional amount (a half hour of an odd hourly rate,
  a percentage) is rounded half up to whole cents per date, with
  ``Decimal`` and ``ROUND_HALF_UP`` — never floats. The items are sums of
  these whole-cent amounts, so they always add up to ``amount_cents``.
- **No rule for the category** while the resource has rules:
  ``ValidationFailed`` with ``fields={"category": [...]}``. A resource
  without any fee rule costs nothing (as every hall did before fees).

Items keep their parts (label kind, count of dates, quantity, rate); words
and money are formatted only in ``FeeItem.label`` / ``Fee.to_dict``, in
the locale asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.numbers import format_currency, format_decimal, format_percent
from flask_babel import force_locale, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from booking.core import ValidationFailed
from booking.fees.rules import FeeRule, Unit, category_label, rule_for

CURRENCY = "EUR"

# Per-hour fees are billed per started step of this many minutes
# ("je angefangene Stunde"). A tenant billing per started half hour passes 30.
HOUR_STEP_MINUTES = 60
HOUR_STEPS = (15, 30, 60)  # the steps a schedule may choose

# Locale of labels outside a request (jobs, CLI, tests): German, the source language.
DEFAULT_LOCALE = "de_DE"

ItemKind = Literal["usage", "minimum", "surcharge", "cleaning", "free"]


@dataclass(frozen=True)
class DayDefinition:
    """What one "day" of a per-day fee is.

    ``mode="calendar"``: each day in the tenant's zone touched by a date
    counts, a day running from ``starts_at`` (local wall clock) to the same
    time the next day. ``mode="rolling"``: per started 24 hours of wall-clock
    time from the date's start (``starts_at`` is not used)."""

    mode: Literal["calendar", "rolling"] = "calendar"
    starts_at: time = time(0)

    def __post_init__(self) -> None:
        if self.mode not in ("calendar", "rolling"):
            raise ValueError(f"unknown day mode: {self.mode!r}")
        if self.starts_at.tzinfo is not None or self.starts_at.second or self.starts_at.microsecond:
            raise ValueError("a day starts at a naive wall-clock time in whole minutes")


CALENDAR_DAY = DayDefinition()


@dataclass(frozen=True)
class OccurrenceFee:
    """What one date costs: base (usage or the minimum), surcharge, cleaning."""

    start: datetime
    end: datetime
    base_cents: int
    surcharge_cents: int = 0
    cleaning_cents: int = 0

    @property
    def amount_cents(self) -> int:
        return self.base_cents + self.surcharge_cents + self.cleaning_cents


@dataclass(frozen=True)
class FeeItem:
    """One line of a fee: ``count`` dates at ``each_cents`` each.

    ``kind`` says what it is: ``usage`` (``quantity`` hours/days, or 1 for a
    flat fee, at ``rate_cents`` per ``unit``), ``minimum`` (the minimum
    charge replaced a lower usage fee), ``surcharge`` (``percent`` of a base
    fee of ``rate_cents``), ``cleaning``, or ``free`` (``category``)."""

    kind: ItemKind
    count: int
    each_cents: int
    unit: Unit | None = None
    quantity: Decimal | None = None
    rate_cents: int | None = None
    percent: int | None = None
    category: str | None = None

    @property
    def amount_cents(self) -> int:
        return self.count * self.each_cents

    def label(self, locale: str | Locale | None = None) -> str:
        """The line's text in ``locale`` (default: the request's, else German),
        e.g. ``Nutzungsentgelt: 12 × 3 Std. à 15,00 €``."""
        locale = _resolve(locale)
        with force_locale(str(locale)):
            return str(self._label(locale))

    def _label(self, locale: Locale) -> Any:  # flask_babel is untyped
        def money(cents: int | None) -> str:
            return format_currency(Decimal(cents or 0) / 100, CURRENCY, locale=locale)

        values: dict[str, Any] = {
            "count": self.count,
            "each": money(self.each_cents),
            "rate": money(self.rate_cents),
        }
        if self.quantity is not None:
            values["quantity"] = format_decimal(self.quantity, locale=locale)
        if self.percent is not None:
            values["percent"] = format_percent(Decimal(self.percent) / 100, locale=locale)
        one = self.count == 1
        if self.kind == "usage" and self.unit == "hour":
            if one:
                return _("Nutzungsentgelt: %(quantity)s Std. à %(rate)s", **values)
            return _("Nutzungsentgelt: %(count)d × %(quantity)s Std. à %(rate)s", **values)
        if self.kind == "usage" and self.unit == "day":
            days = int(self.quantity or 0)
            if one:
                return ngettext(
                    "Nutzungsentgelt: %(quantity)s Tag à %(rate)s",
                    "Nutzungsentgelt: %(quantity)s Tage à %(rate)s",
                    days,
                    **values,
                )
            return ngettext(
                "Nutzungsentgelt: %(count)d × %(quantity)s Tag à %(rate)s",
                "Nutzungsentgelt: %(count)d × %(quantity)s Tage à %(rate)s",
                days,
                **values,
            )
        if self.kind == "usage":
            if one:
                return _("Nutzungsentgelt (pauschal)")
            return _("Nutzungsentgelt pauschal: %(count)d × %(rate)s", **values)
        if self.kind == "minimum":
            if one:
                return _("Mindestentgelt")
            return _("Mindestentgelt: %(count)d × %(each)s", **values)
        if self.kind == "surcharge":
            if one:
                return _("Wochenend-/Feiertagszuschlag %(percent)s auf %(rate)s", **values)
            return _("Wochenend-/Feiertagszuschlag %(percent)s auf %(count)d × %(rate)s", **values)
        if self.kind == "cleaning":
            if one:
                return _("Reinigungspauschale")
            return _("Reinigungspauschale: %(count)d × %(each)s", **values)
        return _("Gebührenfrei (%(category)s)", category=category_label(self.category or ""))


@dataclass(frozen=True)
class Fee:
    """An itemised fee: ``items`` add up to ``amount_cents``; ``occurrences``
    are the same amount date by date (what a cancellation releases); the
    deposit is separate."""

    amount_cents: int
    items: tuple[FeeItem, ...] = ()
    deposit_cents: int = 0
    occurrences: tuple[OccurrenceFee, ...] = field(default=())
    currency: str = CURRENCY

    def __post_init__(self) -> None:
        if sum(item.amount_cents for item in self.items) != self.amount_cents:
            raise ValueError("fee items do not add up to the amount")
        if self.occurrences and sum(o.amount_cents for o in self.occurrences) != self.amount_cents:
            raise ValueError("fees of the dates do not add up to the amount")

    def to_dict(self, locale: str | Locale | None = None) -> dict[str, Any]:
        """The API's fee: ``{"amount_cents", "currency", "items": [{"label",
        "amount_cents"}], "deposit_cents"}``, labels in ``locale``."""
        return {
            "amount_cents": self.amount_cents,
            "currency": self.currency,
            "items": [
                {"label": item.label(locale), "amount_cents": item.amount_cents}
                for item in self.items
            ],
            "deposit_cents": self.deposit_cents,
        }


NO_FEE = Fee(amount_cents=0)


def _resolve(locale: str | Locale | None) -> Locale:
    if locale is None:
        return get_locale() or Locale.parse(DEFAULT_LOCALE)
    return locale if isinstance(locale, Locale) else Locale.parse(locale)


# --- arithmetic ------------------------------------------------------------------


def round_half_up(value: Decimal) -> int:
    """``value`` rounded to a whole number, halves away from zero (2.5 → 3)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent_of(cents: int, percent: int | Decimal) -> int:
    """``percent`` % of ``cents``, rounded half up to whole cents."""
    return round_half_up(Decimal(cents) * Decimal(percent) / 100)


def billed_hours(start: datetime, end: datetime, step_minutes: int = HOUR_STEP_MINUTES) -> Decimal:
    """The hours billed for ``[start, end)``: its real duration rounded up to
    whole steps of ``step_minutes`` (any started step counts in full)."""
    step = timedelta(minutes=step_minutes)
    steps = -(-(end - start) // step)  # ceiling of a timedelta division
    return Decimal(steps * step_minutes) / 60


def billed_days(
    start: datetime, end: datetime, tz: ZoneInfo, day: DayDefinition = CALENDAR_DAY
) -> int:
    """The days billed for ``[start, end)`` in zone ``tz`` under ``day``."""
    local_start = start.astimezone(tz).replace(tzinfo=None)
    local_end = end.astimezone(tz).replace(tzinfo=None)
    if day.mode == "rolling":
        whole = timedelta(days=1)
        return max(1, -(-(local_end - local_start) // whole))
    shift = timedelta(hours=day.starts_at.hour, minutes=day.starts_at.minute)
    first = (local_start - shift).date()
    last = (local_end - shift - timedelta(microseconds=1)).date()
    return max(1, (last - first).days + 1)


def is_surcharge_day(day: date, is_holiday: Callable[[date], bool]) -> bool:
    """Saturday, Sunday or a public holiday."""
    return day.weekday() >= 5 or bool(is_holiday(day))


# --- the price -------------------------------------------------------------------


def price(
    rules: Iterable[FeeRule],
    category: str,
    occurrences: Sequence[tuple[datetime, datetime]],
    tz: ZoneInfo,
    is_holiday: Callable[[date], bool],
    day: DayDefinition = CALENDAR_DAY,
    *,
    hour_step_minutes: int = HOUR_STEP_MINUTES,
) -> Fee:
    """The fee of a booking of ``occurrences`` (``(start, end)`` pairs of
    aware instants: the dates that take place, skipped ones left out) by a
    customer of ``category``, under the resource's ``rules``, in the
    tenant's zone ``tz`` with its holidays (``is_holiday(local_date)``) and
    day definition. The rules are those of this module's docstring.

    Raises ``ValidationFailed`` (fields ``category``) when the resource has
    rules but none for ``category``, and ``ValueError`` for a naive instant,
    an end not after its start or a billing step not in ``HOUR_STEPS``."""
    rules = tuple(rules)
    if hour_step_minutes not in HOUR_STEPS:
        raise ValueError(f"hour_step_minutes must be one of {HOUR_STEPS}")
    for start, end in occurrences:
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("occurrences need aware instants")
        if end <= start:
            raise ValueError("an occurrence must end after it starts")
    if not rules:
        return Fee(0, occurrences=tuple(OccurrenceFee(start, end, 0) for start, end in occurrences))
    rule = rule_for(rules, category)
    if rule is None:
        raise ValidationFailed(
            _l("Für diese Kundengruppe ist keine Gebühr festgelegt."),
            {
                "category": [
                    _l(
                        "Für „%(category)s“ gibt es bei dieser Ressource keinen Tarif.",
                        category=category_label(category),
                    )
                ]
            },
        )
    if not occurrences:
        return NO_FEE
    if rule.free:
        free = FeeItem("free", count=len(occurrences), each_cents=0, category=rule.category)
        return Fee(
            amount_cents=0,
            items=(free,),
            deposit_cents=rule.deposit_cents,
            occurrences=tuple(OccurrenceFee(start, end, 0) for start, end in occurrences),
        )

    per_date: list[OccurrenceFee] = []
    usage: dict[tuple[Decimal, int], int] = {}  # (quantity, each) → count
    minimum = 0
    surcharges: dict[tuple[int, int], int] = {}  # (base, surcharge) → count
    for start, end in occurrences:
        quantity = _quantity(rule.unit, start, end, tz, day, hour_step_minutes)
        usage_cents = round_half_up(quantity * rule.amount_cents)
        if usage_cents < rule.minimum_cents:
            base = rule.minimum_cents
            minimum += 1
        else:
            base = usage_cents
            usage[(quantity, usage_cents)] = usage.get((quantity, usage_cents), 0) + 1
        surcharge = 0
        if rule.weekend_surcharge_percent and is_surcharge_day(
            start.astimezone(tz).date(), is_holiday
        ):
            surcharge = percent_of(base, rule.weekend_surcharge_percent)
            if surcharge:
                surcharges[(base, surcharge)] = surcharges.get((base, surcharge), 0) + 1
        per_date.append(OccurrenceFee(start, end, base, surcharge, rule.cleaning_cents))

    items: list[FeeItem] = [
        FeeItem(
            "usage",
            count=count,
            each_cents=each,
            unit=rule.unit,
            quantity=quantity,
            rate_cents=rule.amount_cents,
        )
        for (quantity, each), count in usage.items()
        if each
    ]
    if minimum:
        items.append(FeeItem("minimum", count=minimum, each_cents=rule.minimum_cents))
    items.extend(
        FeeItem(
            "surcharge",
            count=count,
            each_cents=each,
            rate_cents=base,
            percent=rule.weekend_surcharge_percent,
        )
        for (base, each), count in surcharges.items()
    )
    if rule.cleaning_cents:
        items.append(FeeItem("cleaning", count=len(occurrences), each_cents=rule.cleaning_cents))
    return Fee(
        amount_cents=sum(o.amount_cents for o in per_date),
        items=tuple(items),
        deposit_cents=rule.deposit_cents,
        occurrences=tuple(per_date),
    )


def _quantity(
    unit: Unit, start: datetime, end: datetime, tz: ZoneInfo, day: DayDefinition, step: int
) -> Decimal:
    if unit == "hour":
        return billed_hours(start, end, step)
    if unit == "day":
        return Decimal(billed_days(start, end, tz, day))
    return Decimal(1)
