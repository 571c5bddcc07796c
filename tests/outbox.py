"""The outbox as the tests read it: composed first, as the ``mail.deliver``
job does before it sends (``notify`` only queues what to write)."""

from __future__ import annotations

from sqlalchemy import select

from booking.core import utcnow
from booking.extensions import db
from booking.notifications.models import OutboxMessage
from booking.notifications.service import compose_pending


def composed_mail(*where) -> list[OutboxMessage]:
    """Every queued mail composed, then the mails matching ``where``, oldest first."""
    compose_pending(utcnow())
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(*where).order_by(OutboxMessage.id)))
