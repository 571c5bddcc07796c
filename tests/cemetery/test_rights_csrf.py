"""Extending a grave right and unblocking a plot need the form's CSRF token
(an app with CSRF on; the suite's app has it off)."""

from __future__ import annotations

import re
from datetime import date

from booking.accounts import service as accounts
from booking.extensions import db
from booking.tenants.service import create_tenant
from cemetery import register, rights
from cemetery.models import GraveRight, Plot
from tests.conftest import PASSWORD


def token_of(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]* value="([^"]+)"', page).group(1)


def test_right_actions_need_the_csrf_token(csrf_app):
    tenant = create_tenant("musterhausen", "Musterhausen")
    clerk = accounts.create_user("clerk@example.org", PASSWORD, confirmed=True)
    accounts.grant_role(tenant, None, clerk, "clerk")
    cemetery = register.create_cemetery(tenant, None, name="Friedhof")
    plot = register.create_plot(tenant, None, cemetery, code="W-1", grave_type="wahlgrab")
    holder = rights.find_or_create_contact(tenant, name="Hans Halter")
    right = rights.acquire_right(tenant, None, plot, holder, start=date(2000, 5, 1), bill=False)
    register.block_plot(tenant, None, plot, blocked=True, reason="Wegebau")
    db.session.commit()
    client = csrf_app.test_client()
    client.post(
        "/account/login",
        data={
            "email": clerk.email,
            "password": PASSWORD,
            "csrf_token": token_of(client.get("/account/login").get_data(as_text=True)),
        },
    )
    page = client.get(f"/musterhausen/cemeteries/plots/{plot.id}").get_data(as_text=True)
    token = token_of(page)
    extend = f"/musterhausen/cemeteries/plots/{plot.id}/rights/{right.id}/extend"
    unblock = f"/musterhausen/cemeteries/plots/{plot.id}/block"
    assert client.post(extend, data={"years": "2"}).status_code == 400
    assert client.post(unblock, data={"unblock": "1"}).status_code == 400
    db.session.expire_all()
    assert db.session.get(GraveRight, right.id).end_date == date(2030, 5, 1)
    assert db.session.get(Plot, plot.id).blocked
    assert client.post(extend, data={"years": "2", "csrf_token": token}).status_code == 302
    assert client.post(unblock, data={"unblock": "1", "csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert db.session.get(GraveRight, right.id).end_date == date(2032, 5, 1)
    assert not db.session.get(Plot, plot.id).blocked
