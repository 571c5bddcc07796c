"""Who may do what with halls, rooms, their parts and closures, built on
``booking.accounts.access`` (``has_role``, ``is_staff``, ``is_admin``).

``can_*`` answer a question about a user (None or anonymous: nobody); the
web decorators (``accounts.access.requires(can_…)``) and the API
(``api.base.requires``) turn a "no" into 403, the services into
``Forbidden`` through ``require``. A resource somebody may not see is
``NotFound``, like one that does not exist.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from booking.accounts.access import has_any_role, is_admin, is_staff
from booking.core import Forbidden, NotFound
from booking.resources.models import Resource
from booking.resources.policy import policy_of
from booking.tenants.models import Tenant


def can_manage_resources(user: Any, tenant: Tenant) -> bool:
    """Create and change halls, parts, opening hours, caretakers: admins."""
    return is_admin(user, tenant)


def can_manage_closures(user: Any, tenant: Tenant) -> bool:
    """Enter and lift closures (Sperrzeiten): admins and clerks."""
    return is_staff(user, tenant)


def sees_internal_resources(user: Any, tenant: Tenant) -> bool:
    """Everyone holding a role in the municipality (staff, caretakers, funeral
    homes) sees its internal resources too; others see the public catalogue."""
    return has_any_role(user, tenant)


def is_hidden(resource: Resource) -> bool:
    """Not in the public catalogue: the resource or one it is part of is not public."""
    return not policy_of(resource).public


def can_see_resource(user: Any, tenant: Tenant, resource: Resource) -> bool:
    return not is_hidden(resource) or sees_internal_resources(user, tenant)


def require(allowed: bool, actor: Any) -> None:
    """``Forbidden`` unless ``allowed`` (the system, ``actor=None``, may always)."""
    if actor is not None and not allowed:
        raise Forbidden(_l("Dafür fehlt Ihnen die Berechtigung."))


def require_manage(tenant: Tenant, actor: Any, resource: Resource) -> None:
    """An admin (or the system) changing one of this municipality's resources."""
    require(can_manage_resources(actor, tenant), actor)
    if resource.tenant_id != tenant.id:
        raise NotFound(_l("Nicht gefunden."))
