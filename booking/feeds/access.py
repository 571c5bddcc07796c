"""Who may subscribe to which feed — asked when a subscription is created
and again on every poll, so a feed dies with its owner's role.

* ``resource``: staff (admin, clerk) and the caretakers assigned to it;
  without a resource, a caretaker's "my halls": every resource assigned to
  them at the time of the poll;
* ``tenant``: staff;
* ``mine``: anyone signed in (their own bookings);
* ``cemetery``: staff and the caretakers assigned to its chapel or crew.
"""

from __future__ import annotations

from typing import Any

from booking.accounts.access import is_admin, is_caretaker, is_staff
from booking.feeds.models import FeedToken
from booking.reservations.access import is_assigned_caretaker
from booking.resources.models import Resource
from booking.tenants.models import Tenant
from cemetery.models import Cemetery


def can_subscribe(
    user: Any,
    tenant: Tenant,
    scope: str,
    *,
    resource: Resource | None = None,
    cemetery: Cemetery | None = None,
) -> bool:
    """``user`` may hold a feed of ``scope`` (for ``resource`` / ``cemetery``)
    in ``tenant``. Objects of another tenant never qualify."""
    if user is None or not user.is_authenticated or not user.active:
        return False
    if scope == "mine":
        return True
    if scope == "tenant":
        return is_staff(user, tenant)
    if scope == "resource":
        if resource is None:
            return is_caretaker(user, tenant)
        if resource.tenant_id != tenant.id:
            return False
        return is_staff(user, tenant) or is_assigned_caretaker(user, resource)
    if scope == "cemetery":
        if cemetery is None or cemetery.tenant_id != tenant.id:
            return False
        if is_staff(user, tenant):
            return True
        return any(
            is_assigned_caretaker(user, unit)
            for unit in (cemetery.chapel, cemetery.crew)
            if unit is not None
        )
    return False


def feed_alive(feed: FeedToken, tenant: Tenant) -> bool:
    """Not revoked, of this tenant, and its owner may still see its scope."""
    if feed.revoked_at is not None or feed.tenant_id != tenant.id:
        return False
    return can_subscribe(
        feed.user, tenant, feed.scope, resource=feed.resource, cemetery=feed.cemetery
    )


def can_revoke(user: Any, feed: FeedToken) -> bool:
    """Its owner, or an admin of its tenant."""
    if user is None or not user.is_authenticated:
        return False
    return feed.user_id == user.id or is_admin(user, feed.tenant_id)
