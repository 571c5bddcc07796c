"""Forms of the calendar subscriptions page. The choice of what a feed
shows is one value (``mine``, ``tenant``, ``resource`` — a caretaker's
halls —, ``resource:<id>``, ``cemetery:<id>``) among those the page offers; who may hold which feed
is decided again by ``feeds.tokens.create_feed``."""

from __future__ import annotations

import re
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import InputRequired, ValidationError

# A value of the "what" choice: a scope, and for two scopes an object's id.
CHOICE = re.compile(r"^(mine|tenant|resource|(resource|cemetery):([1-9][0-9]{0,9}))$")


class Choice(NamedTuple):
    scope: str
    object_id: int | None


def parse_choice(value: str | None) -> Choice | None:
    """``resource:3`` → ``Choice("resource", 3)``; None when malformed."""
    match = CHOICE.fullmatch(value or "")
    if match is None:
        return None
    if match.group(2):
        return Choice(match.group(2), int(match.group(3)))
    return Choice(match.group(1), None)


def choice_value(scope: str, object_id: int | None = None) -> str:
    return scope if object_id is None else f"{scope}:{object_id}"


class SubscribeForm(FlaskForm):
    """A new subscription. The view fills the choices (grouped, only what
    the user may hold). A malformed value is refused here (422); a
    well-formed one the page did not offer is refused by
    ``feeds.tokens.create_feed`` (403, or 404 for another tenant's object)."""

    what = SelectField(
        _l("Was soll der Kalender zeigen?"),
        validators=[InputRequired(message=_l("Bitte wählen Sie, was der Kalender zeigen soll."))],
        validate_choice=False,
    )

    def validate_what(self, field: SelectField) -> None:
        if parse_choice(field.data) is None:
            raise ValidationError(_l("Bitte einen der angebotenen Kalender wählen."))


class RevokeForm(FlaskForm):
    """Ending a subscription: nothing to fill in but the CSRF token."""
