"""A club's manager invites the demo caretaker into the club; the caretaker
sees the invitation on the organisations page and accepts it. Nobody joins
before saying yes. Every page on the way passes axe, at desktop and phone
width."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page
from sqlalchemy import select

from booking.accounts.models import Organisation, OrganisationMember, User
from booking.demo import DEMO_PASSWORD
from booking.extensions import db
from tests.e2e.conftest import LiveServer
from tests.e2e.helpers import assert_accessible, form_with, login, submit, visit

pytestmark = pytest.mark.e2e

MANAGER = "verein@musterhausen.example"
INVITED = "hausmeister@musterhausen.example"
SHOTS = os.environ.get("E2E_SCREENSHOTS")  # a folder: keep screenshots to look at


def members(live_server: LiveServer, club_id: int) -> set[str]:
    with live_server.app.app_context():
        try:
            return set(
                db.session.scalars(
                    select(User.email)
                    .join(OrganisationMember, OrganisationMember.user_id == User.id)
                    .where(OrganisationMember.organisation_id == club_id)
                )
            )
        finally:
            db.session.remove()


def club_of(live_server: LiveServer, email: str) -> int:
    with live_server.app.app_context():
        try:
            return db.session.scalar(
                select(Organisation.id)
                .join(OrganisationMember)
                .join(User, OrganisationMember.user_id == User.id)
                .where(User.email == email, OrganisationMember.is_manager.is_(True))
            )
        finally:
            db.session.remove()


# The innermost elements reaching past the right edge of the viewport.
WIDER_THAN_VIEWPORT = """() => [...document.querySelectorAll("body *")]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
                 && !e.closest(".table-scroll"))
    .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 1))
    .map(e => e.tagName.toLowerCase() + (e.className ? "." + e.className : ""))"""


def shoot(page: Page, name: str) -> None:
    """Check the page at phone width too; keep screenshots when asked to."""
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
        wide = page.evaluate(WIDER_THAN_VIEWPORT)
        assert not wide, f"{page.url} scrolls sideways at {width} px: {wide}"
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_invite_accept(page: Page, live_server: LiveServer) -> None:
    club = club_of(live_server, MANAGER)
    assert INVITED not in members(live_server, club)

    login(page, MANAGER, DEMO_PASSWORD)
    visit(page, f"/musterhausen/organisations/{club}")
    form = form_with(page, "is_manager")
    form.locator('[name="email"]').fill(INVITED)
    response = submit(page, form)
    assert response.status < 400
    flash = page.locator(".flash-success").inner_text()
    assert "Einladung" in flash and INVITED in flash
    assert INVITED in page.locator("#invitations-title + ul").inner_text()
    assert_accessible(page)
    shoot(page, "organisation-invited")
    assert INVITED not in members(live_server, club)  # not before saying yes

    page.context.clear_cookies()
    login(page, INVITED, DEMO_PASSWORD)
    visit(page, "/musterhausen/organisations/")
    invitations = page.locator("section[aria-labelledby=invited-title]")
    assert "lädt Sie ein" in invitations.inner_text()
    shoot(page, "organisations-invitation")
    with page.expect_navigation():
        invitations.get_by_role("button", name="Annehmen").first.click()
    assert page.locator(".flash-success").count() == 1
    assert_accessible(page)
    assert INVITED in members(live_server, club)
