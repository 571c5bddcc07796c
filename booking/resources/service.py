"""Halls, rooms and their parts, opening hours, caretakers and visibility:
the rules, no request (who may: ``resources.access``, closures:
``resources.closures``, walking the tree of parts: ``resources.tree``).
``actor=None`` means the system itself (CLI, demo seed, other services
acting on a user's behalf after their own access check)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from itertools import pairwise
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from booking.accounts.models import Membership, User
from booking.audit import service as audit
from booking.core import (
    ADDRESS_MAX,
    LONG_TEXT_MAX,
    NAME_MAX,
    NotFound,
    ValidationFailed,
    too_long,
    utcnow,
)
from booking.extensions import db
from booking.resources.access import (
    can_manage_resources,
    can_see_resource,
    is_hidden,
    require,
    require_manage,
    sees_internal_resources,
)
from booking.resources.models import (
    RESOURCE_KINDS,
    OpeningHours,
    Resource,
    ResourceCaretaker,
)
from booking.resources.tree import ancestors, descendants, in_use, root_of, with_parts
from booking.tenants.models import Tenant
from booking.tenants.service import get_scoped, in_tenant, is_key, scoped

MINUTES_PER_DAY = 1440

# Every settable field with its kind of value; the API accepts exactly these.
TEXT_FIELDS = ("name", "kind", "address", "description", "accessibility", "key_handover")
BOOL_FIELDS = ("bookable", "public", "requires_approval", "request_blocks", "observe_holidays")
INT_FIELDS = (
    "capacity",
    "parent_id",
    "buffer_before_min",
    "buffer_after_min",
    "min_notice_hours",
    "max_advance_days",
    "min_duration_min",
    "max_duration_min",
)
FIELDS = TEXT_FIELDS + BOOL_FIELDS + INT_FIELDS
# Integers that may be empty (None); the others default to 0.
NULLABLE_INTS = (
    "capacity",
    "parent_id",
    "max_advance_days",
    "min_duration_min",
    "max_duration_min",
)
# Upper bounds keep values sane (and inside a 32-bit integer column).
INT_LIMITS = {
    "capacity": (1, 100_000),
    "buffer_before_min": (0, MINUTES_PER_DAY),
    "buffer_after_min": (0, MINUTES_PER_DAY),
    "min_notice_hours": (0, 24 * 366),
    "max_advance_days": (0, 366 * 10),
    "min_duration_min": (1, MINUTES_PER_DAY * 366),
    "max_duration_min": (1, MINUTES_PER_DAY * 366),
}
TEXT_LIMITS = {
    "name": NAME_MAX,
    "address": ADDRESS_MAX,
    "description": LONG_TEXT_MAX,
    "accessibility": LONG_TEXT_MAX,
    "key_handover": LONG_TEXT_MAX,
}
DEFAULTS: dict[str, Any] = {
    "capacity": None,
    "parent_id": None,
    "address": None,
    "description": None,
    "accessibility": None,
    "key_handover": None,
    "bookable": True,
    "public": True,
    "requires_approval": False,
    "request_blocks": True,
    "observe_holidays": True,
    "buffer_before_min": 0,
    "buffer_after_min": 0,
    "min_notice_hours": 0,
    "max_advance_days": None,
    "min_duration_min": None,
    "max_duration_min": None,
}


# --- visibility ----------------------------------------------------------------------


def visible_resource(tenant: Tenant, user: User | None, resource_id: object) -> Resource:
    """The resource if this person may see it, else ``NotFound`` (the same
    answer as for a resource that does not exist)."""
    resource = get_scoped(Resource, tenant, resource_id)
    if not can_see_resource(user, tenant, resource):
        raise NotFound(_l("Nicht gefunden."))
    return resource


def visible_resources(tenant: Tenant, user: User | None) -> list[Resource]:
    """Every resource this person may see, by name. The whole tree is loaded
    at once, so the parent checks need no further queries."""
    everything = list(
        db.session.scalars(scoped(Resource, tenant).order_by(Resource.name, Resource.id))
    )
    if sees_internal_resources(user, tenant):
        return everything
    return [resource for resource in everything if not is_hidden(resource)]


# --- validation ----------------------------------------------------------------------


def _check_int(name: str, value: int, errors: dict[str, list]) -> None:
    """An integer's range (``INT_LIMITS``)."""
    low, high = INT_LIMITS.get(name, (1, 2**31 - 1))
    if value < low:
        errors[name] = [_l("Mindestens 1.") if low == 1 else _l("Darf nicht negativ sein.")]
    elif value > high:
        errors[name] = [_l("Höchstens %(n)d.", n=high)]


def _check_values(
    tenant: Tenant, values: dict[str, Any], resource: Resource | None
) -> dict[str, list]:
    """The rules on the complete set of values; returns the errors. Values
    arrive typed (the API's schema parses JSON, the forms their fields), so
    only a missing value is refused where the column needs one."""
    errors: dict[str, list] = {}
    for name in BOOL_FIELDS:
        if values.get(name) is None:
            errors[name] = [_l("Bitte ja oder nein (true/false) angeben.")]
    for name in INT_FIELDS:
        if name not in NULLABLE_INTS and values.get(name) is None:
            errors[name] = [_l("Bitte eine ganze Zahl angeben.")]
    for name in TEXT_FIELDS:
        if values.get(name) is not None:
            value = values[name].strip()
            values[name] = value if value or name in ("name", "kind") else None
            if name in TEXT_LIMITS and len(value) > TEXT_LIMITS[name]:
                errors[name] = [too_long(TEXT_LIMITS[name])]
    if "name" not in errors and not values.get("name"):
        errors["name"] = [_l("Bitte einen Namen angeben.")]
    if "kind" not in errors and values.get("kind") not in RESOURCE_KINDS:
        errors["kind"] = [_l("Eine von: %(kinds)s", kinds=", ".join(RESOURCE_KINDS))]
    for name in INT_FIELDS:
        if name != "parent_id" and name not in errors and values.get(name) is not None:
            _check_int(name, values[name], errors)
    low, high = values.get("min_duration_min"), values.get("max_duration_min")
    if (
        "min_duration_min" not in errors
        and "max_duration_min" not in errors
        and low is not None
        and high is not None
        and low > high
    ):
        errors["max_duration_min"] = [
            _l("Die Höchstdauer darf nicht kürzer als die Mindestdauer sein.")
        ]

    name = values.get("name")
    if "name" not in errors and name:
        clash = select(Resource.id).where(
            in_tenant(Resource, tenant), func.lower(Resource.name) == name.lower()
        )
        if resource is not None:
            clash = clash.where(Resource.id != resource.id)
        if db.session.scalar(clash.limit(1)) is not None:
            errors["name"] = [_l("Eine Ressource mit diesem Namen gibt es schon.")]

    parent_id = values.get("parent_id")
    if parent_id is not None and "parent_id" not in errors:
        parent = db.session.get(Resource, parent_id) if is_key(parent_id) else None
        if parent is None or parent.tenant_id != tenant.id:
            # Another municipality's resource looks exactly like a missing one.
            errors["parent_id"] = [_l("Diese übergeordnete Ressource gibt es nicht.")]
        elif resource is not None and (parent.id == resource.id or resource in ancestors(parent)):
            errors["parent_id"] = [
                _l("Eine Ressource kann nicht Teil von sich selbst oder ihren Teilen sein.")
            ]
    return errors


def _snapshot(resource: Resource) -> dict[str, Any]:
    return {name: getattr(resource, name) for name in FIELDS}


def _check_structure_change(
    resource: Resource | None, new_parent_id: int | None, now: datetime
) -> None:
    """Moving a part (or adding one) changes which units a booking of the
    hall claims. Claims already written would then be wrong, so the tree of
    parts is frozen while it has bookings to come."""
    old_parent = resource.parent if resource is not None else None
    if resource is not None and (old_parent.id if old_parent else None) == new_parent_id:
        return
    trees: list[Resource] = []
    if resource is not None:
        trees.append(root_of(resource))
    if new_parent_id is not None:
        new_parent = db.session.get(Resource, new_parent_id)
        if new_parent is not None:
            trees.append(root_of(new_parent))
    # Every resource of the trees, not only today's leaves: a leaf that becomes
    # a parent stops being a unit, so its own claims count too.
    units = [r.id for tree in trees for r in (tree, *descendants(tree))]
    if in_use(units, now):
        raise ValidationFailed(
            _l("Die Aufteilung kann nicht geändert werden, solange noch Buchungen anstehen."),
            {
                "parent_id": [
                    _l(
                        "Für diese Halle oder ihre Teile gibt es kommende Buchungen; "
                        "bitte erst diese stornieren oder eine neue Ressource anlegen."
                    )
                ]
            },
        )


def _checked_values(
    tenant: Tenant,
    resource: Resource | None,
    base: Mapping[str, Any],
    changes: Mapping[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """``base`` with ``changes`` applied, checked: 422 for unknown fields, bad
    values, or a change of the tree of parts while bookings are to come."""
    errors = {key: [_l("Unbekanntes Feld.")] for key in changes if key not in FIELDS}
    values = {**base, **{k: v for k, v in changes.items() if k in FIELDS}}
    errors.update(_check_values(tenant, values, resource))
    if errors:
        raise ValidationFailed(_l("Die Angaben zur Ressource sind ungültig."), errors)
    _check_structure_change(resource, values["parent_id"], now)
    return values


def create_resource(
    tenant: Tenant,
    actor: User | None,
    data: Mapping[str, Any] | None = None,
    *,
    now: datetime | None = None,
    **fields: Any,
) -> Resource:
    """A new hall, room, part (``parent_id``), chapel, crew or equipment from
    ``data`` (e.g. a JSON body, values unchecked) and/or keyword ``fields``:
    any of ``FIELDS``; ``name`` and ``kind`` are required."""
    require(can_manage_resources(actor, tenant), actor)
    now = now or utcnow()
    values = _checked_values(tenant, None, DEFAULTS, {**(data or {}), **fields}, now)
    parent_id = values.pop("parent_id")
    resource = Resource(tenant_id=tenant.id, created_at=now, **values)
    resource.parent = db.session.get(Resource, parent_id) if parent_id is not None else None
    db.session.add(resource)
    db.session.flush()
    audit.record(tenant, actor, "resource.create", resource, after=_snapshot(resource), now=now)
    return resource


def update_resource(
    tenant: Tenant,
    actor: User | None,
    resource: Resource,
    data: Mapping[str, Any] | None = None,
    *,
    now: datetime | None = None,
    **fields: Any,
) -> Resource:
    """Change any of ``FIELDS`` (from ``data`` and/or keyword ``fields``);
    fields not given stay as they are."""
    require_manage(tenant, actor, resource)
    now = now or utcnow()
    before = _snapshot(resource)
    values = _checked_values(tenant, resource, before, {**(data or {}), **fields}, now)
    parent_id = values.pop("parent_id")
    for name, value in values.items():
        setattr(resource, name, value)
    if resource.parent_id != parent_id:
        # Through the relationship, so both sides (``children``) stay in step.
        resource.parent = db.session.get(Resource, parent_id) if parent_id is not None else None
    db.session.flush()
    after = _snapshot(resource)
    if any(after[name] != before[name] for name in ("name", "address")):
        _renamed(tenant, resource, now)
    if after != before:
        audit.record(
            tenant,
            actor,
            "resource.update",
            resource,
            before={k: v for k, v in before.items() if after[k] != v},
            after={k: v for k, v in after.items() if before[k] != v},
            now=now,
        )
    return resource


def _renamed(tenant: Tenant, resource: Resource, now: datetime) -> None:
    """The name or address of ``resource`` changed: the LOCATION of its own
    and its parts' dates in the calendar feeds' window changes, so their
    SEQUENCE rises (one bulk UPDATE)."""
    from datetime import timedelta

    from booking.feeds.render import DAYS_BACK
    from booking.reservations.models import Occurrence

    ids = [resource.id, *(part.id for part in descendants(resource))]
    db.session.execute(
        update(Occurrence)
        .where(
            Occurrence.tenant_id == tenant.id,
            Occurrence.resource_id.in_(ids),
            Occurrence.end_at > now - timedelta(days=DAYS_BACK),
        )
        .values(sequence=Occurrence.sequence + 1, updated_at=now)
        .execution_options(synchronize_session="fetch")
    )


def get_resource(tenant: Tenant, resource_id: object) -> Resource:
    """This municipality's resource, or ``NotFound`` (also for another's)."""
    return get_scoped(Resource, tenant, resource_id)


def names_of(tenant: Tenant, resource_ids: Iterable[int]) -> dict[int, str]:
    """``{id: name}`` of this municipality's resources among ``resource_ids``,
    in one query (ids of another municipality are left out)."""
    ids = sorted(set(resource_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(Resource.id, Resource.name).where(in_tenant(Resource, tenant), Resource.id.in_(ids))
    )
    return {rid: name for rid, name in rows}


def public_resources(
    tenant: Tenant, kind: str | None = None, min_capacity: int | None = None
) -> list[Resource]:
    """The public catalogue: public, bookable top-level resources, optionally
    of one kind and with at least ``min_capacity`` places."""
    query = scoped(Resource, tenant).where(
        Resource.parent_id.is_(None), Resource.public.is_(True), Resource.bookable.is_(True)
    )
    if kind:
        query = query.where(Resource.kind == kind)
    if min_capacity is not None:
        query = query.where(Resource.capacity >= min_capacity)
    query = query.options(selectinload(Resource.children))  # public_parts of each
    return list(db.session.scalars(query.order_by(Resource.name)))


def public_parts(resource: Resource) -> list[Resource]:
    return sorted((r for r in resource.children if r.public and r.bookable), key=lambda r: r.name)


def resources_for_caretaker(tenant: Tenant, user: User) -> list[Resource]:
    """The resources a caretaker looks after: those assigned and their parts."""
    assigned = set(
        db.session.scalars(
            select(ResourceCaretaker.resource_id).where(ResourceCaretaker.user_id == user.id)
        )
    )
    return with_parts(tenant, assigned)


# --- opening hours -------------------------------------------------------------------


def set_opening_hours(
    tenant: Tenant,
    actor: User | None,
    resource: Resource,
    rows: Iterable[tuple[int, int, int]],
    now: datetime | None = None,
) -> list[OpeningHours]:
    """Replace the opening hours with ``rows`` of ``(weekday, opens_min,
    closes_min)``: weekday 0 = Monday, minutes after local midnight, closing
    1440 = midnight. No rows: open around the clock."""
    require_manage(tenant, actor, resource)
    rows = list(rows)
    errors: dict[str, list] = {}
    clean: list[tuple[int, int, int]] = []
    for row in rows:
        try:
            weekday, opens, closes = row
        except (TypeError, ValueError):
            errors.setdefault("hours", []).append(_l("Ungültige Zeile."))
            continue
        if not all(
            isinstance(v, int) and not isinstance(v, bool) for v in (weekday, opens, closes)
        ):
            errors.setdefault("hours", []).append(_l("Ungültige Zeile."))
            continue
        key = f"day_{weekday}" if 0 <= weekday <= 6 else "hours"
        if not 0 <= weekday <= 6:
            errors.setdefault(key, []).append(_l("Wochentag 0 (Montag) bis 6 (Sonntag)."))
        elif not 0 <= opens < closes <= MINUTES_PER_DAY:
            errors.setdefault(key, []).append(
                _l("Die Öffnungszeit muss vor der Schließzeit am selben Tag liegen.")
            )
        else:
            clean.append((weekday, opens, closes))
    clean.sort()
    for (day_a, _open_a, close_a), (day_b, open_b, _close_b) in pairwise(clean):
        if day_a == day_b and open_b < close_a:
            errors.setdefault(f"day_{day_a}", []).append(
                _l("Die Zeiten an diesem Tag überschneiden sich.")
            )
    if errors:
        raise ValidationFailed(_l("Die Öffnungszeiten sind ungültig."), errors)
    before = [(h.weekday, h.opens_min, h.closes_min) for h in resource.opening_hours]
    resource.opening_hours.clear()
    db.session.flush()
    for weekday, opens, closes in clean:
        resource.opening_hours.append(
            OpeningHours(weekday=weekday, opens_min=opens, closes_min=closes)
        )
    db.session.flush()
    if before != clean:
        audit.record(
            tenant,
            actor,
            "resource.opening_hours",
            resource,
            before={"hours": [list(r) for r in before]},
            after={"hours": [list(r) for r in clean]},
            now=now,
        )
    return list(resource.opening_hours)


# --- caretakers --------------------------------------------------------------------------


def caretakers_of(resource: Resource) -> list[User]:
    ids = [c.user_id for c in resource.caretakers]
    if not ids:
        return []
    return list(
        db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.name, User.email))
    )


def add_caretaker(
    tenant: Tenant,
    actor: User | None,
    resource: Resource,
    user: User,
    now: datetime | None = None,
) -> ResourceCaretaker:
    require_manage(tenant, actor, resource)
    holds_role = db.session.scalar(
        select(Membership.id).where(
            in_tenant(Membership, tenant),
            Membership.user_id == user.id,
            Membership.role == "caretaker",
        )
    )
    if holds_role is None:
        raise ValidationFailed(
            _l("Nur Personen mit der Rolle Hausmeister können zugeordnet werden."),
            {"user_id": [_l("Diese Person hat hier nicht die Rolle Hausmeister.")]},
        )
    for existing in resource.caretakers:
        if existing.user_id == user.id:
            return existing
    link = ResourceCaretaker(user_id=user.id)
    resource.caretakers.append(link)
    db.session.flush()
    audit.record(
        tenant, actor, "resource.caretaker_add", resource, after={"user_id": user.id}, now=now
    )
    return link


def remove_caretaker(
    tenant: Tenant,
    actor: User | None,
    resource: Resource,
    user_id: int,
    now: datetime | None = None,
) -> None:
    require_manage(tenant, actor, resource)
    link = next((c for c in resource.caretakers if c.user_id == user_id), None)
    if link is None:
        raise NotFound(_l("Diese Person ist hier nicht zugeordnet."))
    resource.caretakers.remove(link)
    db.session.flush()
    audit.record(
        tenant, actor, "resource.caretaker_remove", resource, before={"user_id": user_id}, now=now
    )
