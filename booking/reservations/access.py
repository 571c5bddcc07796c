"""Who may see and change a booking.

A booking is visible to its owner, the managers of its organisation, staff
(admin, clerk) and the caretakers assigned to its resource; to everyone else
it does not exist (``NotFound``, 404 — as for another tenant's objects),
whatever the verb. Of those who see it, approving and rejecting need staff
(``Forbidden``, 403); cancelling and moving need the owner, an organisation
manager or staff.

``can_*`` answer a question; ``require_*`` raise the domain error the
services and the API answer with.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from booking.accounts.access import is_caretaker, is_staff
from booking.accounts.models import OrganisationMember, User
from booking.core import Forbidden, NotFound
from booking.extensions import db
from booking.reservations.models import Booking, Occurrence
from booking.resources.models import Resource, ResourceCaretaker
from booking.resources.tree import ancestors
from booking.tenants.models import Tenant


def can_approve(user: User | None, tenant: Tenant) -> bool:
    return is_staff(user, tenant)


def _manages_organisation(user: User, organisation_id: int | None) -> bool:
    if organisation_id is None:
        return False
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    OrganisationMember.organisation_id == organisation_id,
                    OrganisationMember.user_id == user.id,
                    OrganisationMember.is_manager.is_(True),
                )
            )
        )
    )


def is_assigned_caretaker(user: User, resource: Resource) -> bool:
    """A caretaker of ``resource`` or of a resource it is part of."""
    if not is_caretaker(user, resource.tenant_id):
        return False
    ids = [resource.id, *(r.id for r in ancestors(resource))]
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    ResourceCaretaker.user_id == user.id, ResourceCaretaker.resource_id.in_(ids)
                )
            )
        )
    )


def may_change_date(user: User | None, occurrence: Occurrence, now: datetime) -> bool:
    """Whether a date may still be cancelled or moved by this person: citizens
    before it begins, staff until it has ended."""
    if is_staff(user, occurrence.tenant_id):
        return occurrence.end_at > now
    return occurrence.start_at > now


def can_manage_booking(user: User | None, booking: Booking) -> bool:
    """Cancel or move: owner, organisation manager, staff."""
    if user is None:
        return False
    return (
        booking.user_id == user.id
        or is_staff(user, booking.tenant_id)
        or _manages_organisation(user, booking.organisation_id)
    )


def can_view_booking(user: User | None, booking: Booking) -> bool:
    """Owner, organisation manager, staff, or a caretaker of its resource."""
    if user is None:
        return False
    return can_manage_booking(user, booking) or is_assigned_caretaker(user, booking.resource)


def can_list_resource(user: User | None, tenant: Tenant, resource: Resource) -> bool:
    """See every booking of a resource: staff, or its assigned caretakers."""
    return is_staff(user, tenant) or (user is not None and is_assigned_caretaker(user, resource))


def require_tenant(tenant: Tenant, obj: Any) -> None:
    if obj is None or obj.tenant_id != tenant.id:
        raise NotFound(_l("Nicht gefunden."))


def require_view(tenant: Tenant, actor: User | None, booking: Booking) -> None:
    require_tenant(tenant, booking)
    if not can_view_booking(actor, booking):
        raise NotFound(_l("Nicht gefunden."))


def require_manage(tenant: Tenant, actor: User, booking: Booking) -> None:
    require_view(tenant, actor, booking)
    if not can_manage_booking(actor, booking):
        raise Forbidden(_l("Sie dürfen diese Buchung nicht ändern."))


def require_staff(tenant: Tenant, actor: User, booking: Booking) -> None:
    """Approve or reject: a booking the actor cannot see is ``NotFound`` (as
    for every verb), one they can see without the staff role ``Forbidden``."""
    require_view(tenant, actor, booking)
    if not can_approve(actor, tenant):
        raise Forbidden(_l("Nur die Verwaltung darf Buchungen bestätigen oder ablehnen."))
