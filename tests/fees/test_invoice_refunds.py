"""Staff give money back on a fee notice: the deposit after the event, or
part of a fee. Paid by transfer, the clerk records the transfer back (this
file); paid online, it goes through Stripe (tests/payments)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from booking.audit.models import AuditEntry
from booking.extensions import db
from booking.fees import invoices
from booking.payments import service as payments
from tests.fees.invoicing import DEPOSIT_CENTS, FEE_CENTS, book, invoice, make_paid_hall
from tests.fees.test_invoice_pages import text_of


@pytest.fixture
def paid(tenant, citizen, clerk, make_resource, day):
    """A booking whose notice (fee and deposit) was paid by transfer."""
    booking = book(tenant, citizen, make_paid_hall(make_resource), day)
    inv = invoice(booking)
    invoices.mark_paid(
        tenant, clerk, inv, invoices.local_date(tenant, inv.created_at), "A1", inv.created_at
    )
    db.session.commit()
    return booking


def refund_url(tenant, booking) -> str:
    return f"/{tenant.slug}/staff/invoices/{invoice(booking).id}/refund"


def test_the_deposit_goes_back_by_transfer_audited(client, login, tenant, clerk, paid):
    login(clerk)
    page = text_of(client.get(f"/{tenant.slug}/bookings/{paid.id}/invoice"))
    assert "Erstattung erfassen" in page and 'value="100,00"' in client.get(
        f"/{tenant.slug}/bookings/{paid.id}/invoice"
    ).get_data(as_text=True)  # the deposit is proposed
    response = client.post(
        refund_url(tenant, paid),
        data={"amount": "100,00", "reason": "deposit", "reference": "Überweisung 7"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    inv = invoice(paid)
    assert (inv.refunded_cents, inv.status) == (DEPOSIT_CENTS, "partly_refunded")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "invoice.refund"))
    assert entry.reason == "Überweisung 7"
    assert entry.after["via"] == "transfer" and entry.after["amount_cents"] == DEPOSIT_CENTS


@pytest.mark.parametrize("amount", ["0", "-5", "abc", "12,345", str(FEE_CENTS + DEPOSIT_CENTS)])
def test_no_more_than_was_paid_and_nothing_malformed(client, login, tenant, clerk, paid, amount):
    login(clerk)
    # FEE + DEPOSIT in euros would be fine; the same number as euros is far too much.
    client.post(refund_url(tenant, paid), data={"amount": amount, "reason": "staff"})
    db.session.expire_all()
    assert invoice(paid).refunded_cents == 0
    assert (
        db.session.scalar(select(AuditEntry).where(AuditEntry.action == "invoice.refund")) is None
    )


def test_an_unknown_reason_changes_nothing(client, login, tenant, clerk, paid):
    login(clerk)
    client.post(refund_url(tenant, paid), data={"amount": "10,00", "reason": "geschenk"})
    db.session.expire_all()
    assert invoice(paid).refunded_cents == 0


def test_only_staff_of_this_municipality(
    client, login, tenant, citizen, paid, make_tenant, make_user
):
    login(citizen)
    page = client.get(f"/{tenant.slug}/bookings/{paid.id}/invoice").get_data(as_text=True)
    assert "Erstattung erfassen" not in page  # the booker sees no refund form
    assert (
        client.post(
            refund_url(tenant, paid), data={"amount": "1,00", "reason": "staff"}
        ).status_code
        == 403
    )
    other = make_tenant("nachbarort")
    login(make_user("c2@example.org", tenant=other, roles=("clerk",)))
    response = client.post(
        f"/{other.slug}/staff/invoices/{invoice(paid).id}/refund",
        data={"amount": "1,00", "reason": "staff"},
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert invoice(paid).refunded_cents == 0


def test_the_service_refuses_another_municipality(tenant, clerk, paid, make_tenant):
    from booking.core import NotFound

    other = make_tenant("andersdorf")
    with pytest.raises(NotFound):
        payments.refund_invoice(other, clerk, invoice(paid), 100, "staff", None)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/staff/invoices/{big}/refund"),
        ("post", "/staff/invoices/{big}/mark-paid"),
        ("get", "/bookings/{big}/invoice"),
        ("get", "/bookings/{big}/invoice.pdf"),
        ("get", "/bookings/{big}/pay"),
    ],
)
def test_ids_past_any_key_are_404(client, login, tenant, clerk, method, path):
    login(clerk)
    url = f"/{tenant.slug}" + path.format(big=2**70)
    response = getattr(client, method)(url, data={"amount": "1,00", "reason": "staff"})
    assert response.status_code == 404
