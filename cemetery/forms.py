"""Forms of the register pages: cemetery settings, sections, plots (single
and a row), grave types, and the grave-right actions. They parse and check
formats; the rules live in ``cemetery.register`` and ``cemetery.rights``."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from booking.core import ADDRESS_MAX, LONG_TEXT_MAX, NAME_MAX
from booking.resources.forms import ClockField
from cemetery.rights import SUCCESSION_ORDER

DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]
BAD_DATE = _l("Bitte ein Datum angeben, z. B. 06.03.2027.")
BAD_NUMBER = _l("Bitte eine ganze Zahl angeben.")
WEEKDAYS = range(7)


def _date(label: Any, required: bool = False, **kwargs: Any) -> DateField:
    return DateField(
        label,
        validators=[InputRequired() if required else Optional()],
        format=DATE_FORMATS,
        invalid_value_message=BAD_DATE,
        **kwargs,
    )


def _number(label: Any, low: int, high: int, required: bool = True, **kwargs: Any):
    return IntegerField(
        label,
        validators=[InputRequired() if required else Optional(), NumberRange(low, high)],
        **kwargs,
    )


# --- cemetery ------------------------------------------------------------------------


class CemeteryForm(FlaskForm):
    """Name, address and the burial settings. Burial hours: one window per
    weekday (from – to, local time); a day without times allows none."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=NAME_MAX)])
    address = StringField(_l("Adresse"), validators=[Optional(), Length(max=ADDRESS_MAX)])
    description = TextAreaField(
        _l("Beschreibung (öffentlich)"), validators=[Optional(), Length(max=LONG_TEXT_MAX)]
    )
    lead_days_coffin = _number(_l("Vorlauf Sargbestattung (Werktage)"), 0, 60, default=3)
    lead_days_urn = _number(_l("Vorlauf Urnenbeisetzung (Werktage)"), 0, 60, default=2)
    burials_per_day = _number(_l("Bestattungen je Tag (höchstens)"), 1, 100, default=4)
    burial_minutes = _number(
        _l("Dauer einer Bestattung für das Friedhofsteam (Minuten)"), 5, 600, default=60
    )
    rest_years_coffin = _number(_l("Ruhezeit Sarg (Jahre)"), 1, 100, default=25)
    rest_years_urn = _number(_l("Ruhezeit Urne (Jahre)"), 1, 100, default=20)
    rest_years_child_coffin = _number(_l("Ruhezeit Sarg, Kinder (Jahre)"), 1, 100, default=15)
    rest_years_child_urn = _number(_l("Ruhezeit Urne, Kinder (Jahre)"), 1, 100, default=15)
    child_age = _number(
        _l("Kinder: verstorben vor Vollendung des … Lebensjahres"),
        0,
        30,
        default=10,
        description=_l("Für sie gelten die Ruhezeiten für Kinder."),
    )

    def hours_fields(self) -> list[tuple[int, Any, Any]]:
        return [(day, self[f"day_{day}_from"], self[f"day_{day}_to"]) for day in WEEKDAYS]

    def burial_hours(self) -> dict[str, list[list[int]]] | None:
        """``{"0": [[540, 900]], …}`` from the fields; None (with the
        errors on the fields) when a window is incomplete or inverted."""
        hours: dict[str, list[list[int]]] = {}
        ok = True
        for day, start, end in self.hours_fields():
            if start.errors or end.errors:
                ok = False
                continue
            if start.data is None and end.data is None:
                continue
            if start.data is None or end.data is None:
                (start if start.data is None else end).errors = [
                    _l("Bitte beide Zeiten angeben (von und bis) oder keine.")
                ]
                ok = False
            elif end.data <= start.data:
                end.errors = [_l("„bis“ muss nach „von“ liegen.")]
                ok = False
            else:
                hours[str(day)] = [[start.data, end.data]]
        return hours if ok else None

    def fill_hours(self, hours: dict[str, list[list[int]]]) -> None:
        for day, start, end in self.hours_fields():
            spans = hours.get(str(day)) or []
            if spans:
                start.data, end.data = spans[0][0], spans[0][1]

    def settings(self) -> dict[str, Any]:
        return {
            "name": self.name.data,
            "address": self.address.data,
            "description": self.description.data,
            **{
                key: self[key].data
                for key in (
                    "lead_days_coffin",
                    "lead_days_urn",
                    "burials_per_day",
                    "burial_minutes",
                    "rest_years_coffin",
                    "rest_years_urn",
                    "rest_years_child_coffin",
                    "rest_years_child_urn",
                    "child_age",
                )
            },
        }


for _day in WEEKDAYS:
    setattr(CemeteryForm, f"day_{_day}_from", ClockField(_l("von")))
    setattr(CemeteryForm, f"day_{_day}_to", ClockField(_l("bis")))


class SectionForm(FlaskForm):
    name = StringField(
        _l("Name des Feldes"),
        validators=[DataRequired(), Length(max=40)],
        description=_l("z. B. B oder Urnenhain"),
    )
    description = StringField(_l("Beschreibung"), validators=[Optional(), Length(max=300)])


# --- plots ---------------------------------------------------------------------------


class PlotForm(FlaskForm):
    code = StringField(
        _l("Grabnummer"),
        validators=[DataRequired(), Length(max=40)],
        description=_l("z. B. B-04-12 (Feld, Reihe, Nummer)"),
    )
    grave_type = SelectField(_l("Grabart"), choices=[], validators=[InputRequired()])
    section = StringField(_l("Feld"), validators=[Optional(), Length(max=40)])
    row = StringField(_l("Reihe"), validators=[Optional(), Length(max=20)])
    number = StringField(_l("Nummer"), validators=[Optional(), Length(max=20)])
    x = _number(_l("Lageplan: x"), 0, 100_000, required=False)
    y = _number(_l("Lageplan: y"), 0, 100_000, required=False)
    width = _number(_l("Lageplan: Breite"), 1, 10_000, required=False)
    height = _number(_l("Lageplan: Höhe"), 1, 10_000, required=False)
    notes = TextAreaField(_l("Notizen"), validators=[Optional(), Length(max=LONG_TEXT_MAX)])


class PlotRowForm(FlaskForm):
    section = StringField(_l("Feld"), validators=[DataRequired(), Length(max=40)])
    row = StringField(_l("Reihe"), validators=[Optional(), Length(max=20)])
    first = _number(_l("Erste Nummer"), 0, 99_999, default=1)
    count = _number(_l("Anzahl Grabstätten"), 1, 500, default=10)
    grave_type = SelectField(_l("Grabart"), choices=[], validators=[InputRequired()])
    x = _number(_l("Lageplan: x der ersten Grabstätte"), 0, 100_000, default=0)
    y = _number(_l("Lageplan: y der ersten Grabstätte"), 0, 100_000, default=0)
    step = _number(_l("Lageplan: Abstand (nach rechts)"), 1, 10_000, default=12)


class BlockForm(FlaskForm):
    reason = StringField(_l("Grund der Sperre"), validators=[DataRequired(), Length(max=300)])


# --- grave types ---------------------------------------------------------------------


class GraveTypeForm(FlaskForm):
    key = StringField(
        _l("Schlüssel (für API und Import)"),
        validators=[Optional(), Length(max=40)],
        description=_l("Kleinbuchstaben, Ziffern und _, z. B. urnengemeinschaftsgrab"),
    )
    name = StringField(_l("Bezeichnung"), validators=[DataRequired(), Length(max=100)])
    coffin_places = _number(_l("Sargplätze"), 0, 20, default=1)
    urn_places = _number(_l("Urnenplätze"), 0, 50, default=0)
    default_term_years = _number(_l("Nutzungszeit (Jahre)"), 1, 100, default=25)
    extendable = BooleanField(_l("Nutzungsrecht verlängerbar (Wahlgrab)"))
    allocated_in_order = BooleanField(_l("Wird der Reihe nach vergeben (Reihengrab)"))
    discloses_location = BooleanField(
        _l("Lage in der Grabsuche zeigen (nicht bei anonymen Feldern)"), default=True
    )
    cemetery_care = BooleanField(_l("Pflege durch die Friedhofsverwaltung"))
    for_children = BooleanField(_l("Kindergrab (Ruhezeiten für Kinder)"))
    active = BooleanField(_l("Wird vergeben"), default=True)

    def values(self) -> dict[str, Any]:
        return {
            name: self[name].data
            for name in (
                "key",
                "name",
                "coffin_places",
                "urn_places",
                "default_term_years",
                "extendable",
                "allocated_in_order",
                "discloses_location",
                "cemetery_care",
                "for_children",
                "active",
            )
        }


# --- grave rights --------------------------------------------------------------------


class ContactFields:
    """Name and address of a person (holder, successor, new holder)."""

    @staticmethod
    def contact(form: FlaskForm, prefix: str = "") -> dict[str, Any]:
        return {
            key: form[f"{prefix}{key}"].data or None
            for key in ("name", "street", "postcode", "city", "email", "phone")
            if f"{prefix}{key}" in form
        }


class AcquireRightForm(FlaskForm):
    name = StringField(
        _l("Nutzungsberechtigte Person: Name"), validators=[DataRequired(), Length(max=200)]
    )
    street = StringField(_l("Straße und Hausnummer"), validators=[Optional(), Length(max=200)])
    postcode = StringField(_l("Postleitzahl"), validators=[Optional(), Length(max=10)])
    city = StringField(_l("Ort"), validators=[Optional(), Length(max=100)])
    email = StringField(_l("E-Mail"), validators=[Optional(), Length(max=254)])
    phone = StringField(_l("Telefon"), validators=[Optional(), Length(max=40)])
    start = _date(_l("Beginn des Nutzungsrechts"), required=True)
    years = _number(
        _l("Laufzeit (Jahre)"),
        1,
        100,
        required=False,
        description=_l("Leer: die Nutzungszeit der Grabart."),
    )
    certificate_number = StringField(
        _l("Nummer der Graburkunde"), validators=[Optional(), Length(max=40)]
    )
    successor_name = StringField(
        _l("Benannte Nachfolge: Name"), validators=[Optional(), Length(max=200)]
    )
    successor_street = StringField(
        _l("Nachfolge: Straße und Hausnummer"), validators=[Optional(), Length(max=200)]
    )
    successor_postcode = StringField(
        _l("Nachfolge: Postleitzahl"), validators=[Optional(), Length(max=10)]
    )
    successor_city = StringField(_l("Nachfolge: Ort"), validators=[Optional(), Length(max=100)])


class ExtendRightForm(FlaskForm):
    years = _number(_l("Um ganze Jahre verlängern"), 1, 100, required=False)
    until = _date(
        _l("oder: mindestens bis"),
        description=_l("Angefangene Jahre zählen voll."),
    )
    reason = StringField(_l("Anlass"), validators=[Optional(), Length(max=500)])


def succession_choices() -> list[tuple[str, Any]]:
    return (
        [("", _l("– bitte wählen –"))]
        + [(str(label), label) for label in SUCCESSION_ORDER]
        + [("other", _l("Andere Person (Vereinbarung)"))]
    )


class TransferRightForm(FlaskForm):
    relation = SelectField(
        _l("Verhältnis zur bisherigen nutzungsberechtigten Person"),
        choices=[],
        validators=[Optional()],
        description=_l("Die gesetzliche Reihenfolge der Nachfolge dient als Leitfaden."),
    )
    name = StringField(
        _l("Neue nutzungsberechtigte Person: Name"), validators=[DataRequired(), Length(max=200)]
    )
    street = StringField(_l("Straße und Hausnummer"), validators=[Optional(), Length(max=200)])
    postcode = StringField(_l("Postleitzahl"), validators=[Optional(), Length(max=10)])
    city = StringField(_l("Ort"), validators=[Optional(), Length(max=100)])
    email = StringField(_l("E-Mail"), validators=[Optional(), Length(max=254)])
    phone = StringField(_l("Telefon"), validators=[Optional(), Length(max=40)])
    on = _date(_l("Umschreibung zum"), required=True)


class EndRightForm(FlaskForm):
    """Surrender (Verzicht) or clearing an expired right."""

    on = _date(_l("Zum"), required=True)
    reason = StringField(_l("Anlass"), validators=[Optional(), Length(max=500)])


class PlotEditForm(FlaskForm):
    grave_type = SelectField(_l("Grabart"), choices=[], validators=[InputRequired()])
    x = _number(_l("Lageplan: x"), 0, 100_000, required=False)
    y = _number(_l("Lageplan: y"), 0, 100_000, required=False)
    notes = TextAreaField(_l("Notizen"), validators=[Optional(), Length(max=LONG_TEXT_MAX)])
