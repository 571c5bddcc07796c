"""What a booking costs: the resource's stored rules through the pure
``pricing.price``. The one place that reads ``Resource.fee_rules`` and
``Resource.cancellation_policy``; screens, the API, invoices and payments ask
here. Services flush, the caller's unit of work commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import partial

from booking.fees.cancellation import FREE_CANCELLATION, CancellationPolicy, parse_policy
from booking.fees.pricing import Fee, price
from booking.fees.rules import FeeRule, parse_rules
from booking.reservations.models import Booking
from booking.resources.availability import is_holiday
from booking.resources.models import Resource
from booking.resources.tree import ancestors
from booking.tenants.localtime import tenant_zone
from booking.tenants.models import Tenant


def _nearest(resource: Resource, attribute: str) -> list | None:
    """The value of ``attribute`` on ``resource`` or, where it has none, on
    the nearest resource it is part of (a hall's halves cost what the hall's
    rules say unless they have rules of their own)."""
    for candidate in (resource, *ancestors(resource)):
        value = getattr(candidate, attribute)
        if value is not None:
            return value
    return None


def rules_of(resource: Resource) -> tuple[FeeRule, ...]:
    """The fee rules that apply to ``resource``; none: free of charge."""
    stored = _nearest(resource, "fee_rules")
    return parse_rules(stored) if stored else ()


def cancellation_policy_of(resource: Resource) -> CancellationPolicy:
    """The cancellation policy that applies; none: free until the start."""
    stored = _nearest(resource, "cancellation_policy")
    return parse_policy(stored) if stored else FREE_CANCELLATION


def price_dates(
    tenant: Tenant,
    resource: Resource,
    category: str,
    periods: Sequence[tuple[datetime, datetime]],
) -> Fee:
    """The fee of booking ``resource`` for ``periods`` (the dates that take
    place) as ``category``. ``ValidationFailed`` when the resource has rules
    but none for that category."""
    return price(
        rules_of(resource),
        category,
        list(periods),
        tenant_zone(tenant),
        partial(is_holiday, tenant),
    )


def booking_fee(tenant: Tenant, booking: Booking) -> Fee:
    """The fee of ``booking``'s dates that still take place."""
    periods = [(o.start_at, o.end_at) for o in booking.active_occurrences]
    return price_dates(tenant, booking.resource, booking.customer_category, periods)
