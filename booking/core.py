"""Small shared building blocks: UTC instants, text rules, domain errors."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import CheckConstraint, DateTime
from sqlalchemy.types import TypeDecorator

# Years outside this range are typing errors (and overflow ``datetime`` in
# time-zone arithmetic); forms, the API and the booking rules refuse them.
MIN_YEAR, MAX_YEAR = 2000, 2999

# Longest accepted text, per kind of field. The services enforce them (so the
# API, the forms and jobs share one limit); the forms' Length validators use
# the same constants. Where a column has a length, the limit equals it.
TITLE_MAX = 200  # a booking's title: booking.title String(200)
NOTE_MAX = 2000  # a booking's note to the office
REASON_MAX = 500  # why staff decided, cancelled, moved or allowed an exception
NAME_MAX = 200  # a resource's name: resource.name String(200)
ADDRESS_MAX = 300  # resource.address String(300)
LONG_TEXT_MAX = 10_000  # a resource's description and accessibility notes
CLOSURE_REASON_MAX = 300  # closure.reason String(300)

# Characters no text field may hold: C0 controls except tab, LF and CR (NUL
# among them, which PostgreSQL cannot store), DEL, C1 controls, and lone
# UTF-16 surrogates (JSON can spell "\ud800"; no database can store it).
_FORBIDDEN_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def utcnow() -> datetime:
    return datetime.now(UTC)


def clean_text(value: str | None) -> str | None:
    """Optional free text as stored: stripped, and None when empty."""
    return (value or "").strip() or None


def has_forbidden_characters(value: str) -> bool:
    """Whether ``value`` holds a character no text field accepts (control
    characters other than tab, LF, CR; lone surrogates). The API's body
    parser and the web's form check both ask this one question."""
    return _FORBIDDEN_CHARACTERS.search(value) is not None


def printable(value: str) -> str:
    """``value`` with every forbidden character replaced by U+FFFD, safe to
    repeat in an error message (e.g. a field name that was itself bad)."""
    return _FORBIDDEN_CHARACTERS.sub("\ufffd", value)


def too_long(limit: int) -> Any:
    """The message for a text longer than ``limit`` characters."""
    return lazy_ngettext("Höchstens %(num)d Zeichen.", "Höchstens %(num)d Zeichen.", limit)


def limited_text(errors: dict[str, list], name: str, value: str | None, limit: int) -> str | None:
    """Optional free text as stored (``clean_text``); a text longer than
    ``limit`` adds a message for ``name`` to ``errors``."""
    text = clean_text(value)
    if text is not None and len(text) > limit:
        errors[name] = [too_long(limit)]
    return text


def checked_text(name: str, value: str | None, limit: int) -> str | None:
    """``limited_text`` for a single field: ``ValidationFailed`` (422) naming
    ``name`` when it is too long."""
    errors: dict[str, list] = {}
    text = limited_text(errors, name, value, limit)
    if errors:
        raise ValidationFailed(_l("Bitte prüfen Sie die Angaben."), errors)
    return text


def one_of(column: str, values: Sequence[str], name: str) -> CheckConstraint:
    """``CHECK (column IN (...))`` made from the Python tuple it mirrors, so
    the two cannot drift apart (a changed tuple needs a migration:
    tests/core/test_migrations.py compares them with the database)."""
    for value in values:
        if not re.fullmatch(r"[a-z_]+", value):
            raise ValueError(f"not a plain key: {value!r}")
    listed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({listed})", name=name)


class UTCDateTime(TypeDecorator):
    """A timezone-aware instant, stored as UTC (``timestamptz`` on PostgreSQL,
    naive UTC text on SQLite) and always read back aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware instant is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class DomainError(Exception):
    """A business rule said no. Mapped once to HTTP/flash in ``booking.errors``."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class ValidationFailed(DomainError):
    """422; ``fields`` maps a field name to its messages."""

    status = 422
    code = "validation"

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None, **details):
        super().__init__(message, {"fields": fields or {}, **details})
        self.fields = fields or {}


class Conflict(DomainError):
    status = 409
    code = "conflict"
