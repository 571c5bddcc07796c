"""Invoices without a booking (a cemetery case): their pages and PDF, the
staff list and export, marking them paid, dunning, and paying them online
through localstripe (the pay page, the webhook, reconcile)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from booking.audit.models import AuditEntry
from booking.core import Conflict, ValidationFailed, utcnow
from booking.extensions import db
from booking.fees import invoices
from booking.fees.jobs import send_dunning
from booking.fees.models import Invoice
from booking.fees.pricing import Fee
from booking.payments import service
from booking.payments.models import Payment
from cemetery import fees as cemetery_fees
from tests.cemetery.conftest import grave_type_of
from tests.outbox import composed_mail
from tests.payments.helpers import DECLINED, VISA, card_token, pay_at_stripe, webhook_url

SCHEDULE = {"extension_per_year_cents": {"wahlgrab": 4500}}


def _fee(tenant, years: int = 2) -> Fee:
    return cemetery_fees.extension_fee(tenant, grave_type_of(tenant, "wahlgrab"), years)


@pytest.fixture
def case_invoice(tenant, citizen):
    cemetery_fees.set_schedule(tenant, None, SCHEDULE)
    invoice = invoices.issue_case_invoice(
        tenant,
        _fee(tenant),
        recipient_name="Carla Citizen",
        recipient_address="Lindenweg 4\n12345 Musterhausen",
        user_id=citizen.id,
        now=utcnow(),
    )
    db.session.commit()
    return invoice


def _page(client, tenant, invoice, suffix=""):
    return client.get(f"/{tenant.slug}/invoices/{invoice.id}{suffix}")


# --- pages, list, export, mark paid -------------------------------------------------------


def test_the_holder_sees_the_invoice_page_and_pdf(client, login, tenant, citizen, case_invoice):
    login(citizen)
    page = _page(client, tenant, case_invoice)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert case_invoice.number in text
    assert "Lindenweg 4" in text and "Friedhofsgebühren" in text
    assert "Verlängerung des Nutzungsrechts Wahlgrab: 2 Jahre" in text
    assert f"{case_invoice.number} Friedhof" in text
    # Without Stripe keys: no online payment offered, the transfer is.
    assert "Online bezahlen" not in text
    pdf = _page(client, tenant, case_invoice, ".pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")


def test_staff_see_it_others_get_404_anonymous_the_login(
    client, login, tenant, clerk, other_citizen, make_tenant, make_user, case_invoice
):
    for suffix in ("", ".pdf"):
        anonymous = _page(client, tenant, case_invoice, suffix)
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    login(other_citizen)
    for suffix in ("", ".pdf"):
        assert _page(client, tenant, case_invoice, suffix).status_code == 404
    client.get("/account/logout")
    other = make_tenant("anderswo")
    stranger = make_user("clerk@anderswo.example", tenant=other, roles=("clerk",))
    login(stranger)
    assert client.get(f"/{other.slug}/invoices/{case_invoice.id}").status_code == 404
    assert _page(client, tenant, case_invoice).status_code == 404
    client.get("/account/logout")
    login(clerk)
    assert _page(client, tenant, case_invoice).status_code == 200
    assert client.get(f"/{tenant.slug}/invoices/99999999999999").status_code == 404


def test_listed_exported_and_marked_paid_by_staff(client, login, tenant, clerk, case_invoice):
    login(clerk)
    listing = client.get(f"/{tenant.slug}/staff/invoices").get_data(as_text=True)
    assert case_invoice.number in listing and "Carla Citizen" in listing
    assert f"/{tenant.slug}/invoices/{case_invoice.id}" in listing
    csv = client.get(f"/{tenant.slug}/staff/invoices.csv").data.decode("utf-8-sig")
    row = next(line for line in csv.splitlines() if case_invoice.number in line)
    assert "Carla Citizen;Friedhof;90,00" in row
    today = invoices.local_date(tenant, utcnow()).isoformat()
    answer = client.post(
        f"/{tenant.slug}/staff/invoices/{case_invoice.id}/mark-paid",
        data={"paid_on": today, "reference": "Kontoauszug 12"},
    )
    assert answer.status_code == 302
    db.session.expire_all()
    assert case_invoice.status == "paid" and case_invoice.paid_cents == 9000


def test_dunning_writes_to_the_invoice_account_or_skips(tenant, citizen, case_invoice):
    nobody = invoices.issue_case_invoice(
        tenant,
        _fee(tenant, 1),
        recipient_name="Ohne Konto",
        recipient_address=None,
        user_id=None,
        now=utcnow(),
    )
    db.session.commit()
    later = datetime.combine(
        case_invoice.due_date + timedelta(days=2), datetime.min.time(), tzinfo=UTC
    ) + timedelta(hours=10)
    assert send_dunning(later) == {"queued": 1}
    db.session.commit()
    (mail,) = composed_mail()
    assert mail.to_address == citizen.email
    assert f"/{tenant.slug}/invoices/{case_invoice.id}" in mail.body_text
    assert nobody.dunning_stage == 0
    assert send_dunning(later) == {"queued": 0}  # once per stage


# --- paying online -----------------------------------------------------------------------------


def test_start_invoice_payment_rules(stripe_app, tenant, case_invoice):
    payment = service.start_invoice_payment(tenant, case_invoice, utcnow())
    assert payment.booking_id is None and payment.expires_at is None
    assert payment.amount_cents == 9000
    # A pending one is kept: no second PaymentIntent.
    assert service.start_invoice_payment(tenant, case_invoice, utcnow()).id == payment.id
    assert db.session.scalar(select(Payment.id).where(Payment.id != payment.id)) is None


def test_nothing_to_pay_or_a_booking_invoice_is_refused(stripe_app, tenant, clerk, case_invoice):
    invoices.mark_paid(tenant, clerk, case_invoice, date.today(), None, utcnow())
    with pytest.raises(Conflict):
        service.start_invoice_payment(tenant, case_invoice, utcnow())
    case_invoice.subject = "booking"  # as a booking's invoice whose booking went
    with pytest.raises(ValidationFailed):
        service.start_invoice_payment(tenant, case_invoice, utcnow())


def test_pay_page_and_card_payment(
    stripe_app, client, login, tenant, citizen, localstripe, case_invoice
):
    login(citizen)
    page = _page(client, tenant, case_invoice).get_data(as_text=True)
    assert f"/{tenant.slug}/invoices/{case_invoice.id}/pay" in page  # "Online bezahlen"
    pay = client.get(f"/{tenant.slug}/invoices/{case_invoice.id}/pay")
    text = pay.get_data(as_text=True)
    assert pay.status_code == 200
    assert 'id="card-element"' in text and "payment.js" in text
    assert localstripe in pay.headers["Content-Security-Policy"]
    answer = client.post(
        f"/{tenant.slug}/invoices/{case_invoice.id}/pay",
        json={"token": card_token(localstripe, VISA)},
    )
    body = answer.get_json()
    assert answer.status_code == 200 and body["status"] == "succeeded", body
    db.session.expire_all()
    assert case_invoice.status == "paid" and case_invoice.paid_cents == 9000
    status = client.get(body["next"]).get_data(as_text=True)
    assert "Die Zahlung ist eingegangen" in status
    # Paid: the pay page sends to the status page.
    assert client.get(f"/{tenant.slug}/invoices/{case_invoice.id}/pay").status_code == 302
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "invoice.paid_online")
    ).one()
    assert entry.object_id == case_invoice.id


def test_declined_card_leaves_it_open(
    stripe_app, client, login, tenant, citizen, localstripe, case_invoice
):
    login(citizen)
    client.get(f"/{tenant.slug}/invoices/{case_invoice.id}/pay")
    answer = client.post(
        f"/{tenant.slug}/invoices/{case_invoice.id}/pay",
        json={"token": card_token(localstripe, DECLINED)},
    )
    assert answer.get_json()["message"]
    db.session.expire_all()
    assert case_invoice.status == "open" and case_invoice.paid_cents == 0


def test_pay_pages_are_the_holders_only(
    stripe_app, client, login, tenant, clerk, other_citizen, make_tenant, case_invoice
):
    paths = ("/pay", "/payment")
    for path in paths:
        anonymous = client.get(f"/{tenant.slug}/invoices/{case_invoice.id}{path}")
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    for user in (other_citizen, clerk):
        login(user)
        for path in paths:
            assert client.get(f"/{tenant.slug}/invoices/{case_invoice.id}{path}").status_code == 404
        post = client.post(
            f"/{tenant.slug}/invoices/{case_invoice.id}/pay", json={"token": "tok_x"}
        )
        assert post.status_code == 404
        client.get("/account/logout")
    other = make_tenant("anderswo")
    assert client.get(f"/{other.slug}/invoices/{case_invoice.id}/pay").status_code in (302, 404)
    assert db.session.scalar(select(Payment.id)) is None


def test_malformed_token_is_422(stripe_app, client, login, tenant, citizen, case_invoice):
    login(citizen)
    client.get(f"/{tenant.slug}/invoices/{case_invoice.id}/pay")
    answer = client.post(f"/{tenant.slug}/invoices/{case_invoice.id}/pay", json={"token": 5})
    assert answer.status_code == 422
    db.session.expire_all()
    assert case_invoice.status == "open"


def test_signed_webhook_marks_it_paid(
    stripe_app, tenant, localstripe, webhooks, client, case_invoice
):
    payment = service.start_invoice_payment(tenant, case_invoice, utcnow())
    db.session.commit()
    assert pay_at_stripe(localstripe, payment).status == "succeeded"
    body, signature = webhooks.wait_for("payment_intent.succeeded", payment.intent_id)
    answer = client.post(
        webhook_url(tenant),
        data=body,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    db.session.expire_all()
    assert case_invoice.status == "paid" and case_invoice.paid_cents == 9000
    assert case_invoice.paid_reference == payment.intent_id
    assert json.loads(body)["data"]["object"]["metadata"]["invoice_id"] == str(case_invoice.id)


def test_reconcile_catches_a_lost_webhook(stripe_app, tenant, localstripe, case_invoice):
    payment = service.start_invoice_payment(tenant, case_invoice, utcnow())
    db.session.commit()
    pay_at_stripe(localstripe, payment)
    counts = service.reconcile()
    assert counts["succeeded"] == 1
    db.session.expire_all()
    assert case_invoice.status == "paid"
    assert service.reconcile()["checked"] == 0  # settled once


def test_paid_online_after_a_clerk_recorded_the_transfer_is_refunded(
    stripe_app, tenant, clerk, localstripe, case_invoice
):
    payment = service.start_invoice_payment(tenant, case_invoice, utcnow())
    invoices.mark_paid(tenant, clerk, case_invoice, date.today(), "Überweisung", utcnow())
    db.session.commit()
    pay_at_stripe(localstripe, payment)
    service.reconcile()
    db.session.expire_all()
    assert case_invoice.paid_cents == 9000  # not twice
    assert (
        db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "payment.refund"))
        is not None
    )
    assert db.session.get(Invoice, case_invoice.id).status == "paid"


def test_staff_refund_of_a_case_invoice_returns_to_its_page(
    client, login, tenant, clerk, case_invoice
):
    invoices.mark_paid(tenant, clerk, case_invoice, date.today(), None, utcnow())
    db.session.commit()
    login(clerk)
    page = _page(client, tenant, case_invoice).get_data(as_text=True)
    assert "Erstattung erfassen" in page
    answer = client.post(
        f"/{tenant.slug}/staff/invoices/{case_invoice.id}/refund",
        data={"amount": "20,00", "reason": "staff", "reference": "Rückzahlung"},
    )
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"/{tenant.slug}/invoices/{case_invoice.id}")
    db.session.expire_all()
    assert case_invoice.refunded_cents == 2000 and case_invoice.status == "partly_refunded"


def test_booking_invoice_is_not_shown_as_a_case_invoice(
    client, login, tenant, clerk, citizen, paid_hall, day
):
    from tests.payments.helpers import book

    booking = book(tenant, citizen, paid_hall, day)
    db.session.commit()
    invoice = invoices.invoice_of(booking)
    login(citizen)
    assert client.get(f"/{tenant.slug}/invoices/{invoice.id}").status_code == 404
    assert client.get(f"/{tenant.slug}/invoices/{invoice.id}/pay").status_code == 404
