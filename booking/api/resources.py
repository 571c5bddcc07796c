"""``/resources``: the municipality's halls, rooms and parts (API.md)."""

from __future__ import annotations

from typing import Any

from flask import g

from booking.api import schemas
from booking.api.base import api_user, bp, json_body, parse, requires
from booking.resources import service
from booking.resources.access import can_manage_resources
from booking.resources.models import Resource
from booking.resources.policy import policy_of


def resource_json(resource: Resource) -> dict[str, Any]:
    return {
        "id": resource.id,
        "name": resource.name,
        "kind": resource.kind,
        "capacity": resource.capacity,
        "parent_id": resource.parent_id,
        # Effective: a part of a hall that needs approval needs it too.
        "requires_approval": policy_of(resource).requires_approval,
        "bookable": resource.bookable,
    }


@bp.get("/resources")
def list_resources():
    """People with a role in the municipality see every resource; others the
    public ones (a part of an internal hall is internal too)."""
    return {"items": [resource_json(r) for r in service.visible_resources(g.tenant, api_user())]}


@bp.post("/resources")
@requires(can_manage_resources)
def create_resource():
    body = parse(schemas.CreateResource, json_body())
    resource = service.create_resource(g.tenant, api_user(), body.values())
    return resource_json(resource), 201
