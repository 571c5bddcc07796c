"""Small shared building blocks: UTC instants, domain errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

# Years outside this range are typing errors (and overflow ``datetime`` in
# time-zone arithmetic); forms, the API and the booking rules refuse them.
MIN_YEAR, MAX_YEAR = 2000, 2999


def utcnow() -> datetime:
    return datetime.now(UTC)


def clean_text(value: str | None) -> str | None:
    """Optional free text as stored: stripped, and None when empty."""
    return (value or "").strip() or None


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
