"""On a phone (390×844 CSS pixels, an ordinary smartphone held upright) the
pages people use on the go do not scroll sideways and pass axe: the
caretaker's overview and day sheet (tomorrow's, too) and "My bookings"."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page
from sqlalchemy import select

from booking.accounts.models import Organisation, User
from booking.demo import DEMO_PASSWORD, DEMO_SLUG
from booking.extensions import db
from booking.reservations import service as reservations
from booking.resources.models import Resource
from booking.tenants import localtime
from booking.tenants.models import Tenant
from tests.e2e.helpers import LiveServer, login, visit

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
CARETAKER = "hausmeister@musterhausen.example"
CLUB = "verein@musterhausen.example"


class P(NamedTuple):
    path: str
    login_as: str


def _tomorrow() -> str:
    """Tomorrow in the demo municipality (Europe/Berlin), not in UTC."""
    return (datetime.now(ZoneInfo("Europe/Berlin")).date() + timedelta(days=1)).isoformat()


@pytest.fixture(scope="module", autouse=True)
def _tomorrow_is_busy(live_server: LiveServer) -> Iterator[None]:
    """The caretaker's hall has bookings tomorrow with long names (a club's,
    a private one), so the day sheet has a table to lay out, not "nothing
    booked"."""
    with live_server.app.app_context():
        try:
            tenant = db.session.scalar(select(Tenant).where(Tenant.slug == DEMO_SLUG))
            member = db.session.scalar(select(User).where(User.email == CLUB))
            club = db.session.scalar(
                select(Organisation).where(Organisation.tenant_id == tenant.id)
            )
            hall = db.session.scalar(
                select(Resource).where(Resource.tenant_id == tenant.id, Resource.name == "Saal B")
            )
            day = datetime.fromisoformat(_tomorrow()).date()
            for begin, end, title, organisation in (
                (9, 12, "Seniorennachmittag mit Kaffee und Kuchen", None),
                (17, 21, "Jahreshauptversammlung der Abteilung Tischtennis", club),
            ):
                reservations.create_booking(
                    tenant,
                    member,
                    hall,
                    localtime.local_instant(tenant, day, time(begin)),
                    localtime.local_instant(tenant, day, time(end)),
                    title,
                    organisation=organisation,
                    on_conflict="reject",
                )
            db.session.commit()
        finally:
            db.session.remove()
    yield


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


@pytest.mark.parametrize("entry", PAGES, ids=_id)
def test_phone_page_has_no_region_that_scrolls_sideways(page: Page, entry: P) -> None:
    """Not even a table inside its own scrolling region: on these pages a
    phone user reads everything without swiping sideways."""
    page.set_viewport_size(PHONE)
    login(page, entry.login_as, DEMO_PASSWORD)
    visit(page, entry.path, check=False)
    regions = page.evaluate(
        """() => [...document.querySelectorAll('main *')]
            .filter(el => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX))
            .filter(el => el.scrollWidth > el.clientWidth + 1)
            .map(el => `${el.tagName.toLowerCase()}${el.className ? '.' + el.className : ''}`
                       + ` (${el.scrollWidth - el.clientWidth} px hidden)`)"""
    )
    assert not regions, f"{entry.path}: at 390 px these scroll sideways: {regions}"
