"""The cemetery in Chromium, as its users go through it: a funeral home
requests a burial (free times shown first, without JavaScript), a clerk
confirms it from the queue, and the family extends its grave right in the
family portal and pays the fee online with localstripe's Stripe.js. Every
page on the way passes axe, at 1280 px and at 390 px."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from booking.accounts.models import User
from booking.demo import DEMO_PASSWORD, DEMO_SLUG
from booking.extensions import db
from booking.fees.models import Invoice
from booking.tenants.models import Tenant
from cemetery import register, rights
from cemetery.models import Burial, Cemetery, GraveRight
from cemetery.rules import add_years
from tests.e2e.conftest import LiveServer
from tests.e2e.helpers import assert_accessible, login, visit
from tests.e2e.test_payment_flow import stripe_live  # noqa: F401  (the fixture)
from tests.payments.conftest import localstripe  # noqa: F401  (the fixture)

pytestmark = pytest.mark.e2e

FUNERAL_HOME = "bestatter@musterhausen.example"
CLERK = "sachbearbeitung@musterhausen.example"
FAMILY = "buerger@musterhausen.example"
BASE = f"/{DEMO_SLUG}"


def _in_app(live: LiveServer, work):
    with live.app.app_context():
        try:
            result = work()
            db.session.commit()
            return result
        finally:
            db.session.remove()


def _family_right(live: LiveServer, code: str) -> tuple[int, date]:
    """A Wahlgrab of the demo cemetery whose right the demo citizen holds
    (linked to their account), ending in three years: its id and end."""

    def work() -> tuple[int, date]:
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == DEMO_SLUG))
        cemetery = db.session.scalar(select(Cemetery).where(Cemetery.tenant_id == tenant.id))
        user = db.session.scalar(select(User).where(User.email == FAMILY))
        plot = register.create_plot(
            tenant, None, cemetery, code=code, grave_type="wahlgrab", section="E2E"
        )
        holder = rights.find_or_create_contact(
            tenant,
            name="Bernd Bürger",
            street="Lindenweg 2",
            postcode="12345",
            city="Musterhausen",
            email=FAMILY,
            user_id=user.id,
        )
        today = register.local_today(tenant)
        right = rights.acquire_right(
            tenant, None, plot, holder, start=today - timedelta(days=27 * 365), years=30, bill=False
        )
        return right.id, right.end_date

    return _in_app(live, work)


@pytest.fixture
def actor_page(browser: Browser, live_server: LiveServer) -> Iterator:
    """``actor_page(email, width=1280)``: a signed-in page in its own profile."""
    contexts = []

    def make(email: str, width: int = 1280) -> Page:
        context = browser.new_context(
            base_url=live_server.url, locale="de-DE", viewport={"width": width, "height": 900}
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        login(page, email, DEMO_PASSWORD)
        return page

    yield make
    for context in contexts:
        context.close()


def _no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the viewport"


@pytest.mark.parametrize("width", [1280, 390])
def test_request_confirm_and_pay_the_extension(
    stripe_live: LiveServer,  # noqa: F811
    actor_page,
    width: int,
) -> None:
    # The funeral home asks for an urn burial in a new Urnenreihengrab.
    home = actor_page(FUNERAL_HOME, width)
    visit(home, f"{BASE}/burials/new")
    home.get_by_label("Urne", exact=True).check()
    home.get_by_label("Name der verstorbenen Person").fill(f"Erna Beispiel {width}")
    home.get_by_label("Geburtsdatum", exact=True).fill("1940-02-01")
    home.get_by_label("Sterbedatum", exact=True).fill("2026-11-28")
    home.get_by_label("Neues Reihengrab der Grabart").select_option(label="Urnenreihengrab")
    home.get_by_label("Nutzungsberechtigte Person: Name").fill("Karl Beispiel")
    home.get_by_label("Straße und Hausnummer").fill("Am Markt 1")
    home.get_by_label("Postleitzahl").fill("12345")
    home.get_by_label("Ort", exact=True).fill("Musterhausen")
    home.get_by_label("Trauerfeier in der Trauerhalle").check()
    home.get_by_role("button", name="Freie Zeiten anzeigen").click()
    slots = home.locator('main input[name="start"]')
    expect(slots.first).to_be_visible()
    assert_accessible(home)
    _no_sideways_scroll(home)
    slots.nth(1 if width == 390 else 0).check()
    home.get_by_role("button", name="Verbindlich anfragen").click()
    expect(home.locator("main")).to_contain_text(f"Erna Beispiel {width}")
    burial_path = home.url.split(stripe_live.url, 1)[1]
    assert "/burials/" in burial_path
    assert_accessible(home)
    burial_id = int(burial_path.rstrip("/").rsplit("/", 1)[1])
    assert _in_app(stripe_live, lambda: db.session.get(Burial, burial_id).status) == "requested"

    # The clerk confirms it from the queue.
    clerk = actor_page(CLERK, width)
    visit(clerk, f"{BASE}/burials/queue")
    _no_sideways_scroll(clerk)
    row = clerk.locator("tr", has_text=f"Erna Beispiel {width}")
    row.locator("button", has_text="Bestätigen").click()
    expect(clerk.locator(".flash, [role=status]").first).to_be_visible()
    assert _in_app(stripe_live, lambda: db.session.get(Burial, burial_id).status) == "confirmed"
    visit(home, burial_path)  # the funeral home sees it confirmed
    expect(home.locator("main")).to_contain_text("bestätigt")

    # The family extends its Wahlgrab right by two years and pays online.
    code = f"E2E-01-{width}"
    right_id, old_end = _family_right(stripe_live, code)
    family = actor_page(FAMILY, width)
    visit(family, f"{BASE}/my-graves/")
    _no_sideways_scroll(family)
    expect(family.locator("main")).to_contain_text(code)
    visit(family, f"{BASE}/my-graves/rights/{right_id}/extend?years=2")
    family.get_by_role("button", name="Verbindlich beantragen").click()
    family.wait_for_url("**/invoices/*")
    assert_accessible(family)
    end, invoice_id = _in_app(
        stripe_live,
        lambda: (
            db.session.get(GraveRight, right_id).end_date,
            db.session.scalar(
                select(Invoice.id).where(Invoice.subject == "cemetery").order_by(Invoice.id.desc())
            ),
        ),
    )
    assert end == add_years(old_end, 2)
    family.get_by_role("link", name="Online bezahlen").click()
    card = family.locator("#card-element input")
    expect(card.first).to_be_visible()
    assert_accessible(family)
    _no_sideways_scroll(family)
    for name, value in (
        ("number", "4242424242424242"),
        ("exp_month", "12"),
        ("exp_year", "34"),
        ("cvc", "123"),
        ("postal_code", "12345"),
    ):
        family.locator(f'#card-element input[placeholder="{name}"]').fill(value)
    family.locator("main form button[type=submit]").click()
    family.wait_for_url(f"**/invoices/{invoice_id}/payment")
    expect(family.locator("#payment-result")).to_contain_text("Die Zahlung ist eingegangen")
    status, paid, total = _in_app(
        stripe_live,
        lambda: (
            (invoice := db.session.get(Invoice, invoice_id)).status,
            invoice.paid_cents,
            invoice.total_cents,
        ),
    )
    assert status == "paid"
    assert paid == total > 0
