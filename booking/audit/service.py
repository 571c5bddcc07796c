"""The audit log: every staff change to a booking, fee, grave right or role."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from booking.accounts.models import User
from booking.audit.models import AuditEntry
from booking.core import utcnow
from booking.extensions import db
from booking.tenants.models import Tenant
from booking.tenants.service import scoped


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


def recent(tenant: Tenant, limit: int) -> list[AuditEntry]:
    """The municipality's newest entries (newest first), each with its actor."""
    return list(
        db.session.scalars(
            scoped(AuditEntry, tenant)
            .options(selectinload(AuditEntry.actor))
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
            .limit(limit)
        )
    )


def people_in(entries: list[AuditEntry]) -> dict[int, User]:
    """``{id: user}`` of the people the entries are about, in one query."""
    ids = {e.object_id for e in entries if e.object_type == "User" and e.object_id}
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
