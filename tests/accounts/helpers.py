"""Small helpers shared by the account tests."""

from __future__ import annotations

import re

from sqlalchemy import select

from booking.extensions import db
from booking.notifications.models import OutboxMessage


def outbox_to(address: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.to_address == address)
            .order_by(OutboxMessage.id)
        )
    )


def link_in(message: OutboxMessage, path: str) -> str:
    """The absolute link to ``path…`` in a mail, as the path the client opens."""
    match = re.search(r"http://localhost(" + re.escape(path) + r"[^\s]+)", message.body_text)
    assert match, f"no link to {path} in:\n{message.body_text}"
    return match.group(1)
