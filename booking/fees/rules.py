"""Fee rules: one per customer category of a resource, in the API's shape
(``../shared/API.md``, "Fees, invoices and payments")::

    {"category": "resident" | "local_club" | "external" | "commercial",
     "unit": "hour" | "day" | "booking", "amount_cents",
     "cleaning_cents"?, "deposit_cents"?, "weekend_surcharge_percent"?,
     "minimum_cents"?, "free"?: bool}

``parse_rules`` turns such a list (from ``PUT /resources/<id>/fee-rules``, a
form or the example schedule file) into ``FeeRule`` objects, or refuses it
with ``ValidationFailed`` naming every faulty entry and field
(``items[2].amount_cents``), the way ``booking.api.base.parse`` names fields.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, cast

from flask_babel import lazy_gettext as _l

from booking.core import ValidationFailed

Category = Literal["resident", "local_club", "external", "commercial"]
Unit = Literal["hour", "day", "booking"]

CATEGORIES: tuple[Category, ...] = ("resident", "local_club", "external", "commercial")
UNITS: tuple[Unit, ...] = ("hour", "day", "booking")

# Largest amount in one field: 100.000,00 €. Far above any hall's fee, far
# below what a database integer holds once a long series is summed.
MAX_CENTS = 10_000_000

# Display names of the categories (the applicant chooses one; "free" items name it).
CATEGORY_LABELS = {
    "resident": _l("Einwohner/in"),
    "local_club": _l("örtlicher Verein"),
    "external": _l("auswärtig"),
    "commercial": _l("gewerblich"),
}

UNIT_LABELS = {
    "hour": _l("pro Stunde"),
    "day": _l("pro Tag"),
    "booking": _l("pauschal pro Termin"),
}

_CENT_FIELDS = ("amount_cents", "cleaning_cents", "deposit_cents", "minimum_cents")
_KNOWN_FIELDS = frozenset(("category", "unit", *_CENT_FIELDS, "weekend_surcharge_percent", "free"))


def category_label(category: str) -> str:
    """The translated name of ``category``; an unknown key is shown as it is."""
    return str(CATEGORY_LABELS.get(category, category))


@dataclass(frozen=True)
class FeeRule:
    """What one customer category pays for one resource.

    ``amount_cents`` is the price of one unit (an hour, a day, or one date of
    a booking); ``cleaning_cents`` is added to every date, ``deposit_cents``
    once per booking (returned after the event), ``weekend_surcharge_percent``
    applies to the base fee of dates starting on a Saturday, Sunday or public
    holiday, ``minimum_cents`` is the least base fee of one date, and ``free``
    makes every date cost nothing (a deposit is still asked when set)."""

    category: Category
    unit: Unit
    amount_cents: int
    cleaning_cents: int = 0
    deposit_cents: int = 0
    weekend_surcharge_percent: int = 0
    minimum_cents: int = 0
    free: bool = False

    def __post_init__(self) -> None:
        # Rules built in code (tests, the demo) obey the same limits as parsed ones.
        problems = _problems(self.to_dict())
        if problems:
            raise ValueError(
                "invalid fee rule: "
                + "; ".join(f"{name}: {messages[0]}" for name, messages in problems.items())
            )

    def to_dict(self) -> dict[str, Any]:
        """The rule in the API's shape (every field spelled out)."""
        return {
            "category": self.category,
            "unit": self.unit,
            "amount_cents": self.amount_cents,
            "cleaning_cents": self.cleaning_cents,
            "deposit_cents": self.deposit_cents,
            "weekend_surcharge_percent": self.weekend_surcharge_percent,
            "minimum_cents": self.minimum_cents,
            "free": self.free,
        }


def _is_int(value: object) -> bool:
    # bool is an int in Python, and 12.0 or Decimal("12") are not whole cents here.
    return type(value) is int


def _problems(data: dict[str, Any]) -> dict[str, list[Any]]:
    """Field name → messages for one rule given as a mapping."""
    problems: dict[str, list[Any]] = {}
    for name in sorted(set(data) - _KNOWN_FIELDS):
        problems[name] = [_l("Unbekanntes Feld.")]
    if "category" not in data:
        problems["category"] = [_l("Pflichtangabe.")]
    elif data["category"] not in CATEGORIES:
        problems["category"] = [_l("Eine von: %(kinds)s", kinds=", ".join(CATEGORIES))]
    if "unit" not in data:
        problems["unit"] = [_l("Pflichtangabe.")]
    elif data["unit"] not in UNITS:
        problems["unit"] = [_l("Eine von: %(kinds)s", kinds=", ".join(UNITS))]
    for name in _CENT_FIELDS:
        if name not in data:
            if name == "amount_cents":
                problems[name] = [_l("Pflichtangabe.")]
            continue
        value = data[name]
        if not _is_int(value):
            problems[name] = [_l("Bitte einen ganzen Betrag in Cent angeben.")]
        elif value < 0:
            problems[name] = [_l("Der Betrag darf nicht negativ sein.")]
        elif value > MAX_CENTS:
            problems[name] = [_l("Höchstens %(max)d Cent.", max=MAX_CENTS)]
    if "weekend_surcharge_percent" in data:
        value = data["weekend_surcharge_percent"]
        if not _is_int(value):
            problems["weekend_surcharge_percent"] = [_l("Bitte eine ganze Zahl angeben.")]
        elif not 0 <= value <= 100:
            problems["weekend_surcharge_percent"] = [_l("Zwischen 0 und 100 Prozent.")]
    if "free" in data and not isinstance(data["free"], bool):
        problems["free"] = [_l("true oder false.")]
    return problems


def parse_rule(data: object) -> FeeRule:
    """One rule (a mapping in the API's shape), or ``ValidationFailed``."""
    return parse_rules([data], where="")[0]


def parse_rules(items: object, *, where: str = "items") -> tuple[FeeRule, ...]:
    """The fee rules of one resource from ``items`` (a list of mappings in the
    API's shape), in their order.

    Refused with ``ValidationFailed`` whose fields name each faulty entry
    and field as ``{where}[{index}].{field}`` (``items[2].amount_cents``;
    with ``where=""`` just the field): an unknown field, a missing or unknown
    category or unit, an amount that is not a whole number of cents, negative
    or above ``MAX_CENTS``, a surcharge outside 0–100 %, a ``free`` that is
    not a boolean, or a second rule for a category already given."""
    fields: dict[str, list[Any]] = {}
    if not isinstance(items, list):
        raise ValidationFailed(
            _l("Bitte prüfen Sie die Gebührenregeln."),
            {where or "items": [_l("Bitte eine Liste von Gebührenregeln angeben.")]},
        )
    seen: dict[object, int] = {}
    for index, data in enumerate(items):
        prefix = f"{where}[{index}]" if where else ""

        def name(field: str, prefix: str = prefix) -> str:
            return f"{prefix}.{field}" if prefix else field

        if not isinstance(data, dict):
            fields[prefix or "items"] = [_l("Bitte eine Gebührenregel (ein Objekt) angeben.")]
            continue
        for field, messages in _problems(data).items():
            fields[name(field)] = messages
        category = data.get("category")
        if isinstance(category, str) and category in CATEGORIES:
            if category in seen:
                fields.setdefault(name("category"), []).append(
                    _l(
                        "Für diese Kundengruppe gibt es schon eine Regel (Eintrag %(number)d).",
                        number=seen[category] + 1,
                    )
                )
            else:
                seen[category] = index
    if fields:
        raise ValidationFailed(_l("Bitte prüfen Sie die Gebührenregeln."), fields)
    return tuple(_build(cast(dict[str, Any], data)) for data in items)


def _build(data: dict[str, Any]) -> FeeRule:
    return FeeRule(
        category=data["category"],
        unit=data["unit"],
        amount_cents=data["amount_cents"],
        cleaning_cents=data.get("cleaning_cents", 0),
        deposit_cents=data.get("deposit_cents", 0),
        weekend_surcharge_percent=data.get("weekend_surcharge_percent", 0),
        minimum_cents=data.get("minimum_cents", 0),
        free=data.get("free", False),
    )


def rule_for(rules: Iterable[FeeRule], category: str) -> FeeRule | None:
    """The rule of ``category`` among ``rules``, or None."""
    return next((rule for rule in rules if rule.category == category), None)
