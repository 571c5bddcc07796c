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
from booking.jobs.models import JobRun
from booking.notifications.models import OutboxMessage
from booking.reservations.models import Booking, Claim, Occurrence
from booking.resources.models import Closure, OpeningHours, Resource, ResourceCaretaker
from booking.tenants.models import Tenant
from cemetery.models import Cemetery

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Booking",
    "Cemetery",
    "Claim",
    "Closure",
    "FeedCache",
    "FeedToken",
    "JobRun",
    "Membership",
    "Occurrence",
    "OpeningHours",
    "Organisation",
    "OrganisationInvitation",
    "OrganisationMember",
    "OutboxMessage",
    "Resource",
    "ResourceCaretaker",
    "Tenant",
    "User",
]
