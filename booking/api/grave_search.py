"""JSON API v1: the cemetery (grave_search; see API.md "Cemetery")."""

from booking.api.base import bp  # noqa: F401
