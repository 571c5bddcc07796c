"""A fee schedule file (Gebührenordnung): fee rules and a cancellation policy
per kind of resource, plus the billing settings ``price`` takes. The example
in ``config/fee_schedule.example.json`` seeds new halls and the demo::

    {"currency": "EUR",
     "hour_step_minutes": 60,
     "day": {"mode": "calendar", "starts_at": "00:00"},
     "kinds": {"hall": {"description": "…", "rules": [rule, …],
                        "cancellation": [{"days_before": 14, "percent": 0}, …]},
               …}}

The rules have the API's fee-rule shape. ``load_schedule`` refuses a bad
file with ``FeeScheduleError``, whose message names the file and every
faulty entry and field (``kinds.hall.rules[2].amount_cents: …``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from booking.core import ValidationFailed
from booking.fees.cancellation import FREE_CANCELLATION, CancellationPolicy, parse_policy
from booking.fees.pricing import (
    CALENDAR_DAY,
    CURRENCY,
    HOUR_STEP_MINUTES,
    HOUR_STEPS,
    DayDefinition,
)
from booking.fees.rules import FeeRule, parse_rules
from booking.resources.models import RESOURCE_KINDS

EXAMPLE_SCHEDULE = (
    Path(__file__).resolve().parent.parent.parent / "config" / "fee_schedule.example.json"
)

_TOP_FIELDS = frozenset(("currency", "hour_step_minutes", "day", "kinds", "description"))
_KIND_FIELDS = frozenset(("description", "rules", "cancellation"))
_DAY_FIELDS = frozenset(("mode", "starts_at"))


class FeeScheduleError(ValueError):
    """A fee schedule file that cannot be used; the message says where and why.
    ``problems`` maps each faulty field (``kinds.hall.rules[0].unit``) to its
    messages."""

    def __init__(self, source: str, problems: Mapping[str, list[str]]):
        self.source = source
        self.problems = dict(problems)
        lines = [f"{name}: {'; '.join(messages)}" for name, messages in self.problems.items()]
        super().__init__(f"{source}: invalid fee schedule\n  " + "\n  ".join(lines))


@dataclass(frozen=True)
class ResourceSchedule:
    """The fees of one kind of resource."""

    rules: tuple[FeeRule, ...]
    cancellation: CancellationPolicy = FREE_CANCELLATION
    description: str = ""


@dataclass(frozen=True)
class FeeSchedule:
    currency: str = CURRENCY
    hour_step_minutes: int = HOUR_STEP_MINUTES
    day: DayDefinition = CALENDAR_DAY
    kinds: Mapping[str, ResourceSchedule] = field(default_factory=dict)

    def for_kind(self, kind: str) -> ResourceSchedule | None:
        """The schedule of resources of ``kind``, or None (they cost nothing)."""
        return self.kinds.get(kind)


def load_schedule(path: str | Path = EXAMPLE_SCHEDULE) -> FeeSchedule:
    """The fee schedule in the JSON file ``path``, or ``FeeScheduleError``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise FeeScheduleError(str(path), {"file": [str(error)]}) from error
    return parse_schedule(text, source=str(path))


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


class _DuplicateKey(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def parse_schedule(text: str, *, source: str = "<fee schedule>") -> FeeSchedule:
    """The fee schedule in the JSON ``text``, or ``FeeScheduleError``
    (``source`` names it in the message). Numbers with a fraction are read as
    ``Decimal`` (never floats) and refused where whole cents are due."""
    try:
        data = json.loads(text, parse_float=Decimal, object_pairs_hook=_no_duplicate_keys)
    except _DuplicateKey as error:
        raise FeeScheduleError(
            source, {error.key: [f"„{error.key}“ steht zweimal in einem Objekt."]}
        ) from None
    except json.JSONDecodeError as error:
        raise FeeScheduleError(
            source,
            {
                "file": [
                    f"kein gültiges JSON (Zeile {error.lineno}, Spalte {error.colno}: {error.msg})"
                ]
            },
        ) from None
    problems: dict[str, list[str]] = {}

    def add(name: str, message: object) -> None:
        problems.setdefault(name, []).append(str(message))

    if not isinstance(data, dict):
        raise FeeScheduleError(source, {"file": ["ein JSON-Objekt wird erwartet."]})
    for name in sorted(set(data) - _TOP_FIELDS):
        add(name, "Unbekanntes Feld.")

    currency = data.get("currency", CURRENCY)
    if currency != CURRENCY:
        add("currency", f"Nur {CURRENCY} wird unterstützt.")

    step = data.get("hour_step_minutes", HOUR_STEP_MINUTES)
    if type(step) is not int or step not in HOUR_STEPS:
        add("hour_step_minutes", "Eine von: " + ", ".join(str(s) for s in HOUR_STEPS))
        step = HOUR_STEP_MINUTES

    day = _day(data.get("day", {}), add)

    kinds: dict[str, ResourceSchedule] = {}
    raw_kinds = data.get("kinds", {})
    if not isinstance(raw_kinds, dict):
        add("kinds", "Ein Objekt je Art von Ressource wird erwartet.")
        raw_kinds = {}
    for kind, entry in raw_kinds.items():
        where = f"kinds.{kind}"
        if kind not in RESOURCE_KINDS:
            add(where, "Unbekannte Art; eine von: " + ", ".join(RESOURCE_KINDS))
            continue
        if not isinstance(entry, dict):
            add(where, "Ein Objekt mit rules und cancellation wird erwartet.")
            continue
        for name in sorted(set(entry) - _KIND_FIELDS):
            add(f"{where}.{name}", "Unbekanntes Feld.")
        description = entry.get("description", "")
        if not isinstance(description, str):
            add(f"{where}.description", "Bitte einen Text angeben.")
            description = ""
        rules: tuple[FeeRule, ...] = ()
        policy = FREE_CANCELLATION
        try:
            rules = parse_rules(entry.get("rules", []), where=f"{where}.rules")
        except ValidationFailed as refusal:
            for name, messages in refusal.fields.items():
                for message in messages:
                    add(name, message)
        try:
            policy = parse_policy(entry.get("cancellation", []), where=f"{where}.cancellation")
        except ValidationFailed as refusal:
            for name, messages in refusal.fields.items():
                for message in messages:
                    add(name, message)
        kinds[kind] = ResourceSchedule(rules, policy, description)
    if problems:
        raise FeeScheduleError(source, problems)
    return FeeSchedule(currency=CURRENCY, hour_step_minutes=step, day=day, kinds=kinds)


def _day(raw: object, add: Any) -> DayDefinition:
    if not isinstance(raw, dict):
        add("day", "Ein Objekt mit mode und starts_at wird erwartet.")
        return CALENDAR_DAY
    for name in sorted(set(raw) - _DAY_FIELDS):
        add(f"day.{name}", "Unbekanntes Feld.")
    mode = raw.get("mode", "calendar")
    if mode not in ("calendar", "rolling"):
        add("day.mode", "Eine von: calendar, rolling")
        mode = "calendar"
    starts_at = time(0)
    text = raw.get("starts_at", "00:00")
    try:
        if not isinstance(text, str) or len(text) != 5:
            raise ValueError(text)
        starts_at = time.fromisoformat(text)
    except ValueError:
        add("day.starts_at", "Eine Uhrzeit HH:MM, z. B. 06:00.")
    return DayDefinition(mode=mode, starts_at=starts_at)
