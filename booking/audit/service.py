"""The audit log: every staff change to a booking, fee, grave right or role."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from booking.accounts.models import User
from booking.audit.models import AuditEntry
from booking.core import utcnow
from booking.extensions import db
from booking.tenants.models import Tenant


def record(
    tenant: Tenant | None,
    actor: User | None,
    action: str,
    obj: Any,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        tenant_id=tenant.id if tenant else None,
        actor_id=actor.id if actor else None,
        action=action,
        object_type=type(obj).__name__,
        object_id=getattr(obj, "id", None),
        before=before,
        after=after,
        reason=reason,
        created_at=now or utcnow(),
    )
    db.session.add(entry)
    return entry


def history(tenant: Tenant, obj: Any) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.tenant_id == tenant.id,
                AuditEntry.object_type == type(obj).__name__,
                AuditEntry.object_id == obj.id,
            )
            .order_by(AuditEntry.created_at, AuditEntry.id)
        )
    )
