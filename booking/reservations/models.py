"""Bookings, their occurrences (one per date) and the claims they hold on units."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.accounts.models import Organisation, User
from booking.core import UTCDateTime, one_of, utcnow
from booking.extensions import db
from booking.resources.models import Resource

BOOKING_STATUSES = ("requested", "confirmed", "held", "rejected", "cancelled", "expired")
# Statuses whose occurrences hold claims (``requested`` only where the
# resource's ``request_blocks`` is set).
CLAIMING_STATUSES = ("requested", "confirmed", "held")
PAYMENT_METHODS = ("invoice", "online")
# Where a booking comes from: booked as such, or the chapel or crew date of a
# burial (changed only through the burial, ``cemetery.burials``).
BOOKING_ORIGINS = ("booking", "burial")


class Booking(db.Model):
    """A reservation of one resource: one occurrence, or a weekly series."""

    __tablename__ = "booking"
    __table_args__ = (
        one_of("status", BOOKING_STATUSES, name="status_known"),
        one_of("payment_method", PAYMENT_METHODS, name="payment_method_known"),
        one_of("origin", BOOKING_ORIGINS, name="origin_known"),
        Index("ix_booking_tenant_status", "tenant_id", "status", "created_at"),
        Index(
            "ix_booking_first_mail_due",
            "id",
            postgresql_where=text("first_mail_due"),
            sqlite_where=text("first_mail_due"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    # How many people are expected (checked against the capacity) and a phone
    # number for the caretaker: what the case needs, nothing more.
    guests: Mapped[int | None]
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    customer_category: Mapped[str] = mapped_column(String(20), default="resident")
    # "invoice" (bank transfer, the default) or "online" (Stripe).
    payment_method: Mapped[str] = mapped_column(
        String(20), default="invoice", server_default="invoice"
    )
    origin: Mapped[str] = mapped_column(String(20), default="booking", server_default="booking")
    # The series rule as given (``{"freq", "interval", "until"|"count"}``), or None.
    recurrence: Mapped[dict | None] = mapped_column(db.JSON)
    # The dates of the series that were not booked, and why:
    # ``[{"start", "end", "reason", "label"}]`` (ISO instants in UTC).
    skipped: Mapped[list | None] = mapped_column(db.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Made by ``create_booking`` and its first mail to the applicant (received
    # or confirmed) not yet queued: ``mail.deliver`` queues it from here.
    first_mail_due: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # When the clerks' digest of new requests named it (None: not yet).
    staff_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # DSGVO: when its personal data (person, title, note) was removed.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    resource: Mapped[Resource] = relationship()
    user: Mapped[User | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    occurrences: Mapped[list[Occurrence]] = relationship(
        back_populates="booking", order_by="Occurrence.start_at", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:
        """Requested, held or confirmed: its dates hold (or wait for) the hall."""
        return self.status in CLAIMING_STATUSES

    @property
    def active_occurrences(self) -> list[Occurrence]:
        """The dates not cancelled."""
        return [occ for occ in self.occurrences if occ.cancelled_at is None]


class Occurrence(db.Model):
    """One date of a booking. ``sequence`` rises on every change (iCalendar)."""

    __tablename__ = "occurrence"
    __table_args__ = (
        CheckConstraint("start_at < end_at", name="ordered"),
        Index("ix_occurrence_resource_start", "resource_id", "start_at"),
        Index("ix_occurrence_tenant_start", "tenant_id", "start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("booking.id", ondelete="CASCADE"), index=True
    )
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why the date was cancelled, for the booker's page (a clerk's reason).
    cancel_reason: Mapped[str | None] = mapped_column(String(300))
    # A date staff refused while approving the rest of its series (it is
    # cancelled as well, so it holds no claims).
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sequence: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    booking: Mapped[Booking] = relationship(back_populates="occurrences")
    claims: Mapped[list[Claim]] = relationship(
        back_populates="occurrence", cascade="all, delete-orphan"
    )

    @property
    def status(self) -> str:
        if self.rejected_at:
            return "rejected"
        return "cancelled" if self.cancelled_at else self.booking.status


class Claim(db.Model):
    """An occurrence's hold on one leaf unit for ``[start - buffer, end + buffer)``.
    PostgreSQL: an EXCLUDE constraint over active claims (migration 0002).
    SQLite: checked under ``BEGIN IMMEDIATE`` in ``reservations.engine``."""

    __tablename__ = "claim"
    __table_args__ = (
        CheckConstraint("start_at < end_at", name="ordered"),
        Index("ix_claim_unit_start", "unit_id", "start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    occurrence_id: Mapped[int] = mapped_column(
        ForeignKey("occurrence.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("resource.id"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    occurrence: Mapped[Occurrence] = relationship(back_populates="claims")
