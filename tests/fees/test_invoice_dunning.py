"""payments.dunning: reminders for overdue invoices through the outbox,
once per stage (1 after the due date, 2 fourteen days later)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from booking.extensions import db
from booking.fees import invoices
from booking.fees.jobs import send_dunning
from booking.jobs import registry
from booking.notifications.models import OutboxMessage
from tests.fees.invoicing import book, invoice, make_paid_hall
from tests.outbox import composed_mail
from tests.times import at


@pytest.fixture
def booked(tenant, citizen, make_resource, day):
    tenant.iban = "DE02120300000000202051"
    booking = book(tenant, citizen, make_paid_hall(make_resource), day)
    db.session.commit()
    return booking


def reminders() -> list[OutboxMessage]:
    return composed_mail(OutboxMessage.key.like("invoice-reminder:%"))


def run(day):
    result = send_dunning(at(day, "08:00"))
    db.session.commit()
    return result


def test_the_job_is_registered():
    assert registry.get("payments.dunning") is not None


def test_reminders_once_per_stage(tenant, citizen, booked):
    inv = invoice(booked)
    due = inv.due_date
    assert run(due) == {"queued": 0}  # not overdue on the due date itself
    assert run(due + timedelta(days=1)) == {"queued": 1}
    assert run(due + timedelta(days=2)) == {"queued": 0}  # stage 1 only once
    assert run(due + timedelta(days=14)) == {"queued": 0}
    assert run(due + timedelta(days=15)) == {"queued": 1}  # stage 2
    assert run(due + timedelta(days=40)) == {"queued": 0}
    first, second = reminders()
    assert first.key == f"invoice-reminder:{inv.id}:1"
    assert second.key == f"invoice-reminder:{inv.id}:2"
    assert first.to_address == citizen.email
    assert inv.number in first.subject
    assert "Zahlungserinnerung" in first.subject
    assert "2. Mahnung" in second.subject
    assert "190,00\xa0€" in first.body_text
    assert inv.payment_reference in first.body_text
    assert f"/bookings/{booked.id}/invoice" in first.body_text
    assert invoice(booked).dunning_stage == 2


def test_long_overdue_gets_only_the_second_stage(booked):
    inv = invoice(booked)
    assert run(inv.due_date + timedelta(days=30)) == {"queued": 1}
    assert [m.key for m in reminders()] == [f"invoice-reminder:{inv.id}:2"]


def test_the_same_stage_is_never_queued_twice(booked):
    inv = invoice(booked)
    run(inv.due_date + timedelta(days=1))
    inv.dunning_stage = 0  # as if a second scheduler had not seen the first run
    db.session.commit()
    run(inv.due_date + timedelta(days=1))
    assert len(reminders()) == 1


def test_paid_and_cancelled_invoices_get_none(tenant, citizen, booked, clerk):
    inv = invoice(booked)
    invoices.mark_paid(tenant, clerk, inv, inv.issued_on, "KA", at(inv.issued_on, "09:00"))
    db.session.commit()
    assert run(inv.due_date + timedelta(days=30)) == {"queued": 0}
    assert reminders() == []
