"""JSON API v1: the cemetery (burials; see API.md "Cemetery")."""

from booking.api.base import bp  # noqa: F401
