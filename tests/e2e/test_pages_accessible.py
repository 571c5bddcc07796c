"""Every page passes axe-core (WCAG 2.1 A and AA). A new page is one line in
PAGES: its path, who is signed in (None: nobody) and, for error pages, the
expected status."""

from __future__ import annotations

from typing import NamedTuple

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from booking.demo import DEMO_PASSWORD
from tests.e2e.helpers import (
    CHECKED_PATHS,
    MAIN_PAGES,
    assert_accessible,
    form_with,
    login,
    submit,
    visit,
)

pytestmark = pytest.mark.e2e

ADMIN = "admin@musterhausen.example"
CLERK = "sachbearbeitung@musterhausen.example"
CLUB = "verein@musterhausen.example"
CITIZEN = "buerger@musterhausen.example"
FUNERAL_HOME = "bestatter@musterhausen.example"


class P(NamedTuple):
    path: str
    login_as: str | None = None
    status: int | None = None  # None: any status below 400


PAGES = [
    P("/"),
    P("/musterhausen/"),
    P("/account/login"),
    P("/account/register"),
    P("/account/forgot"),
    P("/musterhausen/gibt-es-nicht", status=404),
    P("/gibt-es-nicht/", status=404),
    P("/musterhausen/admin/", login_as=ADMIN),
    # Hall booking screens (the demo's first hall, the Dorfgemeinschaftshaus, is id 1).
    P("/musterhausen/halls/1/week"),
    P("/musterhausen/halls/free"),
    P("/musterhausen/halls/1/book", login_as="verein@musterhausen.example"),
    P("/musterhausen/bookings/mine", login_as="verein@musterhausen.example"),
    P("/musterhausen/staff/approvals", login_as="sachbearbeitung@musterhausen.example"),
    P("/musterhausen/staff/calendar", login_as="sachbearbeitung@musterhausen.example"),
    P("/musterhausen/caretaker/", login_as="hausmeister@musterhausen.example"),
    P("/musterhausen/caretaker/day", login_as="hausmeister@musterhausen.example"),
    P("/musterhausen/staff/calendar?view=week", login_as=CLERK),
    # Catalogue and hall pages, cemeteries.
    P("/musterhausen/halls/"),
    P("/musterhausen/halls/1"),
    P("/musterhausen/cemeteries/"),
    P("/musterhausen/cemeteries/1"),
    # The demo's first booking: the club's weekly training, approved.
    P("/musterhausen/bookings/1", login_as=CLUB),
    P("/musterhausen/bookings/1", login_as=CLERK),
    P("/musterhausen/bookings/1/cancel", login_as=CLUB),
    P("/musterhausen/bookings/1/occurrences/1/move", login_as=CLERK),
    # Accounts and organisations.
    P("/account/profile", login_as=CLUB),
    P("/musterhausen/organisations/", login_as=CLUB),
    P("/musterhausen/organisations/1", login_as=CLUB),
    P("/musterhausen/organisations/new", login_as=CLUB),
    # Administration.
    P("/musterhausen/admin/roles", login_as=ADMIN),
    P("/musterhausen/admin/outbox", login_as=ADMIN),
    P("/musterhausen/admin/jobs", login_as=ADMIN),
    P("/musterhausen/admin/settings", login_as=ADMIN),
    P("/musterhausen/admin/audit", login_as=ADMIN),
    P("/musterhausen/admin/resources/", login_as=ADMIN),
    P("/musterhausen/admin/resources/new", login_as=ADMIN),
    P("/musterhausen/admin/resources/1", login_as=ADMIN),
    P("/musterhausen/admin/resources/1/edit", login_as=ADMIN),
    P("/musterhausen/admin/resources/1/hours", login_as=ADMIN),
    P("/musterhausen/admin/resources/closures", login_as=CLERK),
    # The cemetery: register, burials, family portal, fees, import, grave search.
    P("/musterhausen/grave-search"),
    P("/musterhausen/grave-search?cemetery_id=1&name=Koch"),
    P("/musterhausen/grave-search?cemetery_id=1&name=K", status=422),
    P("/musterhausen/cemeteries/", login_as=CLERK),
    P("/musterhausen/cemeteries/1", login_as=CLERK),
    P("/musterhausen/cemeteries/1/edit", login_as=CLERK),
    P("/musterhausen/cemeteries/1/plots", login_as=CLERK),
    P("/musterhausen/cemeteries/1/plots/new", login_as=CLERK),
    P("/musterhausen/cemeteries/1/plots/row", login_as=CLERK),
    P("/musterhausen/cemeteries/plots/1", login_as=CLERK),
    P("/musterhausen/cemeteries/1/sections", login_as=CLERK),
    P("/musterhausen/cemeteries/1/sections/1/map", login_as=CLERK),
    P("/musterhausen/cemeteries/expired", login_as=CLERK),
    P("/musterhausen/cemeteries/grave-types", login_as=ADMIN),
    P("/musterhausen/cemeteries/import/", login_as=CLERK),
    P("/musterhausen/burials/", login_as=FUNERAL_HOME),
    P("/musterhausen/burials/new", login_as=FUNERAL_HOME),
    P("/musterhausen/burials/queue", login_as=CLERK),
    P("/musterhausen/burials/day-sheet", login_as=CLERK),
    P("/musterhausen/burials/day-sheet/1", login_as=CLERK),
    P("/musterhausen/my-graves/", login_as=CITIZEN),
    P("/musterhausen/my-graves/link", login_as=CLERK),
    P("/musterhausen/my-graves/letters", login_as=CLERK),
    P("/musterhausen/admin/cemetery-fees/", login_as=ADMIN),
    # Calendar subscriptions (the admin also sees everyone else's).
    P("/musterhausen/calendar-subscriptions/", login_as="hausmeister@musterhausen.example"),
    P("/musterhausen/calendar-subscriptions/", login_as=ADMIN),
]


def _id(entry: P) -> str:
    return entry.path + (f" as {entry.login_as.split('@')[0]}" if entry.login_as else "")


@pytest.mark.parametrize("entry", PAGES, ids=_id)
def test_page_is_accessible(page: Page, entry: P) -> None:
    if entry.login_as:
        login(page, entry.login_as, DEMO_PASSWORD)
    visit(page, entry.path, status=entry.status)


@pytest.mark.parametrize("entry", PAGES, ids=_id)
def test_page_reflows_at_320_css_pixels(page: Page, entry: P) -> None:
    """WCAG 1.4.10: at 320 px width nothing scrolls sideways (wide tables
    scroll inside their own region)."""
    if entry.login_as:
        login(page, entry.login_as, DEMO_PASSWORD)
    page.set_viewport_size({"width": 320, "height": 640})
    visit(page, entry.path, status=entry.status, check=False)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{entry.path} is {overflow}px wider than a 320px viewport"


def test_form_errors_are_announced_and_accessible(page: Page) -> None:
    """A rejected form: error summary with links to the fields, the fields
    marked invalid and described by their message; still passes axe."""
    visit(page, "/account/register", check=False)
    form = form_with(page, "password_confirm")
    form.locator('[name="email"]').fill("keine-adresse")
    form.locator('[name="name"]').fill("Erika Muster")
    form.locator('[name="password"]').fill("ein-langes-sicheres-passwort")
    form.locator('[name="password_confirm"]').fill("ein-langes-sicheres-passwort")
    response = submit(page, form)
    assert response.status < 500
    summary = page.locator(".error-summary")
    assert summary.count() == 1, "no error summary after an invalid registration"
    assert summary.locator('a[href="#email"]').count() == 1, summary.inner_text()
    email = page.locator("#email")
    assert email.get_attribute("aria-invalid") == "true"
    described = (email.get_attribute("aria-describedby") or "").split()
    assert "email-error" in described, described
    assert_accessible(page)


def test_failed_login_is_accessible(page: Page) -> None:
    visit(page, "/account/login", check=False)
    form = form_with(page, "password")
    form.locator('[name="email"]').fill("admin@musterhausen.example")
    form.locator('[name="password"]').fill("falsches-passwort")
    submit(page, form)
    assert page.locator(".error-summary").count() == 1
    assert_accessible(page)


AXE = Axe()  # the bundled axe-core script, as in tests.e2e.helpers
LANDMARK_RULES = {
    "runOnly": {
        "type": "rule",
        "values": [
            "landmark-unique",
            "landmark-one-main",
            "landmark-no-duplicate-banner",
            "landmark-no-duplicate-contentinfo",
        ],
    },
    "resultTypes": ["violations"],
}


def test_staff_booking_page_has_unique_landmarks(page: Page) -> None:
    """axe's best-practice landmark rules (not in the WCAG tags ``visit``
    runs) on the clerk's view of a booking: an approved series with its
    history, and a request with its decision form. Every scrolling region
    is named by its own heading, not the generic table hint it shared with
    the other tables of the page."""
    login(page, CLERK, DEMO_PASSWORD)
    visit(page, "/musterhausen/staff/approvals")
    request = page.locator("main h2 a[href*='/bookings/']").first.get_attribute("href")
    for path in ("/musterhausen/bookings/1", request):
        visit(page, path)
        if path.endswith("/bookings/1"):
            assert page.get_by_role("region", name="Verlauf").count() == 1
        violations = AXE.run(page, options=LANDMARK_RULES).response["violations"]
        assert violations == [], [(v["id"], [n["html"] for n in v["nodes"]]) for v in violations]


def test_main_pages_were_all_checked(request: pytest.FixtureRequest) -> None:
    """Runs last: the main pages all passed axe in this session. Skipped when
    only some of the browser tests were selected."""
    selected = {item.nodeid.split("::")[-1] for item in request.session.items}
    needed = {f"test_page_is_accessible[{_id(entry)}]" for entry in PAGES}
    needed.add("test_register_confirm_login_profile_and_language")
    if not needed <= selected:
        pytest.skip("only part of the browser tests ran")
    expected = MAIN_PAGES | {entry.path for entry in PAGES}
    missing = sorted(expected - CHECKED_PATHS)
    assert not missing, f"never checked with axe: {missing}"
