"""Forms of the tenant administration."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from booking.accounts.forms import ROLE_LABELS, email_field
from booking.accounts.models import ROLES


class GrantRoleForm(FlaskForm):
    email = email_field(
        description=_l("Die Person muss schon ein Konto haben."), autocomplete="off"
    )
    role = SelectField(_l("Rolle"), choices=[SelectChoice(r, ROLE_LABELS[r]) for r in ROLES])


class TenantSettingsForm(FlaskForm):
    """What a municipality's admins set themselves (the service checks the rules)."""

    name = StringField(
        _l("Name der Kommune"),
        validators=[DataRequired(_l("Bitte füllen Sie dieses Feld aus.")), Length(max=200)],
    )
    contact_email = EmailField(
        _l("Kontakt-E-Mail-Adresse"),
        validators=[Optional(), Length(max=254)],
        description=_l("Steht unter jeder E-Mail und ist die Antwortadresse."),
    )
    mail_sender_name = StringField(
        _l("Absendername der E-Mails"),
        validators=[Optional(), Length(max=100)],
        description=_l("Leer: der Name der Kommune."),
    )
    reminder_days = IntegerField(
        _l("Erinnerung vor einem Termin (Tage)"),
        validators=[InputRequired(_l("Bitte eine Zahl angeben.")), NumberRange(0, 30)],
        description=_l("0 bis 30; 0 schickt keine Erinnerungen."),
    )
    retention_months = IntegerField(
        _l("Aufbewahrung personenbezogener Buchungsdaten (Monate)"),
        validators=[InputRequired(_l("Bitte eine Zahl angeben.")), NumberRange(1, 120)],
        description=_l(
            "So lange nach dem letzten Termin bleiben Name, Titel und Notiz einer Buchung "
            "gespeichert; danach werden sie anonymisiert."
        ),
    )
