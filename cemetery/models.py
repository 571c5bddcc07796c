"""The cemetery register: cemeteries, sections, plots, grave types, grave
rights (Nutzungsrechte) with their holders and history, and burials.

A plot's status is never stored: it follows from its rights, its burials'
rest periods and its ``blocked`` flag (``cemetery.rules.plot_status``).
Calendar dates (death, end of a right, end of a rest period) are ``date``;
a burial's appointment is an instant, booked on the chapel and the crew
through the conflict engine (``Burial.chapel_booking_id``,
``Burial.crew_booking_id``)."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.core import UTCDateTime, one_of, utcnow
from booking.extensions import db
from booking.resources.models import Resource

BURIAL_KINDS = ("coffin", "urn")
BURIAL_STATUSES = ("requested", "confirmed", "done", "cancelled")
# Burials whose place is taken (their rest period counts).
ACTIVE_BURIAL_STATUSES = ("requested", "confirmed", "done")
RIGHT_STATUSES = ("active", "surrendered", "closed")
RIGHT_EVENT_KINDS = ("acquired", "extended", "transferred", "surrendered", "closed", "imported")
# Mon–Fri 9–15, Sat 9–12: when a burial may start by default.
DEFAULT_BURIAL_HOURS = {str(day): [[540, 900]] for day in range(5)} | {"5": [[540, 720]]}
PLOT_STATUSES = ("free", "reserved", "occupied", "rest_ended", "expired", "blocked")


class Cemetery(db.Model):
    """A Friedhof of one municipality. Its chapel (Trauerhalle) and crew are
    resources booked through the conflict engine.

    ``burial_hours``: when burials may start, ``{"0": [[540, 900]], …, "5":
    [[540, 720]]}`` — ISO weekday minus one (0 = Monday) → ``[from, to)`` in
    minutes after local midnight; a day not listed allows none. Lead times
    are working days (Mon–Fri without the state's public holidays) between
    the request's local day and the burial's. Rest periods (Ruhezeiten) in
    years; the child's apply when the deceased died before ``child_age``."""

    __tablename__ = "cemetery"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        CheckConstraint(
            "rest_years_coffin > 0 AND rest_years_urn > 0 AND rest_years_child_coffin > 0"
            " AND rest_years_child_urn > 0",
            name="rest_years_positive",
        ),
        CheckConstraint(
            "lead_days_coffin >= 0 AND lead_days_urn >= 0 AND burials_per_day > 0"
            " AND burial_minutes > 0",
            name="appointment_settings",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    chapel_resource_id: Mapped[int | None] = mapped_column(ForeignKey("resource.id"))
    crew_resource_id: Mapped[int | None] = mapped_column(ForeignKey("resource.id"))
    burial_hours: Mapped[dict] = mapped_column(
        db.JSON, default=lambda: dict(DEFAULT_BURIAL_HOURS), server_default="{}"
    )
    lead_days_coffin: Mapped[int] = mapped_column(default=3, server_default="3")
    lead_days_urn: Mapped[int] = mapped_column(default=2, server_default="2")
    burials_per_day: Mapped[int] = mapped_column(default=4, server_default="4")
    # How long the crew is needed for one burial (the grave, the procession).
    burial_minutes: Mapped[int] = mapped_column(default=60, server_default="60")
    rest_years_coffin: Mapped[int] = mapped_column(default=25, server_default="25")
    rest_years_urn: Mapped[int] = mapped_column(default=20, server_default="20")
    rest_years_child_coffin: Mapped[int] = mapped_column(default=15, server_default="15")
    rest_years_child_urn: Mapped[int] = mapped_column(default=15, server_default="15")
    child_age: Mapped[int] = mapped_column(default=10, server_default="10")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    chapel: Mapped[Resource | None] = relationship(foreign_keys=[chapel_resource_id])
    crew: Mapped[Resource | None] = relationship(foreign_keys=[crew_resource_id])
    sections: Mapped[list[Section]] = relationship(
        back_populates="cemetery", order_by="Section.name", cascade="all, delete-orphan"
    )


class GraveType(db.Model):
    """A kind of grave as the municipality's statute (Friedhofssatzung) has
    it. ``key`` names it in the API (reihengrab, wahlgrab …). Reihengräber
    (``allocated_in_order``) are handed out in plot order, not chosen;
    ``extendable``: the right can be extended (Wahlgräber), else a burial
    whose rest period would outlast it is refused; ``discloses_location``:
    the grave search may show it (never for anonymous fields)."""

    __tablename__ = "grave_type"
    __table_args__ = (
        UniqueConstraint("tenant_id", "key"),
        CheckConstraint("coffin_places >= 0 AND urn_places >= 0", name="places"),
        CheckConstraint("default_term_years > 0", name="term_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    coffin_places: Mapped[int] = mapped_column(default=1)
    urn_places: Mapped[int] = mapped_column(default=0)
    extendable: Mapped[bool] = mapped_column(Boolean, default=False)
    default_term_years: Mapped[int] = mapped_column(default=25)
    discloses_location: Mapped[bool] = mapped_column(Boolean, default=True)
    cemetery_care: Mapped[bool] = mapped_column(Boolean, default=False)
    allocated_in_order: Mapped[bool] = mapped_column(Boolean, default=False)
    for_children: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Section(db.Model):
    """A Feld or Abteilung of a cemetery; its map is drawn from its plots'
    positions."""

    __tablename__ = "cemetery_section"
    __table_args__ = (UniqueConstraint("cemetery_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    cemetery_id: Mapped[int] = mapped_column(ForeignKey("cemetery.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(40))  # "B"
    description: Mapped[str | None] = mapped_column(String(300))

    cemetery: Mapped[Cemetery] = relationship(back_populates="sections")


class Plot(db.Model):
    """A grave site ("B-04-12": section B, row 04, number 12). Position and
    size on the section map in map units (``x``, ``y``, ``width``,
    ``height``; None: not drawn). ``sort_key`` orders the allocation of
    Reihengräber (lowest first). Places come from the grave type unless the
    plot sets its own (a double Wahlgrab)."""

    __tablename__ = "plot"
    __table_args__ = (
        UniqueConstraint("cemetery_id", "code"),
        Index("ix_plot_section_sort", "section_id", "sort_key"),
        Index("ix_plot_type_sort", "cemetery_id", "grave_type_id", "sort_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    cemetery_id: Mapped[int] = mapped_column(ForeignKey("cemetery.id", ondelete="CASCADE"))
    section_id: Mapped[int | None] = mapped_column(
        ForeignKey("cemetery_section.id", ondelete="SET NULL")
    )
    grave_type_id: Mapped[int] = mapped_column(ForeignKey("grave_type.id"))
    code: Mapped[str] = mapped_column(String(40))
    row: Mapped[str | None] = mapped_column(String(20))
    number: Mapped[str | None] = mapped_column(String(20))
    sort_key: Mapped[int] = mapped_column(default=0)
    coffin_places: Mapped[int | None]
    urn_places: Mapped[int | None]
    x: Mapped[int | None]
    y: Mapped[int | None]
    width: Mapped[int | None]
    height: Mapped[int | None]
    notes: Mapped[str | None] = mapped_column(Text)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    blocked_reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cemetery: Mapped[Cemetery] = relationship()
    section: Mapped[Section | None] = relationship()
    grave_type: Mapped[GraveType] = relationship()

    @property
    def coffin_capacity(self) -> int:
        return self.grave_type.coffin_places if self.coffin_places is None else self.coffin_places

    @property
    def urn_capacity(self) -> int:
        return self.grave_type.urn_places if self.urn_places is None else self.urn_places


def contact_key(
    name: str | None, street: str | None, postcode: str | None, city: str | None
) -> str:
    """What makes two contacts the same person: name and address compared
    without case (German too: "MÜLLER" is "Müller", "WEISS" is "Weiß", as
    registers kept in capitals write it), Unicode normalised, spaces
    collapsed; hashed, so that any name fits the indexed column. Python's
    ``casefold``, because the databases' ``lower()`` differ (SQLite's knows
    only ASCII)."""
    folded = json.dumps(
        [
            " ".join(unicodedata.normalize("NFKC", part).casefold().split()) if part else ""
            for part in (name, street, postcode, city)
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(folded.encode()).hexdigest()


def _key_of_row(context) -> str:
    """``match_key``'s default: the key of the row being inserted."""
    row = context.get_current_parameters()
    return contact_key(row.get("name"), row.get("street"), row.get("postcode"), row.get("city"))


class Contact(db.Model):
    """A person the cemetery writes to: a right's holder or successor. Not
    necessarily a user; ``user_id`` links the account that sees the graves
    in the family portal. ``match_key`` (``contact_key`` of name and
    address) is computed on every insert, also a bulk or Core one (the
    column's default), and kept by the ORM on every update."""

    __tablename__ = "cemetery_contact"
    __table_args__ = (Index("ix_cemetery_contact_match", "tenant_id", "match_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    street: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    match_key: Mapped[str] = mapped_column(String(64), default=_key_of_row)

    @property
    def address_lines(self) -> list[str]:
        place = " ".join(p for p in (self.postcode, self.city) if p)
        return [line for line in (self.name, self.street, place) if line]


@event.listens_for(Contact, "before_update")
def _keep_match_key(_mapper, _connection, contact: Contact) -> None:
    contact.match_key = contact_key(contact.name, contact.street, contact.postcode, contact.city)


class GraveRight(db.Model):
    """A Nutzungsrecht on one plot: holder, term ``[start_date, end_date]``
    (both days included), certificate number (Graburkunde), a named
    successor. At most one ``active`` right per plot; ``surrendered``
    (Verzicht) and ``closed`` (the plot was cleared and handed out anew) end
    it. Its history is ``events``."""

    __tablename__ = "grave_right"
    __table_args__ = (
        one_of("status", RIGHT_STATUSES, name="status_known"),
        CheckConstraint("start_date <= end_date", name="ordered"),
        Index(
            "uq_grave_right_active_plot",
            "plot_id",
            unique=True,
            postgresql_where=text("status = 'active'"),
            sqlite_where=text("status = 'active'"),
        ),
        Index("ix_grave_right_tenant_end", "tenant_id", "end_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    plot_id: Mapped[int] = mapped_column(ForeignKey("plot.id", ondelete="CASCADE"), index=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("cemetery_contact.id"))
    successor_id: Mapped[int | None] = mapped_column(
        ForeignKey("cemetery_contact.id", ondelete="SET NULL")
    )
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    certificate_number: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="active")
    ended_on: Mapped[date | None] = mapped_column(Date)
    # When ``cemetery.right_expiry`` last wrote to the holder about its end
    # (None: not yet for this end date; an extension resets it).
    expiry_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    plot: Mapped[Plot] = relationship()
    holder: Mapped[Contact] = relationship(foreign_keys=[holder_id])
    successor: Mapped[Contact | None] = relationship(foreign_keys=[successor_id])
    events: Mapped[list[GraveRightEvent]] = relationship(
        back_populates="right", order_by="GraveRightEvent.id", cascade="all, delete-orphan"
    )


class GraveRightEvent(db.Model):
    """One step in a right's history: acquired, extended (``years``, the
    old and new end in ``details``), transferred (old and new holder),
    surrendered, closed, imported; with its invoice where it was billed."""

    __tablename__ = "grave_right_event"
    __table_args__ = (one_of("kind", RIGHT_EVENT_KINDS, name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    right_id: Mapped[int] = mapped_column(
        ForeignKey("grave_right.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    on_date: Mapped[date] = mapped_column(Date)
    years: Mapped[int | None]
    details: Mapped[dict] = mapped_column(db.JSON, default=dict)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    right: Mapped[GraveRight] = relationship(back_populates="events")


class Burial(db.Model):
    """A Bestattung: the deceased, coffin or urn, the plot and place, the
    funeral home that asked, the appointment (``start_at``; None for a past
    burial taken over from the old register), the ceremony in the chapel
    (``ceremony_minutes``, 0 = none) and the rest period's end
    (``rest_until``, the last day it runs). ``public_listing``: the
    relatives consented to the grave search showing it."""

    __tablename__ = "burial"
    __table_args__ = (
        one_of("kind", BURIAL_KINDS, name="kind_known"),
        one_of("status", BURIAL_STATUSES, name="status_known"),
        CheckConstraint("ceremony_minutes >= 0", name="ceremony_minutes"),
        CheckConstraint("place >= 1", name="place_positive"),
        Index("ix_burial_plot_rest", "plot_id", "rest_until"),
        Index("ix_burial_cemetery_date", "cemetery_id", "burial_date"),
        Index("ix_burial_cemetery_name", "cemetery_id", "deceased_name_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    cemetery_id: Mapped[int] = mapped_column(ForeignKey("cemetery.id", ondelete="CASCADE"))
    plot_id: Mapped[int] = mapped_column(ForeignKey("plot.id", ondelete="CASCADE"))
    right_id: Mapped[int | None] = mapped_column(
        ForeignKey("grave_right.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))
    place: Mapped[int] = mapped_column(default=1)
    deceased_name: Mapped[str] = mapped_column(String(200))
    # The name folded for the grave search (lower case, ß → ss, no accents).
    deceased_name_key: Mapped[str] = mapped_column(String(200))
    deceased_born: Mapped[date | None] = mapped_column(Date)
    deceased_died: Mapped[date] = mapped_column(Date)
    burial_date: Mapped[date] = mapped_column(Date)
    start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ceremony_minutes: Mapped[int] = mapped_column(default=0)
    rest_until: Mapped[date] = mapped_column(Date)
    public_listing: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="requested")
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    funeral_home_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL")
    )
    funeral_home_name: Mapped[str | None] = mapped_column(String(200))
    # Who acquires the right to a new grave when a requested burial is
    # confirmed (a funeral home's request changes no right and bills nothing).
    holder_id: Mapped[int | None] = mapped_column(
        ForeignKey("cemetery_contact.id", ondelete="SET NULL")
    )
    chapel_booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("booking.id", ondelete="SET NULL")
    )
    crew_booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("booking.id", ondelete="SET NULL")
    )
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id", ondelete="SET NULL"))
    # A clerk's counter-proposal for a requested burial (the funeral home accepts it).
    proposed_start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    cemetery: Mapped[Cemetery] = relationship()
    plot: Mapped[Plot] = relationship()
    right: Mapped[GraveRight | None] = relationship()
    holder: Mapped[Contact | None] = relationship()


class CemeteryFeeSchedule(db.Model):
    """A municipality's Friedhofsgebühren, as one JSON document validated by
    ``cemetery.fees`` (see config/cemetery_fees.example.json)."""

    __tablename__ = "cemetery_fee_schedule"

    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenant.id", ondelete="CASCADE"), primary_key=True
    )
    schedule: Mapped[dict] = mapped_column(db.JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
