"""Browser tests against a live server: the real app with real forms (CSRF on)
on its own SQLite file with the demo municipality, served by werkzeug in a
thread, driven by Debian's Chromium through Playwright.

These tests never use the ``app`` fixture, so they run once, not once per
database. Without /usr/bin/chromium they are skipped (``apt-get install -y
chromium``); under CI=true a missing Chromium is a failure."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from werkzeug.serving import WSGIRequestHandler, make_server

from booking.extensions import db, limiter
from tests.conftest import make_app
from tests.e2e.helpers import LiveServer

E2E_DIR = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CI = os.environ.get("CI", "").lower() == "true"
NO_CHROMIUM = (
    f"Chromium not found at {CHROMIUM}: install it with `apt-get install -y chromium` "
    "to run the browser tests"
)


def chromium_available() -> bool:
    return Path(CHROMIUM).exists() and shutil.which(CHROMIUM) is not None


# The live server is werkzeug's development server: a static file the
# browser stops downloading (the favicon of a page it leaves at once) is
# closed only when Python collects it, which it reports as an "unraisable"
# ResourceWarning in whichever test runs then (seen once in CI, in a test
# that had done nothing wrong). Not our code and not gunicorn's; only that
# one warning is let through, every other one still fails the test.
STATIC_FILE_LEFT_OPEN = pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <_io.FileIO name='[^']*/static/"
    ":pytest.PytestUnraisableExceptionWarning"
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Everything under tests/e2e is ``e2e``; without Chromium it is skipped
    (outside CI: in CI the ``browser`` fixture fails instead)."""
    missing = not chromium_available()
    for item in items:
        if E2E_DIR not in item.path.parents:
            continue
        item.add_marker(pytest.mark.e2e)
        item.add_marker(STATIC_FILE_LEFT_OPEN)
        if missing and not CI:
            item.add_marker(pytest.mark.skip(reason=NO_CHROMIUM))


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # no access log in test output
        pass


class _ErrorLog(logging.Handler):
    def __init__(self, sink: list[str]):
        super().__init__(logging.ERROR)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(self.format(record))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from flask_migrate import upgrade

    from booking import demo

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    db_file = tmp_path_factory.mktemp("e2e") / "e2e.sqlite"
    app = make_app(
        f"sqlite:///{db_file}",
        WTF_CSRF_ENABLED=True,  # the real forms, with their tokens
        BASE_URL=url,
        SERVER_NAME=None,
        # Limits stay on: RATELIMIT_ENABLED lives on the shared ``limiter``
        # singleton, so switching it off here would switch it off for every
        # other app in this process. The ``_fresh_limits`` fixture resets the
        # counters before each browser test instead.
        RATELIMIT_ENABLED=True,
    )
    with app.app_context():
        upgrade()
        demo.seed()
        db.session.commit()
        db.session.remove()

    live = LiveServer(app=app, url=url)

    @app.after_request
    def _record_server_errors(response):
        from flask import request

        if response.status_code >= 500:
            live.server_errors.append(f"{request.method} {request.full_path} → {response.status}")
        return response

    error_log = _ErrorLog(live.server_errors)
    logging.getLogger("booking").addHandler(error_log)

    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield live
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        logging.getLogger("booking").removeHandler(error_log)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(autouse=True)
def _fresh_limits(live_server: LiveServer) -> Iterator[None]:
    """Each browser test starts with fresh rate-limit counters and must not
    make the server answer 5xx."""
    with live_server.app.app_context():
        limiter.reset()
    live_server.server_errors.clear()
    yield
    errors = list(live_server.server_errors)
    live_server.server_errors.clear()
    assert not errors, "the live server failed:\n" + "\n".join(errors)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not chromium_available():
        pytest.fail(f"CI=true and {NO_CHROMIUM}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            headless=True, executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) that speaks German first, like most
    of the service's users; relative paths go to the live server."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="de-DE",
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """A page that fails the test on Content-Security-Policy violations (inline
    styles or scripts in a template) and on JavaScript errors."""
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: (
            problems.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
    yield page
    assert not problems, "browser reported:\n" + "\n".join(problems)
