"""The admin form for a municipality's Stripe keys (secrets write-only)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import Length, Optional, Regexp


class StripeKeysForm(FlaskForm):
    publishable_key = StringField(
        _l("Veröffentlichbarer Schlüssel"),
        validators=[
            Optional(),
            Length(max=255),
            Regexp(r"^pk_[A-Za-z0-9_]+$", message=_l("Beginnt mit „pk_“.")),
        ],
        description=_l("Beginnt mit „pk_“. Leer: der Standard des Betriebs."),
    )
    secret_key = PasswordField(
        _l("Geheimer Schlüssel"),
        validators=[
            Optional(),
            Length(max=255),
            Regexp(r"^(sk|rk)_[A-Za-z0-9_]+$", message=_l("Beginnt mit „sk_“ oder „rk_“.")),
        ],
        description=_l(
            "Wird verschlüsselt gespeichert und nie wieder angezeigt. Leer: unverändert."
        ),
    )
    clear_secret_key = BooleanField(_l("Gespeicherten geheimen Schlüssel löschen"))
    webhook_secret = PasswordField(
        _l("Webhook-Signaturschlüssel"),
        validators=[
            Optional(),
            Length(max=255),
            Regexp(r"^whsec_[A-Za-z0-9_]+$", message=_l("Beginnt mit „whsec_“.")),
        ],
        description=_l(
            "Wird verschlüsselt gespeichert und nie wieder angezeigt. Leer: unverändert."
        ),
    )
    clear_webhook_secret = BooleanField(_l("Gespeicherten Webhook-Schlüssel löschen"))
