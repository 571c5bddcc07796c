"""A club member books the demo Sporthalle (which needs approval) through
the form — preview, then confirm — runs into a conflict on a second try,
and the demo clerk approves the request in the queue. The caretaker looks
at the schedule. Every page on the way passes axe."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from playwright.sync_api import Page
from sqlalchemy import select

from booking.demo import DEMO_PASSWORD, DEMO_SLUG
from booking.extensions import db
from booking.reservations.models import Booking
from booking.resources.models import Resource
from booking.tenants.models import Tenant
from tests.e2e.conftest import LiveServer
from tests.e2e.helpers import assert_accessible, form_with, login, submit, visit

pytestmark = pytest.mark.e2e

MEMBER = "verein@musterhausen.example"
CLERK = "sachbearbeitung@musterhausen.example"
CARETAKER = "hausmeister@musterhausen.example"
TITLE = "Hallenturnier der Jugend"


def free_wednesday(after_days: int = 45) -> date:
    """A Wednesday well ahead that is no public holiday in Hesse."""
    day = datetime.now(ZoneInfo("Europe/Berlin")).date() + timedelta(days=after_days)
    day += timedelta(days=(2 - day.weekday()) % 7)
    while day in holidays.Germany(subdiv="HE", years=day.year):
        day += timedelta(days=7)
    return day


def resource_id(live_server: LiveServer, name: str) -> int:
    with live_server.app.app_context():
        try:
            tenant = db.session.scalar(select(Tenant).where(Tenant.slug == DEMO_SLUG))
            return db.session.scalar(
                select(Resource.id).where(Resource.tenant_id == tenant.id, Resource.name == name)
            )
        finally:
            db.session.remove()


def booking_status(live_server: LiveServer, title: str) -> str:
    with live_server.app.app_context():
        try:
            return db.session.scalar(select(Booking.status).where(Booking.title == title))
        finally:
            db.session.remove()


def fill_booking_form(page: Page, day: date, start: str, end: str) -> None:
    form = form_with(page, "title")
    form.locator('[name="title"]').fill(TITLE)
    form.locator('[name="date"]').fill(day.isoformat())
    form.locator('[name="start_time"]').fill(start)
    form.locator('[name="end_time"]').fill(end)
    form.locator('[name="organisation"]').select_option(label="TSV Musterhausen 1890 e. V.")


def test_member_books_the_sports_hall_and_the_clerk_approves(
    page: Page, live_server: LiveServer
) -> None:
    day = free_wednesday()
    hall = resource_id(live_server, "Sporthalle")
    base = f"/{DEMO_SLUG}"

    # The week view is public and shows busy times only.
    visit(page, f"{base}/halls/{hall}/week?start={day.isoformat()}")
    visit(page, f"{base}/halls/free?date={day.isoformat()}&from=18:00&to=20:00")
    assert page.locator("#results-title").count() == 1

    # The club member books through the form: preview first …
    login(page, MEMBER, DEMO_PASSWORD)
    visit(page, f"{base}/halls/{hall}/week?start={day.isoformat()}")
    with page.expect_navigation():
        page.get_by_role("link", name="Sporthalle buchen").click()
    assert_accessible(page)
    fill_booking_form(page, day, "18:00", "20:00")
    response = submit(page, form_with(page, "title"))
    assert response.status == 200
    assert page.get_by_role("heading", level=1).inner_text() == "Buchung prüfen"
    assert page.locator("#fee").inner_text() == "kostenlos"
    assert booking_status(live_server, TITLE) is None, "the preview wrote a booking"
    assert_accessible(page)

    # … then confirm: a request, since the Sporthalle needs approval.
    response = submit(page, form_with(page, "title"))
    assert response.status < 400
    assert re.search(rf"{base}/bookings/\d+$", page.url)
    assert "angefragt" in page.locator("main").inner_text()
    assert_accessible(page)
    assert booking_status(live_server, TITLE) == "requested"

    visit(page, f"{base}/bookings/mine")
    assert TITLE in page.locator("main").inner_text()

    # The same time again: a friendly conflict with alternatives, nothing booked.
    visit(page, f"{base}/halls/{hall}/book")
    fill_booking_form(page, day, "19:00", "21:00")
    response = submit(page, form_with(page, "title"))
    assert response.status == 409
    assert page.locator("#conflict").count() == 1
    # It names the busy time in the way (the club's request, set-up included),
    # and whose it is, never a person's name.
    in_the_way = page.locator("#conflict").inner_text()
    assert "Im Weg ist" in in_the_way
    assert "eine Buchung von TSV" in in_the_way or "Ihre eigene Buchung" in in_the_way
    assert_accessible(page)

    # The clerk approves it in the queue.
    page.context.clear_cookies()
    login(page, CLERK, DEMO_PASSWORD)
    visit(page, f"{base}/staff/approvals")
    request = page.locator("section", has_text=TITLE)
    request.locator("textarea").fill("Halle ist frei, viel Erfolg!")
    with page.expect_navigation():
        request.get_by_role("button", name=re.compile("^Freigeben")).click()
    assert "ist freigegeben" in page.locator(".flashes").inner_text()
    assert_accessible(page)
    assert booking_status(live_server, TITLE) == "confirmed"

    visit(page, f"{base}/staff/calendar?view=week&date={day.isoformat()}")
    assert TITLE in page.locator("main").inner_text()
    visit(page, f"{base}/staff/calendar?view=day&date={day.isoformat()}")
    with page.expect_navigation():
        page.get_by_role("link", name=TITLE).first.click()
    assert "Halle ist frei, viel Erfolg!" in page.locator("main").inner_text()  # history
    assert_accessible(page)


def test_caretaker_pages(page: Page) -> None:
    login(page, CARETAKER, DEMO_PASSWORD)
    visit(page, f"/{DEMO_SLUG}/caretaker/")
    visit(page, f"/{DEMO_SLUG}/caretaker/day")
    assert "Drucken" in page.locator("main").inner_text()
