"""Layout in a real browser: the free-hall results and a booking's history
fit a phone (390 px) without anything scrolling sideways, the staff header
fits two lines at 1280 px and hides nothing at 390 px, and the page check
(``assert_accessible``) also runs axe's landmark rules."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page

from booking.demo import DEMO_PASSWORD
from tests.e2e.helpers import assert_accessible, login, visit

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
CITIZEN = "buerger@musterhausen.example"
CLERK = "sachbearbeitung@musterhausen.example"
ADMIN = "admin@musterhausen.example"

SIDEWAYS = """() => {
    const page = document.documentElement.scrollWidth - document.documentElement.clientWidth;
    const regions = [...document.querySelectorAll('main *')]
        .filter(el => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX))
        .filter(el => el.scrollWidth > el.clientWidth + 1)
        .map(el => `${el.tagName.toLowerCase()}.${el.className} (${el.scrollWidth - el.clientWidth} px)`);
    return {page, regions};
}"""


def _next_tuesday() -> str:
    today = datetime.now(ZoneInfo("Europe/Berlin")).date()
    return (today + timedelta(days=(1 - today.weekday()) % 7 or 7)).isoformat()


def assert_fits(page: Page) -> None:
    widths = page.evaluate(SIDEWAYS)
    assert widths["page"] <= 0, f"the page scrolls {widths['page']} px sideways"
    assert not widths["regions"], f"these scroll sideways: {widths['regions']}"


def assert_inside_viewport(page: Page, selector: str) -> None:
    width = page.viewport_size["width"]
    items = page.locator(selector)
    assert items.count(), f"nothing matches {selector}"
    for index in range(items.count()):
        item = items.nth(index)
        box = item.bounding_box()
        assert item.is_visible() and box is not None, f"{selector} #{index} is hidden"
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (
            f"{item.inner_text()!r} lies outside the {width} px viewport: {box}"
        )


def test_free_hall_results_fit_a_phone_and_show_the_book_links(page: Page) -> None:
    page.set_viewport_size(PHONE)
    login(page, CITIZEN, DEMO_PASSWORD)
    visit(page, f"/musterhausen/halls/free?date={_next_tuesday()}&from=10:00&to=12:00")
    assert_fits(page)
    assert_inside_viewport(page, "#results-title ~ .table-scroll a:text-matches('buchen$')")


def test_booking_history_fits_a_phone_as_staff_see_it(page: Page) -> None:
    page.set_viewport_size(PHONE)
    login(page, CLERK, DEMO_PASSWORD)
    visit(page, "/musterhausen/bookings/1")
    assert page.locator("table.stack td[data-label]").count(), "the demo series has no history"
    assert_fits(page)
    assert_inside_viewport(page, "table.stack td")


def _header_rows(page: Page) -> list[float]:
    """The distinct lines (top edges, rounded) the header's links, buttons
    and the name sit on."""
    tops = page.evaluate(
        """() => [...document.querySelectorAll(
                '.site-header .brand a, .site-header nav a, .site-header button')]
            .map(el => el.getBoundingClientRect())
            .map(box => Math.round(box.top + box.height / 2))"""
    )
    rows: list[float] = []
    for top in sorted(tops):
        if not rows or top - rows[-1] > 12:  # one line: centres within 12 px
            rows.append(top)
    return rows


@pytest.mark.parametrize("email", [CLERK, ADMIN])
def test_staff_header_fits_two_lines_at_1280(page: Page, email: str) -> None:
    page.set_viewport_size(DESKTOP)
    login(page, email, DEMO_PASSWORD)
    visit(page, "/musterhausen/staff/approvals")
    rows = _header_rows(page)
    assert len(rows) <= 2, f"the header takes {len(rows)} lines at 1280 px: {rows}"
    # The account links and the language share the name's line.
    name = page.locator(".site-header .brand a").bounding_box()
    logout = page.get_by_role("button", name="Abmelden").bounding_box()
    language = page.locator(".site-header form.lang-switch button").bounding_box()
    for box in (logout, language):
        assert abs((box["y"] + box["height"] / 2) - (name["y"] + name["height"] / 2)) <= 12


def test_staff_header_hides_nothing_at_390(page: Page) -> None:
    page.set_viewport_size(PHONE)
    login(page, ADMIN, DEMO_PASSWORD)
    visit(page, "/musterhausen/staff/approvals")
    assert_inside_viewport(page, ".site-header nav a, .site-header button")
    for name in ("Verwaltung", "Freigaben", "Kalender", "Profil"):
        assert page.get_by_role("link", name=name, exact=True).is_visible()
    assert page.get_by_role("button", name="Abmelden").is_visible()
    assert_fits(page)


def test_page_check_runs_the_landmark_rules(page: Page) -> None:
    """Two navigation landmarks with the same name pass the WCAG rules but
    not axe's ``landmark-unique``: ``assert_accessible`` must catch them."""
    page.set_content(
        '<!doctype html><html lang="de"><head><title>Test</title></head><body>'
        '<header><nav aria-label="Menü"><a href="#a">A</a></nav></header>'
        '<main><h1>Seite</h1><nav aria-label="Menü"><a href="#b">B</a></nav></main>'
        "</body></html>"
    )
    with pytest.raises(AssertionError, match="landmark-unique"):
        assert_accessible(page)
