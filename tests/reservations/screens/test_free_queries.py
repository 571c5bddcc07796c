"""The free-hall search (the catalogue's view of what is busy) reads a fixed
number of times however many halls the municipality has: the claims,
closures and tree of all candidates at once, not several queries per hall.
And it still leaves out exactly what ``is_free`` leaves out."""

from __future__ import annotations

from datetime import timedelta

from booking.extensions import db
from booking.reservations import queries
from booking.resources import closures
from tests.reservations.screens.conftest import local


def free_url(tenant, day, frm="18:00", to="20:00") -> str:
    return f"/{tenant.slug}/halls/free?date={day.isoformat()}&from={frm}&to={to}"


def statements(client, count_queries, url: str) -> int:
    db.session.commit()
    with count_queries() as found:
        response = client.get(url)
    assert response.status_code == 200
    return len(found)


def test_free_search_queries_do_not_grow_with_the_halls(
    client, tenant, make_resource, book_hours, citizen, day, count_queries
):
    def add(n: int) -> None:
        for i in range(n):
            hall = make_resource(f"Halle {i}-{n}", capacity=100)
            part = make_resource(f"Teil {i}-{n}", "room", parent=hall, capacity=50)
            if i % 2:
                book_hours(citizen, part, 18, 19)

    add(1)
    make_resource("Raum frei", "room", capacity=10)
    few = statements(client, count_queries, free_url(tenant, day))
    add(19)  # 20 halls with 20 parts more, half of them booked
    many = statements(client, count_queries, free_url(tenant, day))
    assert many == few


def test_batched_search_agrees_with_is_free(tenant, make_resource, book_hours, citizen, day, admin):
    """A booked part (its hall busy, the other part free), a closed hall (its
    part closed too), a closure of everything on another day."""
    booked = make_resource("Bürgerhaus", capacity=100)
    booked_a = make_resource("Saal A", "room", parent=booked, capacity=50)
    booked_b = make_resource("Saal B", "room", parent=booked, capacity=50)
    closed = make_resource("Turnhalle", "sports_hall", capacity=300)
    closed_part = make_resource("Turnhalle Ost", "room", parent=closed, capacity=100)
    free = make_resource("Jugendraum", "room", capacity=20)
    book_hours(citizen, booked_a, 18, 20)
    closures.create_closure(
        tenant,
        admin,
        resource=closed,
        start=local(day, 0),
        end=local(day + timedelta(days=1), 0),
        reason="Renovierung",
    )
    closures.create_closure(
        tenant,
        admin,
        start=local(day + timedelta(days=2), 0),
        end=local(day + timedelta(days=3), 0),
        reason="Betriebsferien",
    )
    db.session.commit()
    everyone = [booked, booked_a, booked_b, closed, closed_part, free]
    for on, frm, to in ((day, 18, 20), (day, 20, 22), (day + timedelta(days=2), 18, 20)):
        start, end = local(on, frm), local(on, to)
        expected = {r.id for r in everyone if queries.is_free(tenant, r, start, end)}
        assert {r.id for r in queries.free_resources(tenant, start, end)} == expected
    start, end = local(day, 18), local(day, 20)
    found = {r.id for r in queries.free_resources(tenant, start, end)}
    assert found == {booked_b.id, free.id}
