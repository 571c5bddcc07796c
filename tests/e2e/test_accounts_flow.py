"""A citizen registers, confirms the address from the mail, signs in, sees the
profile and switches the language; every page on the way passes axe. Plus the
keyboard path to the content."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page
from sqlalchemy import select

from booking.core import utcnow
from booking.extensions import db
from booking.notifications.models import OutboxMessage
from booking.notifications.service import compose_pending
from tests.e2e.helpers import LiveServer, assert_accessible, form_with, submit, visit

pytestmark = pytest.mark.e2e

PASSWORD = "ein-langes-sicheres-passwort"


def newest_mail_to(live_server: LiveServer, address: str) -> OutboxMessage:
    with live_server.app.app_context():
        try:
            compose_pending(utcnow())  # as the mail.deliver job does first
            message = db.session.scalar(
                select(OutboxMessage)
                .where(OutboxMessage.to_address == address)
                .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
                .limit(1)
            )
            assert message is not None, f"no mail queued for {address}"
            db.session.expunge(message)
            return message
        finally:
            db.session.remove()


def language_button(page: Page):
    return page.locator("header form.lang-switch button[type=submit]")


def test_register_confirm_login_profile_and_language(page: Page, live_server: LiveServer) -> None:
    email = f"buerger-{uuid.uuid4().hex[:8]}@example.org"
    name = "Berta Bürger"

    # Register (German interface: the browser asks for de-DE).
    visit(page, "/account/register")
    assert page.get_attribute("html", "lang") == "de"
    form = form_with(page, "password_confirm")
    form.locator('[name="email"]').fill(email)
    form.locator('[name="name"]').fill(name)
    form.locator('[name="password"]').fill(PASSWORD)
    form.locator('[name="password_confirm"]').fill(PASSWORD)
    response = submit(page, form)
    assert response.status < 400, f"registration answered {response.status}"
    assert page.locator(".error-summary").count() == 0, page.locator("main").inner_text()
    assert_accessible(page)

    # The confirmation mail waits in the outbox; its link opens in the browser.
    message = newest_mail_to(live_server, email)
    match = re.search(
        re.escape(live_server.url) + r"/account/confirm/[^\s<>\"')]+", message.body_text
    )
    assert match, f"no confirmation link to {live_server.url} in:\n{message.body_text}"
    link = match.group(0)
    response = page.goto(link)
    assert response is not None and response.status < 400, "the confirmation link failed"
    assert_accessible(page)
    # Same browser as the registration: one button confirms.
    response = submit(page, page.locator("main form"))
    assert response.status < 400, "confirming failed"
    assert "bestätigt" in page.locator(".flash-success").inner_text()

    # Sign in with the new account and see the profile.
    visit(page, "/account/login")
    form = form_with(page, "password")
    form.locator('[name="email"]').fill(email)
    form.locator('[name="password"]').fill(PASSWORD)
    response = submit(page, form)
    assert response.status < 400, f"login answered {response.status}"
    assert urlsplit(page.url).path != "/account/login", page.locator("main").inner_text()
    assert_accessible(page)
    visit(page, "/account/profile")
    main_text = page.locator("main").inner_text()
    assert email in main_text or name in page.content(), "the profile does not show the account"

    # Switch to English with the header button, then back.
    button = language_button(page)
    assert button.inner_text().strip() == "English"
    with page.expect_navigation():
        button.click()
    assert urlsplit(page.url).path == "/account/profile", "the switch should stay on the page"
    assert page.get_attribute("html", "lang") == "en"
    assert language_button(page).inner_text().strip() == "Deutsch"
    assert_accessible(page)

    # The choice sticks to the account: still English on the next page.
    visit(page, "/musterhausen/")
    assert page.get_attribute("html", "lang") == "en"

    with page.expect_navigation():
        language_button(page).click()
    assert page.get_attribute("html", "lang") == "de"
    assert language_button(page).inner_text().strip() == "English"


def test_english_interface_shows_english_strings(page: Page) -> None:
    """After switching, the page chrome reads in English (needs the English
    catalogue translations/en/LC_MESSAGES/messages.po filled and compiled)."""
    visit(page, "/musterhausen/", check=False)
    with page.expect_navigation():
        language_button(page).click()
    assert page.get_attribute("html", "lang") == "en"
    body = page.locator("body").inner_text()
    german = [s for s in ("Anmelden", "Registrieren", "Alle Kommunen", "Friedhöfe") if s in body]
    assert not german, f"still German after switching to English: {german}"
    skip_link = page.locator("a.skip-link").text_content() or ""
    assert re.search(r"\bskip\b", skip_link, re.IGNORECASE), skip_link
    nav = page.get_by_role("navigation").first.inner_text()
    assert re.search(r"\b(log|sign) ?in\b", nav, re.IGNORECASE), nav
    assert_accessible(page)


@pytest.mark.parametrize("path", ["/", "/musterhausen/", "/account/login"])
def test_skip_link_is_first_and_moves_focus_to_main(page: Page, path: str) -> None:
    visit(page, path, check=False)
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "({cls: document.activeElement.className, href: document.activeElement.getAttribute('href'),"
        " visible: document.activeElement.getBoundingClientRect().left >= 0})"
    )
    assert focused["href"] == "#main" and "skip-link" in focused["cls"], focused
    assert focused["visible"], "the focused skip link must be visible on screen"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # The next Tab continues inside the content, not back in the header.
    page.keyboard.press("Tab")
    assert page.evaluate("document.getElementById('main').contains(document.activeElement)") or (
        page.evaluate("document.querySelector('footer').contains(document.activeElement)")
    )
