"""Queueing mail into the outbox. Delivery is a job (notifications issue)."""

from __future__ import annotations

from sqlalchemy import select

from booking.core import utcnow
from booking.extensions import db
from booking.notifications.models import OutboxMessage
from booking.tenants.models import Tenant


def queue_mail(
    key: str,
    to_address: str,
    subject: str,
    body_text: str,
    *,
    tenant: Tenant | None = None,
    attachment: tuple[str, str, bytes] | None = None,
    personal: bool = False,
) -> OutboxMessage:
    """Queue a mail once per ``key``; a second call with the same key returns
    the first message unchanged. ``personal`` mail (about a person's own
    account) never appears in a municipality's outbox."""
    existing = db.session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
    if existing is not None:
        return existing
    message = OutboxMessage(
        key=key,
        tenant_id=tenant.id if tenant else None,
        personal=personal,
        to_address=to_address,
        subject=subject,
        body_text=body_text,
        created_at=utcnow(),
    )
    if attachment:
        message.attachment_name, message.attachment_type, message.attachment_data = attachment
    db.session.add(message)
    db.session.flush()
    return message


def outbox(tenant: Tenant, limit: int = 200) -> list[OutboxMessage]:
    """The municipality's own mail for its admins: never personal mail."""
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.tenant_id == tenant.id, OutboxMessage.personal.is_(False))
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
            .limit(limit)
        )
    )
