"""Forms for halls, parts, opening hours and caretakers (the closure form is
``reservations.forms.ClosureForm``). They parse and check formats; the rules
live in ``resources.service``."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import TimeInput

from booking.core import ADDRESS_MAX, LONG_TEXT_MAX, NAME_MAX
from booking.resources.models import RESOURCE_KINDS

KIND_LABELS = {
    "hall": _l("Halle"),
    "room": _l("Raum"),
    "sports_hall": _l("Sporthalle"),
    "chapel": _l("Trauerhalle"),
    "crew": _l("Bestattungsteam"),
    "equipment": _l("Ausstattung"),
}
# Kinds a citizen looks for in the catalogue.
PUBLIC_KINDS = ("hall", "room", "sports_hall", "equipment")
WEEKDAYS = range(7)
CLOCK_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def kind_choices() -> list[SelectChoice]:
    return [SelectChoice(kind, KIND_LABELS[kind]) for kind in RESOURCE_KINDS]


def catalogue_kind_choices() -> list[SelectChoice]:
    """A search filter's kinds: any, or one a citizen looks for."""
    return [SelectChoice("", _l("Alle Arten"))] + [
        SelectChoice(kind, KIND_LABELS[kind]) for kind in PUBLIC_KINDS
    ]


class ResourceForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=NAME_MAX)])
    kind = SelectField(_l("Art"), choices=kind_choices())
    parent_id = SelectField(
        _l("Teil von"),
        choices=[],
        description=_l(
            "Für Teile einer Halle (z. B. Saal A und Saal B): eine Buchung der ganzen "
            "Halle belegt alle ihre Teile."
        ),
    )
    capacity = IntegerField(
        _l("Plätze"), validators=[Optional()], description=_l("Leer lassen, wenn ohne Bedeutung.")
    )
    address = StringField(_l("Adresse"), validators=[Optional(), Length(max=ADDRESS_MAX)])
    description = TextAreaField(
        _l("Beschreibung"), validators=[Optional(), Length(max=LONG_TEXT_MAX)]
    )
    accessibility = TextAreaField(
        _l("Barrierefreiheit"),
        validators=[Optional(), Length(max=LONG_TEXT_MAX)],
        description=_l("Zugang, WC, Höranlage, Parkplätze …"),
    )
    key_handover = TextAreaField(
        _l("Schlüsselübergabe"),
        validators=[Optional(), Length(max=LONG_TEXT_MAX)],
        description=_l(
            "Wie Buchende an den Schlüssel kommen. Steht in der Erinnerung vor dem Termin "
            "(an Buchende und Hausmeister), nie auf öffentlichen Seiten."
        ),
    )
    public = BooleanField(_l("Öffentlich im Verzeichnis zeigen"), default=True)
    bookable = BooleanField(_l("Buchbar"), default=True)
    requires_approval = BooleanField(_l("Buchungen müssen von der Verwaltung genehmigt werden"))
    request_blocks = BooleanField(
        _l("Offene Anfragen halten den Zeitraum frei, bis entschieden ist"), default=True
    )
    observe_holidays = BooleanField(_l("An gesetzlichen Feiertagen geschlossen"), default=True)
    buffer_before_min = IntegerField(
        _l("Pufferzeit davor (Minuten)"),
        validators=[Optional()],
        default=0,
        description=_l("Zum Aufbauen: so lange vor jeder Buchung bleibt die Halle frei."),
    )
    buffer_after_min = IntegerField(
        _l("Pufferzeit danach (Minuten)"),
        validators=[Optional()],
        default=0,
        description=_l("Zum Aufräumen und Reinigen."),
    )
    min_notice_hours = IntegerField(
        _l("Mindestvorlauf (Stunden)"), validators=[Optional()], default=0
    )
    max_advance_days = IntegerField(
        _l("Höchstens so viele Tage im Voraus buchbar"),
        validators=[Optional()],
        description=_l("Leer lassen für keine Grenze."),
    )
    min_duration_min = IntegerField(_l("Mindestdauer (Minuten)"), validators=[Optional()])
    max_duration_min = IntegerField(_l("Höchstdauer (Minuten)"), validators=[Optional()])

    def service_data(self) -> dict[str, Any]:
        """The values for ``create_resource`` / ``update_resource``."""
        data = {
            name: field.data
            for name, field in self._fields.items()
            if name not in ("csrf_token", "parent_id")
        }
        for name in ("buffer_before_min", "buffer_after_min", "min_notice_hours"):
            if data[name] is None:
                data[name] = 0
        data["parent_id"] = int(self.parent_id.data) if self.parent_id.data else None
        return data


class ClockField(StringField):
    """A time of day as minutes after midnight; ``24:00`` allowed. Rendered
    as ``<input type="time">`` (works without JavaScript)."""

    widget = TimeInput()

    def process_formdata(self, valuelist: list[str]) -> None:
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not self.raw:
            return
        match = CLOCK_RE.match(self.raw)
        if match is None or int(match[1]) > 24 or int(match[2]) > 59:
            raise ValueError(_l("Bitte eine Uhrzeit wie 08:00 angeben."))
        minutes = int(match[1]) * 60 + int(match[2])
        if minutes > 1440:
            raise ValueError(_l("Bitte eine Uhrzeit wie 08:00 angeben."))
        self.data = minutes

    def _value(self) -> str:
        if isinstance(self.data, int):
            minutes = self.data % 1440  # midnight as end of day shows as 00:00
            return f"{minutes // 60:02d}:{minutes % 60:02d}"
        return getattr(self, "raw", "") or ""


def _hours_form_class() -> type[FlaskForm]:
    fields: dict[str, Any] = {
        "always_open": BooleanField(
            _l("Rund um die Uhr geöffnet"),
            description=_l("Dann gelten keine Zeiten; die Felder unten werden ignoriert."),
        )
    }
    for day in WEEKDAYS:
        fields[f"day_{day}_opens"] = ClockField(_l("öffnet um"))
        fields[f"day_{day}_closes"] = ClockField(_l("schließt um"))
    return type("OpeningHoursFormBase", (FlaskForm,), fields)


class OpeningHoursForm(_hours_form_class()):  # type: ignore[misc]
    """Seven weekday rows with one opening time each; both empty = closed."""

    def load(self, rows: list[tuple[int, int, int]]) -> list[int]:
        """Fill from stored rows; returns the weekdays that had more than one
        interval (the form keeps one, from the first opening to the last closing)."""
        if not rows:
            self.always_open.data = True
            return []
        self.always_open.data = False
        split: list[int] = []
        for day in WEEKDAYS:
            mine = [r for r in rows if r[0] == day]
            if not mine:
                continue
            if len(mine) > 1:
                split.append(day)
            self[f"day_{day}_opens"].data = min(r[1] for r in mine)
            self[f"day_{day}_closes"].data = max(r[2] for r in mine)
        return split

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not valid or self.always_open.data:
            return valid
        any_day = False
        for day in WEEKDAYS:
            opens, closes = self[f"day_{day}_opens"], self[f"day_{day}_closes"]
            if (opens.data is None) != (closes.data is None):
                empty = opens if opens.data is None else closes
                empty.errors = [
                    *empty.errors,
                    _l("Bitte beide Zeiten angeben oder beide leer lassen (geschlossen)."),
                ]
                valid = False
            elif opens.data is not None:
                any_day = True
                if opens.data >= 1440:
                    opens.errors = [*opens.errors, _l("Bitte eine Uhrzeit vor 24:00 angeben.")]
                    valid = False
        if valid and not any_day:
            self.always_open.errors = [
                *self.always_open.errors,
                _l(
                    "Bitte Zeiten für mindestens einen Tag angeben oder „Rund um die Uhr geöffnet“ wählen."
                ),
            ]
            valid = False
        return valid

    def rows(self) -> list[tuple[int, int, int]]:
        """``(weekday, opens_min, closes_min)``; closing at 00:00 means midnight."""
        if self.always_open.data:
            return []
        rows = []
        for day in WEEKDAYS:
            opens = self[f"day_{day}_opens"].data
            closes = self[f"day_{day}_closes"].data
            if opens is None or closes is None:
                continue
            if closes == 0:
                closes = 1440
            rows.append((day, opens, closes))
        return rows

    def field_for(self, key: str) -> str:
        """The field that shows the service's message about ``key``: a
        weekday's opening time, else the "around the clock" box."""
        opens = f"{key}_opens"
        return opens if key.startswith("day_") and opens in self else "always_open"


class CaretakerForm(FlaskForm):
    user_id = SelectField(_l("Hausmeister"), choices=[], validators=[InputRequired()])


class CatalogueFilterForm(FlaskForm):
    """The catalogue's filters, sent by GET (no CSRF: nothing changes): kind
    and number of people; with a date and times the free-hall search answers
    (``resources.views.index`` passes them on)."""

    class Meta:
        csrf = False

    date = DateField(
        _l("Datum"),
        validators=[Optional()],
        format=["%Y-%m-%d", "%d.%m.%Y"],
        invalid_value_message=_l("Bitte ein Datum angeben, z. B. 06.03.2027."),
        description=_l("Mit Datum und Uhrzeit: nur Hallen, die dann frei sind."),
    )
    start_time = TimeField(
        _l("Von"),
        validators=[Optional()],
        format=["%H:%M", "%H.%M"],
        invalid_value_message=_l("Bitte eine Uhrzeit angeben, z. B. 18:00."),
        name="from",
    )
    end_time = TimeField(
        _l("Bis"),
        validators=[Optional()],
        format=["%H:%M", "%H.%M"],
        invalid_value_message=_l("Bitte eine Uhrzeit angeben, z. B. 18:00."),
        name="to",
    )
    kind = SelectField(_l("Art"), choices=[], validators=[Optional()])
    min_capacity = IntegerField(
        _l("Personen"),
        validators=[Optional()],
        render_kw={"min": 1, "inputmode": "numeric"},
        description=_l("Nur Hallen mit so vielen Plätzen."),
    )

    def validate_min_capacity(self, field: IntegerField) -> None:
        if field.data is not None and not 1 <= field.data <= 100_000:
            raise ValidationError(_l("Bitte eine Zahl von 1 bis 100.000 angeben."))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        day, start, end = self.date.data, self.start_time.data, self.end_time.data
        if self.date.errors or self.start_time.errors or self.end_time.errors:
            return False
        if day is None and (start is not None or end is not None):
            self.date.errors = [_l("Bitte auch ein Datum angeben.")]
            return False
        if day is not None:
            for field in (self.start_time, self.end_time):
                if field.data is None:
                    field.errors = [_l("Bitte eine Uhrzeit angeben.")]
                    ok = False
            if start is not None and end is not None and end <= start:
                self.end_time.errors = [_l("Das Ende muss nach dem Beginn liegen.")]
                ok = False
        return ok

    @property
    def wants_time(self) -> bool:
        """A date and times were given: the free-hall search answers."""
        return self.date.data is not None
