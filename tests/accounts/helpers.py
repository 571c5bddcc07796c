"""Small helpers shared by the account tests."""

from __future__ import annotations

import re

from sqlalchemy import select

from booking.accounts import service
from booking.extensions import db
from booking.notifications.models import OutboxMessage
from booking.tenants.models import Tenant


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


def add_member(organisation, manager, user, *, is_manager: bool = False):
    """Invite ``user`` and let them accept, as the organisation pages do."""
    invitation = service.invite_member(organisation, manager, user.email, is_manager=is_manager)
    tenant = db.session.get(Tenant, organisation.tenant_id)
    return service.answer_invitation(tenant, user, invitation.id, accept=True)
