"""Limits counted by hand where a route decorator cannot express them (what a
request leads to, not the request itself), in Flask-Limiter's storage with
its strategy, so several processes share the counts (Redis)."""

from __future__ import annotations

import limits

from booking.extensions import limiter


def allow(limit: str, key: str) -> bool:
    """Count one for ``key``; False once ``limit`` (e.g. "5/hour") is used up."""
    if not limiter.enabled:
        return True
    return limiter.limiter.hit(limits.parse(limit), key)
