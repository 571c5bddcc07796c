"""Marking an invoice paid needs the form's CSRF token (an app with CSRF on;
the suite's app has it off)."""

from __future__ import annotations

import re

from booking.accounts import service as accounts
from booking.extensions import db
from booking.fees.invoices import invoice_of, local_date
from booking.resources import service as resources
from booking.tenants.service import create_tenant
from tests.conftest import PASSWORD
from tests.fees.invoicing import RULES, book
from tests.times import workday


def test_mark_paid_needs_the_csrf_token(csrf_app):
    tenant = create_tenant("musterhausen", "Musterhausen")
    clerk = accounts.create_user("clerk@example.org", PASSWORD, confirmed=True)
    accounts.grant_role(tenant, None, clerk, "clerk")
    hall = resources.create_resource(tenant, None, name="Halle", kind="hall")
    hall.fee_rules = RULES
    db.session.commit()
    booking = book(tenant, clerk, hall, workday())
    db.session.commit()
    invoice = invoice_of(booking)
    client = csrf_app.test_client()
    page = client.get("/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post(
        "/account/login", data={"email": clerk.email, "password": PASSWORD, "csrf_token": token}
    )
    listing = client.get("/musterhausen/staff/invoices").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', listing).group(1)
    url = f"/musterhausen/staff/invoices/{invoice.id}/mark-paid"
    today = local_date(tenant, invoice.created_at).isoformat()
    assert client.post(url, data={"paid_on": today}).status_code == 400
    db.session.expire_all()
    assert invoice_of(booking).status == "open"
    response = client.post(url, data={"paid_on": today, "csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert invoice_of(booking).status == "paid"
