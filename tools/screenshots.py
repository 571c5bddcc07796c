"""Screenshots of the main screens and the steps of everyday tasks.

Usage (against a running server with the demo municipality, ``flask demo seed``)::

    .venv/bin/python tools/screenshots.py http://127.0.0.1:5101 /tmp/shots/before \
        [--password demo-passwort-2026] [--tenant musterhausen]

Accounts come from ``--citizen/--club/--clerk/--caretaker/--admin`` or the
environment (``SHOT_CITIZEN`` …, ``SHOT_PASSWORD``); the defaults are the demo
accounts (the citizen is buerger@, the club member verein@).

It writes ``<page>-<width>.png`` (full page, 1280×900 and 390×844; pages named
``…-print`` as the printer gets them, CSS ``@media print``) and prints,
per page and width, how many CSS pixels it scrolls sideways, then walks five
everyday tasks and prints how many page loads and form submissions each needs
(counted from the browser's top-level document requests, redirects not counted
twice; the sign-in is not counted). A walk follows links on the pages where
there are some and types the address only where no link leads on ("typed").

Needs Chromium at /usr/bin/chromium and Playwright (in the project's venv)."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
# Headless Chromium draws date and time inputs as mm/dd/yyyy and AM/PM (its
# own UI locale, whatever the page's language): an artefact of the shots.
ARGS = ["--headless", "--no-sandbox", "--disable-background-networking"]
LOCAL = ZoneInfo("Europe/Berlin")  # the demo municipality's time zone
WIDTHS = {"1280": {"width": 1280, "height": 900}, "390": {"width": 390, "height": 844}}


@dataclass
class Counter:
    """Top-level navigations of one page: GET loads and form submissions."""

    loads: int = 0
    posts: int = 0
    typed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        def on_request(request) -> None:
            if not request.is_navigation_request() or request.frame != page.main_frame:
                return
            if request.redirected_from is not None:
                return
            if request.method == "POST":
                self.posts += 1
            else:
                self.loads += 1

        page.on("request", on_request)


def login(context: BrowserContext, base: str, email: str, password: str) -> Page:
    page = context.new_page()
    page.goto(f"{base}/account/login")
    form = page.locator("main form").filter(has=page.locator('[name="password"]'))
    form.locator('[name="email"]').fill(email)
    form.locator('[name="password"]').fill(password)
    with page.expect_navigation():
        form.locator('[type="submit"]').first.click()
    if urlsplit(page.url).path.endswith("/account/login"):
        raise SystemExit(f"could not sign in as {email}")
    return page


def overflow(page: Page) -> int:
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def hidden_in_regions(page: Page) -> int:
    """The widest sideways scroll of a region inside <main> (a wide table in
    its own scrolling box): content a phone user only sees by swiping."""
    return page.evaluate(
        """() => Math.max(0, ...[...document.querySelectorAll('main *')]
            .filter(el => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX))
            .map(el => el.scrollWidth - el.clientWidth))"""
    )


def shoot(page: Page, url: str, out: Path, name: str, report: list[str]) -> None:
    page.emulate_media(media="print" if name.endswith("-print") else "screen")
    for label, size in WIDTHS.items():
        page.set_viewport_size(size)
        response = page.goto(url)
        status = response.status if response else "?"
        wide = overflow(page)
        inner = hidden_in_regions(page)
        page.screenshot(path=str(out / f"{name}-{label}.png"), full_page=True)
        report.append(
            f"{name:<16} {label:>5}px  HTTP {status}  sideways scroll: {wide:>4}px  "
            f"in a scrolling region: {inner:>4}px  "
            f"{urlsplit(page.url).path}"
        )
    page.set_viewport_size(WIDTHS["1280"])
    page.emulate_media(media="screen")


def first_link(page: Page, url: str, selector: str) -> str | None:
    """The address of the first link matching ``selector`` on ``url``."""
    page.goto(url)
    links = page.locator(selector)
    return links.first.get_attribute("href") if links.count() else None


# --- the walks ---------------------------------------------------------------------


def follow(page: Page, counter: Counter, selector: str, fallback: str) -> None:
    """Click the first visible link matching ``selector``; without one, type
    the address (``fallback``), which is noted."""
    links = page.locator(selector)
    for i in range(links.count()):
        link = links.nth(i)
        if link.is_visible():
            with page.expect_navigation():
                link.click()
            return
    parts = urlsplit(fallback)
    counter.typed.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    page.goto(fallback)


def submit(page: Page, button_selector: str) -> None:
    with page.expect_navigation():
        page.locator(button_selector).first.click()


def fill_if(page: Page, name: str, value: str) -> None:
    box = page.locator(f'main form [name="{name}"]')
    if box.count():
        box.first.fill(value)


def fill_booking(page: Page, *, title: str, day: date, start: str, end: str) -> None:
    fill_if(page, "title", title)
    # A date input takes ISO; a text date field takes German.
    date_box = page.locator('main form [name="date"]').first
    kind = date_box.get_attribute("type") or "text"
    date_box.fill(day.isoformat() if kind == "date" else day.strftime("%d.%m.%Y"))
    fill_if(page, "start_time", start)
    fill_if(page, "end_time", end)
    fill_if(page, "guests", "20")
    fill_if(page, "contact_phone", "0123 456789")


def confirm_booking(page: Page, counter: Counter) -> None:
    submit(page, 'main form button[value="preview"], main form button[type="submit"]')
    confirm = page.locator('main form button[value="confirm"]')
    if confirm.count():
        submit(page, 'main form button[value="confirm"]')
    heading = page.locator("main h1").first.inner_text() if page.locator("main h1").count() else ""
    found = page.locator(".flash, .error-summary, #conflict").all()
    flashes = " / ".join(" ".join(f.inner_text().split()) for f in found)
    counter.notes.append(f"ends on {urlsplit(page.url).path} ({heading[:50]}): {flashes[:160]}")


def local_today() -> date:
    return datetime.now(LOCAL).date()


def next_weekday(today: date, weekday: int, weeks: int) -> date:
    return today + timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks)


def walk_citizen(page: Page, t: str, c: Counter) -> None:
    page.goto(f"{t}/")
    follow(page, c, 'a[href$="/halls/"]', f"{t}/halls/")
    follow(page, c, 'main a[href$="/halls/5"]', f"{t}/halls/5")
    follow(page, c, 'main a[href$="/halls/5/book"]', f"{t}/halls/5/book")
    fill_booking(
        page,
        title="Elternabend",
        day=next_weekday(local_today(), 3, 3),
        start="19:00",
        end="21:00",
    )
    org = page.locator('main form select[name="organisation"]')
    if org.count():
        org.select_option(index=0)
    confirm_booking(page, c)


def walk_club(page: Page, t: str, c: Counter) -> None:
    page.goto(f"{t}/")
    follow(page, c, 'a[href$="/halls/"]', f"{t}/halls/")
    follow(page, c, 'main a[href$="/halls/4"]', f"{t}/halls/4")
    follow(page, c, 'main a[href$="/halls/4/book"]', f"{t}/halls/4/book")
    first = next_weekday(local_today(), 3, 1)
    fill_booking(page, title="Training Volleyball", day=first, start="17:00", end="19:00")
    org = page.locator('main form select[name="organisation"]')
    if org.count():
        org.select_option(index=len(org.locator("option").all()) - 1)
    # The series part may be folded away in a <details>: open it (no page load).
    for summary in page.locator("main form details:not([open]) > summary").all():
        summary.click()
    repeat = page.locator('main form [name="repeat"]')
    if repeat.count():
        repeat.first.check()
    # A season: until the end of June (or the next one).
    season_end = date(first.year if first.month < 6 else first.year + 1, 6, 30)
    until = page.locator('main form [name="until"]')
    if until.count():
        kind = until.first.get_attribute("type") or "text"
        until.first.fill(
            season_end.isoformat() if kind == "date" else season_end.strftime("%d.%m.%Y")
        )
    skip = page.locator('main form [name="on_conflict"][value="skip"]')
    if skip.count():
        skip.first.check()
    for name in ("skip_holidays", "skip_school_holidays"):
        box = page.locator(f'main form [name="{name}"]')
        if box.count() and box.first.get_attribute("type") == "checkbox":
            box.first.check()
    confirm_booking(page, c)


def walk_club_tuesday(page: Page, t: str, c: Counter) -> None:
    """The club wants a room for next Tuesday 18–20 (its training has the
    Sporthalle then): from "my bookings" to the free-hall search, Tuesday
    after Tuesday until a hall is free, and the first hall offered."""
    tuesday = next_weekday(local_today() + timedelta(days=1), 1, 0)
    page.goto(f"{t}/")
    follow(page, c, 'a[href$="/bookings/mine"]', f"{t}/bookings/mine")
    follow(page, c, 'a[href$="/halls/free"]', f"{t}/halls/free")
    for _week in range(8):
        date_box = page.locator('main form [name="date"]').first
        kind = date_box.get_attribute("type") or "text"
        date_box.fill(tuesday.isoformat() if kind == "date" else tuesday.strftime("%d.%m.%Y"))
        fill_if(page, "from", "18:00")
        fill_if(page, "to", "20:00")
        fill_if(page, "min_capacity", "20")
        submit(page, 'main form button[type="submit"]')
        if page.locator('main td a[href*="/book"]').count():
            break
        c.notes.append(f"nothing free on {tuesday}")
        tuesday += timedelta(days=7)
    offered = [" ".join(a.inner_text().split()) for a in page.locator("main tbody th").all()]
    c.notes.append(f"free on {tuesday}: {', '.join(offered) or 'none'}")
    follow(page, c, 'main td a[href*="/book"]', f"{t}/halls/2/book")
    fill_if(page, "title", "Sitzung des Jugendvorstands")
    fill_if(page, "guests", "20")
    org = page.locator('main form select[name="organisation"]')
    if org.count():
        org.select_option(index=len(org.locator("option").all()) - 1)
    confirm_booking(page, c)


def walk_clerk(page: Page, t: str, c: Counter) -> None:
    page.goto(f"{t}/")
    follow(page, c, 'a[href$="/staff/approvals"]', f"{t}/staff/approvals")
    button = page.locator('main form button[value="approve"]')
    if not button.count():
        c.notes.append("no request to approve")
        return
    submit(page, 'main form button[value="approve"]')
    c.notes.append(f"ends on {urlsplit(page.url).path}")


def walk_caretaker(page: Page, t: str, c: Counter) -> None:
    page.set_viewport_size(WIDTHS["390"])
    tomorrow = local_today() + timedelta(days=1)
    page.goto(f"{t}/")
    follow(page, c, 'a[href$="/caretaker/"]', f"{t}/caretaker/")
    # A link straight to tomorrow's day sheet, or today's sheet and "next day".
    direct = f'main a[href*="caretaker/day"][href*="{tomorrow.isoformat()}"]'
    if page.locator(direct).count():
        follow(page, c, direct, f"{t}/caretaker/day?date={tomorrow.isoformat()}")
    else:
        follow(page, c, 'main a[href*="caretaker/day"]', f"{t}/caretaker/day")
        follow(page, c, 'main a[rel="next"]', f"{t}/caretaker/day?date={tomorrow.isoformat()}")
    c.notes.append(f"ends on {urlsplit(page.url).path}?{urlsplit(page.url).query}")
    c.notes.append(f"sideways scroll at 390px: {overflow(page)}px")


def walk_admin(page: Page, t: str, c: Counter) -> None:
    page.goto(f"{t}/")
    follow(page, c, 'a[href$="/admin/"]', f"{t}/admin/")
    follow(page, c, 'main a[href$="/admin/resources/"]', f"{t}/admin/resources/")
    follow(page, c, 'main a[href$="/admin/resources/1"]', f"{t}/admin/resources/1")
    follow(page, c, 'main a[href$="/admin/resources/1/hours"]', f"{t}/admin/resources/1/hours")
    always = page.locator('main form [name="always_open"]')
    if always.count() and always.first.is_checked():
        always.first.uncheck()
    for day in range(7):
        opens = "08:00" if day < 5 else ""
        closes = "22:00" if day < 5 else ""
        for suffix in ("", "_2", "_3"):
            fill_if(page, f"day_{day}_opens{suffix}", opens if not suffix else "")
            fill_if(page, f"day_{day}_closes{suffix}", closes if not suffix else "")
    submit(page, 'main form .actions button.primary[type="submit"]')
    flash = page.locator(".flash, [role=status], .error-summary")
    text = flash.first.inner_text()[:60] if flash.count() else ""
    c.notes.append(f"ends on {urlsplit(page.url).path} ({' '.join(text.split())})")


WALKS = (
    ("citizen books a hall once", "citizen", walk_citizen),
    ("club books a weekly season training", "club", walk_club),
    ("club books the next free Tuesday 18–20", "club", walk_club_tuesday),
    ("clerk approves a request", "clerk", walk_clerk),
    ("caretaker finds tomorrow's bookings (390px)", "caretaker", walk_caretaker),
    ("admin sets opening hours Mon–Fri 8–22", "admin", walk_admin),
)


# --- main ----------------------------------------------------------------------------


def pages_of(t: str) -> dict[str, list[tuple[str, str]]]:
    """Who looks at which page: (file name, address)."""
    tuesday = next_weekday(local_today() + timedelta(days=1), 1, 0)
    return {
        "citizen": [
            ("hall-list", f"{t}/halls/"),
            ("free-search", f"{t}/halls/free"),
            ("free-search-results", f"{t}/halls/free?date={tuesday}&from=10:00&to=12:00"),
        ],
        "club": [
            ("book-hall-parts", f"{t}/halls/1/book"),
            ("booking", f"{t}/bookings/1"),
            ("my-bookings", f"{t}/bookings/mine"),
            ("organisation", f"{t}/organisations/1"),
        ],
        "clerk": [
            ("approvals", f"{t}/staff/approvals"),
            ("staff-calendar", f"{t}/staff/calendar"),
            ("staff-calendar-week", f"{t}/staff/calendar?view=week"),
            # The club's season series with its history, as staff see it.
            ("booking-staff", f"{t}/bookings/1"),
            # The first request in the queue (its address is read off the queue).
            ("request-staff", f"{t}/staff/approvals#first-request"),
            ("closures", f"{t}/admin/resources/closures"),
        ],
        "caretaker": [
            ("caretaker", f"{t}/caretaker/"),
            ("day-sheet", f"{t}/caretaker/day"),
            ("day-sheet-print", f"{t}/caretaker/day"),
            ("day-sheet-tomorrow", f"{t}/caretaker/day?date={local_today() + timedelta(days=1)}"),
        ],
        "admin": [
            ("opening-hours", f"{t}/admin/resources/1/hours"),
        ],
    }


def main(argv: list[str] | None = None) -> int:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--tenant", default=env("SHOT_TENANT", "musterhausen"))
    parser.add_argument("--password", default=env("SHOT_PASSWORD", "demo-passwort-2026"))
    parser.add_argument("--citizen", default=env("SHOT_CITIZEN", "buerger@musterhausen.example"))
    parser.add_argument("--club", default=env("SHOT_CLUB", "verein@musterhausen.example"))
    parser.add_argument(
        "--clerk", default=env("SHOT_CLERK", "sachbearbeitung@musterhausen.example")
    )
    parser.add_argument(
        "--caretaker", default=env("SHOT_CARETAKER", "hausmeister@musterhausen.example")
    )
    parser.add_argument("--admin", default=env("SHOT_ADMIN", "admin@musterhausen.example"))
    parser.add_argument("--no-walks", action="store_true", help="only the screenshots")
    args = parser.parse_args(argv)

    base = args.base_url.rstrip("/")
    t = f"{base}/{args.tenant}"
    args.out_dir.mkdir(parents=True, exist_ok=True)
    accounts = {
        role: getattr(args, role) for role in ("citizen", "club", "clerk", "caretaker", "admin")
    }
    report: list[str] = []
    results: list[tuple[str, Counter]] = []
    # One sign-in per account, its cookies reused by every later context:
    # the login's rate limit (10 a minute per address) stays out of the way.
    signed_in: dict[str, dict] = {}

    def context_of(role: str) -> tuple[BrowserContext, Page]:
        if role not in signed_in:
            context = browser.new_context(locale="de-DE", viewport=WIDTHS["1280"])
            page = login(context, base, accounts[role], args.password)
            signed_in[role] = context.storage_state()
            return context, page
        context = browser.new_context(
            locale="de-DE", viewport=WIDTHS["1280"], storage_state=signed_in[role]
        )
        return context, context.new_page()

    with sync_playwright() as playwright:
        browser: Browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        # The sign-in page, signed out.
        context = browser.new_context(locale="de-DE", viewport=WIDTHS["1280"])
        shoot(context.new_page(), f"{base}/account/login", args.out_dir, "sign-in", report)
        context.close()
        for role, pages in pages_of(t).items():
            context, page = context_of(role)
            for name, url in pages:
                if url.endswith("#first-request"):
                    href = first_link(page, url, "main h2 a[href*='/bookings/']")
                    if href is None:
                        report.append(f"{name:<16} no request in the queue")
                        continue
                    url = f"{base}{href}"
                shoot(page, url, args.out_dir, name, report)
            context.close()
        if not args.no_walks:
            for task, role, walk in WALKS:
                context, page = context_of(role)
                counter = Counter()
                counter.attach(page)
                try:
                    walk(page, t, counter)
                except Exception as error:  # a walk that breaks is a finding, not a crash
                    counter.notes.append(f"walk failed: {type(error).__name__}: {error}"[:200])
                results.append((task, counter))
                context.close()
        browser.close()

    print("\n".join(report))
    if results:
        print()
        print(f"| {'task':<45} | loads | submits | total | typed addresses | notes |")
        print(f"|{'-' * 47}|-------|---------|-------|-----------------|-------|")
        for task, c in results:
            typed = ", ".join(c.typed) or "–"
            notes = "; ".join(c.notes) or "–"
            print(
                f"| {task:<45} | {c.loads:>5} | {c.posts:>7} | {c.loads + c.posts:>5} "
                f"| {typed} | {notes} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
