"""Form helpers shared by every package's views: a service's domain error
shown on the form (or as a message), with the request's transaction undone."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash
from flask_wtf import FlaskForm

from booking import transaction
from booking.core import DomainError, ValidationFailed


def show_errors(
    form: FlaskForm, error: ValidationFailed, rename: Callable[[str], str | None] | None = None
) -> None:
    """Put a service's ``ValidationFailed`` on ``form``: each message on its
    field (``rename`` maps the service's field names to the form's), messages
    of fields the form lacks on the form as a whole, the summary message when
    there are no field messages at all. The request commits nothing."""
    transaction.fail()
    placed = False
    for name, messages in (error.fields or {}).items():
        target = rename(name) if rename else name
        for message in messages if isinstance(messages, list | tuple) else [messages]:
            if target and target in form:
                form[target].errors = [*form[target].errors, str(message)]
            else:
                form.form_errors.append(str(message))
            placed = True
    if not placed:
        form.form_errors.append(str(error.message))


def flash_error(error: DomainError) -> None:
    """Show a service's domain error as a message on the next page; the
    request commits nothing."""
    transaction.fail()
    flash(str(error.message), "error")
