"""Forms of the hall-booking screens. They check the shape of the input
(dates parse, end after start, a sane series); the booking rules themselves
live in ``reservations.service`` and are re-checked there."""

from __future__ import annotations

from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from booking.core import CLOSURE_REASON_MAX, MAX_YEAR, MIN_YEAR, NOTE_MAX, REASON_MAX, TITLE_MAX
from booking.fees.forms import category_choices
from booking.reservations.models import Booking

PHONE_MAX = Booking.__table__.c.contact_phone.type.length
PHONE_PATTERN = r"^[0-9 +\-/()]+$"

DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]
TIME_FORMATS = ["%H:%M", "%H:%M:%S", "%H.%M"]
MAX_INTERVAL_WEEKS = 52


def sane_year(_form, field) -> None:
    """Years like 0001 or 9999 are typing errors (and overflow in UTC)."""
    if isinstance(field.data, date) and not MIN_YEAR <= field.data.year <= MAX_YEAR:
        raise ValidationError(
            _l("Bitte ein Datum zwischen %(a)d und %(b)d angeben.", a=MIN_YEAR, b=MAX_YEAR)
        )


def _date_field(label, *validators, **kwargs) -> DateField:
    return DateField(
        label,
        validators=[*validators, sane_year],
        format=DATE_FORMATS,
        invalid_value_message=_l("Bitte ein Datum angeben, z. B. 06.03.2027."),
        **kwargs,
    )


def _time_field(label, *validators, **kwargs) -> TimeField:
    return TimeField(
        label,
        validators=list(validators),
        format=TIME_FORMATS,
        invalid_value_message=_l("Bitte eine Uhrzeit angeben, z. B. 18:00."),
        **kwargs,
    )


def add_error(form: FlaskForm, name: str | None, message) -> None:
    """Attach an error found after ``validate()`` (e.g. by the service) to a
    field, or to the form as a whole when there is no such field."""
    if name and name in form:
        form[name].errors = [*form[name].errors, message]
    else:
        form.form_errors.append(message)


MIDNIGHT = time(0, 0)


def ends_at_midnight(end: time | None) -> bool:
    """An end time of 00:00 is midnight at the end of the day ("bis 24:00")."""
    return end == MIDNIGHT


class TimeRangeForm(FlaskForm):
    """A form with ``date``, ``start_time`` and ``end_time`` (declared by the
    subclass): the end must come after the start on that day; an end of 00:00
    is the midnight that ends the day."""

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        start, end = self.start_time.data, self.end_time.data
        if (
            isinstance(start, time)
            and isinstance(end, time)
            and not ends_at_midnight(end)
            and end <= start
        ):
            add_error(self, "end_time", _l("Das Ende muss nach dem Beginn liegen."))
            ok = False
        return ok


class BookingForm(TimeRangeForm):
    """The booking of one hall: one date, or a weekly series."""

    title = StringField(
        _l("Anlass / Titel"),
        validators=[DataRequired(_l("Bitte einen Titel angeben.")), Length(max=TITLE_MAX)],
        description=_l("Wird in Ihren Buchungen und für die Verwaltung angezeigt."),
    )
    date = _date_field(_l("Datum"), InputRequired(_l("Bitte ein Datum angeben.")))
    start_time = _time_field(_l("Von (Uhrzeit)"), InputRequired(_l("Bitte eine Uhrzeit angeben.")))
    end_time = _time_field(_l("Bis (Uhrzeit)"), InputRequired(_l("Bitte eine Uhrzeit angeben.")))
    organisation = SelectField(
        _l("Buchen für"),
        choices=[],
        default="",
        validate_choice=True,
        description=_l("Als Privatperson oder für eine Organisation, der Sie angehören."),
    )
    category = SelectField(
        _l("Kundengruppe"),
        choices=category_choices(),
        default="",
        validate_choice=True,
        description=_l(
            "Bestimmt die Gebühr. „Örtlicher Verein“ gilt nur, wenn Sie für einen örtlichen "
            "Verein buchen; ohne Auswahl: Einwohner/in, für einen Verein örtlicher Verein."
        ),
    )
    payment = RadioField(
        _l("Bezahlung"),
        choices=[
            SelectChoice("invoice", _l("Per Rechnung (Überweisung)")),
            SelectChoice("online", _l("Sofort online mit Karte")),
        ],
        default="invoice",
        validate_choice=True,
        description=_l(
            "Online: der Termin ist für Sie reserviert, bis die Zahlung eingeht "
            "(höchstens die angegebene Zeit), danach wird er wieder frei."
        ),
    )
    guests = IntegerField(
        _l("Anzahl der Personen"),
        validators=[
            Optional(),
            NumberRange(min=1, max=100_000, message=_l("Bitte eine Zahl ab 1 angeben.")),
        ],
        description=_l("Wird mit der Zahl der Plätze verglichen."),
    )
    contact_phone = StringField(
        _l("Telefon für den Hausmeister (freiwillig)"),
        validators=[
            Optional(),
            Length(max=PHONE_MAX),
            Regexp(
                PHONE_PATTERN,
                message=_l("Bitte nur Ziffern, Leerzeichen und + - / ( ) angeben."),
            ),
        ],
        description=_l("Für Rückfragen am Tag der Veranstaltung, z. B. 0171 2345678."),
        render_kw={"type": "tel", "autocomplete": "tel", "inputmode": "tel"},
    )
    note = TextAreaField(
        _l("Hinweis an die Verwaltung"), validators=[Optional(), Length(max=NOTE_MAX)]
    )
    repeat = BooleanField(_l("Wöchentlich wiederholen"))
    interval = IntegerField(
        _l("Abstand in Wochen"),
        default=1,
        validators=[
            Optional(),
            NumberRange(
                min=1,
                max=MAX_INTERVAL_WEEKS,
                message=_l("Bitte eine Zahl von 1 bis %(n)d.", n=MAX_INTERVAL_WEEKS),
            ),
        ],
        description=_l("1 = jede Woche, 2 = jede zweite Woche …"),
    )
    until = _date_field(
        _l("Wiederholen bis (Datum)"),
        Optional(),
        description=_l("Entweder ein Enddatum oder eine Anzahl angeben."),
    )
    count = IntegerField(
        _l("Anzahl der Termine"),
        validators=[
            Optional(),
            NumberRange(min=1, message=_l("Mindestens ein Termin.")),
        ],
    )
    skip_holidays = BooleanField(_l("Feiertage und Sperrzeiten überspringen"), default=True)
    skip_school_holidays = BooleanField(_l("Schulferien auslassen"))
    on_conflict = RadioField(
        _l("Wenn ein Termin schon belegt ist"),
        choices=[
            SelectChoice("reject", _l("Nichts buchen (alle Termine oder keiner)")),
            SelectChoice("skip", _l("Die freien Termine buchen, belegte auslassen")),
        ],
        default="reject",
        validators=[InputRequired()],
    )
    override_reason = TextAreaField(
        _l("Begründung für eine Ausnahme (Sperrzeit, Fristen, Dauer)"),
        validators=[Optional(), Length(max=REASON_MAX)],
        description=_l(
            "Nur Verwaltung: mit Begründung werden Sperrzeiten und Buchungsregeln "
            "übergangen; die Ausnahme wird protokolliert."
        ),
    )

    def __init__(
        self,
        *args,
        organisations=(),
        staff: bool = False,
        max_count: int = 60,
        online_payment: bool = False,
        **kw,
    ):
        super().__init__(*args, **kw)
        if not online_payment:  # the municipality has no Stripe keys
            del self.payment
        self.organisation.choices = [SelectChoice("", _l("Privat (als Person)"))] + [
            SelectChoice(str(o.id), o.name) for o in organisations
        ]
        self.max_count = max_count
        if not staff:
            del self.override_reason

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.repeat.data:
            ok = self._validate_series() and ok
        return ok

    def _validate_series(self) -> bool:
        ok = True
        until, count = self.until.data, self.count.data
        if until is None and count is None and not self.until.errors and not self.count.errors:
            add_error(self, "until", _l("Bitte ein Enddatum oder eine Anzahl der Termine angeben."))
            ok = False
        if until is not None and count is not None:
            add_error(self, "count", _l("Bitte nur Enddatum oder Anzahl angeben, nicht beides."))
            ok = False
        if isinstance(until, date) and isinstance(self.date.data, date) and until < self.date.data:
            add_error(self, "until", _l("Das Enddatum liegt vor dem ersten Termin."))
            ok = False
        if count is not None and count > self.max_count:
            add_error(
                self,
                "count",
                lazy_ngettext(
                    "Höchstens %(num)d Termin je Serie.",
                    "Höchstens %(num)d Termine je Serie.",
                    self.max_count,
                ),
            )
            ok = False
        return ok and not (self.until.errors or self.count.errors or self.interval.errors)

    # --- values for the service ------------------------------------------------

    def recurrence(self) -> dict | None:
        if not self.repeat.data:
            return None
        rule: dict = {"freq": "weekly", "interval": self.interval.data or 1}
        if self.skip_school_holidays.data:
            rule["skip_school_holidays"] = True
        if self.until.data is not None:
            rule["until"] = self.until.data.isoformat()
        else:
            rule["count"] = self.count.data
        return rule

    def organisation_label(self) -> str:
        for choice in self.organisation.choices:
            if choice.value == (self.organisation.data or ""):
                return str(choice.label)
        return ""

    def organisation_id(self) -> int | None:
        return int(self.organisation.data) if self.organisation.data else None

    def hidden_values(self) -> list[tuple[str, str]]:
        """The entered values as (name, value) pairs for the hidden fields of
        the confirmation step; the server parses and checks them again."""
        pairs: list[tuple[str, str]] = []
        for f in self:
            if f.type in ("CSRFTokenField", "SubmitField"):
                continue
            if f.type == "BooleanField":
                if f.data:
                    pairs.append((f.name, "y"))
                continue
            if f.type in ("RadioField", "SelectField"):
                pairs.append((f.name, str(f.data or "")))
                continue
            value = f._value()
            if value not in (None, ""):
                pairs.append((f.name, str(value)))
        return pairs

    def link_values(self) -> dict[str, str]:
        """The entered values for a link that opens the form again (a
        suggested alternative): like ``hidden_values``, with unticked boxes
        as "n" so they stay unticked."""
        values = dict(self.hidden_values())
        for f in self:
            if f.type == "BooleanField" and not f.data:
                values[f.name] = "n"
        return values


def _parsed(raw: str, formats: list[str], parse) -> object | None:
    for fmt in formats:
        try:
            return parse(raw, fmt)
        except ValueError:
            continue
    return None


TRUE_VALUES = ("y", "1", "on", "true")


def prefill_from_args(args) -> dict:
    """Initial values from the query string: a suggestion link carries the
    whole request (``BookingForm.link_values``), a link from the week view
    only a date and times. Anything malformed is left out (the form then
    shows its default); the submitted form is checked as always."""
    data: dict = {}
    for name, formats, parse in (
        ("date", DATE_FORMATS, lambda v, f: datetime.strptime(v, f).date()),
        ("until", DATE_FORMATS, lambda v, f: datetime.strptime(v, f).date()),
        ("start_time", TIME_FORMATS, lambda v, f: datetime.strptime(v, f).time()),
        ("end_time", TIME_FORMATS, lambda v, f: datetime.strptime(v, f).time()),
    ):
        value = _parsed(args.get(name, ""), formats, parse)
        if value is not None:
            data[name] = value
    for name, limit in (
        ("title", TITLE_MAX),
        ("note", NOTE_MAX),
        ("override_reason", REASON_MAX),
        ("contact_phone", PHONE_MAX),
    ):
        if args.get(name):
            data[name] = args[name][:limit]
    for name in ("interval", "count", "guests"):
        raw = args.get(name, "")
        if raw.isdigit() and len(raw) <= 6:
            data[name] = int(raw)
    for name in ("repeat", "skip_holidays", "skip_school_holidays"):
        if name in args:
            data[name] = args[name].lower() in TRUE_VALUES
    if args.get("organisation", "").isdigit():
        data["organisation"] = args["organisation"]
    if args.get("on_conflict") in ("reject", "skip"):
        data["on_conflict"] = args["on_conflict"]
    return data


class CancelForm(FlaskForm):
    """Confirmation of a cancellation; the reason is optional."""

    reason = TextAreaField(
        _l("Grund (freiwillig)"),
        validators=[Optional(), Length(max=REASON_MAX)],
    )


class DecisionForm(FlaskForm):
    """Approve or reject a requested booking (one per row, with a prefix)."""

    reason = TextAreaField(
        _l("Begründung (für eine Ablehnung nötig, wird der buchenden Person mitgeteilt)"),
        validators=[Optional(), Length(max=REASON_MAX)],
    )
    # Set on the "really reject?" step: a refusal is carried out only then.
    confirmed = HiddenField()


class MoveForm(TimeRangeForm):
    """Move one date of a booking (staff)."""

    date = _date_field(_l("Neues Datum"), InputRequired(_l("Bitte ein Datum angeben.")))
    start_time = _time_field(_l("Von (Uhrzeit)"), InputRequired(_l("Bitte eine Uhrzeit angeben.")))
    end_time = _time_field(_l("Bis (Uhrzeit)"), InputRequired(_l("Bitte eine Uhrzeit angeben.")))
    reason = TextAreaField(_l("Grund"), validators=[Optional(), Length(max=REASON_MAX)])
    override_reason = TextAreaField(
        _l("Begründung für eine Ausnahme (Sperrzeit, Fristen, Dauer)"),
        validators=[Optional(), Length(max=REASON_MAX)],
    )


class FreeSearchForm(TimeRangeForm):
    """'Which halls are free then?' — a GET form, no CSRF needed."""

    class Meta:
        csrf = False

    date = _date_field(_l("Datum"), InputRequired(_l("Bitte ein Datum angeben.")))
    start_time = _time_field(
        _l("Von"), InputRequired(_l("Bitte eine Uhrzeit angeben.")), name="from"
    )
    end_time = _time_field(_l("Bis"), InputRequired(_l("Bitte eine Uhrzeit angeben.")), name="to")
    # The number of people; offered are halls and parts with as many places.
    min_capacity = IntegerField(
        _l("Personen"),
        validators=[
            Optional(),
            NumberRange(min=1, max=100000, message=_l("Bitte eine Zahl von 1 bis 100.000.")),
        ],
        description=_l("Gezeigt werden Hallen und Teile von Hallen mit so vielen Plätzen."),
        render_kw={"inputmode": "numeric"},
    )
    kind = SelectField(_l("Art"), choices=[], default="", validate_choice=True)


# --- closures (Sperrzeiten) ---------------------------------------------------------

CLOSURE_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class ClosureForm(FlaskForm):
    """A new closure: where, which whole days (the last one included) or from
    when to when (local time), why. Nothing is preselected as its target."""

    resource_id = SelectField(
        _l("Gilt für"),
        choices=[],
        validators=[InputRequired(message=_l("Bitte wählen, wofür die Sperrzeit gilt."))],
        description=_l("Eine Halle schließt ihre Teile mit ein."),
    )
    mode = RadioField(
        _l("Zeitraum"),
        choices=[SelectChoice("days", _l("Ganze Tage")), SelectChoice("times", _l("Mit Uhrzeit"))],
        default="days",
        validators=[InputRequired(message=_l("Bitte „Ganze Tage“ oder „Mit Uhrzeit“ wählen."))],
    )
    first_day = _date_field(_l("Erster Tag"), Optional())
    last_day = _date_field(
        _l("Letzter Tag"),
        Optional(),
        description=_l("Bei ganzen Tagen: der letzte Tag ist noch gesperrt (bis 24 Uhr)."),
    )
    start = DateTimeLocalField(
        _l("Beginn (mit Uhrzeit)"),
        validators=[Optional()],
        format=CLOSURE_FORMATS,
    )
    end = DateTimeLocalField(
        _l("Ende (mit Uhrzeit)"),
        validators=[Optional()],
        format=CLOSURE_FORMATS,
        description=_l("Ortszeit; das Ende gehört nicht mehr zur Sperrzeit."),
    )
    reason = StringField(
        _l("Grund"),
        validators=[
            DataRequired(message=_l("Bitte einen Grund angeben.")),
            Length(max=CLOSURE_REASON_MAX),
        ],
        description=_l("Z. B. Renovierung, Wahl, Betriebsferien."),
    )

    def validate(self, extra_validators=None) -> bool:
        """The fields of the chosen mode are required, the other mode's are
        ignored; whole days: the last day on or after the first."""
        super().validate(extra_validators)
        if self.mode.data == "days":
            used, unused = (self.first_day, self.last_day), (self.start, self.end)
            message = _l("Bitte ein Datum angeben.")
        else:
            used, unused = (self.start, self.end), (self.first_day, self.last_day)
            message = _l("Bitte Datum und Uhrzeit angeben.")
        for f in unused:
            f.errors = []
        for f in used:
            if f.data is None and not f.errors:
                f.errors = [message]
        first, last = self.first_day.data, self.last_day.data
        if self.mode.data == "days" and first and last and last < first:
            self.last_day.errors = [_l("Der letzte Tag darf nicht vor dem ersten liegen.")]
        return not any(f.errors for f in self) and not self.form_errors

    def hidden_values(self) -> list[tuple[str, str]]:
        """The entered values for the hidden fields of the confirmation step
        (the server parses and checks them again)."""
        fields = (
            self.resource_id,
            self.mode,
            self.first_day,
            self.last_day,
            self.start,
            self.end,
            self.reason,
        )
        return [
            (f.name, str(f.data or "") if f.type in ("SelectField", "RadioField") else f._value())
            for f in fields
        ]


class ClosureDatesForm(FlaskForm):
    """The confirmation step of a closure over bookings: what happens to the
    dates inside it. ``listed`` carries the ids of the dates shown."""

    class Meta:
        csrf = False  # sent with ``ClosureForm``, which checks the token

    dates = RadioField(
        _l("Was geschieht mit diesen Terminen?"),
        choices=[
            SelectChoice(
                "cancel",
                _l("Absagen: Die Antragsteller erhalten eine Absage mit dem Grund unten."),
            ),
            SelectChoice(
                "keep",
                _l(
                    "Bestehen lassen: Die Antragsteller erfahren, dass ihr Termin "
                    "in die Sperrzeit fällt."
                ),
            ),
        ],
        validators=[InputRequired(message=_l("Bitte wählen, was mit den Terminen geschieht."))],
    )
    cancel_reason = TextAreaField(
        _l("Grund der Absage"),
        validators=[Optional(), Length(max=REASON_MAX)],
        description=_l("Nur beim Absagen; leer: der Grund der Sperrzeit."),
    )
    listed = HiddenField()

    def listed_ids(self) -> list[int] | None:
        """The ids of the dates shown, or None when the field is malformed."""
        raw = (self.listed.data or "").strip()
        if not raw:
            return []
        parts = raw.split(",")
        if not all(part.isdigit() and len(part) <= 10 for part in parts):
            return None
        return [int(part) for part in parts]
