"""``GET /me``: the token's user and their roles in this tenant."""

from flask import g

from booking.api.base import api_user, bp


@bp.get("/me")
def me():
    user = api_user()
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "locale": user.locale,
        "tenant": g.tenant.slug,
        "roles": sorted(user.roles_in(g.tenant.id)),
    }
