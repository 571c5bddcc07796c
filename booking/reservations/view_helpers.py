"""View helpers shared by the booking screens and the clerk's screens."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import g

from booking.reservations.errors import ConflictItem
from booking.resources import service as resources


def conflict_view(
    conflicts: Sequence[ConflictItem], names: dict[int, str] | None = None
) -> list[dict[str, Any]]:
    """Distinct conflicting periods with the name of the taken resource
    (``names``: from ``resources.names_of``, when the caller has them)."""
    if names is None:
        names = resources.names_of(g.tenant, (c.resource_id for c in conflicts))
    seen = set()
    items = []
    for item in conflicts:
        key = (item.start, item.end, item.resource_id)
        if key in seen:
            continue
        seen.add(key)
        items.append(
            {
                "start": item.start,
                "end": item.end,
                "resource_name": names.get(item.resource_id, ""),
            }
        )
    return items
