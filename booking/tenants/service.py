"""Creating municipalities and scoping every query to one of them."""

from __future__ import annotations

import re
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, select

from booking.core import NotFound, ValidationFailed
from booking.extensions import db
from booking.tenants.models import STATES, Tenant
from cemetery.grave_types import seed_grave_types

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
# First path segments the application uses itself.
RESERVED_SLUGS = {"account", "static", "api", "admin", "lang", "health", "favicon.ico"}

M = TypeVar("M")
MAX_KEY = 2**31 - 1  # primary keys are 32-bit integers


def validate_tenant_fields(slug: str, name: str, timezone: str, state: str) -> None:
    errors: dict[str, list[str]] = {}
    if not SLUG_RE.match(slug) or slug in RESERVED_SLUGS:
        errors["slug"] = [
            _l(
                "Kürzel: 2–63 Zeichen, nur Kleinbuchstaben, Ziffern und Bindestrich, "
                "nicht reserviert (account, static, api, admin, lang)."
            )
        ]
    if not name.strip():
        errors["name"] = [_l("Der Name darf nicht leer sein.")]
    try:
        if timezone not in available_timezones():
            raise ZoneInfoNotFoundError(timezone)
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = [_l("Unbekannte Zeitzone: %(tz)s (z. B. Europe/Berlin).", tz=timezone)]
    if state not in STATES:
        errors["state"] = [
            _l(
                "Unbekanntes Bundesland: %(state)s (eines von %(all)s).",
                state=state,
                all=", ".join(STATES),
            )
        ]
    if errors:
        raise ValidationFailed(_l("Die Angaben zur Kommune sind ungültig."), errors)


def create_tenant(
    slug: str, name: str, timezone: str = "Europe/Berlin", state: str = "HE"
) -> Tenant:
    slug = slug.strip().lower()
    validate_tenant_fields(slug, name, timezone, state)
    if db.session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None:
        raise ValidationFailed(
            _l("Das Kürzel ist vergeben."), {"slug": [_l("%(slug)s gibt es schon.", slug=slug)]}
        )
    tenant = Tenant(slug=slug, name=name.strip(), timezone=timezone, state=state)
    db.session.add(tenant)
    db.session.flush()
    seed_grave_types(tenant)
    return tenant


def get_tenant_by_slug(slug: str) -> Tenant | None:
    return db.session.scalar(select(Tenant).where(Tenant.slug == slug))


def get_tenant_by_id(tenant_id: int) -> Tenant | None:
    return db.session.get(Tenant, tenant_id)


def list_tenants() -> list[Tenant]:
    return list(db.session.scalars(select(Tenant).order_by(Tenant.name)))


def in_tenant(model: type[Any], tenant: Tenant) -> ColumnElement[bool]:
    """The condition "this row belongs to ``tenant``", for queries that select
    columns, counts or joins. Every query of a tenant-owned table has it (or
    goes through ``scoped``/``get_scoped``)."""
    return model.tenant_id == tenant.id


def scoped(model: type[M], tenant: Tenant) -> Select:
    """``select(model)`` limited to one municipality's rows: the way to query
    a tenant-owned table."""
    return select(model).where(in_tenant(model, tenant))


def is_key(value: object) -> bool:
    """A possible primary key. PostgreSQL answers an integer past 32 bits with
    an error rather than "not found", so those never reach a query."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_KEY


def get_scoped(model: type[M], tenant: Tenant, object_id: object) -> M:
    """The object of this tenant with that id, or ``NotFound`` (also for an
    object of another tenant: never reveal that it exists)."""
    try:
        key = int(object_id)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise NotFound(_l("Nicht gefunden.")) from None
    if not is_key(key):
        raise NotFound(_l("Nicht gefunden."))
    obj = db.session.get(model, key)
    if obj is None or obj.tenant_id != tenant.id:  # type: ignore[attr-defined]
        raise NotFound(_l("Nicht gefunden."))
    return obj
