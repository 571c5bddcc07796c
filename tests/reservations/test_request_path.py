"""The request-like path of a booking (``bench/peer_libres.py``): tenant, user
and resource reloaded after every commit, as a request loads them. A booking
costs a fixed, small number of statements, and what its rules read in one
statement (``availability.rule_inputs``) is read afresh every time: a new
closure or new opening hours apply to the very next booking."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, inspect, select

from booking.core import ValidationFailed, utcnow
from booking.extensions import db
from booking.notifications.models import OutboxMessage
from booking.notifications.service import compose_pending, queue_mail
from booking.reservations import notifications, service
from booking.reservations.errors import BookingConflict
from booking.reservations.models import Booking, Claim, Occurrence
from booking.resources import service as resources
from booking.resources.availability import rule_inputs
from booking.resources.models import Closure
from tests.times import at

# Statements of one confirmed single booking with everything expired, the
# commit included. PostgreSQL: tenant, user, resource, the rules' inputs,
# booking + date + claims (one statement, no savepoint); its confirmation is
# queued and composed by mail.deliver, from the booking. SQLite: BEGIN
# IMMEDIATE, the same reads, the conflict query, the booking, its date and
# its claims.
STATEMENTS = {"postgresql": 5, "sqlite": 9}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_one_booking_costs_a_fixed_number_of_statements(
    app, tenant, citizen, make_resource, day, count_queries
):
    room = make_resource("Raum", hours={d: ("08:00", "22:00") for d in range(7)})
    service.create_booking(tenant, citizen, room, at(day, "08:00"), at(day, "09:00"), "Warm")
    db.session.commit()  # tenant, user and resource expired, as for a new request
    with count_queries() as statements:
        service.create_booking(tenant, citizen, room, at(day, "10:00"), at(day, "11:00"), "Probe")
        db.session.commit()
    dialect = db.engine.dialect.name
    shown = "\n".join(" ".join(s.split())[:120] for s in statements)
    assert len(statements) <= STATEMENTS[dialect], shown
    assert not any("outbox_message" in s for s in statements), shown
    assert count(Booking) == 2
    assert count(OutboxMessage) == 0
    compose_pending(utcnow())  # mail.deliver
    assert count(OutboxMessage) == 2


def test_a_series_costs_about_the_statements_of_a_single_booking(
    app, tenant, citizen, make_resource, day, count_queries
):
    room = make_resource("Raum", hours={d: ("08:00", "22:00") for d in range(7)})
    db.session.commit()
    with count_queries() as statements:
        result = service.create_booking(
            tenant,
            citizen,
            room,
            at(day, "18:00"),
            at(day, "20:00"),
            "Chor",
            recurrence={"freq": "weekly", "interval": 1, "count": 20},
        )
        db.session.commit()
    assert len(result.booking.occurrences) == 20
    assert count(Claim) == 20
    dialect = db.engine.dialect.name
    # SQLite inserts the dates one by one (RETURNING in order); in process,
    # so no round trips. PostgreSQL: one statement for all of them, inside a
    # SAVEPOINT (a series' claims can deadlock with a rival's).
    extra = 19 if dialect == "sqlite" else 2
    shown = "\n".join(" ".join(s.split())[:100] for s in statements)
    assert len(statements) <= STATEMENTS[dialect] + extra, shown


def test_a_new_closure_applies_to_the_next_booking(app, tenant, citizen, clerk, make_resource, day):
    room = make_resource("Raum")
    service.create_booking(tenant, citizen, room, at(day, "10:00"), at(day, "11:00"), "Erste")
    db.session.commit()
    db.session.add(
        Closure(
            tenant_id=tenant.id,
            resource_id=room.id,
            start_at=at(day, "12:00"),
            end_at=at(day, "18:00"),
            reason="Bodenpflege",
            created_at=utcnow(),
        )
    )
    db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        service.create_booking(tenant, citizen, room, at(day, "13:00"), at(day, "14:00"), "Zweite")
    db.session.rollback()
    assert caught.value.details["violations"][0]["rule"] == "closure"
    # A closure of the whole municipality (no resource) too.
    db.session.add(
        Closure(
            tenant_id=tenant.id,
            start_at=at(day, "19:00"),
            end_at=at(day, "21:00"),
            reason="Wahl",
            created_at=utcnow(),
        )
    )
    db.session.commit()
    with pytest.raises(ValidationFailed):
        service.create_booking(tenant, citizen, room, at(day, "19:30"), at(day, "20:00"), "Dritte")
    db.session.rollback()
    assert count(Booking) == 1


def test_new_opening_hours_apply_to_the_next_booking(
    app, tenant, citizen, make_resource, hall_with_halves, day
):
    room = make_resource("Raum")
    service.create_booking(tenant, citizen, room, at(day, "07:00"), at(day, "08:00"), "Früh")
    db.session.commit()
    resources.set_opening_hours(tenant, None, room, [(d, 9 * 60, 17 * 60) for d in range(7)])
    db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        service.create_booking(tenant, citizen, room, at(day, "08:00"), at(day, "09:00"), "Zu früh")
    db.session.rollback()
    assert "geöffnet" in str(caught.value.fields["start"][0])
    service.create_booking(tenant, citizen, room, at(day, "09:00"), at(day, "10:00"), "Passt")
    db.session.commit()
    # A part keeps its hall's hours: hours set on the hall refuse a booking of
    # the part from the next booking on.
    whole, a, _b = hall_with_halves
    service.create_booking(tenant, citizen, a, at(day, "06:00"), at(day, "07:00"), "Früh")
    db.session.commit()
    resources.set_opening_hours(tenant, None, whole, [(d, 8 * 60, 20 * 60) for d in range(7)])
    db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        service.create_booking(tenant, citizen, a, at(day, "07:00"), at(day, "08:00"), "Zu früh")
    db.session.rollback()
    assert whole.name in str(caught.value.fields["start"][0])


def test_a_new_part_is_claimed_by_the_next_booking_of_its_hall(
    app, tenant, citizen, make_resource, day
):
    hall = make_resource("Halle")
    other = make_resource("Nebenan")
    service.create_booking(tenant, citizen, other, at(day, "08:00"), at(day, "09:00"), "Vorher")
    db.session.commit()
    part = make_resource("Teil", "room", parent=hall)  # (the tree is frozen once it is booked)
    result = service.create_booking(
        tenant, citizen, hall, at(day, "10:00"), at(day, "11:00"), "Nachher"
    )
    db.session.commit()
    units = db.session.scalars(
        select(Claim.unit_id).where(Claim.occurrence_id == result.booking.occurrences[0].id)
    ).all()
    assert units == [part.id]


def test_a_lost_slot_leaves_nothing_behind(app, tenant, citizen, other_citizen, make_resource, day):
    """PostgreSQL: the exclusion constraint refuses the claim of the one
    statement that writes booking, dates and claims, and the booking is
    deleted again with its dates; SQLite: the conflict query refuses first.
    The same 409 either way, and the transaction goes on."""
    room = make_resource("Raum", buffer_after_min=30)
    won = service.create_booking(
        tenant, citizen, room, at(day, "10:00"), at(day, "12:00"), "Zuerst"
    ).booking
    db.session.commit()
    before = (count(Booking), count(Occurrence), count(Claim), count(OutboxMessage))
    with pytest.raises(BookingConflict) as caught:
        service.create_booking(
            tenant, other_citizen, room, at(day, "12:15"), at(day, "13:00"), "Zu spät"
        )
    assert [item.occurrence_id for item in caught.value.conflicts] == [won.occurrences[0].id]
    # A caller that catches the conflict and commits keeps nothing of it.
    db.session.commit()
    assert (count(Booking), count(Occurrence), count(Claim), count(OutboxMessage)) == before
    # The slot after the buffer is free.
    service.create_booking(
        tenant, other_citizen, room, at(day, "12:30"), at(day, "13:00"), "Danach"
    )
    db.session.commit()
    assert count(Booking) == 2


def test_a_mail_is_queued_once_per_key(app, tenant, citizen, make_resource, day):
    first = queue_mail("probe:1", citizen.email, "Betreff", "Text", tenant=tenant)
    again = queue_mail("probe:1", citizen.email, "Anders", "Anders", tenant=tenant)
    db.session.commit()
    assert again.id == first.id
    assert again.subject == "Betreff"
    # Nothing is looked up before queueing: the key decides.
    booking = service.create_booking(
        tenant, citizen, make_resource("Raum"), at(day, "10:00"), at(day, "11:00"), "Probe"
    ).booking
    db.session.commit()
    compose_pending(utcnow())
    queued = count(OutboxMessage)
    notifications.booking_created(tenant, booking)
    notifications.booking_created(tenant, booking)
    db.session.commit()
    assert count(OutboxMessage) == queued == 2


def test_the_claims_carry_the_buffers(app, tenant, citizen, make_resource, day):
    """Buffers on both sides are added by the database for the claims: the
    claim holds exactly the booking's period widened by them."""
    room = make_resource("Raum", buffer_before_min=15, buffer_after_min=45)
    result = service.create_booking(
        tenant, citizen, room, at(day, "10:00"), at(day, "11:00"), "Puffer"
    )
    db.session.commit()
    claim = db.session.scalars(
        select(Claim).where(Claim.occurrence_id == result.booking.occurrences[0].id)
    ).one()
    assert (claim.start_at, claim.end_at) == (
        at(day, "10:00") - timedelta(minutes=15),
        at(day, "11:00") + timedelta(minutes=45),
    )


def _flat(statement: str) -> str:
    return " ".join(statement.split())


def test_a_signed_in_page_reads_tenant_account_and_roles_in_one_statement(
    app, client, login, tenant, citizen, make_resource, day, count_queries
):
    """A request loads the URL's tenant, the signed-in person and their
    roles together; Flask-Login's loader takes that account (and still
    checks its session version: a password change signs out elsewhere,
    tested with accounts)."""
    booking = service.create_booking(
        tenant, citizen, make_resource("Raum"), at(day, "10:00"), at(day, "11:00"), "Probe"
    ).booking
    db.session.commit()
    url = f"/{tenant.slug}/bookings/{booking.id}"
    login(citizen)
    db.session.expunge_all()  # nothing loaded, as at the start of a request
    with count_queries() as statements:
        response = client.get(url)
    assert response.status_code == 200
    shown = "\n".join(_flat(s)[:160] for s in statements)
    joined = [s for s in statements if "FROM tenant LEFT OUTER JOIN user_account" in s]
    assert len(joined) == 1, shown
    assert not any(_flat(s).startswith("SELECT user_account.id") for s in statements)
    tenants = [s for s in statements if _flat(s).startswith("SELECT tenant.id")]
    assert tenants == joined, shown
    # The roles (the menu asks them) came along too.
    assert not any(_flat(s).startswith("SELECT membership") for s in statements)
    assert "Verwaltung" not in response.get_data(as_text=True)  # a citizen's menu


def test_an_account_loaded_with_the_tenant_still_ends_with_its_session_version(
    app, client, login, tenant, citizen
):
    """The account that comes with the tenant goes through the same check:
    once the session version moved on (a password change elsewhere), the
    old session is signed out on a tenant page too."""
    login(citizen)
    url = f"/{tenant.slug}/bookings/mine"
    assert client.get(url).status_code == 200
    citizen.session_version += 1
    db.session.commit()
    db.session.expunge_all()
    response = client.get(url)
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_the_rules_read_the_resource_family_not_the_whole_tree(
    app, tenant, make_resource, hall_with_halves, day
):
    """``rule_inputs`` reads the halls above and the parts below the resource,
    never the municipality's other resources: its rows grow with the hall."""
    for n in range(5):
        make_resource(f"Anderswo {n}")
    whole, a, b = hall_with_halves
    corner = make_resource("Ecke", "room", parent=a)
    start, end = at(day, "10:00"), at(day, "11:00")
    assert set(rule_inputs(tenant, whole, start, end).tree.parents) == {
        whole.id,
        a.id,
        b.id,
        corner.id,
    }
    inputs = rule_inputs(tenant, a, start, end)
    assert inputs.tree.parents == {a.id: whole.id, whole.id: whole.parent_id, corner.id: a.id}
    assert inputs.tree.family(a.id).units == [corner.id]
    assert inputs.tree.family(a.id).related == {whole.id, a.id, corner.id}
    assert set(rule_inputs(tenant, corner, start, end).tree.parents) == {corner.id, a.id, whole.id}


def test_a_page_naming_a_resource_reads_it_with_the_tenant(
    app, client, login, tenant, make_tenant, citizen, make_resource, count_queries
):
    """``/halls/<resource_id>/…``: tenant, account, roles and the resource in
    one statement; the view finds the resource in the session. Anonymous
    too, and a resource of another municipality is still not found."""
    room = make_resource("Raum")
    foreign = make_resource("Fremd", of_tenant=make_tenant("anderswo"))
    book, week = f"/{tenant.slug}/halls/{room.id}/book", f"/{tenant.slug}/halls/{room.id}/week"
    elsewhere = f"/{tenant.slug}/halls/{foreign.id}"
    too_big = f"/{tenant.slug}/halls/{2**40}/book"
    login(citizen)
    db.session.expunge_all()  # nothing loaded, as at the start of a request
    with count_queries() as statements:
        response = client.get(book)
    assert response.status_code == 200
    shown = "\n".join(_flat(s)[:200] for s in statements)
    joined = [s for s in statements if "LEFT OUTER JOIN resource" in s]
    assert len(joined) == 1 and "LEFT OUTER JOIN user_account" in joined[0], shown
    assert not any(
        _flat(s).startswith("SELECT resource.id") and "WHERE resource.id =" in _flat(s)
        for s in statements
    ), shown
    db.session.expunge_all()
    assert client.get(f"{elsewhere}/book").status_code == 404
    assert client.get(too_big).status_code == 404
    client.post("/account/logout")
    db.session.expunge_all()
    with count_queries() as statements:
        response = client.get(week)
    assert response.status_code == 200
    assert sum("LEFT OUTER JOIN resource" in s for s in statements) == 1
    db.session.expunge_all()
    assert client.get(f"{elsewhere}/week").status_code == 404


@pytest.mark.postgres_only
def test_the_objects_of_a_new_booking_are_what_the_database_holds(
    app, tenant, citizen, make_resource, day
):
    """PostgreSQL builds the new booking and its dates from the values it
    sent (the statement returns only ids): every column must equal what a
    fresh read gives, time zones included."""
    room = make_resource("Raum", buffer_before_min=15)
    berlin = ZoneInfo("Europe/Berlin")
    made = [
        service.create_booking(
            tenant, citizen, room, at(day, "08:00"), at(day, "09:00"), "Einfach"
        ).booking,
        service.create_booking(
            tenant,
            citizen,
            room,
            at(day, "18:00").astimezone(berlin),
            at(day, "20:00").astimezone(berlin),
            "Chor „Ü“",
            recurrence={"freq": "weekly", "interval": 2, "count": 3},
            note="Mit Klavier",
            guests=40,
            contact_phone="+49 30 123",
            now=utcnow().astimezone(berlin),
        ).booking,
    ]
    built = [
        {
            obj: {attr.key: getattr(obj, attr.key) for attr in type(obj).__mapper__.column_attrs}
            for obj in (booking, *booking.occurrences)
        }
        for booking in made
    ]
    # Built as loaded: in the session, identified, with nothing to write.
    for obj in built[0] | built[1]:
        state = inspect(obj)
        assert state.persistent and not state.modified
    assert not db.session.dirty
    db.session.commit()
    db.session.expire_all()
    for values in built:
        for obj, columns in values.items():
            fresh = {key: getattr(obj, key) for key in columns}
            assert fresh == columns
            assert [v.tzinfo for v in fresh.values() if isinstance(v, datetime)] == [
                v.tzinfo for v in columns.values() if isinstance(v, datetime)
            ]
    assert [len(b.occurrences) for b in made] == [1, 3]
