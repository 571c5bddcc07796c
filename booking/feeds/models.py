"""Feed subscriptions (a secret URL per owner and scope) and the cache of
rendered feeds shared by all workers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.accounts.models import User
from booking.core import UTCDateTime, one_of, utcnow
from booking.extensions import db
from booking.resources.models import Resource
from cemetery.models import Cemetery

FEED_SCOPES = ("resource", "mine", "tenant", "cemetery")


class FeedToken(db.Model):
    """A calendar subscription: ``/<tenant>/feeds/<token>.ics``. Only the
    token's SHA-256 is stored; the plain value is shown once. Whether it still
    works is decided on every poll (revoked, owner deactivated, owner lost
    the role the scope needs) in ``feeds.access``."""

    __tablename__ = "feed_token"
    __table_args__ = (
        one_of("scope", FEED_SCOPES, name="scope_known"),
        Index("ix_feed_token_owner", "tenant_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(20))
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resource.id", ondelete="CASCADE"))
    cemetery_id: Mapped[int | None] = mapped_column(ForeignKey("cemetery.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    resource: Mapped[Resource | None] = relationship()
    cemetery: Mapped[Cemetery | None] = relationship()


class FeedCache(db.Model):
    """The rendered bytes of one feed at one version (see ``feeds.cache``).
    ``key`` names the feed and its audience, ``version`` the data it showed."""

    __tablename__ = "feed_cache"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    version: Mapped[str] = mapped_column(String(64))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    rendered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
