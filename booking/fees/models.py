"""Invoices (Gebührenbescheide) and their numbers.

A resource's fee rules and cancellation policy are stored on the resource
(``Resource.fee_rules``, ``Resource.cancellation_policy``: JSON in the API's
shape, always read and replaced as a whole, validated by ``fees.rules`` and
``fees.cancellation``)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.core import UTCDateTime, one_of, utcnow
from booking.extensions import db

INVOICE_STATUSES = ("open", "paid", "cancelled", "refunded", "partly_refunded")
# What an invoice bills: a hall booking, or a cemetery case (a grave right,
# its extension or transfer, a burial; the cemetery row points to it).
INVOICE_SUBJECTS = ("booking", "cemetery")


class InvoiceCounter(db.Model):
    """The last invoice number given per tenant and year. Taken under a row
    lock (``SELECT … FOR UPDATE`` on PostgreSQL, the write lock on SQLite), so
    numbers have no gap and no duplicate."""

    __tablename__ = "invoice_counter"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenant.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(primary_key=True)
    last_number: Mapped[int] = mapped_column(default=0)


class Invoice(db.Model):
    """A Gebührenbescheid: what a booking (later also a cemetery case) costs,
    its items as computed when issued, and what was paid and refunded."""

    __tablename__ = "invoice"
    __table_args__ = (
        one_of("status", INVOICE_STATUSES, name="status_known"),
        one_of("subject", INVOICE_SUBJECTS, name="subject_known"),
        UniqueConstraint("tenant_id", "year", "sequence"),
        UniqueConstraint("tenant_id", "number"),
        CheckConstraint(
            "total_cents >= 0 AND paid_cents >= 0 AND refunded_cents >= 0", name="amounts"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("booking.id", ondelete="SET NULL"), unique=True
    )
    subject: Mapped[str] = mapped_column(String(20), default="booking", server_default="booking")
    # For an invoice without a booking: whom it is addressed to (name, and
    # the address lines joined by newlines) and the account that may see and
    # pay it (a grave right's holder in the family portal).
    recipient_name: Mapped[str | None] = mapped_column(String(200))
    recipient_address: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    # "2027-00012": the year and its sequence number, without gaps.
    number: Mapped[str] = mapped_column(String(20))
    year: Mapped[int]
    sequence: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default="open")
    customer_category: Mapped[str] = mapped_column(String(20))
    # The fee's items as issued: [{"label", "amount_cents"}] (labels in German).
    items: Mapped[list] = mapped_column(db.JSON)
    total_cents: Mapped[int]
    deposit_cents: Mapped[int] = mapped_column(default=0)
    paid_cents: Mapped[int] = mapped_column(default=0)
    refunded_cents: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    issued_on: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    # Verwendungszweck for a bank transfer.
    payment_reference: Mapped[str] = mapped_column(String(40))
    # Offline payment recorded by a clerk (audited).
    paid_on: Mapped[date | None] = mapped_column(Date)
    paid_reference: Mapped[str | None] = mapped_column(String(140))
    # Dunning (Mahnstufe): the last reminder stage sent, and when.
    dunning_stage: Mapped[int] = mapped_column(default=0)
    dunned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    booking = relationship("Booking")
