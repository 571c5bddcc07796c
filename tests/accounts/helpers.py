"""Small helpers shared by the account tests."""

from __future__ import annotations

import re

from booking.accounts import service
from booking.extensions import db
from booking.notifications.models import OutboxMessage
from booking.tenants.models import Tenant
from tests.outbox import composed_mail


def outbox_to(address: str) -> list[OutboxMessage]:
    return composed_mail(OutboxMessage.to_address == address)


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
