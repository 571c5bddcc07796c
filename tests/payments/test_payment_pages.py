"""The payment page, the status page and the admin screen for Stripe keys:
who may see them, the page's CSP, secrets never shown."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from booking.audit.models import AuditEntry
from booking.extensions import db
from booking.payments import secrets
from booking.web import CSP
from tests.payments.helpers import THREE_D_SECURE, VISA, book_online, card_token


@pytest.fixture
def held(stripe_app, tenant, citizen, paid_hall, day):
    booking, payment = book_online(tenant, citizen, paid_hall, day)
    db.session.commit()
    return booking, payment


def _directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def test_pay_page_shows_amount_and_loads_stripe_js_with_its_origin_only(
    held, client, login, citizen, tenant, localstripe
):
    booking, payment = held
    login(citizen)
    page = client.get(f"/{tenant.slug}/bookings/{booking.id}/pay")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "190,00" in html  # 4 h × 15 € + 30 € cleaning + 100 € deposit
    assert f'src="{localstripe}/js.stripe.com/v3/"' in html
    assert "/static/js/payment.js" in html
    assert "<script>" not in html  # no inline script
    assert payment.client_secret not in html  # confirmed on the server, secret only for 3-D Secure
    csp = _directives(page.headers["Content-Security-Policy"])
    base = _directives(CSP)
    for name in ("script-src", "connect-src"):
        assert csp[name] == [*base[name], localstripe]
    assert csp["frame-src"] == [localstripe]
    for name, values in base.items():
        if name not in ("script-src", "connect-src"):
            assert csp[name] == values
    # Every other page keeps the app's CSP.
    other = client.get(f"/{tenant.slug}/bookings/{booking.id}/payment")
    assert other.headers["Content-Security-Policy"] == CSP


def test_pay_pages_are_the_owners_only(
    held, client, login, other_citizen, clerk, tenant, make_tenant
):
    booking, _payment = held
    for path in (f"/bookings/{booking.id}/pay", f"/bookings/{booking.id}/payment"):
        anonymous = client.get(f"/{tenant.slug}{path}")
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    login(other_citizen)
    for path in (f"/bookings/{booking.id}/pay", f"/bookings/{booking.id}/payment"):
        assert client.get(f"/{tenant.slug}{path}").status_code == 404
    assert (
        client.post(
            f"/{tenant.slug}/bookings/{booking.id}/pay", json={"token": "tok_x"}
        ).status_code
        == 404
    )
    other = make_tenant("andere")
    assert client.get(f"/{other.slug}/bookings/{booking.id}/pay").status_code == 404
    client.get("/account/logout")
    login(clerk)
    assert client.get(f"/{tenant.slug}/bookings/{booking.id}/pay").status_code == 404


def test_paying_on_the_page_confirms_and_the_status_page_says_so(
    held, client, login, citizen, tenant, localstripe
):
    booking, _payment = held
    login(citizen)
    answer = client.post(
        f"/{tenant.slug}/bookings/{booking.id}/pay", json={"token": card_token(localstripe, VISA)}
    )
    body = answer.get_json()
    assert answer.status_code == 200 and body["status"] == "succeeded" and body["message"] is None
    db.session.expire_all()
    assert booking.status == "confirmed"
    page = client.get(body["next"])
    assert "Ihre Buchung ist bestätigt" in page.get_data(as_text=True)
    # Back on the pay page: nothing more to pay.
    assert client.get(f"/{tenant.slug}/bookings/{booking.id}/pay").status_code == 302


def test_three_d_secure_card_needs_the_browser_and_stays_held(
    held, client, login, citizen, tenant, localstripe
):
    booking, payment = held
    login(citizen)
    answer = client.post(
        f"/{tenant.slug}/bookings/{booking.id}/pay",
        json={"token": card_token(localstripe, THREE_D_SECURE)},
    )
    body = answer.get_json()
    assert body["status"] == "requires_action"
    assert body["client_secret"] == payment.client_secret
    db.session.expire_all()
    assert booking.status == "held"


def test_malformed_token_is_422_and_changes_nothing(held, client, login, citizen, tenant):
    booking, payment = held
    login(citizen)
    for body in ({"token": "4242424242424242"}, {"token": 5}, {}, None):
        answer = client.post(f"/{tenant.slug}/bookings/{booking.id}/pay", json=body)
        assert answer.status_code == 422, body
        assert answer.get_json()["error"]["code"] == "validation_failed"
    db.session.expire_all()
    assert booking.status == "held" and payment.status == "requires_payment_method"


def test_admin_sets_stripe_keys_secrets_write_only(app, client, login, admin, tenant):
    login(admin)
    page = client.get(f"/{tenant.slug}/admin/payments/stripe")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count("nicht gesetzt") == 2
    saved = client.post(
        f"/{tenant.slug}/admin/payments/stripe",
        data={
            "publishable_key": "pk_test_eigen",
            "secret_key": "sk_test_ganzgeheim",
            "webhook_secret": "whsec_auchgeheim",
        },
    )
    assert saved.status_code == 302
    db.session.expire_all()
    assert tenant.stripe_publishable_key == "pk_test_eigen"
    assert secrets.decrypt(tenant.stripe_secret_key_encrypted) == "sk_test_ganzgeheim"
    assert "ganzgeheim" not in tenant.stripe_secret_key_encrypted
    html = client.get(f"/{tenant.slug}/admin/payments/stripe").get_data(as_text=True)
    assert "pk_test_eigen" in html
    assert "ganzgeheim" not in html and "auchgeheim" not in html
    assert "nicht gesetzt" not in html and html.count("gesetzt") >= 2
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "tenant.stripe_keys")
    ).one()
    assert "ganzgeheim" not in str(entry.after) and "auchgeheim" not in str(entry.after)
    # Saving again with empty secret fields keeps them; clearing removes one.
    client.post(
        f"/{tenant.slug}/admin/payments/stripe",
        data={"publishable_key": "pk_test_eigen", "clear_webhook_secret": "y"},
    )
    db.session.expire_all()
    assert tenant.stripe_secret_key_encrypted is not None
    assert tenant.stripe_webhook_secret_encrypted is None


def test_admin_keys_screen_refuses_others_and_bad_input(
    app, client, login, clerk, admin, tenant, make_tenant
):
    login(clerk)
    assert client.get(f"/{tenant.slug}/admin/payments/stripe").status_code == 403
    assert (
        client.post(
            f"/{tenant.slug}/admin/payments/stripe", data={"secret_key": "sk_x"}
        ).status_code
        == 403
    )
    client.get("/account/logout")
    login(admin)
    other = make_tenant("andere")
    assert client.get(f"/{other.slug}/admin/payments/stripe").status_code == 403
    bad = client.post(
        f"/{tenant.slug}/admin/payments/stripe", data={"secret_key": "geheim ohne präfix"}
    )
    assert bad.status_code == 422
    assert "geheim ohne" not in bad.get_data(as_text=True)
    db.session.expire_all()
    assert tenant.stripe_secret_key_encrypted is None


def test_booking_page_links_the_payer_to_the_payment(held, client, login, citizen, clerk, tenant):
    booking, _payment = held
    pay = f"/{tenant.slug}/bookings/{booking.id}/pay"
    login(citizen)
    assert pay in client.get(f"/{tenant.slug}/bookings/{booking.id}").get_data(as_text=True)
    client.get("/account/logout")
    login(clerk)
    assert pay not in client.get(f"/{tenant.slug}/bookings/{booking.id}").get_data(as_text=True)


def test_admin_index_links_the_stripe_screen(app, client, login, admin, tenant):
    login(admin)
    html = client.get(f"/{tenant.slug}/admin/").get_data(as_text=True)
    assert f"/{tenant.slug}/admin/payments/stripe" in html


def test_status_page_before_any_attempt_says_not_yet_paid(held, client, login, citizen, tenant):
    booking, _payment = held
    login(citizen)
    html = client.get(f"/{tenant.slug}/bookings/{booking.id}/payment").get_data(as_text=True)
    assert "Die Zahlung ist noch nicht eingegangen" in html
    assert "abgelehnt" not in html
    assert f"/{tenant.slug}/bookings/{booking.id}/pay" in html  # back to paying
