"""Smoke test of an installation's database (after a restore, a migration,
a move to new hosts). Writes nothing.

    .venv/bin/python tools/smoke.py DATABASE_URL

Checks, printing one line each and exiting non-zero at the first failure:
the health check (database reachable, migrations current); every
municipality's start page and hall catalogue answer 200; on PostgreSQL the
claims' exclusion constraint is in force (an overlapping copy of an active
claim is refused; rolled back). Prints the number of municipalities,
bookings, active claims, plots and burials."""

from __future__ import annotations

import sys

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    from booking import create_app
    from booking.extensions import db
    from booking.reservations.models import Booking, Claim
    from booking.tenants.models import Tenant
    from cemetery.models import Burial, Plot

    app = create_app(
        {"DATABASE_URL": argv[1], "SERVER_NAME": "localhost", "RATELIMIT_ENABLED": False}
    )
    client = app.test_client()
    health = client.get("/healthz")
    if health.status_code != 200:
        print(f"FAIL health check: {health.status_code} {health.get_json()}")
        return 1
    print(f"ok   health check: {health.get_json()}")
    with app.app_context():
        slugs = list(db.session.scalars(select(Tenant.slug).order_by(Tenant.slug)))
        counts = {
            "municipalities": len(slugs),
            "bookings": db.session.scalar(select(func.count()).select_from(Booking)),
            "active claims": db.session.scalar(
                select(func.count()).select_from(Claim).where(Claim.active.is_(True))
            ),
            "plots": db.session.scalar(select(func.count()).select_from(Plot)),
            "burials": db.session.scalar(select(func.count()).select_from(Burial)),
        }
        print("ok   " + ", ".join(f"{value:,} {name}" for name, value in counts.items()))
        claim = db.session.scalars(select(Claim).where(Claim.active.is_(True)).limit(1)).first()
        if db.engine.dialect.name == "postgresql" and claim is not None:
            twin = Claim(
                tenant_id=claim.tenant_id,
                occurrence_id=claim.occurrence_id,
                unit_id=claim.unit_id,
                start_at=claim.start_at,
                end_at=claim.end_at,
                active=True,
            )
            try:
                with db.session.begin_nested():
                    db.session.add(twin)
                    db.session.flush()
            except IntegrityError:
                print("ok   overlapping claims are refused (exclusion constraint)")
            else:
                print("FAIL an overlapping claim was accepted: the exclusion constraint is missing")
                return 1
            finally:
                db.session.rollback()
    for slug in slugs:
        for path in (f"/{slug}/", f"/{slug}/halls/"):
            status = client.get(path).status_code
            if status != 200:
                print(f"FAIL GET {path}: {status}")
                return 1
    print(f"ok   start page and hall catalogue of {len(slugs)} municipalities")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
