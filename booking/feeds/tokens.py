"""Calendar subscriptions: create, list, revoke, and find the feed of a URL.

A token is 32 random bytes (256 bits) in URL-safe base64; only its SHA-256
is stored, the plain value is returned once, to be shown once. Services
flush, the caller's unit of work commits."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from booking.accounts.access import is_caretaker, is_staff
from booking.accounts.models import User
from booking.core import Forbidden, NotFound, ValidationFailed
from booking.extensions import db
from booking.feeds.access import can_revoke, can_subscribe, feed_alive
from booking.feeds.models import FEED_SCOPES, FeedToken
from booking.resources import service as resources
from booking.resources import tree
from booking.resources.models import Resource
from booking.tenants.models import Tenant
from booking.tenants.service import is_key, scoped
from cemetery.models import Cemetery

# Longest plain token we look up (43 characters are issued).
TOKEN_MAX = 64
# Live subscriptions one person may hold in one municipality (a phone, a
# tablet, a computer per calendar, with room to spare; not thousands).
MAX_FEEDS_PER_PERSON = 20


def token_hash(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def create_feed(
    tenant: Tenant,
    actor: User,
    scope: str,
    *,
    resource: Resource | None = None,
    cemetery: Cemetery | None = None,
    now: datetime,
) -> tuple[FeedToken, str]:
    """A new subscription of ``actor``; returns it and the plain token.

    An unknown scope or a missing object is ``ValidationFailed``; an object
    of another tenant ``NotFound``; a scope the actor may not see
    ``Forbidden``."""
    if scope not in FEED_SCOPES:
        raise ValidationFailed(
            _l("Unbekannter Kalender."), {"scope": [_l("Bitte einen der angebotenen wählen.")]}
        )
    if scope == "resource" and resource is None and not is_caretaker(actor, tenant):
        raise ValidationFailed(
            _l("Welche Halle?"), {"resource_id": [_l("Bitte eine Halle wählen.")]}
        )
    if scope == "cemetery" and cemetery is None:
        raise ValidationFailed(
            _l("Welcher Friedhof?"), {"cemetery_id": [_l("Bitte einen Friedhof wählen.")]}
        )
    for obj in (resource, cemetery):
        if obj is not None and obj.tenant_id != tenant.id:
            raise NotFound(_l("Nicht gefunden."))
    if not can_subscribe(actor, tenant, scope, resource=resource, cemetery=cemetery):
        raise Forbidden(_l("Diesen Kalender dürfen Sie nicht abonnieren."))
    if len(feeds_of(tenant, actor)) >= MAX_FEEDS_PER_PERSON:
        raise ValidationFailed(
            _l(
                "Sie haben schon %(count)d Kalender-Abonnements in dieser Gemeinde. "
                "Bitte beenden Sie erst eines, das Sie nicht mehr nutzen.",
                count=MAX_FEEDS_PER_PERSON,
            ),
            {"scope": [_l("Zu viele Abonnements.")]},
        )
    plain = secrets.token_urlsafe(32)
    feed = FeedToken(
        tenant_id=tenant.id,
        user_id=actor.id,
        scope=scope,
        resource_id=resource.id if scope == "resource" and resource else None,
        cemetery_id=cemetery.id if scope == "cemetery" and cemetery else None,
        token_hash=token_hash(plain),
        created_at=now,
    )
    db.session.add(feed)
    db.session.flush()
    return feed, plain


def feeds_of(tenant: Tenant, user: User) -> list[FeedToken]:
    """The user's subscriptions in ``tenant`` that are not revoked."""
    return list(
        db.session.scalars(
            select(FeedToken)
            .where(
                FeedToken.tenant_id == tenant.id,
                FeedToken.user_id == user.id,
                FeedToken.revoked_at.is_(None),
            )
            .order_by(FeedToken.created_at)
        )
    )


def tenant_feeds(tenant: Tenant) -> list[FeedToken]:
    """Every subscription of ``tenant`` that is not revoked, oldest first
    (for its admins: revoke the feed of a lost phone)."""
    return list(
        db.session.scalars(
            scoped(FeedToken, tenant)
            .where(FeedToken.revoked_at.is_(None))
            .options(selectinload(FeedToken.user))
            .order_by(FeedToken.created_at, FeedToken.id)
        )
    )


def subscribable_resources(tenant: Tenant, user: User) -> list[Resource]:
    """The resources whose feed ``user`` may hold, in the screens' order:
    every one for staff, the assigned ones and their parts for a caretaker
    (exactly those ``can_subscribe`` allows, without asking it per resource)."""
    if is_staff(user, tenant):
        return tree.ordered(tenant)
    if not is_caretaker(user, tenant):
        return []
    return resources.resources_for_caretaker(tenant, user)


def subscribable_cemeteries(tenant: Tenant, user: User) -> list[Cemetery]:
    """The cemeteries whose burial schedule ``user`` may subscribe to."""
    cemeteries = db.session.scalars(scoped(Cemetery, tenant).order_by(Cemetery.name))
    return [c for c in cemeteries if can_subscribe(user, tenant, "cemetery", cemetery=c)]


def get_feed(tenant: Tenant, actor: User, feed_id: int) -> FeedToken:
    """A subscription the actor may revoke; anything else is ``NotFound``
    (also an id past what the column holds: PostgreSQL would refuse it)."""
    feed = db.session.get(FeedToken, feed_id) if is_key(feed_id) else None
    if feed is None or feed.tenant_id != tenant.id or feed.revoked_at is not None:
        raise NotFound(_l("Nicht gefunden."))
    if not can_revoke(actor, feed):
        raise NotFound(_l("Nicht gefunden."))
    return feed


def revoke_feed(feed: FeedToken, now: datetime) -> None:
    """The URL answers 404 from the next request on."""
    feed.revoked_at = now
    db.session.flush()


def feed_for_token(tenant: Tenant, plain: str) -> FeedToken | None:
    """The live subscription behind a URL's token, or None (unknown, revoked,
    another tenant's, or its owner lost what the scope needs)."""
    if not plain or len(plain) > TOKEN_MAX:
        return None
    feed = db.session.scalar(select(FeedToken).where(FeedToken.token_hash == token_hash(plain)))
    if feed is None or not feed_alive(feed, tenant):
        return None
    return feed
