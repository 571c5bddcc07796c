"""What each API call accepts: one pydantic model per body or query string,
turning JSON into typed values before any service sees it. Parsed by
``booking.api.base.parse``, which answers a refusal in the API's error shape
with a message per field.

The models check types and lengths only. The rules about values (known
kinds, ranges, the tree of parts, a title that is not blank …) stay in the
services, because the pages and the CLI call those too.

Which errors are a 400 ``bad_request`` and which a 422 ``validation`` is the
model's ``malformed`` (the API's answers from before these models, kept):
in booking bodies a value of the wrong type (an id, an instant, a text) is
malformed while a missing field or a wrong ``true``/``false`` is a 422; every
error of a query string is a 400; every error of a resource body a 422.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, ClassVar

from flask_babel import lazy_gettext as _l
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from booking.core import (
    ADDRESS_MAX,
    LONG_TEXT_MAX,
    MAX_YEAR,
    MIN_YEAR,
    NAME_MAX,
    NOTE_MAX,
    REASON_MAX,
    TITLE_MAX,
)

# --- value types ---------------------------------------------------------------------

# A "+" in a query string arrives as a space: "...T18:00:00 01:00".
_SPACE_OFFSET = re.compile(r"^(.*T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")


def _instant(value: Any) -> datetime:
    """RFC 3339 with an offset, in a year from MIN_YEAR to MAX_YEAR. Not
    pydantic's own datetime, which also takes numbers (Unix time) and dates."""
    if not isinstance(value, str):
        raise PydanticCustomError("datetime_type", "Input should be an RFC 3339 text")
    text = value.strip()
    match = _SPACE_OFFSET.match(text)
    if match:
        text = f"{match.group(1)}+{match.group(2)}"
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise PydanticCustomError("datetime_parsing", "Input is not an RFC 3339 instant") from None
    if instant.tzinfo is None:
        raise PydanticCustomError("timezone_aware", "Input should have an offset")
    if not MIN_YEAR <= instant.year <= MAX_YEAR:
        raise PydanticCustomError(
            "year_range",
            "The year should be from {min} to {max}",
            {"min": MIN_YEAR, "max": MAX_YEAR},
        )
    return instant


def _id(value: Any) -> int:
    """An integer, or a text holding one (ids also arrive in query strings);
    never ``true``/``false`` or a float. Its range is the lookup's business:
    an id no row has is a 404."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise PydanticCustomError("int_type", "Input should be an integer")
    try:
        return int(value)
    except ValueError:
        raise PydanticCustomError("int_parsing", "Input should be an integer") from None


def _blank_is_none(value: Any) -> Any:
    if value == "":
        return None
    return value


Instant = Annotated[datetime, PlainValidator(_instant)]
Id = Annotated[int, PlainValidator(_id)]
# A query string flag: present and not "0" or "false".
Flag = Annotated[bool, PlainValidator(lambda value: value not in ("0", "false"))]
# An integer or nothing: null, or "" (which the API has always read as nothing).
NullableInt = Annotated[StrictInt | None, BeforeValidator(_blank_is_none)]


def _at_most(limit: int | None) -> StringConstraints:
    """A text, stripped, of at most ``limit`` characters, counted as the
    services count them: after stripping."""
    return StringConstraints(strict=True, strip_whitespace=True, max_length=limit)


Text = Annotated[str, _at_most(None)]
Title = Annotated[str, _at_most(TITLE_MAX)]
Note = Annotated[str, _at_most(NOTE_MAX)]
Reason = Annotated[str, _at_most(REASON_MAX)]
Name = Annotated[str, _at_most(NAME_MAX)]
Address = Annotated[str, _at_most(ADDRESS_MAX)]
LongText = Annotated[str, _at_most(LONG_TEXT_MAX)]


def absent() -> Any:
    """For a field that may be left out but not given as null: left out, it
    is not passed on (``model_dump(exclude_unset=True)``) and the service's
    default applies; the default itself is never validated."""
    return Field(default=None)


# --- the base models -------------------------------------------------------------------


class Schema(BaseModel):
    """A body or query string. Unknown fields are ignored unless a model
    forbids them; a required field given as null or "" counts as missing."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    # Error types (pydantic's, or this module's) that make the request malformed:
    # 400 bad_request. Any other error is a 422 validation.
    malformed: ClassVar[frozenset[str]] = frozenset()
    # The answer's message on a 422 (each field has its own messages).
    message: ClassVar[Any] = _l("Bitte prüfen Sie die Angaben.")

    @classmethod
    def is_malformed(cls, error_type: str) -> bool:
        return error_type in cls.malformed

    @classmethod
    def _is_blank(cls, name: str, value: Any) -> bool:
        field = cls.model_fields.get(name)
        return field is not None and field.is_required() and value in (None, "")

    @model_validator(mode="before")
    @classmethod
    def _drop_blanks(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not cls._is_blank(k, v)}
        return data


class Query(Schema):
    """A query string: every error is a 400, an empty parameter is absent."""

    @classmethod
    def is_malformed(cls, error_type: str) -> bool:
        return True

    @classmethod
    def _is_blank(cls, name: str, value: Any) -> bool:
        return isinstance(value, str) and not value


# A value of the wrong type in a booking body.
WRONG_TYPE = frozenset(
    {
        "int_type",
        "int_parsing",
        "string_type",
        "datetime_type",
        "datetime_parsing",
        "timezone_aware",
        "year_range",
    }
)


# --- bookings ----------------------------------------------------------------------------


class CreateBooking(Schema):
    """``POST /bookings`` and the fields a quote takes."""

    malformed = WRONG_TYPE

    resource_id: Id
    start: Instant
    end: Instant
    title: Title
    organisation_id: Id | None = None
    # The series rule's JSON shape is parsed by the service
    # (``reservations.recurrence.parse_recurrence``), its errors name "recurrence".
    recurrence: Any = None
    on_conflict: StrictStr | None = None
    skip_closed: StrictBool | None = None
    note: Note | None = None
    override_reason: Reason | None = None
    # Checked by the service: against the capacity (422 on "guests"), and
    # the phone's length and characters (422 on "contact_phone").
    guests: StrictInt | None = None
    contact_phone: StrictStr | None = None
    # The customer category; who may choose which is checked by the service
    # (``fees.service.checked_category``, 422 on "category").
    category: StrictStr | None = None
    # "invoice" (the default) or "online" (held until paid; 422 on "payment").
    payment: StrictStr | None = None


class Decision(Schema):
    """The optional body of approve, reject and cancel."""

    malformed = WRONG_TYPE

    reason: Reason | None = None


class CancelOccurrence(Decision):
    """``{"reason"?, "following"?}``: with ``following`` the later dates too."""

    following: StrictBool = False


class MoveOccurrence(Decision):
    start: Instant
    end: Instant
    override_reason: Reason | None = None


class BookingsQuery(Query):
    """``GET /bookings?mine=1`` or ``?resource_id=&start=&end=&status=``."""

    mine: Flag = False
    resource_id: Id | None = None
    start: Instant | None = None
    end: Instant | None = None
    status: StrictStr | None = None


# --- resources ---------------------------------------------------------------------------


class BusyQuery(Query):
    start: Instant
    end: Instant


class CreateResource(Schema):
    """``POST /resources``: exactly the fields ``resources.service`` sets
    (``FIELDS``), each optional here; ``name`` and ``kind`` are required by
    the service, which also checks kinds, ranges and the parent."""

    model_config = ConfigDict(extra="forbid")
    message = _l("Die Angaben zur Ressource sind ungültig.")

    name: Name | None = None
    kind: Text | None = None
    address: Address | None = None
    description: LongText | None = None
    accessibility: LongText | None = None
    key_handover: LongText | None = None
    bookable: StrictBool = absent()
    public: StrictBool = absent()
    requires_approval: StrictBool = absent()
    request_blocks: StrictBool = absent()
    observe_holidays: StrictBool = absent()
    capacity: NullableInt = None
    parent_id: NullableInt = None
    buffer_before_min: StrictInt = absent()
    buffer_after_min: StrictInt = absent()
    min_notice_hours: StrictInt = absent()
    max_advance_days: NullableInt = None
    min_duration_min: NullableInt = None
    max_duration_min: NullableInt = None

    def values(self) -> dict[str, Any]:
        """The fields the request gave, for ``resources.service``."""
        return self.model_dump(exclude_unset=True)
