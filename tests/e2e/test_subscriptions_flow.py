"""The demo caretaker subscribes to their hall's calendar: from the
caretaker page to "Kalender-Abonnements", creates one, sees the webcal and
https addresses (copyable) and the QR code, at 1280 px and on a phone
(390 px: nothing wider than the screen), then ends it — after which its
address answers 404. Every page on the way passes axe.

Screenshots go to $SHOTS_DIR (default /tmp/shots-subs)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from booking.demo import DEMO_PASSWORD
from tests.e2e.helpers import assert_accessible, form_with, login, submit, visit

pytestmark = pytest.mark.e2e

CARETAKER = "hausmeister@musterhausen.example"
PAGE = "/musterhausen/calendar-subscriptions/"
SHOTS = Path(os.environ.get("SHOTS_DIR", "/tmp/shots-subs"))
FEED = re.compile(r"^http://127\.0\.0\.1:\d+/musterhausen/feeds/[A-Za-z0-9_-]{43}\.ics$")


def _overflow(page: Page) -> int:
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def _wider_than_the_screen(page: Page) -> list[str]:
    """Elements in <main> whose right edge lies past the viewport."""
    return page.evaluate(
        """() => [...document.querySelectorAll('main *')]
            .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
            .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                 + (el.className && typeof el.className === 'string' ? '.' + el.className : ''))"""
    )


@pytest.mark.parametrize("width", [1280, 390])
def test_caretaker_subscribes_sees_links_and_qr_and_revokes(page: Page, width: int) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})
    login(page, CARETAKER, DEMO_PASSWORD)
    visit(page, "/musterhausen/caretaker/", check=False)
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("Kalender abonnieren")).click()
    assert page.url.endswith(PAGE + "?what=resource")
    assert_accessible(page)
    form = form_with(page, "what")
    options = form.locator('select[name="what"] option')
    values = options.evaluate_all("els => els.map(e => e.value)")
    assert "mine" in values and "tenant" not in values
    assert any(v.startswith("resource:") for v in values)  # one hall at a time, too
    # Preselected: all the caretaker's halls in one calendar.
    assert form.locator('select[name="what"]').input_value() == "resource"
    response = submit(page, form)
    assert response.status == 201
    assert response.headers["cache-control"] == "no-store"

    https = page.get_by_label("Adresse für Google Kalender (https)")
    webcal = page.get_by_label("Adresse zum Abonnieren (webcal)")
    url = https.input_value()
    assert FEED.match(url), url
    assert webcal.input_value() == "webcal://" + url.split("://", 1)[1]
    assert https.get_attribute("readonly") is not None
    qr = page.get_by_role("img", name=re.compile("QR-Code"))
    assert qr.count() == 1 and qr.is_visible()
    box = qr.bounding_box()
    assert box is not None and box["width"] >= 150, box
    # The copy buttons appear with JavaScript and report what they did.
    copy = page.get_by_role("button", name=re.compile("Kopieren.*https"))
    assert copy.is_visible()
    copy.click()
    # (expect, not wait_for_function: the CSP forbids evaluating strings)
    expect(page.locator("#feed-https-status")).to_have_text(re.compile(r"\S"))
    page.get_by_text("Google Kalender", exact=True).click()  # open one set of steps
    assert page.get_by_text("Per URL").first.is_visible()
    assert_accessible(page)
    assert _overflow(page) <= 0, f"{_overflow(page)} px wider than {width} px"
    assert not _wider_than_the_screen(page), _wider_than_the_screen(page)
    page.screenshot(path=str(SHOTS / f"created-{width}.png"), full_page=True)

    # The feed works, and is never shown again.
    assert page.request.get(url).status == 200
    visit(page, PAGE)
    assert url.rsplit("/", 1)[1] not in page.content()
    page.screenshot(path=str(SHOTS / f"list-{width}.png"), full_page=True)
    assert _overflow(page) <= 0

    # End it: a confirmation first, then the address is dead.
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("^Beenden")).last.click()
    assert_accessible(page)
    page.screenshot(path=str(SHOTS / f"confirm-{width}.png"), full_page=True)
    response = submit(page, page.locator("main form"))
    assert response.status == 200 and page.url.endswith(PAGE)
    assert page.get_by_text("Das Abonnement ist beendet").is_visible()
    assert_accessible(page)
    assert page.request.get(url).status == 404


def test_without_javascript_the_addresses_are_there_to_select(browser, live_server) -> None:
    context = browser.new_context(
        base_url=live_server.url, locale="de-DE", java_script_enabled=False
    )
    try:
        page = context.new_page()
        login(page, CARETAKER, DEMO_PASSWORD)
        visit(page, PAGE, check=False)
        form = form_with(page, "what")
        form.locator('select[name="what"]').select_option("mine")
        assert submit(page, form).status == 201
        field = page.get_by_label("Adresse für Google Kalender (https)")
        assert FEED.match(field.input_value())
        # The copy button needs JavaScript: hidden, never a dead button.
        assert not page.get_by_role("button", name=re.compile("Kopieren")).first.is_visible()
        assert page.get_by_role("img", name=re.compile("QR-Code")).count() == 1
    finally:
        context.close()
