"""The demo municipality (``flask demo seed``) charges fees from the example
schedule: the house a day's rent, the club's training in the sports hall free."""

from __future__ import annotations

from sqlalchemy import select

from booking.extensions import db
from booking.fees import service as fees
from booking.fees.schedule import load_schedule
from booking.reservations.models import Booking
from booking.resources.models import Resource
from booking.tenants.models import Tenant


def resource(name: str) -> Resource:
    return db.session.scalar(select(Resource).where(Resource.name == name))


def test_demo_halls_get_the_example_rules_of_their_kind(runner):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    schedule = load_schedule()
    for name in ("Dorfgemeinschaftshaus", "Saal A", "Sporthalle", "Mehrzweckraum"):
        hall = resource(name)
        assert fees.rules_of(hall) == schedule.for_kind(hall.kind).rules, name
        assert fees.cancellation_policy_of(hall) == schedule.for_kind(hall.kind).cancellation
    tenant = db.session.scalar(select(Tenant))
    bookings = list(db.session.scalars(select(Booking)))
    training = [
        b for b in bookings if b.resource_id == resource("Sporthalle").id and b.organisation_id
    ]
    assert training and all(b.customer_category == "local_club" for b in training)
    assert all(fees.booking_fee(tenant, b).amount_cents == 0 for b in training)
    charged = [b for b in bookings if fees.booking_fee(tenant, b).amount_cents > 0]
    assert charged  # the demo shows fees
