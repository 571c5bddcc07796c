"""The grave types every municipality starts with (API.md keys), seeded
when a tenant is created; admins may change their settings and add more."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from booking.extensions import db
from booking.tenants.models import Tenant
from cemetery.models import GraveType

# key, German name, coffin places, urn places, extendable, default term
# (years), location disclosed, cared for by the cemetery, allocated in
# order (Reihengrab), for children. Migration 0011 holds a frozen copy.
DEFAULT_GRAVE_TYPES: tuple[tuple[Any, ...], ...] = (
    ("reihengrab", "Reihengrab", 1, 0, False, 25, True, False, True, False),
    ("wahlgrab", "Wahlgrab", 2, 4, True, 30, True, False, False, False),
    ("urnenreihengrab", "Urnenreihengrab", 0, 1, False, 20, True, False, True, False),
    ("urnenwahlgrab", "Urnenwahlgrab", 0, 4, True, 25, True, False, False, False),
    ("rasengrab", "Rasengrab", 1, 0, False, 25, True, True, True, False),
    ("baumgrab", "Baumgrab", 0, 1, True, 20, True, True, False, False),
    ("urnenfeld_anonym", "Anonymes Urnenfeld", 0, 1, False, 20, False, True, True, False),
    ("kindergrab", "Kindergrab", 1, 1, False, 15, True, False, True, True),
)
FIELDS = (
    "key",
    "name",
    "coffin_places",
    "urn_places",
    "extendable",
    "default_term_years",
    "discloses_location",
    "cemetery_care",
    "allocated_in_order",
    "for_children",
)


def seed_grave_types(tenant: Tenant) -> list[GraveType]:
    """Add the default grave types ``tenant`` does not have yet (by key)."""
    have = set(db.session.scalars(select(GraveType.key).where(GraveType.tenant_id == tenant.id)))
    added = [
        GraveType(tenant_id=tenant.id, **dict(zip(FIELDS, row, strict=True)))
        for row in DEFAULT_GRAVE_TYPES
        if row[0] not in have
    ]
    db.session.add_all(added)
    db.session.flush()
    return added
