"""Access checks for web views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort, g
from flask_login import current_user, login_required


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
