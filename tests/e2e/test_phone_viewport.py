"""On a phone (390×844 CSS pixels, an ordinary smartphone held upright) the
pages people use on the go do not scroll sideways and pass axe: the
caretaker's overview and day sheet (tomorrow's, too) and "My bookings"."""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

import pytest
from playwright.sync_api import Page

from booking.demo import DEMO_PASSWORD
from tests.e2e.helpers import login, visit

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
CARETAKER = "hausmeister@musterhausen.example"
CLUB = "verein@musterhausen.example"


class P(NamedTuple):
    path: str
    login_as: str


def _tomorrow() -> str:
    return (date.today() + timedelta(days=1)).isoformat()


PAGES = [
    P("/musterhausen/caretaker/", CARETAKER),
    P("/musterhausen/caretaker/day", CARETAKER),
    P(f"/musterhausen/caretaker/day?date={_tomorrow()}", CARETAKER),
    P("/musterhausen/bookings/mine", CLUB),
]


def _id(entry: P) -> str:
    return f"{entry.path} as {entry.login_as.split('@')[0]}"


@pytest.mark.parametrize("entry", PAGES, ids=_id)
def test_phone_page_does_not_scroll_sideways_and_passes_axe(page: Page, entry: P) -> None:
    page.set_viewport_size(PHONE)
    login(page, entry.login_as, DEMO_PASSWORD)
    visit(page, entry.path, check=False)
    widths = page.evaluate(
        "({scroll: document.documentElement.scrollWidth,"
        " client: document.documentElement.clientWidth})"
    )
    assert widths["scroll"] <= widths["client"], (
        f"{entry.path} scrolls sideways at 390 px: the page is {widths['scroll']} px wide, "
        f"{widths['scroll'] - widths['client']} px wider than the {widths['client']} px viewport"
    )
    visit(page, entry.path)  # again, now with axe (WCAG 2.1 A and AA)
