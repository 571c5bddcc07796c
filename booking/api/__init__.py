"""JSON API v1 (see shared API.md). Each module adds its routes to ``bp``."""

from booking.api import (
    bookings,  # noqa: F401
    burials,  # noqa: F401
    busy,  # noqa: F401
    cemeteries,  # noqa: F401
    feeds,  # noqa: F401
    fees,  # noqa: F401
    grave_search,  # noqa: F401
    invoices,  # noqa: F401
    me,  # noqa: F401  (registers routes on bp)
    resources,  # noqa: F401
)
from booking.api.base import bp

__all__ = ["bp"]
