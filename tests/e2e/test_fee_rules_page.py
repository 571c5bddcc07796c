"""The admin's "Gebühren" page and the booking preview with a fee in
Chromium: both pass axe, also with errors and after filling the example
schedule; nothing here saves (the live server's demo data stays as seeded)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import Page

from booking.demo import DEMO_PASSWORD
from tests.e2e.helpers import assert_accessible, form_with, login, submit, visit
from tests.e2e.test_booking_flow import resource_id

pytestmark = pytest.mark.e2e

ADMIN = "admin@musterhausen.example"
CITIZEN = "buerger@musterhausen.example"


def test_fee_page_is_accessible_with_example_and_errors(page: Page, live_server) -> None:
    login(page, ADMIN, DEMO_PASSWORD)
    house = resource_id(live_server, "Dorfgemeinschaftshaus")
    visit(page, f"/musterhausen/admin/resources/{house}/fees")
    assert page.locator('[name="resident_amount"]').input_value() == "200,00"
    page.get_by_role("button", name="Beispiel-Gebührenordnung übernehmen").click()
    page.wait_for_load_state()
    assert "Noch ist nichts gespeichert" in page.inner_text("main")
    assert_accessible(page)
    page.locator('[name="resident_amount"]').fill("12,505")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Speichern", exact=True).click()
    assert navigation.value.status == 422
    assert "zwei Stellen nach dem Komma" in page.inner_text("main")
    assert_accessible(page)


def test_preview_shows_the_itemised_fee(page: Page, live_server) -> None:
    login(page, CITIZEN, DEMO_PASSWORD)
    room = resource_id(live_server, "Mehrzweckraum")
    visit(page, f"/musterhausen/halls/{room}/book", check=False)
    form = form_with(page, "title")
    form.locator('[name="title"]').fill("Geburtstagsfeier")
    form.locator('[name="date"]').fill((date.today() + timedelta(days=63)).isoformat())
    form.locator('[name="start_time"]').fill("10:00")
    form.locator('[name="end_time"]').fill("12:00")
    response = submit(page, form)
    assert response.status == 200, page.inner_text("main")
    fee = page.locator("#fee").inner_text()
    assert "Nutzungsentgelt" in fee and "€" in fee
    assert_accessible(page)
