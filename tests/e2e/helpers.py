"""Helpers for the browser tests: visit a page, check it with axe-core, log in.

``visit(page, path)`` opens a page, checks the status and runs axe (WCAG 2.1
A and AA, and the best-practice landmark rules). Every page that passed axe is recorded in ``CHECKED_PATHS``, so the
last test can assert that the main pages were all checked."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Locator, Page, Response

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# The best-practice rules on landmarks, on top of the WCAG tags: one main,
# one banner and one contentinfo at the top level, and no two landmarks of a
# kind with the same name (two "Hauptnavigation" navs, two scrolling tables
# called "Tabelle, seitlich verschiebbar"). ``region`` (all content inside
# landmarks) is among them.
LANDMARK_RULES = [
    "landmark-banner-is-top-level",
    "landmark-complementary-is-top-level",
    "landmark-contentinfo-is-top-level",
    "landmark-main-is-top-level",
    "landmark-no-duplicate-banner",
    "landmark-no-duplicate-contentinfo",
    "landmark-no-duplicate-main",
    "landmark-one-main",
    "landmark-unique",
    "region",
]
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": WCAG_TAGS},
    "rules": {rule: {"enabled": True} for rule in LANDMARK_RULES},
    "resultTypes": ["violations"],
}

# Pages every full e2e run must have checked with axe (paths after redirects).
MAIN_PAGES = {
    "/",
    "/musterhausen/",
    "/account/login",
    "/account/register",
    "/account/forgot",
    "/account/profile",
    "/musterhausen/admin/",
}

CHECKED_PATHS: set[str] = set()  # every path (with locale) that passed axe
_axe = Axe()  # the axe-core script bundled in the package: no network


@dataclass
class LiveServer:
    app: Flask
    url: str
    server_errors: list[str] = field(default_factory=list)  # 5xx answers and their logs


def format_violations(violations: list[dict]) -> str:
    """One readable block per violated rule: id, impact, help, where."""
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation.get('impact') or 'n/a'}): "
            f"{violation['help']} [{violation.get('helpUrl', '')}]"
        )
        for node in violation["nodes"]:
            target = " ".join(
                t if isinstance(t, str) else json.dumps(t) for t in node.get("target", [])
            )
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    at {target}: {summary}")
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    """Run axe-core on the current page; fail with the list of violations."""
    results = _axe.run(page, options=AXE_OPTIONS)
    violations = results.response["violations"]
    url = urlsplit(page.url)
    path = url.path + (f"?{url.query}" if url.query else "")
    assert not violations, (
        f"{len(violations)} accessibility violation(s) on {path} "
        f"(lang={page.get_attribute('html', 'lang')}):\n{format_violations(violations)}"
    )
    CHECKED_PATHS.add(path)


def visit(page: Page, path: str, *, status: int | None = None, check: bool = True) -> Response:
    """Open ``path``; assert the status (< 400 unless ``status`` is given) and,
    unless ``check=False``, that the page passes axe."""
    response = page.goto(path)
    assert response is not None, f"no response for {path}"
    if status is None:
        assert response.status < 400, f"GET {path} answered {response.status}"
    else:
        assert response.status == status, f"GET {path} answered {response.status}, not {status}"
    if check:
        assert_accessible(page)
    return response


def form_with(page: Page, field_name: str) -> Locator:
    """The form in <main> that has a field called ``field_name``."""
    return page.locator("main form").filter(has=page.locator(f'[name="{field_name}"]'))


def submit(page: Page, form: Locator) -> Response:
    """Submit ``form`` with its submit button and return the final response
    (after redirects)."""
    with page.expect_navigation() as navigation:
        form.locator('[type="submit"]').first.click()
    response = navigation.value
    assert response is not None, "the form submission produced no response"
    return response


def login(page: Page, email: str, password: str) -> None:
    """Sign in through the real login form (no axe check: the login page has
    its own test)."""
    visit(page, "/account/login", check=False)
    form = form_with(page, "password")
    form.locator('[name="email"]').fill(email)
    form.locator('[name="password"]').fill(password)
    response = submit(page, form)
    assert response.status < 400, f"login answered {response.status}"
    assert urlsplit(page.url).path != "/account/login", (
        "still on the login page after signing in: " + page.locator("main").inner_text()[:500]
    )
