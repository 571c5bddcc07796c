"""Subscriptions die for good: when a person loses a role, a hall
assignment or their account is switched off, every subscription of theirs
that their access no longer covers is revoked in the same transaction — so
an old address on a lost phone does not come back to life when the role is
given again. (``feeds.access.feed_alive`` is still asked on every poll.)

One place, a mapper listener: every removed ``Membership`` or
``ResourceCaretaker`` row and every ``User`` whose ``active`` turned false
notes its person; before the commit their live subscriptions are checked."""

from __future__ import annotations

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, object_session

from booking.accounts.models import Membership, User
from booking.core import utcnow
from booking.feeds.access import feed_alive
from booking.feeds.models import FeedToken
from booking.resources.models import ResourceCaretaker
from booking.tenants.models import Tenant

_NOTED = "feeds_access_lost"


def _note(target: object, user_id: int | None) -> None:
    session = object_session(target)
    if session is not None and user_id is not None:
        session.info.setdefault(_NOTED, set()).add(user_id)


@event.listens_for(Membership, "after_delete")
@event.listens_for(ResourceCaretaker, "after_delete")
def _access_removed(_mapper, _connection, target) -> None:
    _note(target, target.user_id)


@event.listens_for(User, "after_update")
def _user_changed(_mapper, _connection, target: User) -> None:
    history = inspect(target).attrs.active.history
    if history.has_changes() and not target.active:
        _note(target, target.id)


@event.listens_for(Session, "before_commit")
def _revoke_dead_feeds(session: Session) -> None:
    session.flush()  # the removals of this unit of work, and their notes
    user_ids = session.info.pop(_NOTED, None)
    if not user_ids:
        return
    now = utcnow()
    feeds = session.scalars(
        select(FeedToken).where(FeedToken.user_id.in_(user_ids), FeedToken.revoked_at.is_(None))
    )
    for feed in feeds:
        if not feed_alive(feed, session.get(Tenant, feed.tenant_id)):
            feed.revoked_at = now
    session.flush()


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_NOTED, None)
