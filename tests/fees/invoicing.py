"""Building blocks for the invoice tests: a hall with fees (15,00 € per hour
for residents, 30,00 € cleaning, 100,00 € deposit) and a cancellation policy
(free until 14 days before, 50 % until 3 days, then 100 %), and bookings of
it through the reservations service."""

from __future__ import annotations

from datetime import date, timedelta

from booking.extensions import db
from booking.fees.invoices import invoice_of
from booking.fees.models import Invoice
from booking.reservations import service
from tests.times import at

RULES = [
    {
        "category": "resident",
        "unit": "hour",
        "amount_cents": 1500,
        "cleaning_cents": 3000,
        "deposit_cents": 10000,
    },
    {"category": "local_club", "unit": "booking", "amount_cents": 0, "free": True},
]
POLICY = [
    {"days_before": 14, "percent": 0},
    {"days_before": 3, "percent": 50},
    {"days_before": 0, "percent": 100},
]
# 18:00–22:00: 4 h × 15,00 € + 30,00 € cleaning.
FEE_CENTS = 4 * 1500 + 3000
DEPOSIT_CENTS = 10000


def make_paid_hall(make_resource):
    """The hall with fees and a policy (each test module's ``paid_hall``)."""
    hall = make_resource("Bürgerhaus", capacity=100)
    hall.fee_rules = RULES
    hall.cancellation_policy = POLICY
    db.session.commit()
    return hall


def book(tenant, user, hall, day: date, *, weeks: int = 0, now=None, **kwargs):
    """A booking of ``hall`` 18:00–22:00 on ``day`` (weekly ``weeks`` more)."""
    recurrence = None
    if weeks:
        recurrence = {"freq": "weekly", "count": weeks + 1}
    result = service.create_booking(
        tenant,
        user,
        hall,
        at(day, "18:00"),
        at(day, "22:00"),
        "Geburtstag",
        recurrence=recurrence,
        now=now,
        **kwargs,
    )
    return result.booking


def invoice(booking) -> Invoice:
    found = invoice_of(booking)
    assert found is not None
    return found


def days_before(day: date, days: int, clock: str = "10:00"):
    return at(day - timedelta(days=days), clock)


def items_sum(inv: Invoice) -> int:
    return sum(item["amount_cents"] for item in inv.items)
