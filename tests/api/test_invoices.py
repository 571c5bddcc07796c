"""GET /bookings/<id>/invoice and POST /bookings/<id>/invoice/mark-paid."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking.audit.models import AuditEntry
from booking.core import utcnow
from booking.extensions import db
from booking.fees import invoices
from tests.fees.invoicing import DEPOSIT_CENTS, FEE_CENTS, book, invoice, make_paid_hall


@pytest.fixture
def booked(tenant, citizen, make_resource, day):
    booking = book(tenant, citizen, make_paid_hall(make_resource), day)
    db.session.commit()
    return booking


def today(tenant):
    return invoices.local_date(tenant, utcnow())


def test_the_booker_reads_the_invoice(api, tenant, citizen, booked):
    response = api(citizen, tenant).get(f"/bookings/{booked.id}/invoice")
    assert response.status_code == 200
    body = response.get_json()
    inv = invoice(booked)
    assert body == {
        "number": inv.number,
        "status": "open",
        "items": inv.items,
        "total": {"amount_cents": FEE_CENTS, "currency": "EUR"},
        "paid_cents": 0,
        "refunded_cents": 0,
        "due_date": inv.due_date.isoformat(),
    }
    assert sum(item["amount_cents"] for item in body["items"]) == FEE_CENTS


def test_others_and_other_municipalities_get_404(
    api, tenant, other_citizen, make_tenant, make_user, booked
):
    assert api(other_citizen, tenant).get(f"/bookings/{booked.id}/invoice").status_code == 404
    other = make_tenant("andersdorf", name="Andersdorf")
    clerk = make_user(tenant=other, roles=("clerk",))
    assert api(clerk, other).get(f"/bookings/{booked.id}/invoice").status_code == 404
    response = api(clerk, other).post(
        f"/bookings/{booked.id}/invoice/mark-paid", json={"paid_on": "2026-01-02"}
    )
    assert response.status_code == 404


def test_a_free_booking_answers_404(api, tenant, citizen, make_resource, day):
    booking = book(tenant, citizen, make_resource("Gratis"), day)
    db.session.commit()
    assert api(citizen, tenant).get(f"/bookings/{booking.id}/invoice").status_code == 404


def test_clerks_mark_it_paid_once(api, tenant, clerk, booked):
    client = api(clerk, tenant)
    day = today(tenant).isoformat()
    response = client.post(
        f"/bookings/{booked.id}/invoice/mark-paid", json={"paid_on": day, "reference": "KA-7"}
    )
    assert response.status_code == 200
    assert response.get_json()["status"] == "paid"
    assert response.get_json()["paid_cents"] == FEE_CENTS + DEPOSIT_CENTS
    inv = invoice(booked)
    assert (inv.paid_on.isoformat(), inv.paid_reference) == (day, "KA-7")
    entries = db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "invoice.mark_paid")
    )
    assert entries == 1
    again = client.post(f"/bookings/{booked.id}/invoice/mark-paid", json={"paid_on": day})
    assert again.status_code == 409
    db.session.expire_all()
    assert invoice(booked).paid_cents == FEE_CENTS + DEPOSIT_CENTS


def test_the_booker_may_not_mark_paid(api, tenant, citizen, booked):
    response = api(citizen, tenant).post(
        f"/bookings/{booked.id}/invoice/mark-paid", json={"paid_on": today(tenant).isoformat()}
    )
    assert response.status_code == 403
    assert invoice(booked).status == "open"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"paid_on": None},
        {"paid_on": 20260101},
        {"paid_on": "01.02.2026"},
        {"paid_on": "2026-02-30"},
        {"paid_on": "FUTURE"},
        {"paid_on": "TODAY", "reference": 5},
        {"paid_on": "TODAY", "reference": "x" * 141},
    ],
)
def test_bad_input_is_422_and_changes_nothing(api, tenant, clerk, booked, body):
    day = today(tenant)
    values = {"FUTURE": (day + timedelta(days=1)).isoformat(), "TODAY": day.isoformat()}
    body = {k: values.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    response = api(clerk, tenant).post(f"/bookings/{booked.id}/invoice/mark-paid", json=body)
    assert response.status_code == 422
    db.session.expire_all()
    assert invoice(booked).status == "open"
    assert invoice(booked).paid_cents == 0


def test_a_body_that_is_no_object_is_400(api, tenant, clerk, booked):
    response = api(clerk, tenant).post(f"/bookings/{booked.id}/invoice/mark-paid", json=[1])
    assert response.status_code == 400
