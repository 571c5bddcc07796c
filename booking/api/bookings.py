"""``/bookings`` (API.md, "Bookings"): create single bookings and weekly
series, read, list, approve, reject, cancel, cancel or move one date.

Access: a booking another user cannot see answers 404, exactly as an object
of another municipality does (never revealing that it exists); approving or
rejecting without the clerk or admin role answers 403; a caretaker may see
but not cancel the bookings of an assigned resource (403).

Instants must be RFC 3339 with an offset; a naive or unparsable one is a 400.
Answers use the tenant's local offset.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import current_app, g, request
from flask_babel import gettext as _

from booking.accounts.models import Organisation
from booking.api.base import BadRequest, api_user, bp, isoformat, json_body, money_json
from booking.core import MAX_YEAR, MIN_YEAR, Forbidden, NotFound, ValidationFailed, utcnow
from booking.reservations import access, engine, queries
from booking.reservations import service as bookings
from booking.reservations.models import Booking, Occurrence
from booking.reservations.rules import Skipped
from booking.resources import service as resources
from booking.resources.models import Resource
from booking.tenants.service import get_scoped

# A "+" in a query string arrives as a space: "...T18:00:00 01:00".
_SPACE_OFFSET = re.compile(r"^(.*T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")
LIST_LIMIT = 500


# --- parsing -------------------------------------------------------------------


def parse_instant(value: Any, name: str) -> datetime:
    """RFC 3339 with offset → aware datetime; anything else is a 400."""
    if isinstance(value, str):
        text = value.strip()
        match = _SPACE_OFFSET.match(text)
        if match:
            text = f"{match.group(1)}+{match.group(2)}"
        try:
            instant = datetime.fromisoformat(text)
        except ValueError:
            instant = None
        if (
            instant is not None
            and instant.tzinfo is not None
            and MIN_YEAR <= instant.year <= MAX_YEAR
        ):
            return instant
    raise BadRequest(
        _("Ungültige Zeitangabe in %(name)s.", name=name),
        {
            "fields": {
                name: [_("Erwartet wird RFC 3339 mit Zeitzone, z. B. 2027-03-06T18:00:00+01:00.")]
            }
        },
    )


def _require_fields(data: dict[str, Any], *names: str) -> None:
    missing = {name: [_("Pflichtangabe.")] for name in names if data.get(name) in (None, "")}
    if missing:
        raise ValidationFailed(_("Bitte prüfen Sie die Angaben."), missing)


def _int_id(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise BadRequest(_("%(name)s muss eine Zahl sein.", name=name))
    try:
        return int(value)
    except ValueError:
        raise BadRequest(_("%(name)s muss eine Zahl sein.", name=name)) from None


def _optional_text(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(_("%(name)s muss Text sein.", name=name))
    return value


def _optional_bool(data: dict[str, Any], name: str, default: bool | None = None) -> bool | None:
    """``true`` or ``false`` (``default`` when absent; null only where the
    default is None); anything else is a 422."""
    value = data.get(name, default)
    if not isinstance(value, bool) and not (value is None and default is None):
        raise ValidationFailed(_("Bitte prüfen Sie die Angaben."), {name: [_("true oder false.")]})
    return value


def _optional_body() -> dict[str, Any]:
    """A JSON object, or nothing at all; anything else is a 400."""
    if not request.get_data(cache=True):
        return {}
    return json_body()


def visible_resource(resource_id: Any) -> Resource:
    return resources.visible_resource(g.tenant, api_user(), resource_id)


# --- answers -------------------------------------------------------------------


def fee_json(booking: Booking) -> dict[str, Any]:
    """The booking's fee. Fee rules arrive with the fees package; until a
    booking has an invoice it costs nothing."""
    return money_json(0)


def occurrence_json(occurrence: Occurrence) -> dict[str, Any]:
    return {
        "id": occurrence.id,
        "start": isoformat(occurrence.start_at),
        "end": isoformat(occurrence.end_at),
        "status": occurrence.status,
    }


def skipped_json(skipped: Skipped) -> dict[str, Any]:
    return {
        "start": isoformat(skipped.start),
        "end": isoformat(skipped.end),
        "reason": skipped.reason,
    }


def booking_json(booking: Booking, skipped: list[Skipped] | None = None) -> dict[str, Any]:
    return {
        "id": booking.id,
        "status": booking.status,
        "resource_id": booking.resource_id,
        "title": booking.title,
        "occurrences": [occurrence_json(o) for o in booking.occurrences],
        "skipped": [skipped_json(s) for s in skipped or ()],
        "fee": fee_json(booking),
    }


# --- routes ----------------------------------------------------------------------


@bp.post("/bookings")
def create_booking():
    data = json_body()
    _require_fields(data, "resource_id", "start", "end", "title")
    resource = visible_resource(_int_id(data["resource_id"], "resource_id"))
    start = parse_instant(data["start"], "start")
    end = parse_instant(data["end"], "end")
    title = data["title"]
    if not isinstance(title, str):
        raise BadRequest(_("title muss Text sein."))
    organisation = None
    if data.get("organisation_id") is not None:
        organisation = get_scoped(
            Organisation, g.tenant, _int_id(data["organisation_id"], "organisation_id")
        )
    recurrence = data.get("recurrence")
    skip_closed = _optional_bool(data, "skip_closed")
    if isinstance(recurrence, dict) and skip_closed is not None:
        recurrence = {**recurrence, "skip_closed": skip_closed}
    result = bookings.create_booking(
        g.tenant,
        api_user(),
        resource,
        start,
        end,
        title,
        recurrence=recurrence,
        on_conflict=data.get("on_conflict") or "reject",
        organisation=organisation,
        note=_optional_text(data, "note"),
        override_reason=_optional_text(data, "override_reason"),
        now=utcnow(),
        max_occurrences=current_app.config["SERIES_MAX_OCCURRENCES"],
    )
    return booking_json(result.booking, result.skipped), 201


@bp.get("/bookings/<int:booking_id>")
def get_booking(booking_id: int):
    return booking_json(queries.get_booking(g.tenant, api_user(), booking_id))


@bp.get("/bookings")
def list_bookings():
    user = api_user()
    args = request.args
    if args.get("mine") not in (None, "", "0", "false"):
        items = queries.bookings_of_user(g.tenant, user, limit=LIST_LIMIT)
        return {"items": [booking_json(b) for b in items]}
    start = parse_instant(args["start"], "start") if args.get("start") else None
    end = parse_instant(args["end"], "end") if args.get("end") else None
    resource_ids = None
    if args.get("resource_id"):
        resource = get_scoped(Resource, g.tenant, _int_id(args["resource_id"], "resource_id"))
        if not access.can_list_resource(user, g.tenant, resource):
            raise Forbidden(_("Dafür fehlt Ihnen die Berechtigung."))
        resource_ids = sorted(engine.related_resource_ids(resource))
    elif not access.is_staff(user, g.tenant):
        raise Forbidden(_("Dafür fehlt Ihnen die Berechtigung."))
    items = queries.list_bookings(
        g.tenant, resource_ids=resource_ids, start=start, end=end, limit=LIST_LIMIT
    )
    status = args.get("status")
    if status:
        items = [b for b in items if b.status == status]
    return {"items": [booking_json(b) for b in items]}


def _booking(booking_id: int) -> Booking:
    return get_scoped(Booking, g.tenant, booking_id)


def _change(booking_id: int, change: Callable[..., Booking]):
    """Approve, reject or cancel: the body (optional) may carry a ``reason``."""
    data = _optional_body()
    booking = change(
        g.tenant, api_user(), _booking(booking_id), reason=_optional_text(data, "reason")
    )
    return booking_json(booking)


@bp.post("/bookings/<int:booking_id>/approve")
def approve_booking(booking_id: int):
    return _change(booking_id, bookings.approve_booking)


@bp.post("/bookings/<int:booking_id>/reject")
def reject_booking(booking_id: int):
    return _change(booking_id, bookings.reject_booking)


@bp.post("/bookings/<int:booking_id>/cancel")
def cancel_booking(booking_id: int):
    return _change(booking_id, bookings.cancel_booking)


def _occurrence(booking_id: int, occurrence_id: int) -> Occurrence:
    booking = queries.get_booking(g.tenant, api_user(), booking_id)
    occurrence = get_scoped(Occurrence, g.tenant, occurrence_id)
    if occurrence.booking_id != booking.id:
        raise NotFound(_("Nicht gefunden."))
    return occurrence


@bp.post("/bookings/<int:booking_id>/occurrences/<int:occurrence_id>/cancel")
def cancel_occurrence(booking_id: int, occurrence_id: int):
    """Body (optional): ``{"reason": "...", "following": true}`` — with
    ``following`` this date and every later one of the series are cancelled."""
    data = _optional_body()
    following = _optional_bool(data, "following", default=False)
    occurrence = _occurrence(booking_id, occurrence_id)
    cancel = bookings.cancel_series_from if following else bookings.cancel_occurrence
    booking = cancel(g.tenant, api_user(), occurrence, reason=_optional_text(data, "reason"))
    return booking_json(booking)


@bp.post("/bookings/<int:booking_id>/occurrences/<int:occurrence_id>/move")
def move_occurrence(booking_id: int, occurrence_id: int):
    """Body: ``{"start", "end", "reason"?, "override_reason"?}`` (extension).
    Moved by anyone but staff on a resource that needs approval, a confirmed
    booking is ``requested`` again (``reservations.service.move_occurrence``)."""
    data = json_body()
    _require_fields(data, "start", "end")
    start = parse_instant(data["start"], "start")
    end = parse_instant(data["end"], "end")
    occurrence = _occurrence(booking_id, occurrence_id)
    booking = bookings.move_occurrence(
        g.tenant,
        api_user(),
        occurrence,
        start,
        end,
        reason=_optional_text(data, "reason"),
        override_reason=_optional_text(data, "override_reason"),
    )
    return booking_json(booking)
