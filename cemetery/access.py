"""Who may do what in the cemetery (the only place that reads roles here).

Clerks and admins run the register (cemeteries, plots, grave rights,
burials, fees); funeral homes request burials and see which plots are free;
a grave right's holder with an account sees their graves (family portal);
the grave search is public."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from booking.accounts.access import has_role, is_staff
from booking.extensions import db
from booking.tenants.models import Tenant
from cemetery.models import Burial, Contact, GraveRight


def can_manage_cemetery(user: Any, tenant: Tenant) -> bool:
    """Clerks and admins: the register, rights, confirming burials, fees."""
    return is_staff(user, tenant)


def can_administer_cemetery(user: Any, tenant: Tenant) -> bool:
    """Admins: grave types, the fee schedule, creating cemeteries by API."""
    return has_role(user, tenant, "admin")


def can_request_burial(user: Any, tenant: Tenant) -> bool:
    """Funeral homes (and staff, who enter burials directly)."""
    return has_role(user, tenant, "funeral_home") or is_staff(user, tenant)


def can_view_plots(user: Any, tenant: Tenant) -> bool:
    """Which plots are free, by grave type: staff and funeral homes."""
    return can_request_burial(user, tenant)


def can_view_burial(user: Any, burial: Burial) -> bool:
    """Staff of its tenant, and the funeral home account that requested it."""
    if getattr(user, "is_authenticated", False) is not True:
        return False
    if is_staff(user, burial.tenant_id):
        return True
    return burial.requested_by_id == user.id and has_role(user, burial.tenant_id, "funeral_home")


def can_cancel_burial(user: Any, burial: Burial) -> bool:
    """Staff, and the requesting funeral home while it is not done."""
    return burial.status in ("requested", "confirmed") and can_view_burial(user, burial)


def holds_graves(user: Any, tenant: Tenant) -> bool:
    """Whether the account is linked to a holder contact of ``tenant`` (the
    navigation then offers "Meine Gräber")."""
    if getattr(user, "is_authenticated", False) is not True:
        return False
    query = select(Contact.id).where(Contact.tenant_id == tenant.id, Contact.user_id == user.id)
    return db.session.scalar(select(query.exists())) is True


def is_holder(user: Any, right: GraveRight) -> bool:
    """The right's holder, through the account linked to the holder contact."""
    if getattr(user, "is_authenticated", False) is not True:
        return False
    return right.holder is not None and right.holder.user_id == user.id
