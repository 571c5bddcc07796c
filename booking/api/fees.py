"""Fee rules of a resource and the price of a booking before it is made
(API.md, "Fees, invoices and payments").

- ``GET /resources/<id>/fee-rules``: anyone signed in who may see the
  resource; the rules that apply to it. Extension: ``inherited_from`` is the
  id of the hall whose rules a part inherits (None: its own, or none at all).
- ``PUT /resources/<id>/fee-rules`` ``{"items": [rule]}``: admins; replaces
  the resource's own rules (audited). 404 for a resource of another
  municipality (before the role is looked at), 403 without the admin role,
  400 for a body that is not a JSON object, 422 naming ``items[2].amount_cents``.
- ``POST /bookings/quote``: the body of ``POST /bookings``; 200 ``{"fee"}``
  as the booking would get it, with the same errors, writing nothing and
  starting no payment (``payment`` is only checked).
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_babel import gettext as _

from booking.api import schemas
from booking.api.base import api_user, bp, json_body, parse
from booking.api.bookings import booking_request, visible_resource
from booking.core import Forbidden
from booking.fees import service as fees
from booking.payments import service as payments
from booking.reservations import service as bookings
from booking.resources.access import can_manage_resources


def _rules_json(resource_id: int) -> dict[str, Any]:
    resource = visible_resource(resource_id)
    rules, source = fees.effective_rules(resource)
    inherited = source.id if source is not None and source.id != resource.id else None
    return {"items": [rule.to_dict() for rule in rules], "inherited_from": inherited}


@bp.get("/resources/<int:resource_id>/fee-rules")
def get_fee_rules(resource_id: int):
    return _rules_json(resource_id)


@bp.put("/resources/<int:resource_id>/fee-rules")
def put_fee_rules(resource_id: int):
    resource = visible_resource(resource_id)
    if not can_manage_resources(api_user(), g.tenant):
        raise Forbidden(_("Dafür fehlt Ihnen die Berechtigung."))
    body = json_body()
    fees.set_fee_rules(g.tenant, api_user(), resource, body.get("items"))
    return _rules_json(resource_id)


@bp.post("/bookings/quote")
def quote_booking():
    body = parse(schemas.CreateBooking, json_body())
    preview = bookings.preview_booking(**booking_request(body))
    payments.checked_method(body.payment)  # a bad one is a 422, as POST /bookings says
    return {"fee": preview.fee.to_dict()}
