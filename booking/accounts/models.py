"""Users, memberships (roles per tenant), organisations, invitations, API tokens."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.core import UTCDateTime, one_of, utcnow
from booking.extensions import db

ROLES = ("admin", "clerk", "caretaker", "funeral_home")
# Staff (Verwaltung): see and decide every booking, run the cemetery.
STAFF_ROLES = ("admin", "clerk")
ORGANISATION_KINDS = ("club", "funeral_home", "company", "other")
# Customer categories for fees (fees issue): what a booking is charged as.
CUSTOMER_CATEGORIES = ("resident", "local_club", "external", "commercial")


class User(UserMixin, db.Model):
    """A person. Global: one login for every municipality; roles are per tenant."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(5))
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on sign-out, password change and reset: every session and
    # remember-me cookie of the user carries it (``get_id``) and dies with it.
    session_version: Mapped[int] = mapped_column(default=1)
    # The one password-reset link that works (its signed payload carries this
    # nonce): replaced when a newer link is issued, cleared when used or when
    # the password changes.
    reset_nonce: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:  # Flask-Login: changes when the password changes
        return f"{self.id}:{self.session_version}"

    def roles_in(self, tenant_id: int) -> set[str]:
        return {m.role for m in self.memberships if m.tenant_id == tenant_id}

    @property
    def display_name(self) -> str:
        return self.name or self.email

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class Membership(db.Model):
    """A role of a user in one municipality."""

    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("tenant_id", "user_id", "role"),
        one_of("role", ROLES, name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")


class Organisation(db.Model):
    """A club (Verein), funeral home (Bestatter) or company in one municipality."""

    __tablename__ = "organisation"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        one_of("kind", ORGANISATION_KINDS, name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="club")
    is_local: Mapped[bool] = mapped_column(Boolean, default=True)
    email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[OrganisationMember]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )


class OrganisationMember(db.Model):
    __tablename__ = "organisation_member"
    __table_args__ = (UniqueConstraint("organisation_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    is_manager: Mapped[bool] = mapped_column(Boolean, default=False)

    organisation: Mapped[Organisation] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class OrganisationInvitation(db.Model):
    """An invitation to join an organisation, sent to an e-mail address. The
    person it names accepts (or declines) it once signed in with that
    address; until then nobody learns whether the address has an account."""

    __tablename__ = "organisation_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254), index=True)
    is_manager: Mapped[bool] = mapped_column(Boolean, default=False)
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set once: accepted, declined or withdrawn; an answered invitation is spent.
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship()
    invited_by: Mapped[User | None] = relationship()


class ApiToken(db.Model):
    """A bearer token for the JSON API. Only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
