"""The time grids and the month overview in a real browser: axe-core at
desktop and phone width, keyboard focus on the clerk's blocks, the phone
layout (the grid scrolls in its own frame, the page never sideways) and
printing (one A4 landscape page, no navigation)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from booking.demo import DEMO_PASSWORD
from tests.e2e.helpers import login, visit

pytestmark = pytest.mark.e2e

CLERK = "sachbearbeitung@musterhausen.example"
WEEK = "/musterhausen/halls/1/week"
MONTH = "/musterhausen/halls/1/month"
CALENDAR = "/musterhausen/staff/calendar"
PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize(
    "path,who",
    [
        (WEEK, None),
        (MONTH, None),
        (CALENDAR, CLERK),
        (CALENDAR + "?view=day", CLERK),
        (CALENDAR + "?show=chapel", CLERK),
    ],
)
def test_grid_pages_pass_axe_and_never_scroll_sideways(
    page: Page, path: str, who: str | None, width: int
) -> None:
    if who:
        login(page, who, DEMO_PASSWORD)
    page.set_viewport_size({"width": width, "height": 900})
    visit(page, path)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{path} scrolls {overflow}px sideways at {width}px"


def test_a_malformed_month_is_an_accessible_400(page: Page) -> None:
    visit(page, MONTH + "?month=2027-13", status=400)
    assert "kein gültiger Monat" in page.locator("main").inner_text()


def test_the_clerk_reaches_a_booking_from_the_grid_by_keyboard(page: Page) -> None:
    login(page, CLERK, DEMO_PASSWORD)
    visit(page, CALENDAR, check=False)
    first = page.locator("a.tg-block").first
    assert first.count() == 1, "the demo has bookings this week"
    first.focus()
    # Focus the block the way a keyboard user does: Tab from the element before it.
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('tg-block')")
    ring = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineWidth, s.boxShadow]; })()"
    )
    assert ring[0] != "none" and ring[1] != "0px" and ring[2] != "none", ring
    href = page.evaluate("document.activeElement.getAttribute('href')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(href) and re.search(r"/bookings/\d+$", page.url)


def test_on_a_phone_the_grid_scrolls_in_its_frame_with_the_hours_in_place(page: Page) -> None:
    login(page, CLERK, DEMO_PASSWORD)
    page.set_viewport_size(PHONE)
    visit(page, CALENDAR + "?show=halls", check=False)
    frame = page.locator(".tg-frame").first
    widths = frame.evaluate("f => [f.scrollWidth, f.clientWidth]")
    assert widths[0] > widths[1], "seven days do not fit 390 px: the frame scrolls"
    hours = page.locator(".tg-hours").first
    assert hours.evaluate("h => getComputedStyle(h).position") == "sticky"
    before = hours.bounding_box()
    frame.evaluate("f => { f.scrollLeft = 400; }")
    after = hours.bounding_box()
    assert before and after and abs(before["x"] - after["x"]) < 1
    # The list stays: the same entries as a table below the grid.
    assert page.locator("table.calendar-grid").count() == 1


def test_the_week_prints_on_one_a4_landscape_page_without_navigation(page: Page) -> None:
    visit(page, WEEK, check=False)
    page.emulate_media(media="print")
    assert page.locator(".site-header").evaluate("e => getComputedStyle(e).display") == "none"
    assert page.locator("nav.pager").evaluate("e => getComputedStyle(e).display") == "none"
    assert page.locator(".tg-frame").is_visible()
    assert not page.locator("table").first.is_visible()  # the grid is the printout
    pdf = page.pdf(format="A4", landscape=True, prefer_css_page_size=True, print_background=True)
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages == 1, f"the week prints on {pages} pages"
