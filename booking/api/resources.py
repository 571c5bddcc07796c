"""``/resources``: the municipality's halls, rooms and parts (API.md)."""

from __future__ import annotations

from typing import Any

from flask import g

from booking.api.base import api_user, bp, json_body, require_role
from booking.extensions import db
from booking.resources import service
from booking.resources.models import Resource
from booking.tenants.service import scoped


def resource_json(resource: Resource) -> dict[str, Any]:
    return {
        "id": resource.id,
        "name": resource.name,
        "kind": resource.kind,
        "capacity": resource.capacity,
        "parent_id": resource.parent_id,
        "requires_approval": resource.requires_approval,
        "bookable": resource.bookable,
    }


@bp.get("/resources")
def list_resources():
    """Staff of the municipality see every resource; others the public ones."""
    query = scoped(Resource, g.tenant).order_by(Resource.name, Resource.id)
    if not api_user().roles_in(g.tenant.id):
        query = query.where(Resource.public.is_(True))
    return {"items": [resource_json(r) for r in db.session.scalars(query)]}


@bp.post("/resources")
@require_role("admin")
def create_resource():
    body = json_body()
    resource = service.create_resource(g.tenant, api_user(), body)
    return resource_json(resource), 201
