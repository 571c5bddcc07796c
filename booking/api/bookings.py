"""``/bookings`` (API.md, "Bookings"): create single bookings and weekly
series, read, list, approve, reject, cancel, cancel or move one date.

Access: a booking another user cannot see answers 404, exactly as an object
of another municipality does (never revealing that it exists); approving or
rejecting without the clerk or admin role answers 403; a caretaker may see
but not cancel the bookings of an assigned resource (403).

Bodies and query strings are parsed by the models of ``booking.api.schemas``:
instants must be RFC 3339 with an offset (a naive or unparsable one is a
400, as is an id or a text of the wrong type); a missing field is a 422.
Answers use the tenant's local offset.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, g, request
from flask_babel import gettext as _

from booking.accounts.models import Organisation
from booking.api import schemas
from booking.api.base import api_user, bp, json_body, parse
from booking.core import Forbidden, NotFound, utcnow
from booking.fees import service as fees
from booking.payments import service as payments
from booking.reservations import access, queries
from booking.reservations import service as bookings
from booking.reservations.models import Booking, Occurrence
from booking.reservations.rules import Skipped
from booking.resources import service as resources
from booking.resources import tree
from booking.resources.models import Resource
from booking.tenants.localtime import isoformat
from booking.tenants.service import get_scoped

LIST_LIMIT = 500


# --- parsing (the models are in booking.api.schemas) ---------------------------------


def _optional_body() -> dict[str, Any]:
    """A JSON object, or nothing at all; anything else is a 400."""
    if not request.get_data(cache=True):
        return {}
    return json_body()


def visible_resource(resource_id: Any) -> Resource:
    return resources.visible_resource(g.tenant, api_user(), resource_id)


# --- answers -------------------------------------------------------------------


def fee_json(booking: Booking) -> dict[str, Any]:
    """The booking's fee (API.md): its dates that still take place under the
    resource's rules, itemised, with the deposit."""
    return fees.shown_fee(g.tenant, booking).to_dict()


def occurrence_json(occurrence: Occurrence) -> dict[str, Any]:
    return {
        "id": occurrence.id,
        "start": isoformat(occurrence.start_at, g.tenant),
        "end": isoformat(occurrence.end_at, g.tenant),
        "status": occurrence.status,
    }


def skipped_json(skipped: Skipped) -> dict[str, Any]:
    return {
        "start": isoformat(skipped.start, g.tenant),
        "end": isoformat(skipped.end, g.tenant),
        "reason": skipped.reason,
    }


def booking_json(booking: Booking, skipped: list[Skipped] | None = None) -> dict[str, Any]:
    return {
        "id": booking.id,
        "status": booking.status,
        "resource_id": booking.resource_id,
        "title": booking.title,
        "guests": booking.guests,
        "contact_phone": booking.contact_phone,
        "occurrences": [occurrence_json(o) for o in booking.occurrences],
        "skipped": [skipped_json(s) for s in skipped or ()],
        "fee": fee_json(booking),
        **payment_json(booking),
    }


def payment_json(booking: Booking) -> dict[str, Any]:
    """``payment`` while the booking is held for its online payment
    (API.md); the client secret for the person who pays only."""
    if booking.status != "held":
        return {}
    payment = payments.pending_payment(booking) or payments.payment_of(booking)
    if payment is None:
        return {}
    mine = booking.user_id == api_user().id
    return {
        "payment": {
            "provider": payment.provider,
            "payment_intent_id": payment.intent_id,
            "client_secret": payment.client_secret if mine else None,
            "status": payment.status,
            "expires_at": isoformat(payment.expires_at, g.tenant) if payment.expires_at else None,
        }
    }


# --- routes ----------------------------------------------------------------------


def booking_request(body: schemas.CreateBooking) -> dict[str, Any]:
    """``create_booking``'s (and ``preview_booking``'s) arguments from a
    parsed ``POST /bookings`` body."""
    resource = visible_resource(body.resource_id)
    organisation = None
    if body.organisation_id is not None:
        organisation = get_scoped(Organisation, g.tenant, body.organisation_id)
    recurrence = body.recurrence
    if isinstance(recurrence, dict) and body.skip_closed is not None:
        recurrence = {**recurrence, "skip_closed": body.skip_closed}
    return {
        "tenant": g.tenant,
        "actor": api_user(),
        "resource": resource,
        "start": body.start,
        "end": body.end,
        "title": body.title,
        "recurrence": recurrence,
        "on_conflict": body.on_conflict or "reject",
        "organisation": organisation,
        "note": body.note,
        "override_reason": body.override_reason,
        "guests": body.guests,
        "contact_phone": body.contact_phone,
        "category": body.category,
        "now": utcnow(),
        "max_occurrences": current_app.config["SERIES_MAX_OCCURRENCES"],
    }


@bp.post("/bookings")
def create_booking():
    body = parse(schemas.CreateBooking, json_body())
    result = bookings.create_booking(**booking_request(body), payment=body.payment)
    return booking_json(result.booking, result.skipped), 201


@bp.get("/bookings/<int:booking_id>")
def get_booking(booking_id: int):
    return booking_json(queries.get_booking(g.tenant, api_user(), booking_id))


@bp.get("/bookings")
def list_bookings():
    user = api_user()
    query = parse(schemas.BookingsQuery, request.args.to_dict())
    if query.mine:
        items = queries.bookings_of_user(g.tenant, user, limit=LIST_LIMIT)
        with fees.resources_loaded(g.tenant):  # each fee without a query per hall
            return {"items": [booking_json(b) for b in items]}
    resource_ids = None
    if query.resource_id is not None:
        resource = get_scoped(Resource, g.tenant, query.resource_id)
        if not access.can_list_resource(user, g.tenant, resource):
            raise Forbidden(_("Dafür fehlt Ihnen die Berechtigung."))
        resource_ids = sorted(tree.related_resource_ids(resource))
    elif not access.is_staff(user, g.tenant):
        raise Forbidden(_("Dafür fehlt Ihnen die Berechtigung."))
    items = queries.list_bookings(
        g.tenant, resource_ids=resource_ids, start=query.start, end=query.end, limit=LIST_LIMIT
    )
    if query.status:
        items = [b for b in items if b.status == query.status]
    with fees.resources_loaded(g.tenant):
        return {"items": [booking_json(b) for b in items]}


def _change(booking_id: int, change: Callable[..., Booking]):
    """Approve, reject or cancel: the body (optional) may carry a ``reason``.
    The booking is looked up first: one the caller may not see is a 404
    whatever the body holds (a 400 would tell that it exists)."""
    booking = queries.get_booking(g.tenant, api_user(), booking_id)
    body = parse(schemas.Decision, _optional_body())
    return booking_json(change(g.tenant, api_user(), booking, reason=body.reason))


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
    occurrence = _occurrence(booking_id, occurrence_id)
    body = parse(schemas.CancelOccurrence, _optional_body())
    cancel = bookings.cancel_series_from if body.following else bookings.cancel_occurrence
    booking = cancel(g.tenant, api_user(), occurrence, reason=body.reason)
    return booking_json(booking)


@bp.post("/bookings/<int:booking_id>/occurrences/<int:occurrence_id>/move")
def move_occurrence(booking_id: int, occurrence_id: int):
    """Body: ``{"start", "end", "reason"?, "override_reason"?}`` (extension).
    Moved by anyone but staff on a resource that needs approval, a confirmed
    booking is ``requested`` again (``reservations.service.move_occurrence``)."""
    occurrence = _occurrence(booking_id, occurrence_id)
    body = parse(schemas.MoveOccurrence, json_body())
    booking = bookings.move_occurrence(
        g.tenant,
        api_user(),
        occurrence,
        body.start,
        body.end,
        reason=body.reason,
        override_reason=body.override_reason,
    )
    return booking_json(booking)
