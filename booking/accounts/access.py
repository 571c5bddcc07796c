"""Access checks for web views: the signed-in person, staff, role_required."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort, g
from flask_login import current_user, login_required

from booking.accounts.models import STAFF_ROLES, User


def current_actor() -> User:
    """The signed-in user itself (not Flask-Login's proxy), for the services."""
    return current_user._get_current_object()


def is_staff() -> bool:
    """Signed in and staff (admin, clerk) of the URL's tenant."""
    return current_user.is_authenticated and current_user.has_role(g.tenant.id, *STAFF_ROLES)


def role_required(*roles: str) -> Callable:
    """Signed in and holding one of ``roles`` in the URL's tenant, else 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(g.tenant.id, *roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
