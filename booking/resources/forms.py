"""Forms for halls, parts, opening hours and caretakers (the closure form is
``reservations.forms.ClosureForm``). They parse and check formats; the rules
live in ``resources.service``."""

from __future__ import annotations

import re
from itertools import pairwise
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
    raw = ""

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


SPANS_PER_DAY = 3
COPY_TARGETS = {"all": range(1, 7), "workdays": range(1, 5)}


def span_field(day: int, span: int, edge: str) -> str:
    """The field name of a weekday's ``span``-th time window (0-based):
    ``day_0_opens``, ``day_0_opens_2``, ``day_0_closes_3`` …"""
    return f"day_{day}_{edge}" if span == 0 else f"day_{day}_{edge}_{span + 1}"


def opening_hours_form(spans: int = SPANS_PER_DAY, **kwargs: Any) -> OpeningHoursForm:
    """The opening-hours form with ``spans`` time windows per weekday (at
    least :data:`SPANS_PER_DAY`; more when a resource already has more)."""
    fields: dict[str, Any] = {}
    for day in WEEKDAYS:
        for span in range(max(spans, SPANS_PER_DAY)):
            fields[span_field(day, span, "opens")] = ClockField(_l("öffnet um"))
            fields[span_field(day, span, "closes")] = ClockField(_l("schließt um"))
    cls = type("OpeningHoursFormWithSpans", (OpeningHoursForm,), fields)
    form: OpeningHoursForm = cls(**kwargs)
    form.spans = max(spans, SPANS_PER_DAY)
    return form


def spans_needed(rows: list[tuple[int, int, int]]) -> int:
    """How many windows per weekday the form needs to show ``rows`` whole."""
    counts = [sum(1 for r in rows if r[0] == day) for day in WEEKDAYS]
    return max([SPANS_PER_DAY, *counts])


class OpeningHoursForm(FlaskForm):
    """Per weekday up to ``spans`` time windows (e.g. 08:00–12:00 and
    14:00–22:00); a day without times is closed. Build it with
    :func:`opening_hours_form`. Times typed while "around the clock" is
    ticked are an error, never silently dropped."""

    always_open = BooleanField(
        _l("Rund um die Uhr geöffnet"),
        description=_l(
            "Dann gelten keine Zeiten. Wer Zeiten einträgt, entfernt diesen Haken; "
            "sind beide gesetzt, wird nichts gespeichert."
        ),
    )
    spans = SPANS_PER_DAY

    def windows(self, day: int) -> list[tuple[Any, Any]]:
        return [
            (self[span_field(day, s, "opens")], self[span_field(day, s, "closes")])
            for s in range(self.spans)
        ]

    def load(self, rows: list[tuple[int, int, int]]) -> None:
        """Fill from stored rows; none stored = open around the clock."""
        self.always_open.data = not rows
        for day in WEEKDAYS:
            mine = sorted(r for r in rows if r[0] == day)
            for (opens, closes), (_day, start, end) in zip(self.windows(day), mine, strict=False):
                opens.data, closes.data = start, end

    def copy_monday(self, target: str) -> list[int]:
        """Copy Monday's windows to the days of ``target`` ("all" or
        "workdays") on the form only; returns the days changed."""
        days = list(COPY_TARGETS.get(target, ()))
        monday = self.windows(0)
        for day in days:
            for pair, source in zip(self.windows(day), monday, strict=True):
                for field, original in zip(pair, source, strict=True):
                    field.data, field.raw, field.errors = original.data, original.raw, []
        return days

    def typed_days(self) -> list[int]:
        return [
            day
            for day in WEEKDAYS
            if any(f.data is not None or f.raw for pair in self.windows(day) for f in pair)
        ]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.always_open.data:
            typed = self.typed_days()
            for day in typed:
                first = next(
                    f for pair in self.windows(day) for f in pair if f.data is not None or f.raw
                )
                first.errors = [
                    *first.errors,
                    _l(
                        "Hier stehen Zeiten, aber „Rund um die Uhr geöffnet“ ist angekreuzt. "
                        "Bitte den Haken entfernen, damit die Zeiten gelten, oder die Zeiten löschen."
                    ),
                ]
            if typed:
                self.always_open.errors = [
                    *self.always_open.errors,
                    _l("Zeiten und „Rund um die Uhr geöffnet“ schließen sich aus."),
                ]
            return valid and not typed
        if not valid:
            return False
        any_day = False
        for day in WEEKDAYS:
            spans: list[tuple[int, int, Any]] = []
            for opens, closes in self.windows(day):
                if (opens.data is None) != (closes.data is None):
                    empty = opens if opens.data is None else closes
                    empty.errors = [
                        *empty.errors,
                        _l("Bitte beide Zeiten angeben oder beide leer lassen (geschlossen)."),
                    ]
                    valid = False
                    continue
                if opens.data is None:
                    continue
                any_day = True
                if opens.data >= 1440:
                    opens.errors = [*opens.errors, _l("Bitte eine Uhrzeit vor 24:00 angeben.")]
                    valid = False
                    continue
                end = closes.data or 1440
                if end <= opens.data:
                    closes.errors = [
                        *closes.errors,
                        _l("Die Öffnungszeit muss vor der Schließzeit am selben Tag liegen."),
                    ]
                    valid = False
                    continue
                spans.append((opens.data, end, opens))
            spans.sort(key=lambda s: (s[0], s[1]))
            for (_start_a, end_a, _f), (start_b, _end_b, field) in pairwise(spans):
                if start_b < end_a:
                    field.errors = [
                        *field.errors,
                        _l("Die Zeiten an diesem Tag überschneiden sich."),
                    ]
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
        """``(weekday, opens_min, closes_min)`` sorted; closing at 00:00 means midnight."""
        if self.always_open.data:
            return []
        rows = []
        for day in WEEKDAYS:
            for opens, closes in self.windows(day):
                if opens.data is None or closes.data is None:
                    continue
                rows.append((day, opens.data, closes.data or 1440))
        return sorted(rows)

    def field_for(self, key: str) -> str:
        """The field that shows the service's message about ``key``: a
        weekday's first opening time, else the "around the clock" box."""
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
