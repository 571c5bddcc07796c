"""Races for one slot: threads with their own app context and connection
(both databases), and separate processes (PostgreSQL). Exactly one wins;
every other attempt is a BookingConflict, never another exception."""

from __future__ import annotations

import multiprocessing
import threading

import pytest
from sqlalchemy import func, select

from booking.accounts.models import User
from booking.extensions import db
from booking.reservations import service
from booking.reservations.errors import BookingConflict
from booking.reservations.models import Booking, Claim
from booking.resources.models import Resource
from booking.tenants.models import Tenant
from tests.conftest import TEST_DATABASE_URL
from tests.reservations.race_worker import book_once
from tests.times import at

THREADS = 16


def test_sixteen_threads_racing_for_one_slot_give_one_booking(
    app, tenant, citizen, hall_with_halves, day
):
    whole, a, b = hall_with_halves
    ids = (tenant.id, citizen.id)
    targets = [whole.id, a.id, b.id] * 6  # the whole hall and both halves fight
    start, end = at(day, "18:00"), at(day, "22:00")
    db.session.commit()  # no open transaction (SQLite: no write lock) in this thread
    barrier = threading.Barrier(THREADS)
    results: list[str] = []
    lock = threading.Lock()

    def run(resource_id: int) -> None:
        with app.app_context():
            try:
                tenant_ = db.session.get(Tenant, ids[0])
                user = db.session.get(User, ids[1])
                resource = db.session.get(Resource, resource_id)
                _ = (tenant_.timezone, user.memberships, resource.opening_hours)
                db.session.commit()
                barrier.wait(timeout=60)
                service.create_booking(tenant_, user, resource, start, end, "Rennen")
                db.session.commit()
                outcome = f"ok {resource_id}"
            except BookingConflict:
                db.session.rollback()
                outcome = "conflict"
            except Exception as error:
                db.session.rollback()
                outcome = f"error: {error!r}"
            finally:
                db.session.remove()
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=run, args=(targets[i],)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == THREADS
    errors = [r for r in results if r.startswith("error")]
    assert errors == []
    winners = [r for r in results if r.startswith("ok")]
    # Either the whole hall won alone, or both halves won (one each).
    winner_ids = sorted(int(w.split()[1]) for w in winners)
    assert winner_ids in ([whole.id], sorted([a.id, b.id])), results
    assert results.count("conflict") == THREADS - len(winners)
    claims = db.session.scalar(
        select(func.count()).select_from(Claim).where(Claim.active.is_(True))
    )
    assert claims == 2


def test_sixteen_threads_racing_for_one_room(app, tenant, citizen, make_resource, day):
    room = make_resource()
    ids = (tenant.id, citizen.id, room.id)
    start, end = at(day, "10:00"), at(day, "12:00")
    db.session.commit()
    barrier = threading.Barrier(THREADS)
    results: list[str] = []

    def run() -> None:
        with app.app_context():
            try:
                tenant_ = db.session.get(Tenant, ids[0])
                user = db.session.get(User, ids[1])
                resource = db.session.get(Resource, ids[2])
                _ = (tenant_.timezone, user.memberships, resource.opening_hours)
                db.session.commit()
                barrier.wait(timeout=60)
                service.create_booking(tenant_, user, resource, start, end, "Rennen")
                db.session.commit()
                results.append("ok")
            except BookingConflict:
                db.session.rollback()
                results.append("conflict")
            except Exception as error:
                db.session.rollback()
                results.append(f"error: {error!r}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(results) == ["conflict"] * (THREADS - 1) + ["ok"]
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1


@pytest.mark.postgres_only
def test_two_processes_racing_for_one_slot_give_one_booking(
    database, app, tenant, citizen, make_resource, day
):
    room = make_resource()
    args = (
        TEST_DATABASE_URL,
        tenant.id,
        citizen.id,
        room.id,
        at(day, "18:00").isoformat(),
        at(day, "20:00").isoformat(),
    )
    db.session.commit()
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    results = context.Queue()
    workers = [context.Process(target=book_once, args=(*args, barrier, results)) for _ in range(2)]
    for worker in workers:
        worker.start()
    outcomes = sorted(results.get(timeout=180) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
    assert outcomes == ["conflict", "ok"]
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1
