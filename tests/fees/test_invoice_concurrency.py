"""Invoice numbers under concurrency: sixteen threads, each with its own
connection, create bookings with fees in one municipality at once. The
numbers are 1..N without gap or duplicate; bookings rolled back after
taking a number give it back (the counter is in their transaction)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from booking.accounts.models import User
from booking.extensions import db
from booking.fees.models import Invoice, InvoiceCounter
from booking.reservations import service
from booking.resources.models import Resource
from booking.tenants.models import Tenant
from tests.fees.invoicing import make_paid_hall
from tests.times import at


@pytest.fixture
def paid_hall(make_resource):
    return make_paid_hall(make_resource)


THREADS = 16
ROLLED_BACK = {3, 7, 11, 15}  # these threads roll back after booking


def test_sixteen_threads_get_gapless_unique_numbers(app, tenant, citizen, paid_hall, day):
    ids = (tenant.id, citizen.id, paid_hall.id)
    db.session.commit()
    barrier = threading.Barrier(THREADS)
    results: list[str] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        start = at(day + timedelta(days=index), "18:00")
        with app.app_context():
            try:
                tenant_ = db.session.get(Tenant, ids[0])
                user = db.session.get(User, ids[1])
                hall = db.session.get(Resource, ids[2])
                _ = (tenant_.timezone, user.memberships, hall.opening_hours, hall.fee_rules)
                db.session.commit()
                barrier.wait(timeout=60)
                service.create_booking(
                    tenant_, user, hall, start, start + timedelta(hours=4), f"Feier {index}"
                )
                if index in ROLLED_BACK:
                    db.session.rollback()
                    outcome = "rolled back"
                else:
                    db.session.commit()
                    outcome = "ok"
            except Exception as error:
                db.session.rollback()
                outcome = f"error: {error!r}"
            finally:
                db.session.remove()
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert [r for r in results if r.startswith("error")] == []
    kept = THREADS - len(ROLLED_BACK)
    assert results.count("ok") == kept
    rows = db.session.execute(select(Invoice.sequence, Invoice.number, Invoice.year)).all()
    assert sorted(seq for seq, _n, _y in rows) == list(range(1, kept + 1))
    assert len({number for _s, number, _y in rows}) == kept
    assert all(number == f"{year}-{seq:05d}" for seq, number, year in rows)
    counter = db.session.scalar(
        select(InvoiceCounter.last_number).where(InvoiceCounter.tenant_id == tenant.id)
    )
    assert counter == kept
