from sqlalchemy import func, select

from booking.accounts.models import User
from booking.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_demo_resources
from booking.extensions import db
from booking.resources import service as resources
from booking.resources import tree
from booking.tenants.models import Tenant


def test_demo_seed_creates_the_municipality_and_prints_working_accounts(runner, client):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    for email, _name, _role in DEMO_ACCOUNTS:
        assert email in result.output
    assert client.get("/musterhausen/").status_code == 200
    response = client.post(
        "/account/login", data={"email": DEMO_ACCOUNTS[0][0], "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302


def test_demo_seed_twice_adds_nothing_and_still_prints_the_accounts(runner):
    runner.invoke(args=["demo", "seed"])
    users = db.session.scalar(select(func.count()).select_from(User))
    result = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert result.exit_code == 0
    assert DEMO_ACCOUNTS[0][0] in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == users


def test_demo_seed_if_empty_leaves_a_real_installation_alone(runner, make_tenant):
    make_tenant("musterstadt")
    result = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert result.exit_code == 0
    assert db.session.scalar(select(Tenant.slug).where(Tenant.slug == "musterhausen")) is None


def test_demo_has_bookings_a_pending_request_and_a_cemetery(runner):
    from booking.reservations.models import Booking
    from cemetery.models import Cemetery

    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    statuses = sorted(db.session.scalars(select(Booking.status)))
    assert statuses == ["confirmed", "confirmed", "confirmed", "requested"]
    assert db.session.scalar(select(Cemetery.name)) == "Friedhof Musterhausen"


def test_seed_demo_resources(tenant, make_user):
    caretaker = make_user(tenant=tenant, roles=("caretaker",))
    seeded = seed_demo_resources(tenant, caretaker)
    dgh = seeded["Dorfgemeinschaftshaus"]
    a, b = seeded["Saal A"], seeded["Saal B"]
    assert tree.leaf_unit_ids(dgh) == [a.id, b.id]
    assert (dgh.capacity, a.capacity, b.capacity) == (120, 60, 60)
    assert dgh.buffer_after_min == a.buffer_after_min == 30
    assert [(h.weekday, h.opens_min, h.closes_min) for h in dgh.opening_hours] == [
        (day, 480, 1440) for day in range(7)
    ]
    assert seeded["Sporthalle"].requires_approval
    assert seeded["Mehrzweckraum"].capacity == 40
    assert resources.resources_for_caretaker(tenant, caretaker) == [dgh, a, b]
