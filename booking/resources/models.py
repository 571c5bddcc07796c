"""Resources (halls and their parts), opening hours, caretakers, closures."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.core import UTCDateTime, one_of, utcnow
from booking.extensions import db

RESOURCE_KINDS = ("hall", "room", "sports_hall", "chapel", "crew", "equipment")


class Resource(db.Model):
    """Something bookable: a hall, one of its parts, a chapel, a crew. Conflicts
    are checked on its leaf *units* (see ``reservations.engine``)."""

    __tablename__ = "resource"
    __table_args__ = (
        one_of("kind", RESOURCE_KINDS, name="kind_known"),
        CheckConstraint("buffer_before_min >= 0 AND buffer_after_min >= 0", name="buffers"),
        UniqueConstraint("tenant_id", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("resource.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    capacity: Mapped[int | None]
    address: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    accessibility: Mapped[str | None] = mapped_column(Text)
    # Schlüsselübergabe: for the applicant's reminder and the caretakers, never
    # on public pages or in public feeds.
    key_handover: Mapped[str | None] = mapped_column(Text)
    bookable: Mapped[bool] = mapped_column(Boolean, default=True)
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    request_blocks: Mapped[bool] = mapped_column(Boolean, default=True)
    observe_holidays: Mapped[bool] = mapped_column(Boolean, default=True)
    buffer_before_min: Mapped[int] = mapped_column(default=0)
    buffer_after_min: Mapped[int] = mapped_column(default=0)
    min_notice_hours: Mapped[int] = mapped_column(default=0)
    max_advance_days: Mapped[int | None]
    min_duration_min: Mapped[int | None]
    max_duration_min: Mapped[int | None]
    # Fee rules ([rule] in the API's shape, ``fees.rules``) and the
    # cancellation policy ([{"days_before", "percent"}], ``fees.cancellation``);
    # None: those of the resource it is part of, or none (free of charge).
    fee_rules: Mapped[list | None] = mapped_column(db.JSON)
    cancellation_policy: Mapped[list | None] = mapped_column(db.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Any change of its settings (name, address, key handover …): part of a
    # calendar feed's version.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    parent: Mapped[Resource | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Resource]] = relationship(back_populates="parent")
    opening_hours: Mapped[list[OpeningHours]] = relationship(
        cascade="all, delete-orphan", order_by="(OpeningHours.weekday, OpeningHours.opens_min)"
    )
    caretakers: Mapped[list[ResourceCaretaker]] = relationship(cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Resource {self.id} {self.name!r}>"


class OpeningHours(db.Model):
    """One open interval on a weekday (0 = Monday), minutes after local midnight;
    ``closes_min`` 1440 means midnight. No rows: open around the clock."""

    __tablename__ = "opening_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint(
            "opens_min >= 0 AND closes_min <= 1440 AND opens_min < closes_min", name="interval"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resource.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int]
    opens_min: Mapped[int]
    closes_min: Mapped[int]


class ResourceCaretaker(db.Model):
    """A caretaker (Hausmeister) assigned to a resource."""

    __tablename__ = "resource_caretaker"
    __table_args__ = (UniqueConstraint("resource_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resource.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )


class Closure(db.Model):
    """A Sperrzeit: the resource (or, without one, every resource of the
    tenant) cannot be booked in ``[start, end)``."""

    __tablename__ = "closure"
    __table_args__ = (
        CheckConstraint("start_at < end_at", name="ordered"),
        Index("ix_closure_tenant_period", "tenant_id", "start_at", "end_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    resource_id: Mapped[int | None] = mapped_column(
        ForeignKey("resource.id", ondelete="CASCADE"), index=True
    )
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    resource: Mapped[Resource | None] = relationship()


class SchoolHoliday(db.Model):
    """A school holiday period (Schulferien) of the tenant's state, entered or
    imported once a year: ``first_day`` to ``last_day``, both included, in
    local dates. A series may skip them like public holidays."""

    __tablename__ = "school_holiday"
    __table_args__ = (
        CheckConstraint("first_day <= last_day", name="ordered"),
        UniqueConstraint("tenant_id", "first_day", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    first_day: Mapped[date]
    last_day: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
