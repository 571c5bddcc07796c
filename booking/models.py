"""Imports every model module so that SQLAlchemy and Alembic see all tables."""

from booking.accounts.models import (
    ApiToken,
    Membership,
    Organisation,
    OrganisationInvitation,
    OrganisationMember,
    User,
)
from booking.audit.models import AuditEntry
from booking.feeds.models import FeedCache, FeedToken
from booking.fees.models import Invoice, InvoiceCounter
from booking.jobs.models import JobRun
from booking.notifications.models import OutboxMessage
from booking.payments.models import Payment, Refund, StripeEvent
from booking.reservations.models import Booking, Claim, Occurrence
from booking.resources.models import Closure, OpeningHours, Resource, ResourceCaretaker
from booking.tenants.models import Tenant
from cemetery.models import (
    Burial,
    Cemetery,
    CemeteryFeeSchedule,
    Contact,
    GraveRight,
    GraveRightEvent,
    GraveType,
    Plot,
    Section,
)

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Booking",
    "Burial",
    "Cemetery",
    "CemeteryFeeSchedule",
    "Claim",
    "Closure",
    "Contact",
    "FeedCache",
    "FeedToken",
    "GraveRight",
    "GraveRightEvent",
    "GraveType",
    "Invoice",
    "InvoiceCounter",
    "JobRun",
    "Membership",
    "Occurrence",
    "OpeningHours",
    "Organisation",
    "OrganisationInvitation",
    "OrganisationMember",
    "OutboxMessage",
    "Payment",
    "Plot",
    "Refund",
    "Resource",
    "ResourceCaretaker",
    "Section",
    "StripeEvent",
    "Tenant",
    "User",
]
