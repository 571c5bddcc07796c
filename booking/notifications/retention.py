"""Data protection (DSGVO) for the outbox: a sent mail keeps what it says
— recipient, subject, text, calendar file — only as long as the
municipality keeps its bookings (``tenant.retention_months``); mail of no
municipality — about a person's own account, with confirmation and reset
links — only for ``PERSONAL_MAIL_DAYS``. Then its content is cleared. The row and its key
stay, so a job that computes its mail from the database state never sends
it a second time; failed and queued mail is left for the admins."""

from __future__ import annotations

from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import select, update

from booking.extensions import db
from booking.notifications.models import OutboxMessage
from booking.tenants.models import Tenant

CLEARED = "[gelöscht]"
PERSONAL_MAIL_DAYS = 30


def _clear(*conditions) -> int:
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == "sent",
            OutboxMessage.body_text != CLEARED,
            *conditions,
        )
        .values(
            to_address=CLEARED,
            subject=CLEARED,
            body_text=CLEARED,
            body_html=None,
            attachment_name=None,
            attachment_type=None,
            attachment_data=None,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def clear_sent_mail(now: datetime) -> dict[str, int]:
    """The ``retention.mail`` job: every municipality's sent mail older than
    its retention period, and mail of no municipality (personal) older than
    ``PERSONAL_MAIL_DAYS``, loses its content (once; returns how many)."""
    cleared = _clear(
        OutboxMessage.tenant_id.is_(None),
        OutboxMessage.sent_at < now - timedelta(days=PERSONAL_MAIL_DAYS),
    )
    for tenant in db.session.scalars(select(Tenant).order_by(Tenant.id)):
        cleared += _clear(
            OutboxMessage.tenant_id == tenant.id,
            OutboxMessage.sent_at < now - relativedelta(months=tenant.retention_months),
        )
    db.session.expire_all()
    return {"cleared": cleared}
