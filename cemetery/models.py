"""Cemeteries (the cemetery issue adds sections, plots, grave rights and burials)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.core import UTCDateTime, utcnow
from booking.extensions import db
from booking.resources.models import Resource


class Cemetery(db.Model):
    """A Friedhof of one municipality. Its chapel (Trauerhalle) and crew are
    resources booked through the conflict engine."""

    __tablename__ = "cemetery"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    chapel_resource_id: Mapped[int | None] = mapped_column(ForeignKey("resource.id"))
    crew_resource_id: Mapped[int | None] = mapped_column(ForeignKey("resource.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    chapel: Mapped[Resource | None] = relationship(foreign_keys=[chapel_resource_id])
    crew: Mapped[Resource | None] = relationship(foreign_keys=[crew_resource_id])
