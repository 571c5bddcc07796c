"""Forms of the tenant administration."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField

from booking.accounts.forms import ROLE_LABELS, email_field
from booking.accounts.models import ROLES


class GrantRoleForm(FlaskForm):
    email = email_field(
        description=_l("Die Person muss schon ein Konto haben."), autocomplete="off"
    )
    role = SelectField(_l("Rolle"), choices=[SelectChoice(r, ROLE_LABELS[r]) for r in ROLES])
