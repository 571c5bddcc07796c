"""A person's own data across the packages (DSGVO Art. 15, 17, 20): what is
stored about them, as JSON, and deleting their account — bookings still to
come are cancelled first, past ones anonymised, the rest removed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from booking.accounts import service as accounts
from booking.accounts.models import (
    ApiToken,
    Membership,
    OrganisationInvitation,
    OrganisationMember,
    User,
)
from booking.core import ValidationFailed, utcnow
from booking.extensions import db
from booking.feeds import cache as feed_cache
from booking.feeds.models import FeedToken
from booking.notifications.models import OutboxMessage
from booking.reservations import retention
from booking.reservations import service as bookings
from booking.reservations.models import Booking
from booking.tenants.models import Tenant


def _instant(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export(user: User) -> dict[str, Any]:
    """Everything stored about ``user`` in every municipality."""
    tenants = {t.id: t.slug for t in db.session.scalars(select(Tenant))}
    own_bookings = db.session.scalars(
        select(Booking)
        .options(selectinload(Booking.occurrences), selectinload(Booking.resource))
        .where(Booking.user_id == user.id)
        .order_by(Booking.id)
    )
    memberships = db.session.scalars(
        select(OrganisationMember)
        .options(selectinload(OrganisationMember.organisation))
        .where(OrganisationMember.user_id == user.id)
    )
    invitations = db.session.scalars(
        select(OrganisationInvitation)
        .options(selectinload(OrganisationInvitation.organisation))
        .where(OrganisationInvitation.email == user.email.lower())
    )
    tokens = db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id))
    feeds = db.session.scalars(
        select(FeedToken).where(FeedToken.user_id == user.id).order_by(FeedToken.id)
    )
    return {
        "account": {
            "email": user.email,
            "name": user.name,
            "language": user.locale,
            "created_at": _instant(user.created_at),
            "email_confirmed_at": _instant(user.email_confirmed_at),
        },
        "roles": [{"municipality": tenants[m.tenant_id], "role": m.role} for m in user.memberships],
        "organisations": [
            {
                "municipality": tenants[m.organisation.tenant_id],
                "name": m.organisation.name,
                "manager": m.is_manager,
            }
            for m in memberships
        ],
        "invitations": [
            {
                "municipality": tenants[i.tenant_id],
                "organisation": i.organisation.name,
                "created_at": _instant(i.created_at),
                "answered_at": _instant(i.answered_at),
            }
            for i in invitations
        ],
        "bookings": [
            {
                "municipality": tenants[b.tenant_id],
                "resource": b.resource.name,
                "title": b.title,
                "note": b.note,
                "guests": b.guests,
                "contact_phone": b.contact_phone,
                "status": b.status,
                "created_at": _instant(b.created_at),
                "dates": [
                    {
                        "start": _instant(o.start_at),
                        "end": _instant(o.end_at),
                        "cancelled_at": _instant(o.cancelled_at),
                        "cancel_reason": o.cancel_reason,
                    }
                    for o in b.occurrences
                ],
            }
            for b in own_bookings
        ],
        "api_tokens": [
            {
                "name": t.name,
                "starts_with": t.prefix,
                "created_at": _instant(t.created_at),
                "last_used_at": _instant(t.last_used_at),
                "revoked_at": _instant(t.revoked_at),
            }
            for t in tokens
        ],
        "calendar_subscriptions": [
            {
                "municipality": tenants.get(f.tenant_id),
                "scope": f.scope,
                "resource_id": f.resource_id,
                "cemetery_id": f.cemetery_id,
                "created_at": _instant(f.created_at),
                "revoked_at": _instant(f.revoked_at),
            }
            for f in feeds
        ],
    }


def _last_admin_of(user: User) -> list[Tenant]:
    """Municipalities that would have no admin left without ``user``."""
    mine = [m.tenant_id for m in user.memberships if m.role == "admin"]
    if not mine:
        return []
    others = dict(
        db.session.execute(
            select(Membership.tenant_id, func.count())
            .where(
                Membership.tenant_id.in_(mine),
                Membership.role == "admin",
                Membership.user_id != user.id,
            )
            .group_by(Membership.tenant_id)
        ).all()
    )
    lonely = [tenant_id for tenant_id in mine if not others.get(tenant_id)]
    return list(db.session.scalars(select(Tenant).where(Tenant.id.in_(lonely))))


def delete_account(user: User, password: str, now: datetime | None = None) -> None:
    """Delete ``user`` (who confirms with their password): their own bookings
    still to come are cancelled (the halls are free again), past ones keep
    their dates without their person; bookings they made for an organisation
    stay the organisation's, without their person. Everything else of theirs
    goes — roles, memberships, invitations, API tokens, calendar
    subscriptions, mail to them."""
    now = now or utcnow()
    if not accounts.check_password(user, password):
        raise ValidationFailed(
            _l("Das Passwort stimmt nicht."), {"password": [_l("Das Passwort stimmt nicht.")]}
        )
    lonely = _last_admin_of(user)
    if lonely:
        raise ValidationFailed(
            _l(
                "Sie sind die letzte Person mit Administrationsrechten in %(names)s. "
                "Bitte geben Sie diese Rolle zuerst jemand anderem.",
                names=", ".join(t.name for t in lonely),
            )
        )
    own = list(
        db.session.scalars(
            select(Booking)
            .options(selectinload(Booking.occurrences))
            .where(Booking.user_id == user.id)
        )
    )
    tenants = {t.id: t for t in db.session.scalars(select(Tenant))}
    personal = [b for b in own if b.organisation_id is None]
    for booking in personal:
        to_come = [o for o in booking.active_occurrences if o.start_at > now]
        if booking.is_active and to_come:
            bookings.cancel_series_from(tenants[booking.tenant_id], user, to_come[0], now=now)
    retention.anonymise(personal, now)
    # A club's bookings are the club's: they stay, without the person who made them.
    for booking in own:
        if booking.organisation_id is not None:
            booking.user_id = None
            booking.contact_phone = None  # the person's number, not the club's
    email = user.email.lower()
    db.session.execute(delete(OrganisationInvitation).where(OrganisationInvitation.email == email))
    db.session.execute(delete(OutboxMessage).where(func.lower(OutboxMessage.to_address) == email))
    db.session.execute(delete(FeedToken).where(FeedToken.user_id == user.id))
    feed_cache.forget_user(user.id)  # their own feeds' rendered bytes
    db.session.delete(user)
    db.session.flush()
