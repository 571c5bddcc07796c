"""The outbox: mail waiting to be composed and delivered, or sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, LargeBinary, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from booking.core import UTCDateTime, one_of, utcnow
from booking.extensions import db

# queued: waiting (again) for delivery; sent; failed: given up (a permanent
# refusal, or too many attempts) until an admin sends it again.
MAIL_STATUSES = ("queued", "sent", "failed")


class OutboxMessage(db.Model):
    """A mail waiting for (or done with) delivery. ``key`` makes queueing
    idempotent: the same notification is never queued twice. ``notify``
    queues what to write (``kind``, ``locale``, ``context``); the deliverer
    composes subject, text and attachment from it (``composed``)."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        one_of("status", MAIL_STATUSES, name="status_known"),
        # The deliverer's walk: queued mail in order, never past the sent ones.
        Index("ix_outbox_message_queue", "status", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(
        ForeignKey("tenant.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(200), unique=True)
    # Mail about a person's own account (confirmation, password reset, "you
    # already have an account"): it carries links that act for the person and
    # is never shown to any municipality's staff.
    personal: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    to_address: Mapped[str] = mapped_column(String(254))
    # What to write: the template, the recipient's language, the rows it is
    # about (by reference) and plain values, and the attachment's maker.
    # Cleared once the mail is composed.
    kind: Mapped[str | None] = mapped_column(String(60))
    locale: Mapped[str | None] = mapped_column(String(10))
    context: Mapped[dict | None] = mapped_column(JSON)
    attachment_maker: Mapped[str | None] = mapped_column(String(60))
    # What it says: empty until composed.
    subject: Mapped[str | None] = mapped_column(String(300))
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    attachment_name: Mapped[str | None] = mapped_column(String(200))
    attachment_type: Mapped[str | None] = mapped_column(String(100))
    attachment_data: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(10), default="queued", server_default="queued")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def composed(self) -> bool:
        return self.body_text is not None
