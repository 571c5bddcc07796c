"""Paying a held booking in Chromium with localstripe's Stripe.js: the card
element, the server confirming with the card's token, the 3-D Secure dialog
(card 4000002760003184), then the status page says what Stripe told the
server. A second booking is paid at Stripe alone: localstripe's signed
webhook reaches the live server and confirms it within seconds. The payment
page passes axe and loads Stripe.js under its own CSP (violations fail)."""

from __future__ import annotations

import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from booking.accounts.models import User
from booking.demo import DEMO_PASSWORD, DEMO_SLUG
from booking.extensions import db
from booking.fees.invoices import invoice_of
from booking.payments import service as payments
from booking.reservations import service as reservations
from booking.reservations.models import Booking
from booking.resources import service as resources
from booking.tenants.models import Tenant
from tests.e2e.conftest import LiveServer
from tests.e2e.helpers import login, visit
from tests.payments.conftest import (
    PUBLISHABLE_KEY,
    SECRET_KEY,
    STRIPE_SETTINGS,
    WEBHOOK_SECRET,
    localstripe,  # noqa: F401  (the fixture)
)
from tests.payments.helpers import AMOUNT_CENTS, RULES, pay_at_stripe
from tests.times import at, workday

pytestmark = pytest.mark.e2e

CITIZEN = "buerger@musterhausen.example"


@pytest.fixture
def stripe_live(live_server: LiveServer, localstripe) -> Iterator[LiveServer]:  # noqa: F811
    app = live_server.app
    saved = {key: app.config.get(key) for key in STRIPE_SETTINGS}
    app.config.update(
        STRIPE_API_BASE=localstripe,
        STRIPE_SECRET_KEY=SECRET_KEY,
        STRIPE_PUBLISHABLE_KEY=PUBLISHABLE_KEY,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_JS_URL=f"{localstripe}/js.stripe.com/v3/",
    )
    hook = f"{live_server.url}/{DEMO_SLUG}/payments/stripe/webhook"
    data = urllib.parse.urlencode({"url": hook, "secret": WEBHOOK_SECRET}).encode()
    urllib.request.urlopen(f"{localstripe}/_config/webhooks/e2e", data, timeout=5)
    yield live_server
    app.config.update(saved)


def _held_booking(live: LiveServer, weeks_ahead: int) -> tuple[int, str]:
    """A held online booking of a hall with a fee, for the demo citizen."""
    with live.app.app_context():
        try:
            tenant = db.session.scalar(select(Tenant).where(Tenant.slug == DEMO_SLUG))
            citizen = db.session.scalar(select(User).where(User.email == CITIZEN))
            hall = resources.create_resource(
                tenant, None, name=f"Bürgerhaus {weeks_ahead}", kind="hall", capacity=80
            )
            hall.fee_rules = RULES
            day = workday(after_days=40) + timedelta(weeks=weeks_ahead)
            booking = reservations.create_booking(
                tenant,
                citizen,
                hall,
                at(day, "18:00"),
                at(day, "22:00"),
                "Familienfeier",
                payment="online",
            ).booking
            intent_id = payments.payment_of(booking).intent_id
            db.session.commit()
            return booking.id, intent_id
        finally:
            db.session.remove()


def _state(live: LiveServer, booking_id: int) -> tuple[str, str | None, int]:
    with live.app.app_context():
        try:
            booking = db.session.get(Booking, booking_id)
            invoice = invoice_of(booking)
            return booking.status, invoice.status, invoice.paid_cents
        finally:
            db.session.remove()


def test_pay_with_three_d_secure_in_the_browser(stripe_live: LiveServer, page: Page) -> None:
    booking_id, _intent = _held_booking(stripe_live, weeks_ahead=1)
    login(page, CITIZEN, DEMO_PASSWORD)
    path = f"/{DEMO_SLUG}/bookings/{booking_id}/pay"
    visit(page, path, check=False)
    card = page.locator("#card-element input")
    expect(card.first).to_be_visible()
    visit(page, path)  # axe, with the card element mounted
    expect(page.locator("main")).to_contain_text("190,00")
    inputs = {
        name: page.locator(f'#card-element input[placeholder="{name}"]')
        for name in ("number", "exp_month", "exp_year", "cvc", "postal_code")
    }
    inputs["number"].fill("4000002760003184")
    inputs["exp_month"].fill("12")
    inputs["exp_year"].fill("34")
    inputs["cvc"].fill("123")
    inputs["postal_code"].fill("35037")
    page.get_by_role("button", name="190,00 € bezahlen").click()
    # localstripe's 3-D Secure dialog
    confirm = page.get_by_role("button", name="Complete authentication")
    expect(confirm).to_be_visible()
    confirm.click()
    page.wait_for_url(f"**/{DEMO_SLUG}/bookings/{booking_id}/payment")
    expect(page.locator("#payment-result")).to_contain_text("Ihre Buchung ist bestätigt")
    assert _state(stripe_live, booking_id) == ("confirmed", "paid", AMOUNT_CENTS)
    visit(page, f"/{DEMO_SLUG}/bookings/{booking_id}/payment")  # axe on the status page


def test_declined_card_shows_a_clear_message(stripe_live: LiveServer, page: Page) -> None:
    booking_id, _intent = _held_booking(stripe_live, weeks_ahead=2)
    login(page, CITIZEN, DEMO_PASSWORD)
    visit(page, f"/{DEMO_SLUG}/bookings/{booking_id}/pay", check=False)
    page.locator('#card-element input[placeholder="number"]').fill("4000000000000341")
    page.locator('#card-element input[placeholder="exp_month"]').fill("12")
    page.locator('#card-element input[placeholder="exp_year"]').fill("34")
    page.locator('#card-element input[placeholder="cvc"]').fill("123")
    page.locator('#card-element input[placeholder="postal_code"]').fill("35037")
    page.get_by_role("button", name="190,00 € bezahlen").click()
    expect(page.get_by_role("alert")).to_contain_text("Die Karte wurde abgelehnt")
    assert _state(stripe_live, booking_id)[0] == "held"


def test_the_signed_webhook_confirms_without_the_browser(
    stripe_live: LiveServer,
    localstripe,  # noqa: F811
) -> None:
    booking_id, intent_id = _held_booking(stripe_live, weeks_ahead=3)
    pay_at_stripe(localstripe, SimpleNamespace(intent_id=intent_id))  # the browser not involved
    deadline = time.monotonic() + 15
    while _state(stripe_live, booking_id)[0] == "held" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _state(stripe_live, booking_id) == ("confirmed", "paid", AMOUNT_CENTS)


def test_admin_sets_the_stripe_keys(stripe_live: LiveServer, page: Page) -> None:
    login(page, "admin@musterhausen.example", DEMO_PASSWORD)
    visit(page, f"/{DEMO_SLUG}/admin/payments/stripe")
    expect(page.locator("#secret-state")).to_have_text("nicht gesetzt")
    page.get_by_label("Geheimer Schlüssel", exact=True).fill("sk_test_e2e_geheim")
    page.get_by_role("button", name="Speichern").click()
    expect(page.locator("#secret-state")).to_have_text("gesetzt")
    assert "sk_test_e2e_geheim" not in page.content()
    with stripe_live.app.app_context():
        try:
            tenant = db.session.scalar(select(Tenant).where(Tenant.slug == DEMO_SLUG))
            tenant.stripe_secret_key_encrypted = None  # the other tests use the defaults
            db.session.commit()
        finally:
            db.session.remove()
