"""Forms for sign-in, registration, profile and organisations. Field rules
that are business rules (password length, unique e-mail …) live in the
service; the forms only check that something was entered."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from booking.accounts.models import ORGANISATION_KINDS

ROLE_LABELS = {
    "admin": _l("Administration"),
    "clerk": _l("Sachbearbeitung"),
    "caretaker": _l("Hausmeister"),
    "funeral_home": _l("Bestattungsunternehmen"),
}
ORGANISATION_KIND_LABELS = {
    "club": _l("Verein"),
    "funeral_home": _l("Bestattungsunternehmen"),
    "company": _l("Unternehmen"),
    "other": _l("Sonstige"),
}
LANGUAGE_CHOICES = [
    SelectChoice("de", "Deutsch", render_kw={"lang": "de"}),
    SelectChoice("en", "English", render_kw={"lang": "en"}),
]

REQUIRED = _l("Bitte füllen Sie dieses Feld aus.")


def _required() -> DataRequired:
    return DataRequired(message=REQUIRED)


def email_field(label=None, description: str = "", autocomplete: str = "email") -> EmailField:
    return EmailField(
        label or _l("E-Mail-Adresse"),
        validators=[_required(), Length(max=254, message=_l("Höchstens 254 Zeichen."))],
        description=description,
        render_kw={"autocomplete": autocomplete, "spellcheck": "false"},
    )


def _new_password_fields() -> tuple[PasswordField, PasswordField]:
    password = PasswordField(
        _l("Neues Passwort"),
        validators=[_required()],
        description=_l("Mindestens 10 Zeichen."),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Neues Passwort wiederholen"),
        validators=[
            _required(),
            EqualTo("password", message=_l("Die beiden Passwörter stimmen nicht überein.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


# --- sign-in and registration ----------------------------------------------------


class LoginForm(FlaskForm):
    email = email_field()
    password = PasswordField(
        _l("Passwort"), validators=[_required()], render_kw={"autocomplete": "current-password"}
    )
    remember = BooleanField(_l("Angemeldet bleiben (auf diesem Gerät)"))


class RegisterForm(FlaskForm):
    email = email_field()
    name = StringField(
        _l("Vor- und Nachname"),
        validators=[_required(), Length(max=200, message=_l("Höchstens 200 Zeichen."))],
        render_kw={"autocomplete": "name"},
    )
    password = PasswordField(
        _l("Passwort"),
        validators=[_required()],
        description=_l("Mindestens 10 Zeichen."),
        render_kw={"autocomplete": "new-password"},
    )
    password_confirm = PasswordField(
        _l("Passwort wiederholen"),
        validators=[
            _required(),
            EqualTo("password", message=_l("Die beiden Passwörter stimmen nicht überein.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    tenant = HiddenField()


class EmailForm(FlaskForm):
    """Forgotten password, resend confirmation: just an address."""

    email = email_field()


class ConfirmForm(FlaskForm):
    """Confirm an address with one click (a POST, with its CSRF token)."""


class ResetPasswordForm(FlaskForm):
    password, password_confirm = _new_password_fields()


# --- profile -------------------------------------------------------------------


class ProfileForm(FlaskForm):
    name = StringField(
        _l("Vor- und Nachname"),
        validators=[_required(), Length(max=200, message=_l("Höchstens 200 Zeichen."))],
        render_kw={"autocomplete": "name"},
    )
    locale = SelectField(_l("Sprache"), choices=LANGUAGE_CHOICES)


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Aktuelles Passwort"),
        validators=[_required()],
        render_kw={"autocomplete": "current-password"},
    )
    password, password_confirm = _new_password_fields()


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        _l("Ihr Passwort"),
        validators=[_required()],
        render_kw={"autocomplete": "current-password"},
    )
    sure = BooleanField(
        _l("Ich möchte mein Konto mit allen Angaben löschen."),
        validators=[
            DataRequired(message=_l("Bitte bestätigen Sie, dass Sie das Konto löschen möchten."))
        ],
    )


class ApiTokenForm(FlaskForm):
    token_name = StringField(
        _l("Bezeichnung"),
        validators=[_required(), Length(max=100, message=_l("Höchstens 100 Zeichen."))],
        description=_l("Wofür Sie das Token verwenden, z. B. „Fachverfahren Friedhof“."),
    )


# --- organisations -----------------------------------------------------------------


class OrganisationForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[_required(), Length(max=200, message=_l("Höchstens 200 Zeichen."))],
        render_kw={"autocomplete": "organization"},
    )
    kind = SelectField(
        _l("Art"),
        choices=[SelectChoice(k, ORGANISATION_KIND_LABELS[k]) for k in ORGANISATION_KINDS],
    )
    is_local = BooleanField(_l("Ansässig in der Kommune"), default=True)
    email = EmailField(
        _l("E-Mail-Adresse der Organisation"),
        validators=[Optional(), Length(max=254, message=_l("Höchstens 254 Zeichen."))],
        render_kw={"autocomplete": "email"},
    )

    def limit_kinds(self, staff: bool) -> None:
        """Funeral homes are entered by the administration only."""
        if not staff:
            self.kind.choices = [c for c in self.kind.choices if c.value != "funeral_home"]


class AddMemberForm(FlaskForm):
    email = email_field(
        description=_l(
            "Wir schicken eine Einladung an diese Adresse. Die Person gehört zur "
            "Organisation, sobald sie die Einladung annimmt."
        ),
        autocomplete="off",
    )
    is_manager = BooleanField(_l("Darf Mitglieder verwalten"))
