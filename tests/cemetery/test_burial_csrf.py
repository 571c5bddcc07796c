"""The burial request's second step (POST) needs the CSRF token that the
free-times page (GET) rendered into the form (an app with CSRF on)."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from booking.accounts import service as accounts
from booking.extensions import db
from booking.tenants.service import create_tenant
from cemetery import register
from cemetery.models import Burial
from tests.cemetery.test_rights_csrf import token_of
from tests.conftest import PASSWORD


def test_the_free_times_page_carries_the_token_for_the_request(csrf_app):
    tenant = create_tenant("musterhausen", "Musterhausen")
    home = accounts.create_user("bestatter@example.org", PASSWORD, confirmed=True)
    accounts.grant_role(tenant, None, home, "funeral_home")
    cemetery = register.create_cemetery(tenant, None, name="Friedhof")
    register.create_plot(tenant, None, cemetery, code="U-1", grave_type="urnenreihengrab")
    db.session.commit()
    client = csrf_app.test_client()
    login_page = client.get("/account/login").get_data(as_text=True)
    client.post(
        "/account/login",
        data={"email": home.email, "password": PASSWORD, "csrf_token": token_of(login_page)},
    )
    fields = {
        "cemetery": str(cemetery.id),
        "kind": "urn",
        "deceased_name": "Erna Beispiel",
        "died": "2026-11-28",
        "grave_type": "urnenreihengrab",
        "holder_name": "Karl Beispiel",
    }
    page = client.get(
        "/musterhausen/burials/new", query_string={**fields, "from_day": "", "action": "slots"}
    )
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    start = re.search(r'name="start"[^>]* value="([^"]+)"', html).group(1)
    assert (
        client.post("/musterhausen/burials/new", data={**fields, "start": start}).status_code == 400
    )
    assert db.session.scalar(select(func.count()).select_from(Burial)) == 0
    answer = client.post(
        "/musterhausen/burials/new", data={**fields, "start": start, "csrf_token": token_of(html)}
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    assert db.session.scalar(select(func.count()).select_from(Burial)) == 1
