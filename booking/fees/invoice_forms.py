"""Forms of the invoice screens (the service checks the rules)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from booking.fees.forms import EuroField


class MarkPaidForm(FlaskForm):
    paid_on = DateField(
        _l("Bezahlt am"), validators=[InputRequired(_l("Bitte ein Datum angeben."))]
    )
    reference = StringField(
        _l("Zahlungsreferenz"),
        validators=[Optional(), Length(max=140)],
        description=_l("z. B. Kontoauszug oder Kassenbeleg"),
    )


class BankDetailsForm(FlaskForm):
    bank_account_holder = StringField(_l("Kontoinhaber"), validators=[Optional(), Length(max=200)])
    iban = StringField(_l("IBAN"), validators=[Optional(), Length(max=42)])
    bic = StringField(_l("BIC"), validators=[Optional(), Length(max=11)])
    bank_name = StringField(_l("Bank"), validators=[Optional(), Length(max=200)])
    payment_due_days = IntegerField(
        _l("Zahlungsziel (Tage)"),
        validators=[InputRequired(_l("Bitte eine Zahl angeben.")), NumberRange(0, 365)],
    )


class RefundForm(FlaskForm):
    """Staff give money back: the deposit after the event, or part of a fee."""

    amount = EuroField(
        _l("Betrag in €"), validators=[InputRequired(_l("Bitte einen Betrag angeben."))]
    )
    reason = SelectField(
        _l("Art der Erstattung"),
        choices=[
            SelectChoice("deposit", _l("Kaution zurück")),
            SelectChoice("staff", _l("Teilerstattung")),
        ],
    )
    reference = StringField(
        _l("Zahlungsreferenz"),
        validators=[Optional(), Length(max=140)],
        description=_l(
            "Bei Überweisung: Buchungstext oder Kassenbeleg. Online bezahlt: die Erstattung läuft über Stripe."
        ),
    )
