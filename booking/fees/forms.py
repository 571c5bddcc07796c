"""The admin's fee form ("Gebühren" of a hall): one row per customer
category (unit, amounts in euros, surcharge, free use) and the cancellation
bands. Amounts are typed as euros ("12,50") and become whole cents here;
the rules themselves are checked by ``fees.rules.parse_rules``."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import NumberRange, Optional

from booking.fees.cancellation import CancellationPolicy
from booking.fees.rules import CATEGORIES, CATEGORY_LABELS, MAX_CENTS, UNIT_LABELS, UNITS, FeeRule

BANDS = 4  # cancellation bands offered on the form (empty rows are ignored)
MONEY_FIELDS = ("amount", "cleaning", "deposit", "minimum")
_GERMAN = re.compile(r"^(\d{1,3}(\.\d{3})+|\d+)(,(\d+))?$")  # 1.250,50 or 1250,5
_DOT = re.compile(r"^(\d+)\.(\d{1,2})$")  # 12.50


def parse_euros(text: str) -> int:
    """Euros as typed ("12,50", "1.250", "12") in whole cents; ``ValueError``
    with a message for the person for anything else (a third decimal, a
    minus sign, letters)."""
    text = text.strip().replace(" ", "").removesuffix("€").strip()
    if text.startswith("-"):
        raise ValueError(_l("Der Betrag darf nicht negativ sein."))
    match = _GERMAN.match(text)
    if match:
        whole, cents = match.group(1).replace(".", ""), match.group(4) or ""
    else:
        dot = _DOT.match(text)
        if not dot:
            raise ValueError(_l("Bitte einen Betrag in Euro angeben, z. B. 12,50."))
        whole, cents = dot.group(1), dot.group(2)
    if len(cents) > 2:
        raise ValueError(_l("Höchstens zwei Stellen nach dem Komma (ganze Cent)."))
    value = int(whole) * 100 + int(cents.ljust(2, "0") or 0)
    if value > MAX_CENTS:
        raise ValueError(_l("Höchstens 100.000,00 €."))
    return value


def format_euros(cents: int) -> str:
    """Cents as the form shows them ("12,50" in German, without grouping)."""
    return format_decimal(Decimal(cents) / 100, format="0.00")


class EuroField(StringField):
    """A text field for an amount in euros; ``cents`` holds the parsed value
    (None when empty)."""

    cents: int | None = None

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        self.cents = None
        if self.data and self.data.strip():
            try:
                self.cents = parse_euros(self.data)
            except ValueError as error:
                self.cents = None
                raise ValueError(str(error.args[0])) from error

    def set_cents(self, cents: int) -> None:
        self.cents = cents
        self.data = format_euros(cents) if cents else ""


def _unit_choices() -> list[SelectChoice]:
    return [SelectChoice("", _l("kein Tarif")), *(SelectChoice(u, UNIT_LABELS[u]) for u in UNITS)]


class FeeRulesForm(FlaskForm):
    """Fields ``{category}_{unit|amount|cleaning|deposit|minimum|surcharge|free}``
    and ``band{i}_days`` / ``band{i}_percent``, added in ``build``."""

    def row(self, category: str) -> dict[str, Field]:
        names = ("unit", *MONEY_FIELDS, "surcharge", "free")
        return {name: self[f"{category}_{name}"] for name in names}

    def bands(self) -> list[tuple[Field, Field]]:
        return [(self[f"band{i}_days"], self[f"band{i}_percent"]) for i in range(BANDS)]

    def load(self, rules: tuple[FeeRule, ...], policy: CancellationPolicy) -> None:
        by_category = {rule.category: rule for rule in rules}
        for category in CATEGORIES:
            row = self.row(category)
            rule = by_category.get(category)
            row["unit"].data = rule.unit if rule else ""
            row["free"].data = bool(rule and rule.free)
            row["surcharge"].data = rule.weekend_surcharge_percent if rule else None
            for name in MONEY_FIELDS:
                row[name].set_cents(getattr(rule, f"{name}_cents") if rule else 0)
        for index, (days, percent) in enumerate(self.bands()):
            band = policy.bands[index] if index < len(policy.bands) else None
            days.data = band.days_before if band else None
            percent.data = band.percent if band else None

    def items(self) -> tuple[list[dict[str, Any]], list[str]]:
        """The rules in the API's shape and, for each, the form row it came
        from (to put the service's ``items[i].field`` messages on the field)."""
        items, rows = [], []
        for category in CATEGORIES:
            row = self.row(category)
            if not row["unit"].data:
                continue
            item: dict[str, Any] = {"category": category, "unit": row["unit"].data}
            for name in MONEY_FIELDS:
                item[f"{name}_cents"] = row[name].cents or 0
            item["weekend_surcharge_percent"] = row["surcharge"].data or 0
            item["free"] = bool(row["free"].data)
            items.append(item)
            rows.append(category)
        return items, rows

    def cancellation(self) -> tuple[list[dict[str, int]], list[int]]:
        """The bands filled in, in the API's shape, and their form rows."""
        bands, rows = [], []
        for index, (days, percent) in enumerate(self.bands()):
            if days.data is None and percent.data is None:
                continue
            bands.append({"days_before": days.data, "percent": percent.data})
            rows.append(index)
        return bands, rows


_SERVICE_FIELDS = {
    "unit": "unit",
    "amount_cents": "amount",
    "cleaning_cents": "cleaning",
    "deposit_cents": "deposit",
    "minimum_cents": "minimum",
    "weekend_surcharge_percent": "surcharge",
    "free": "free",
    "category": "unit",
}


def field_namer(rows: list[str], bands: list[int]):
    """``items[1].amount_cents`` → ``local_club_amount``; ``cancellation[0].percent``
    → ``band0_percent``; anything else on the form as a whole."""
    pattern = re.compile(r"^(items|cancellation)\[(\d+)\]\.(\w+)$")

    def rename(name: str) -> str | None:
        match = pattern.match(name)
        if not match:
            return None
        where, index, field = match.group(1), int(match.group(2)), match.group(3)
        if where == "items" and index < len(rows) and field in _SERVICE_FIELDS:
            return f"{rows[index]}_{_SERVICE_FIELDS[field]}"
        if where == "cancellation" and index < len(bands):
            return f"band{bands[index]}_{'days' if field == 'days_before' else 'percent'}"
        return None

    return rename


def build() -> type[FeeRulesForm]:
    """The form class with a row per category and ``BANDS`` band rows."""

    class Form(FeeRulesForm):
        pass

    for category in CATEGORIES:
        label = CATEGORY_LABELS[category]

        def text(what: Any, label: Any = label) -> Any:
            return _l("%(category)s: %(what)s", category=label, what=what)

        setattr(
            Form, f"{category}_unit", SelectField(text(_l("Abrechnung")), choices=_unit_choices())
        )
        setattr(Form, f"{category}_amount", EuroField(text(_l("Betrag in €"))))
        setattr(Form, f"{category}_cleaning", EuroField(text(_l("Reinigung in €"))))
        setattr(Form, f"{category}_deposit", EuroField(text(_l("Kaution in €"))))
        setattr(Form, f"{category}_minimum", EuroField(text(_l("Mindestentgelt in €"))))
        setattr(
            Form,
            f"{category}_surcharge",
            IntegerField(
                text(_l("Wochenendzuschlag in %")),
                validators=[Optional(), NumberRange(0, 100, _l("Zwischen 0 und 100 Prozent."))],
            ),
        )
        setattr(Form, f"{category}_free", BooleanField(text(_l("gebührenfrei"))))
    for index in range(BANDS):
        number = index + 1
        setattr(
            Form,
            f"band{index}_days",
            IntegerField(
                _l("Stufe %(number)d: ab Tagen vorher", number=number),
                validators=[Optional(), NumberRange(0, 3650, _l("Zwischen 0 und 3650 Tagen."))],
            ),
        )
        setattr(
            Form,
            f"band{index}_percent",
            IntegerField(
                _l("Stufe %(number)d: Anteil der Gebühr in %%", number=number),
                validators=[Optional(), NumberRange(0, 100, _l("Zwischen 0 und 100 Prozent."))],
            ),
        )
    return Form


AUTOMATIC = _l("automatisch (nach „Buchen für“)")


def category_choices(blank: bool = True) -> list[SelectChoice]:
    """The customer categories for a select; with ``blank`` "automatic" first."""
    choices = [SelectChoice(c, CATEGORY_LABELS[c]) for c in CATEGORIES]
    return [SelectChoice("", AUTOMATIC), *choices] if blank else choices


class CategoryForm(FlaskForm):
    """A clerk corrects a booking's customer category (the fee follows)."""

    category = SelectField(
        _l("Kundengruppe"), choices=category_choices(blank=False), validate_choice=True
    )
