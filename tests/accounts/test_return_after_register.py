"""Registering from a booking page returns there after confirming (a safe
``next`` through register → mail link → confirm → sign-in, never another
site); the sign-in page names the municipality one comes from; staff of one
municipality land on its staff start page."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from booking.accounts import service
from booking.extensions import db
from tests.accounts.helpers import link_in, outbox_to
from tests.conftest import PASSWORD


def register(client, query: str, tenant: str = ""):
    return client.post(
        "/account/register" + query,
        data={
            "email": "berta@example.org",
            "name": "Berta Bürger",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "tenant": tenant,
        },
    )


def sign_in(client, email, query=""):
    return client.post("/account/login" + query, data={"email": email, "password": PASSWORD})


def query_of(url: str) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(html.unescape(url))
    return parts.path, parse_qs(parts.query)


def test_registering_from_a_booking_page_returns_to_it(client, tenant):
    back = f"/{tenant.slug}/halls/7/book?date=2027-03-06"
    login_page = client.get(f"/account/login?next={quote(back)}").get_data(as_text=True)
    assert "Online-Buchung von Gemeinde Musterhausen" in login_page
    (register_link,) = re.findall(r'href="(/account/register\?next=[^"]*)"', login_page)
    assert query_of(register_link) == (
        "/account/register",
        {"next": [back], "tenant": [tenant.slug]},
    )

    page = client.get(f"/account/register?next={quote(back)}").get_data(as_text=True)
    assert f'name="tenant" type="hidden" value="{tenant.slug}"' in page
    response = register(client, f"?next={quote(back)}", tenant=tenant.slug)
    assert response.status_code == 302
    assert query_of(response.headers["Location"]) == ("/account/login", {"next": [back]})

    (message,) = outbox_to("berta@example.org")
    link = link_in(message, "/account/confirm/")
    assert query_of(link)[1] == {"next": [back]}
    assert client.get(link).status_code == 200
    confirmed = client.post(link)
    assert confirmed.status_code == 302
    assert query_of(confirmed.headers["Location"]) == ("/account/login", {"next": [back]})
    signed_in = sign_in(client, "berta@example.org", f"?next={quote(back)}")
    assert signed_in.headers["Location"] == back


@pytest.mark.parametrize(
    "evil", ["https://evil.example/x", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"]
)
def test_a_next_to_another_site_is_dropped_everywhere(client, tenant, evil):
    response = register(client, f"?next={quote(evil)}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/login"
    (message,) = outbox_to("berta@example.org")
    link = link_in(message, "/account/confirm/")
    assert "next=" not in link and "evil" not in message.body_text
    # A link someone edited: confirming works, the target is dropped.
    confirmed = client.post(f"{link}?next={quote(evil)}")
    assert confirmed.status_code == 302
    assert confirmed.headers["Location"] == "/account/login"
    assert service.find_user("berta@example.org").email_confirmed_at is not None


def test_the_sign_in_page_names_the_municipality_of_a_tenant_query(client, tenant):
    page = client.get(f"/account/login?tenant={tenant.slug}").get_data(as_text=True)
    assert "Online-Buchung von Gemeinde Musterhausen" in page
    plain = client.get("/account/login?tenant=gibt-es-nicht").get_data(as_text=True)
    assert "Online-Buchung von" not in plain


@pytest.mark.parametrize(
    ("roles", "landing"),
    [
        (("admin",), "/musterhausen/admin/"),
        (("clerk",), "/musterhausen/admin/"),
        (("caretaker",), "/musterhausen/caretaker/"),
        (("caretaker", "clerk"), "/musterhausen/admin/"),
        ((), "/"),
        (("funeral_home",), "/"),
    ],
)
def test_staff_land_on_their_municipality(client, tenant, make_user, roles, landing):
    user = make_user("staff@example.org", tenant=tenant, roles=roles)
    response = sign_in(client, user.email)
    assert response.status_code == 302
    assert response.headers["Location"] == landing


def test_staff_of_several_municipalities_and_a_next_go_where_asked(
    client, tenant, make_tenant, make_user
):
    other = make_tenant("andersdorf", name="Gemeinde Andersdorf")
    user = make_user("both@example.org", tenant=tenant, roles=("clerk",))
    service.grant_role(other, None, user, "admin")
    db.session.commit()
    assert sign_in(client, user.email).headers["Location"] == "/"
    client.post("/account/logout")
    clerk = make_user("clerk2@example.org", tenant=tenant, roles=("clerk",))
    response = sign_in(client, clerk.email, f"?next=/{tenant.slug}/bookings/mine")
    assert response.headers["Location"] == f"/{tenant.slug}/bookings/mine"
