"""JSON API v1: the cemetery (cemeteries; see API.md "Cemetery")."""

from booking.api.base import bp  # noqa: F401
