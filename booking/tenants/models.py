"""A municipality: slug, name, time zone, state (for public holidays)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from booking.core import UTCDateTime, utcnow
from booking.extensions import db

# German states as the ``holidays`` package names them (subdivisions of DE).
STATES = (
    "BB",
    "BE",
    "BW",
    "BY",
    "HB",
    "HE",
    "HH",
    "MV",
    "NI",
    "NW",
    "RP",
    "SH",
    "SL",
    "SN",
    "ST",
    "TH",
)


class Tenant(db.Model):
    """A municipality (Kommune): owns its halls, cemeteries, staff and fee rules."""

    __tablename__ = "tenant"
    __table_args__ = (CheckConstraint("slug <> ''", name="slug_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Berlin")
    state: Mapped[str] = mapped_column(String(2), default="HE")
    contact_email: Mapped[str | None] = mapped_column(String(254))
    # Mail: the sender's display name ("Gemeinde Musterhausen") and reminders.
    mail_sender_name: Mapped[str | None] = mapped_column(String(100))
    reminder_days: Mapped[int] = mapped_column(default=3, server_default="3")
    # DSGVO: personal data of bookings is anonymised this long after their last date.
    retention_months: Mapped[int] = mapped_column(default=24, server_default="24")
    # Fees and payment: where bank transfers go, when invoices are due, how
    # long an online payment holds a slot (None: PAYMENT_HOLD_MINUTES), and
    # the municipality's own Stripe account (None: the STRIPE_* environment
    # defaults). The secret key and webhook secret are stored encrypted
    # (``payments.secrets``), never shown again once entered.
    bank_account_holder: Mapped[str | None] = mapped_column(String(200))
    iban: Mapped[str | None] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    bank_name: Mapped[str | None] = mapped_column(String(200))
    payment_due_days: Mapped[int] = mapped_column(default=14, server_default="14")
    payment_hold_minutes: Mapped[int | None]
    stripe_publishable_key: Mapped[str | None] = mapped_column(String(255))
    stripe_secret_key_encrypted: Mapped[str | None] = mapped_column(Text)
    stripe_webhook_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Tenant {self.slug}>"
