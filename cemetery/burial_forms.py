"""Forms of the burial pages: the funeral home's request (with the free-slot
picker), the clerk's proposal of another time, cancelling with a reason.
They parse formats; the rules live in ``cemetery.burials``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from booking.core import NOTE_MAX, REASON_MAX
from cemetery.burials import CEREMONY_MAX

DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]
BAD_DATE = _l("Bitte ein Datum angeben, z. B. 06.03.2027.")


def _date(label: Any, required: bool = False, **kwargs: Any) -> DateField:
    return DateField(
        label,
        validators=[InputRequired() if required else Optional()],
        format=DATE_FORMATS,
        invalid_value_message=BAD_DATE,
        **kwargs,
    )


class BurialRequestForm(FlaskForm):
    """A burial request. Step one (GET, "Freie Zeiten anzeigen") lists free
    starts as radio buttons; step two (POST) books the chosen one."""

    cemetery = SelectField(_l("Friedhof"), coerce=int, validators=[InputRequired()])
    kind = RadioField(
        _l("Art der Bestattung"),
        choices=[SelectChoice("coffin", _l("Sarg")), SelectChoice("urn", _l("Urne"))],
        default="coffin",
        validators=[InputRequired()],
    )
    deceased_name = StringField(
        _l("Name der verstorbenen Person"), validators=[DataRequired(), Length(max=200)]
    )
    born = _date(_l("Geburtsdatum"))
    died = _date(_l("Sterbedatum"), required=True)
    grave_type = SelectField(
        _l("Neues Reihengrab der Grabart"),
        validators=[Optional()],
        description=_l("Reihengräber werden der Reihe nach vergeben."),
    )
    plot = SelectField(_l("Oder eine freie Grabstätte wählen"), coerce=str, validators=[Optional()])
    plot_code = StringField(
        _l("Oder die Nummer einer bestehenden Grabstätte"),
        validators=[Optional(), Length(max=40)],
        description=_l("Etwa eine Familiengrabstätte, z. B. B-04-12."),
    )
    holder_name = StringField(
        _l("Nutzungsberechtigte Person: Name"),
        validators=[Optional(), Length(max=200)],
        description=_l("Nur für eine neue Grabstätte: wer das Nutzungsrecht erwirbt."),
    )
    holder_street = StringField(
        _l("Straße und Hausnummer"), validators=[Optional(), Length(max=200)]
    )
    holder_postcode = StringField(_l("Postleitzahl"), validators=[Optional(), Length(max=10)])
    holder_city = StringField(_l("Ort"), validators=[Optional(), Length(max=100)])
    holder_email = StringField(_l("E-Mail"), validators=[Optional(), Length(max=254)])
    ceremony = BooleanField(_l("Trauerfeier in der Trauerhalle"))
    ceremony_minutes = IntegerField(
        _l("Dauer der Trauerfeier (Minuten)"),
        default=45,
        validators=[Optional(), NumberRange(min=15, max=CEREMONY_MAX)],
    )
    public_listing = BooleanField(
        _l(
            "Die Angehörigen sind einverstanden, dass Name, Geburts- und Sterbedatum und "
            "die Lage des Grabes in der öffentlichen Grabsuche gezeigt werden."
        )
    )
    from_day = _date(_l("Freie Zeiten ab"))
    start = RadioField(_l("Freier Termin"), validate_choice=False, validators=[Optional()])
    note = TextAreaField(
        _l("Hinweis an die Friedhofsverwaltung"), validators=[Optional(), Length(max=NOTE_MAX)]
    )

    def holder(self) -> dict[str, Any] | None:
        values = {
            key: (self[f"holder_{key}"].data or "").strip() or None
            for key in ("name", "street", "postcode", "city", "email")
        }
        return values if any(values.values()) else None

    def minutes(self) -> int:
        if not self.ceremony.data:
            return 0
        return self.ceremony_minutes.data or 45


def parse_start(value: str | None) -> datetime | None:
    """A start as the slot picker sends it (ISO 8601 with offset)."""
    if not value:
        return None
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        return None
    if instant.tzinfo is None:
        return None
    return instant.astimezone(UTC)


class ProposeForm(FlaskForm):
    """The clerk's other time: a free start from the list, or a day and time."""

    start = RadioField(_l("Freier Termin"), validate_choice=False, validators=[Optional()])
    day = _date(_l("Oder ein Tag"))
    time = StringField(_l("Uhrzeit (SS:MM)"), validators=[Optional(), Length(max=5)])
    reason = TextAreaField(
        _l("Hinweis an das Bestattungsunternehmen"),
        validators=[Optional(), Length(max=REASON_MAX)],
    )


class CancelBurialForm(FlaskForm):
    reason = TextAreaField(_l("Grund"), validators=[Optional(), Length(max=REASON_MAX)])


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token (confirm, accept)."""
