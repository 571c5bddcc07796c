"""A separate process that tries to book one slot (spawned by the
concurrency test; it must be importable, so it lives in its own module)."""

from __future__ import annotations

from datetime import datetime


def book_once(url, tenant_id, user_id, resource_id, start, end, barrier, results) -> None:
    from booking.accounts.models import User
    from booking.extensions import db
    from booking.reservations import service
    from booking.reservations.errors import BookingConflict
    from booking.resources.models import Resource
    from booking.tenants.models import Tenant
    from tests.conftest import make_app

    app = make_app(url, LOG_LEVEL="WARNING")
    with app.app_context():
        try:
            tenant = db.session.get(Tenant, tenant_id)
            user = db.session.get(User, user_id)
            resource = db.session.get(Resource, resource_id)
            # Read everything the service needs before the start signal.
            _ = (tenant.timezone, user.memberships, resource.opening_hours)
            db.session.commit()
            barrier.wait(timeout=120)
            service.create_booking(
                tenant,
                user,
                resource,
                datetime.fromisoformat(start),
                datetime.fromisoformat(end),
                "Rennen",
            )
            db.session.commit()
            results.put("ok")
        except BookingConflict:
            db.session.rollback()
            results.put("conflict")
        except Exception as error:  # reported to the test, which fails on it
            db.session.rollback()
            results.put(f"error: {error!r}")
        finally:
            db.session.remove()
            db.engine.dispose()
