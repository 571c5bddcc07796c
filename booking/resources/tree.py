"""The tree of a municipality's resources in one place: a hall, its halves,
their parts.

Conflicts are checked on *units*, the leaf resources: booking a hall with
halves A and B claims A and B, booking half A claims A only. Every resource
sharing a unit with another is *related* to it (its ancestors, itself and its
descendants): their closures and bookings concern each other.

Two ways in, one walk (``_up``, ``_down``):

* ids — ``load(tenant_id)`` reads the tenant's ``(id, parent_id)`` pairs in
  one light query (a few dozen rows) into a ``Tree``; ``family``,
  ``families``, ``leaf_unit_ids`` and ``related_resource_ids`` answer from it.
  This is the conflict engine's hot path.
* objects — ``ancestors``, ``descendants``, ``root_of`` and ``depth`` follow
  the loaded relationships of one ``Resource``; ``ordered`` and ``with_parts``
  load a tenant's resources at once for the screens.

Nothing here knows about bookings: a change of the tree while bookings are
to come is refused by ``resources.service``, which asks the checks
registered with ``guard_structure`` (the conflict engine registers its own).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import bindparam, select

from booking.extensions import db
from booking.resources.models import Resource
from booking.tenants.models import Tenant
from booking.tenants.service import scoped

N = TypeVar("N", bound=Hashable)


# --- the walk ------------------------------------------------------------------------


def _up(node: N, parent_of: Callable[[N], N | None]) -> list[N]:
    """Parent, grandparent … of ``node``, nearest first (a cycle ends it)."""
    chain: list[N] = []
    seen = {node}
    parent = parent_of(node)
    while parent is not None and parent not in seen:
        chain.append(parent)
        seen.add(parent)
        parent = parent_of(parent)
    return chain


def _down(node: N, children_of: Callable[[N], Sequence[N]]) -> list[N]:
    """Every node below ``node``, depth first, each followed by its own
    (children in the order ``children_of`` gives them); a cycle ends it."""
    found: list[N] = []
    seen = {node}
    stack = list(reversed(children_of(node)))
    while stack:
        child = stack.pop()
        if child in seen:
            continue
        seen.add(child)
        found.append(child)
        stack.extend(reversed(children_of(child)))
    return found


# --- ids: the conflict engine's view ----------------------------------------------------


@dataclass(frozen=True)
class Family:
    """Where a resource sits in its tenant's tree: the leaf ``units`` a
    booking of it claims, and every resource ``related`` to it by sharing a
    unit (its ancestors, itself and its descendants)."""

    units: list[int]
    related: set[int]


class Tree:
    """A tenant's resources as ``parents`` and ``children`` maps over ids."""

    def __init__(self, pairs: Iterable[tuple[int, int | None]]):
        self.parents: dict[int, int | None] = {}
        self.children: dict[int, list[int]] = {}
        for rid, parent_id in pairs:
            self.parents[rid] = parent_id
            if parent_id is not None:
                self.children.setdefault(parent_id, []).append(rid)

    def ancestors(self, rid: int) -> list[int]:
        return _up(rid, self.parents.get)

    def descendants(self, rid: int) -> list[int]:
        return _down(rid, lambda node: self.children.get(node, ()))

    def family(self, rid: int) -> Family:
        below = [rid, *self.descendants(rid)]
        units = sorted(node for node in below if node not in self.children)
        return Family(units, {*below, *self.ancestors(rid)})


_PAIRS = select(Resource.id, Resource.parent_id).where(Resource.tenant_id == bindparam("tenant_id"))


def load(tenant_id: int) -> Tree:
    """The tenant's tree of ids: one query."""
    return Tree(db.session.execute(_PAIRS, {"tenant_id": tenant_id}))


def family(resource: Resource) -> Family:
    """One query over the tenant's resources."""
    return load(resource.tenant_id).family(resource.id)


def families(tenant_id: int, resource_ids: Iterable[int]) -> dict[int, Family]:
    """``family`` of several resources of one tenant, with one query."""
    tree = load(tenant_id)
    return {rid: tree.family(rid) for rid in set(resource_ids)}


def leaf_unit_ids(resource: Resource) -> list[int]:
    """The leaf resources a booking of ``resource`` occupies (itself if a leaf)."""
    return family(resource).units


def related_resource_ids(resource: Resource) -> set[int]:
    """Every resource sharing a unit with ``resource``."""
    return family(resource).related


# --- objects: the screens' view ------------------------------------------------------


def ancestors(resource: Resource) -> list[Resource]:
    """Parent, grandparent … (nearest first)."""
    return _up(resource, lambda node: node.parent)


def descendants(resource: Resource) -> list[Resource]:
    """Its parts, their parts …"""
    return _down(resource, lambda node: node.children)


def root_of(resource: Resource) -> Resource:
    chain = ancestors(resource)
    return chain[-1] if chain else resource


def full_name(resource: Resource) -> str:
    """A part named with its hall: "Bürgerhaus – Saal A"."""
    return " – ".join(r.name for r in reversed([resource, *ancestors(resource)]))


def depth(resource: Resource) -> int:
    return len(ancestors(resource))


def _by_parent(tenant: Tenant) -> dict[int | None, list[Resource]]:
    """Every resource of the municipality by ``parent_id`` (None: top level),
    each list by name: one query, so walking the tree costs no query per node."""
    children: dict[int | None, list[Resource]] = {}
    for resource in db.session.scalars(scoped(Resource, tenant).order_by(Resource.name)):
        children.setdefault(resource.parent_id, []).append(resource)
    return children


def ordered(tenant: Tenant) -> list[Resource]:
    """All resources of the municipality, each top-level one followed by its
    parts (and theirs), by name: the order of every list on the screens."""
    children = _by_parent(tenant)

    def parts(node: Resource) -> list[Resource]:
        return sorted(children.get(node.id, ()), key=lambda r: r.name)

    return [r for top in children.get(None, ()) for r in (top, *_down(top, parts))]


def with_parts(tenant: Tenant, resource_ids: Iterable[int]) -> list[Resource]:
    """The resources ``resource_ids`` and all their parts, by name."""
    children = _by_parent(tenant)
    wanted = set(resource_ids)
    found: dict[int, Resource] = {}
    for resource in (r for rs in children.values() for r in rs if r.id in wanted):
        for node in (resource, *_down(resource, lambda n: children.get(n.id, ()))):
            found[node.id] = node
    return sorted(found.values(), key=lambda r: (r.name, r.id))


# --- changing the tree ------------------------------------------------------------------

StructureGuard = Callable[[Sequence[int], datetime], bool]
_guards: list[StructureGuard] = []


def guard_structure(check: StructureGuard) -> StructureGuard:
    """Register ``check(resource_ids, now)``: True when those resources have
    bookings to come, so the tree around them must not change (their claims
    would no longer match the units). Usable as a decorator."""
    if check not in _guards:
        _guards.append(check)
    return check


def in_use(resource_ids: Sequence[int], now: datetime) -> bool:
    """Whether any registered check finds bookings to come on the resources.
    Without one (the conflict engine not loaded) nobody could tell: an error,
    not a silent yes to a change."""
    if not _guards:
        raise RuntimeError("no structure guard registered (booking.reservations.engine)")
    return any(check(resource_ids, now) for check in _guards)
