"""Who may do what with accounts, roles and organisations — and the building
blocks every package's policy is made of (``has_role``, ``is_staff``) and the
web decorators built on them. Roles are read only here and in the packages'
own ``access.py``.

``can_*`` answer a question about a user (None or anonymous: nobody) and an
object; views and the API turn a "no" into 403 or 404, services into
``Forbidden``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, g
from flask_login import current_user, login_required

from booking.accounts.models import ROLES, STAFF_ROLES, Organisation, User
from booking.tenants.models import Tenant


def has_role(user: Any, tenant: Tenant | int, *roles: str) -> bool:
    """``user`` (a User, None or Flask-Login's anonymous user) holds one of
    ``roles`` in ``tenant``."""
    if user is None or not user.is_authenticated:
        return False
    tenant_id = tenant if isinstance(tenant, int) else tenant.id
    return bool(user.roles_in(tenant_id) & set(roles))


def is_staff(user: Any, tenant: Tenant | int) -> bool:
    """Administration or Sachbearbeitung of ``tenant``: they see and decide
    every booking and run the cemetery."""
    return has_role(user, tenant, *STAFF_ROLES)


def is_caretaker(user: Any, tenant: Tenant | int) -> bool:
    """Hausmeister: the schedule of the resources assigned to them."""
    return has_role(user, tenant, "caretaker")


def has_any_role(user: Any, tenant: Tenant | int) -> bool:
    """Holds some role in ``tenant`` (staff of any kind: sees internal resources)."""
    return has_role(user, tenant, *ROLES)


def is_admin(user: Any, tenant: Tenant | int) -> bool:
    """Administration: halls and their settings, roles, the outbox."""
    return has_role(user, tenant, "admin")


# --- organisations -------------------------------------------------------------


def can_view_organisation(user: Any, organisation: Organisation) -> bool:
    """Staff, and the organisation's members."""
    if is_staff(user, organisation.tenant_id):
        return True
    return user is not None and any(m.user_id == user.id for m in organisation.members)


def can_manage_organisation(user: Any, organisation: Organisation) -> bool:
    """Invite and remove members: staff, and the organisation's managers."""
    if is_staff(user, organisation.tenant_id):
        return True
    return user is not None and any(
        m.user_id == user.id and m.is_manager for m in organisation.members
    )


def can_enter_funeral_home(user: Any, tenant: Tenant) -> bool:
    """Funeral homes are entered by the administration only."""
    return is_staff(user, tenant)


def sees_all_organisations(user: Any, tenant: Tenant) -> bool:
    return is_staff(user, tenant)


# --- the web ---------------------------------------------------------------------------


def current_actor() -> User:
    """The signed-in user itself (not Flask-Login's proxy), for the services."""
    return current_user._get_current_object()


def requires(check: Callable[[Any, Tenant], bool]) -> Callable:
    """View decorator: signed in, and ``check(user, the URL's tenant)``, else 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not check(current_actor(), g.tenant):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def role_required(*roles: str) -> Callable:
    """Signed in and holding one of ``roles`` in the URL's tenant, else 403."""
    return requires(lambda user, tenant: has_role(user, tenant, *roles))


def staff_start(user: User) -> tuple[int, str] | None:
    """Where staff of exactly one municipality land after signing in: its id
    and the start page's endpoint (the administration for admins and clerks,
    the schedule for caretakers). None for everyone else, and for staff of
    several municipalities (they choose)."""
    roles: dict[int, set[str]] = {}
    for membership in user.memberships:
        if membership.role in (*STAFF_ROLES, "caretaker"):
            roles.setdefault(membership.tenant_id, set()).add(membership.role)
    if len(roles) != 1:
        return None
    ((tenant_id, held),) = roles.items()
    return tenant_id, "admin.index" if held & set(STAFF_ROLES) else "caretaker.index"
