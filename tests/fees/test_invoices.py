"""Invoices follow bookings: issued with a gapless number when a booking
costs something, cancelled on rejection, corrected on cancellation by the
policy (items stay, a correction item is added), payments and refunds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.fees import invoices
from booking.fees.models import Invoice, InvoiceCounter
from booking.fees.pricing import Fee, FeeItem
from booking.reservations import decisions, service
from tests.fees.invoicing import (
    DEPOSIT_CENTS,
    FEE_CENTS,
    book,
    days_before,
    invoice,
    items_sum,
    make_paid_hall,
)
from tests.times import at


@pytest.fixture
def paid_hall(make_resource):
    return make_paid_hall(make_resource)


def test_a_booking_with_a_fee_gets_an_open_invoice(app, tenant, citizen, paid_hall, day):
    issued = day - timedelta(days=30)
    booking = book(tenant, citizen, paid_hall, day, now=at(issued, "09:00"))
    db.session.commit()
    inv = invoice(booking)
    assert inv.number == f"{issued.year}-00001"
    assert (inv.year, inv.sequence) == (issued.year, 1)
    assert inv.status == "open"
    assert inv.total_cents == FEE_CENTS
    assert inv.deposit_cents == DEPOSIT_CENTS
    assert items_sum(inv) == inv.total_cents
    labels = [item["label"] for item in inv.items]
    assert labels[0].startswith("Nutzungsentgelt")
    assert "Reinigungspauschale" in labels
    assert inv.issued_on == issued
    assert inv.due_date == issued + timedelta(days=14)  # payment_due_days
    assert inv.number in inv.payment_reference
    assert str(booking.id) in inv.payment_reference
    assert inv.customer_category == "resident"


def test_due_days_of_the_tenant(app, tenant, citizen, paid_hall, day):
    tenant.payment_due_days = 30
    db.session.commit()
    issued = day - timedelta(days=30)
    inv = invoice(book(tenant, citizen, paid_hall, day, now=at(issued, "09:00")))
    assert inv.due_date == issued + timedelta(days=30)


def test_a_free_booking_has_no_invoice(app, tenant, citizen, make_resource, day):
    hall = make_resource("Gratis")
    booking = book(tenant, citizen, hall, day)
    db.session.commit()
    assert invoices.invoice_of(booking) is None
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 0


def test_a_free_category_has_no_invoice(app, tenant, citizen, make_resource, day):
    hall = make_resource("Vereinsheim")
    hall.fee_rules = [{"category": "resident", "unit": "booking", "amount_cents": 0, "free": True}]
    db.session.commit()
    booking = book(tenant, citizen, hall, day)
    db.session.commit()
    assert invoices.invoice_of(booking) is None


def test_numbers_count_up_per_tenant_and_local_year(
    app, tenant, citizen, make_tenant, make_resource, day
):
    hall = make_resource("Gratis")
    other = make_tenant("andersdorf", name="Andersdorf")
    elsewhere_hall = make_resource("Halle", of_tenant=other)
    fee = Fee(amount_cents=5000, items=(FeeItem(kind="usage", count=1, each_cents=5000),))
    # 31 Dec 23:30 UTC is already 1 January in Musterhausen.
    late = datetime(2026, 12, 31, 22, 30, tzinfo=UTC)
    newyear = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    numbers = []
    for when in (late, late, newyear):
        booking = book(tenant, citizen, hall, day + timedelta(days=len(numbers)))
        numbers.append(invoices.issue_invoice(tenant, booking, fee, when))
    booking = book(other, citizen, elsewhere_hall, day)
    elsewhere = invoices.issue_invoice(other, booking, fee, late)
    db.session.commit()
    assert [i.number for i in numbers] == ["2026-00001", "2026-00002", "2027-00001"]
    assert numbers[2].issued_on == date(2027, 1, 1)
    assert numbers[2].due_date == date(2027, 1, 15)
    assert elsewhere.number == "2026-00001"
    counters = db.session.execute(
        select(InvoiceCounter.tenant_id, InvoiceCounter.year, InvoiceCounter.last_number)
    ).all()
    assert sorted(counters) == sorted(
        [(tenant.id, 2026, 2), (tenant.id, 2027, 1), (other.id, 2026, 1)]
    )


def test_a_rolled_back_booking_gives_its_number_back(app, tenant, citizen, paid_hall, day):
    first = invoice(book(tenant, citizen, paid_hall, day)).number
    db.session.commit()
    book(tenant, citizen, paid_hall, day + timedelta(days=1))
    db.session.rollback()
    again = invoice(book(tenant, citizen, paid_hall, day + timedelta(days=2)))
    db.session.commit()
    assert first.endswith("-00001")
    assert again.number.endswith("-00002")


def test_next_number_is_gapless(app, tenant):
    numbers = [invoices.next_number(tenant, 2028) for _ in range(3)]
    assert numbers == [(1, "2028-00001"), (2, "2028-00002"), (3, "2028-00003")]


def test_payments_mark_it_paid_once_fee_and_deposit_are_covered(
    app, tenant, citizen, paid_hall, day
):
    inv = invoice(book(tenant, citizen, paid_hall, day))
    now = datetime.now(UTC)
    invoices.record_payment(inv, FEE_CENTS, date.today(), "Kasse 1", now)
    assert inv.status == "open"
    assert invoices.outstanding_cents(inv) == DEPOSIT_CENTS
    invoices.record_payment(inv, DEPOSIT_CENTS, date.today(), "Kasse 2", now)
    assert inv.status == "paid"
    assert inv.paid_cents == FEE_CENTS + DEPOSIT_CENTS
    assert inv.paid_reference == "Kasse 2"
    assert invoices.outstanding_cents(inv) == 0


def test_refunds_part_and_whole(app, tenant, citizen, paid_hall, day):
    inv = invoice(book(tenant, citizen, paid_hall, day))
    now = datetime.now(UTC)
    invoices.record_payment(inv, FEE_CENTS + DEPOSIT_CENTS, date.today(), None, now)
    invoices.record_refund(inv, DEPOSIT_CENTS, now)
    assert inv.status == "partly_refunded"
    invoices.record_refund(inv, FEE_CENTS, now)
    assert inv.status == "refunded"
    with pytest.raises(ValueError):
        invoices.record_refund(inv, 1, now)
    with pytest.raises(ValueError):
        invoices.record_payment(inv, 0, date.today(), None, now)


def test_rejecting_the_booking_cancels_its_invoice(app, tenant, citizen, clerk, make_resource, day):
    hall = make_resource("Anfragehalle", requires_approval=True)
    hall.fee_rules = [{"category": "resident", "unit": "booking", "amount_cents": 5000}]
    db.session.commit()
    booking = book(tenant, citizen, hall, day)
    assert booking.status == "requested"
    inv = invoice(booking)
    service.reject_booking(tenant, clerk, booking, reason="Belegt")
    db.session.commit()
    assert inv.status == "cancelled"
    assert inv.total_cents == 0
    assert items_sum(inv) == 0
    assert inv.items[0]["amount_cents"] == 5000  # the issued item stays visible
    assert inv.items[-1]["label"].startswith("Stornierung")


def test_cancelling_early_is_free_and_cancels_the_invoice(app, tenant, citizen, paid_hall, day):
    booking = book(tenant, citizen, paid_hall, day)
    inv = invoice(booking)
    service.cancel_booking(tenant, citizen, booking, now=days_before(day, 20))
    db.session.commit()
    assert inv.status == "cancelled"
    assert (inv.total_cents, inv.deposit_cents) == (0, 0)
    assert items_sum(inv) == 0
    assert inv.items[-1]["amount_cents"] == -FEE_CENTS


def test_cancelling_late_leaves_the_policys_share_owed(app, tenant, citizen, paid_hall, day):
    booking = book(tenant, citizen, paid_hall, day)
    inv = invoice(booking)
    bill = invoices.cancellation_bill(
        tenant, booking, booking.active_occurrences, days_before(day, 5)
    )
    assert (bill.remaining_cents, bill.deposit_cents, bill.due_cents) == (FEE_CENTS // 2, 0, 4500)
    service.cancel_booking(tenant, citizen, booking, now=days_before(day, 5))
    db.session.commit()
    assert inv.status == "open"
    assert inv.total_cents == FEE_CENTS // 2  # 50 % three to thirteen days ahead
    assert inv.deposit_cents == 0
    assert items_sum(inv) == inv.total_cents
    assert "50 %" in inv.items[-1]["label"]


def test_cancelling_a_paid_booking_computes_the_refund(app, tenant, citizen, paid_hall, day):
    booking = book(tenant, citizen, paid_hall, day)
    inv = invoice(booking)
    invoices.record_payment(inv, FEE_CENTS + DEPOSIT_CENTS, date.today(), "SEPA", datetime.now(UTC))
    assert inv.status == "paid"
    when = days_before(day, 1)
    bill = invoices.cancellation_bill(tenant, booking, booking.active_occurrences, when)
    # One day ahead: 100 % stays owed, the deposit goes back.
    assert (bill.remaining_cents, bill.refund_cents, bill.due_cents) == (
        FEE_CENTS,
        DEPOSIT_CENTS,
        0,
    )
    service.cancel_booking(tenant, citizen, booking, now=when)
    db.session.commit()
    assert inv.total_cents == FEE_CENTS
    assert inv.deposit_cents == 0
    assert inv.status == "paid"  # paid; the deposit is to be refunded
    invoices.record_refund(inv, DEPOSIT_CENTS, datetime.now(UTC))
    assert inv.status == "partly_refunded"


def test_cancelling_one_date_of_a_series_keeps_the_rest_owed(app, tenant, citizen, paid_hall, day):
    booking = book(tenant, citizen, paid_hall, day, weeks=2)
    inv = invoice(booking)
    assert inv.total_cents == 3 * FEE_CENTS
    first, second, third = sorted(booking.active_occurrences, key=lambda o: o.start_at)
    # The third date, 5 days before it: half of it stays owed.
    service.cancel_occurrence(tenant, citizen, third, now=days_before(third_day(third), 5))
    db.session.commit()
    assert inv.total_cents == 2 * FEE_CENTS + FEE_CENTS // 2
    assert inv.deposit_cents == DEPOSIT_CENTS  # dates remain
    assert items_sum(inv) == inv.total_cents
    # Then the first, 20 days ahead: free.
    service.cancel_occurrence(tenant, citizen, first, now=days_before(day, 20))
    db.session.commit()
    assert inv.total_cents == FEE_CENTS + FEE_CENTS // 2
    assert items_sum(inv) == inv.total_cents
    # The last one, free too: what the third date's cancellation cost stays.
    service.cancel_occurrence(tenant, citizen, second, now=days_before(day, 20))
    db.session.commit()
    assert inv.total_cents == FEE_CENTS // 2
    assert inv.deposit_cents == 0
    assert inv.status == "open"
    assert items_sum(inv) == inv.total_cents


def third_day(occurrence):
    from tests.times import BERLIN

    return occurrence.start_at.astimezone(BERLIN).date()


def test_refused_dates_cost_nothing(app, tenant, citizen, clerk, make_resource, day):
    hall = make_resource("Anfragehalle", requires_approval=True)
    hall.fee_rules = [{"category": "resident", "unit": "booking", "amount_cents": 5000}]
    hall.cancellation_policy = [{"days_before": 0, "percent": 100}]
    db.session.commit()
    booking = book(tenant, citizen, hall, day, weeks=1)
    inv = invoice(booking)
    assert inv.total_cents == 10000
    later = max(booking.active_occurrences, key=lambda o: o.start_at)
    decisions.decide_dates(tenant, clerk, booking, [later.id], reason="Belegt")
    db.session.commit()
    assert booking.status == "confirmed"
    assert inv.total_cents == 5000
    assert items_sum(inv) == 5000


def test_cancelling_a_free_booking_touches_no_invoice(app, tenant, citizen, make_resource, day):
    hall = make_resource("Gratis")
    booking = book(tenant, citizen, hall, day)
    service.cancel_booking(tenant, citizen, booking)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 0


def test_the_invoice_follows_a_corrected_category(app, tenant, citizen, clerk, paid_hall, day):
    from booking.fees import service as fees

    booking = book(tenant, citizen, paid_hall, day)
    inv = invoice(booking)
    before = fees.booking_fee(tenant, booking).amount_cents
    after = fees.change_category(tenant, clerk, booking, "local_club")  # free for clubs
    invoices.follow_fee_change(tenant, booking, before, after, datetime.now(UTC))
    db.session.commit()
    assert inv.total_cents == 0
    assert inv.deposit_cents == 0
    assert inv.status == "cancelled"
    assert items_sum(inv) == 0
    assert inv.items[-1]["label"].startswith("Berichtigung: Kundengruppe")
    assert inv.items[-1]["amount_cents"] == -FEE_CENTS


def test_a_booking_that_costs_something_after_a_correction_gets_an_invoice(
    app, tenant, citizen, clerk, make_resource, day
):
    from booking.fees import service as fees

    hall = make_resource("Vereinsheim")
    hall.fee_rules = [
        {"category": "resident", "unit": "booking", "amount_cents": 0, "free": True},
        {"category": "commercial", "unit": "booking", "amount_cents": 20000},
    ]
    db.session.commit()
    booking = book(tenant, citizen, hall, day)
    assert invoices.invoice_of(booking) is None
    after = fees.change_category(tenant, clerk, booking, "commercial")
    inv = invoices.follow_fee_change(tenant, booking, 0, after, datetime.now(UTC))
    db.session.commit()
    assert inv.total_cents == 20000
    assert inv.status == "open"


def test_a_longer_moved_date_costs_more_and_the_invoice_follows(
    app, tenant, citizen, paid_hall, day
):
    """18:00–22:00 (4 h) moved to 18:00–23:00 (5 h): one hour more, as a
    correction item; a move that costs the same adds nothing."""
    from booking.reservations import service as reservations

    booking = book(tenant, citizen, paid_hall, day)
    occurrence = booking.occurrences[0]
    reservations.move_occurrence(tenant, citizen, occurrence, at(day, "19:00"), at(day, "23:00"))
    db.session.commit()
    assert invoice(booking).total_cents == FEE_CENTS  # the same four hours
    assert len(invoice(booking).items) == 2
    reservations.move_occurrence(tenant, citizen, occurrence, at(day, "18:00"), at(day, "23:00"))
    db.session.commit()
    inv = invoice(booking)
    assert inv.total_cents == FEE_CENTS + 1500
    assert inv.items[-1] == {"label": "Berichtigung: Termin verlegt", "amount_cents": 1500}
    assert items_sum(inv) == inv.total_cents
