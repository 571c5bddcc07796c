"""Closures (Sperrzeiten): a resource with its parts, or the whole
municipality, closed for a while. The rules, no request; ``actor=None`` means
the system itself; who may: ``resources.access.can_manage_closures``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from booking.accounts.models import User
from booking.audit import service as audit
from booking.core import CLOSURE_REASON_MAX, NotFound, ValidationFailed, too_long, utcnow
from booking.extensions import db
from booking.resources.access import can_manage_closures, require
from booking.resources.models import Closure, Resource
from booking.resources.tree import ancestors
from booking.tenants.models import Tenant
from booking.tenants.service import get_scoped, scoped


def get_closure(tenant: Tenant, closure_id: object) -> Closure:
    return get_scoped(Closure, tenant, closure_id)


def _closure_json(closure: Closure) -> dict[str, Any]:
    return {
        "resource_id": closure.resource_id,
        "start": closure.start_at.isoformat(),
        "end": closure.end_at.isoformat(),
        "reason": closure.reason,
    }


def check_closure(
    tenant: Tenant,
    actor: User | None,
    *,
    start: datetime | None,
    end: datetime | None,
    reason: str | None,
    resource: Resource | None = None,
) -> str:
    """The checks of ``create_closure`` without writing anything: returns the
    cleaned reason, raises ``Forbidden``, ``NotFound`` or ``ValidationFailed``."""
    require(can_manage_closures(actor, tenant), actor)
    if resource is not None and resource.tenant_id != tenant.id:
        raise NotFound(_l("Nicht gefunden."))
    errors: dict[str, list] = {}
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        errors["reason"] = [_l("Bitte einen Grund angeben.")]
    elif len(reason) > CLOSURE_REASON_MAX:
        errors["reason"] = [too_long(CLOSURE_REASON_MAX)]
    for name, value in (("start", start), ("end", end)):
        if not isinstance(value, datetime) or value.tzinfo is None:
            errors[name] = [_l("Bitte Datum und Uhrzeit angeben.")]
    if "start" not in errors and "end" not in errors and start >= end:  # type: ignore[operator]
        errors["end"] = [_l("Das Ende muss nach dem Beginn liegen.")]
    if errors:
        raise ValidationFailed(_l("Die Angaben zur Sperrzeit sind ungültig."), errors)
    return reason


def create_closure(
    tenant: Tenant,
    actor: User | None,
    *,
    start: datetime | None,
    end: datetime | None,
    reason: str | None,
    resource: Resource | None = None,
    now: datetime | None = None,
) -> Closure:
    """Close one resource (with its parts), or without ``resource`` every
    resource of the municipality, for ``[start, end)``. Bookings already in
    that time are ``reservations.closures``' business."""
    reason = check_closure(tenant, actor, start=start, end=end, reason=reason, resource=resource)
    now = now or utcnow()
    closure = Closure(
        tenant_id=tenant.id,
        resource_id=resource.id if resource is not None else None,
        start_at=start,
        end_at=end,
        reason=reason,
        created_by_id=actor.id if actor is not None else None,
        created_at=now,
    )
    db.session.add(closure)
    db.session.flush()
    audit.record(tenant, actor, "closure.create", closure, after=_closure_json(closure), now=now)
    return closure


def delete_closure(
    tenant: Tenant, actor: User | None, closure_id: object, now: datetime | None = None
) -> None:
    require(can_manage_closures(actor, tenant), actor)
    closure = get_closure(tenant, closure_id)
    audit.record(tenant, actor, "closure.delete", closure, before=_closure_json(closure), now=now)
    db.session.delete(closure)
    db.session.flush()


def list_closures(
    tenant: Tenant,
    resource: Resource | None = None,
    *,
    ending_after: datetime | None = None,
    include_tenant_wide: bool = True,
) -> list[Closure]:
    """Closures of the municipality, or those that apply to ``resource`` (its
    own, its ancestors' and, with ``include_tenant_wide``, the tenant-wide ones)."""
    query = scoped(Closure, tenant)
    if resource is not None:
        ids = [resource.id, *(r.id for r in ancestors(resource))]
        condition = Closure.resource_id.in_(ids)
        if include_tenant_wide:
            condition = condition | Closure.resource_id.is_(None)
        query = query.where(condition)
    if ending_after is not None:
        query = query.where(Closure.end_at > ending_after)
    return list(db.session.scalars(query.order_by(Closure.start_at, Closure.id)))
