"""What a booking costs: the resource's stored rules through the pure
``pricing.price``. The one place that reads ``Resource.fee_rules`` and
``Resource.cancellation_policy``; screens, the API, invoices and payments ask
here. Services flush, the caller's unit of work commits."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from functools import partial

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from booking.accounts.access import is_staff
from booking.accounts.models import Organisation, User
from booking.audit import service as audit
from booking.core import NotFound, ValidationFailed, utcnow
from booking.extensions import db
from booking.fees.cancellation import FREE_CANCELLATION, CancellationPolicy, parse_policy
from booking.fees.pricing import NO_FEE, Fee, price
from booking.fees.rules import CATEGORIES, FeeRule, parse_rules
from booking.reservations.models import Booking
from booking.resources.access import can_manage_resources, require
from booking.resources.availability import is_holiday
from booking.resources.models import Resource
from booking.resources.tree import ancestors
from booking.tenants.localtime import tenant_zone
from booking.tenants.models import Tenant

# The resources loaded by ``resources_loaded`` (id → resource), while it runs.
_LOADED: ContextVar[dict[int, Resource] | None] = ContextVar("fees_resources", default=None)


def _chain(resource: Resource) -> list[Resource]:
    """``resource`` and the resources it is part of, nearest first."""
    loaded = _LOADED.get()
    if loaded is None or resource.id not in loaded:
        return [resource, *ancestors(resource)]
    chain = [resource]
    while chain[-1].parent_id is not None and chain[-1].parent_id in loaded:
        chain.append(loaded[chain[-1].parent_id])
    return chain


def _resource_of(booking: Booking) -> Resource:
    loaded = _LOADED.get()
    if loaded is not None and booking.resource_id in loaded:
        return loaded[booking.resource_id]
    return booking.resource


def _nearest(resource: Resource, attribute: str) -> list | None:
    """The value of ``attribute`` on ``resource`` or, where it has none, on
    the nearest resource it is part of (a hall's halves cost what the hall's
    rules say unless they have rules of their own)."""
    for candidate in _chain(resource):
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
    return price_dates(tenant, _resource_of(booking), booking.customer_category, periods)


# --- editing (admins) ----------------------------------------------------------------


def effective_rules(resource: Resource) -> tuple[tuple[FeeRule, ...], Resource | None]:
    """The rules that apply to ``resource`` and the resource they are stored
    on: ``resource`` itself, the hall it is part of, or None (no rules)."""
    for candidate in _chain(resource):
        if candidate.fee_rules is not None:
            return parse_rules(candidate.fee_rules), candidate
    return (), None


def _require_admin(tenant: Tenant, actor: User | None, resource: Resource) -> None:
    if resource.tenant_id != tenant.id:
        raise NotFound(_l("Nicht gefunden."))
    require(can_manage_resources(actor, tenant), actor)


def set_fee_rules(
    tenant: Tenant,
    actor: User | None,
    resource: Resource,
    items: object,
    now: datetime | None = None,
) -> tuple[FeeRule, ...]:
    """Replace ``resource``'s own fee rules by ``items`` (the API's rule
    shape; ``[]``: free of charge, not inherited). Admins only; refused with
    ``ValidationFailed`` naming ``items[2].amount_cents`` etc. Audited with
    the rules before and after."""
    _require_admin(tenant, actor, resource)
    rules = parse_rules(items)
    before = resource.fee_rules
    after = [rule.to_dict() for rule in rules]
    resource.fee_rules = after
    audit.record(
        tenant,
        actor,
        "resource.fee_rules",
        resource,
        before={"items": before},
        after={"items": after},
        now=now or utcnow(),
    )
    db.session.flush()
    return rules


def set_cancellation_policy(
    tenant: Tenant,
    actor: User | None,
    resource: Resource,
    items: object,
    now: datetime | None = None,
) -> CancellationPolicy:
    """Replace ``resource``'s own cancellation policy by ``items`` (a list of
    ``{"days_before", "percent"}``; ``[]``: free until the start). Admins
    only; ``ValidationFailed`` naming ``cancellation[1].percent`` etc.; audited."""
    _require_admin(tenant, actor, resource)
    policy = parse_policy(items)
    before = resource.cancellation_policy
    after = policy.to_list()
    resource.cancellation_policy = after
    audit.record(
        tenant,
        actor,
        "resource.cancellation_policy",
        resource,
        before={"cancellation": before},
        after={"cancellation": after},
        now=now or utcnow(),
    )
    db.session.flush()
    return policy


def inherit_fees(
    tenant: Tenant, actor: User | None, resource: Resource, now: datetime | None = None
) -> None:
    """Drop ``resource``'s own fee rules and cancellation policy: from now on
    those of the hall it is part of apply (a resource on its own: free).
    Admins only; audited with what was dropped."""
    _require_admin(tenant, actor, resource)
    before = {"items": resource.fee_rules, "cancellation": resource.cancellation_policy}
    resource.fee_rules = None
    resource.cancellation_policy = None
    audit.record(
        tenant,
        actor,
        "resource.fee_rules",
        resource,
        before=before,
        after={"items": None, "cancellation": None},
        now=now or utcnow(),
    )
    db.session.flush()


# --- the customer category of a booking ------------------------------------------------


def default_category(organisation: Organisation | None) -> str:
    """A person books as a resident; a local club as a local club, a company
    as commercial, any other organisation as external."""
    if organisation is None:
        return "resident"
    if organisation.kind == "company":
        return "commercial"
    if organisation.kind == "club" and organisation.is_local:
        return "local_club"
    return "external"


def allowed_categories(
    tenant: Tenant, actor: User | None, organisation: Organisation | None
) -> tuple[str, ...]:
    """What ``actor`` may book as: staff any category; an applicant
    resident, external or commercial, and local club only for a local club
    they book for (membership is checked with the booking's organisation)."""
    if actor is None or is_staff(actor, tenant):
        return CATEGORIES
    own_club = (
        organisation is not None and organisation.kind == "club" and bool(organisation.is_local)
    )
    return tuple(c for c in CATEGORIES if c != "local_club" or own_club)


def checked_category(
    tenant: Tenant,
    actor: User | None,
    organisation: Organisation | None,
    category: str | None,
) -> str:
    """``category`` when ``actor`` may choose it (None: the default for the
    organisation), else ``ValidationFailed`` on the field ``category``."""
    if category is None:
        return default_category(organisation)
    if category not in CATEGORIES:
        raise ValidationFailed(
            _l("Bitte prüfen Sie die Angaben."),
            {"category": [_l("Eine von: %(kinds)s", kinds=", ".join(CATEGORIES))]},
        )
    if category not in allowed_categories(tenant, actor, organisation):
        raise ValidationFailed(
            _l("Bitte prüfen Sie die Angaben."),
            {
                "category": [
                    _l("„Örtlicher Verein“ gilt nur für Buchungen eines örtlichen Vereins.")
                ]
            },
        )
    return category


def change_category(
    tenant: Tenant,
    actor: User | None,
    booking: Booking,
    category: str,
    now: datetime | None = None,
) -> Fee:
    """A clerk corrects ``booking``'s customer category (staff only; 404 for
    another municipality's booking). The fee follows (``booking_fee``);
    refused with ``ValidationFailed`` on ``category`` when it is unknown or
    the resource has no rule for it. Audited with the fee before and after.
    Returns the new fee."""
    if booking.tenant_id != tenant.id:
        raise NotFound(_l("Nicht gefunden."))
    require(actor is None or is_staff(actor, tenant), actor)
    if category not in CATEGORIES:
        raise ValidationFailed(
            _l("Bitte prüfen Sie die Angaben."),
            {"category": [_l("Eine von: %(kinds)s", kinds=", ".join(CATEGORIES))]},
        )
    before = booking.customer_category
    try:
        old_cents: int | None = booking_fee(tenant, booking).amount_cents
    except ValidationFailed:  # the rules changed since: no tariff for the old category
        old_cents = None
    periods = [(o.start_at, o.end_at) for o in booking.active_occurrences]
    fee = price_dates(tenant, booking.resource, category, periods)  # before anything changes
    booking.customer_category = category
    audit.record(
        tenant,
        actor,
        "booking.category",
        booking,
        before={"category": before, "fee_cents": old_cents},
        after={"category": category, "fee_cents": fee.amount_cents},
        now=now or utcnow(),
    )
    db.session.flush()
    return fee


def shown_fee(tenant: Tenant, booking: Booking) -> Fee:
    """``booking_fee`` for an answer or a page: when the rules were changed
    since and have no tariff for the booking's category any more, the
    booking shows no fee (a clerk corrects its category) instead of failing."""
    try:
        return booking_fee(tenant, booking)
    except ValidationFailed:
        return NO_FEE


@contextmanager
def resources_loaded(tenant: Tenant) -> Iterator[dict[int, Resource]]:
    """Every resource of ``tenant`` at hand while the block runs, in one
    query: pricing a list of bookings then finds each booking's hall and the
    halls it is part of without a query per hall."""
    by_id = {
        r.id: r for r in db.session.scalars(select(Resource).where(Resource.tenant_id == tenant.id))
    }
    token = _LOADED.set(by_id)
    try:
        yield by_id
    finally:
        _LOADED.reset(token)
