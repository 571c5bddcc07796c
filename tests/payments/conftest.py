"""localstripe, the fake Stripe server from PyPI, for the payment tests.

One server per test session on a free port, started ``--from-scratch`` in its
own working directory (so no ``/tmp/localstripe.pickle`` is shared with
another run), stopped at the end. Under ``CI=true`` a missing localstripe is
an error; elsewhere the payment tests are skipped with a hint."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import CI

INSTALL_HINT = "localstripe not installed: pip install 'localstripe>=1.15,<2' (dev dependency)"


# localstripe 1.15 writes its state to the fixed path /tmp/localstripe.pickle
# on every change (--from-scratch only skips reading it). The launcher points
# the store at this session's own directory, so runs never share state.
LAUNCHER = """
import pickle, sys
from localstripe import resources
from localstripe.server import start

PATH = sys.argv.pop(1)

def dump_to_disk(self):
    with open(PATH, "wb") as f:
        pickle.dump(self, f, protocol=pickle.HIGHEST_PROTOCOL)

resources.Store.dump_to_disk = dump_to_disk
sys.exit(start())
"""


def _installed() -> bool:
    return importlib.util.find_spec("localstripe") is not None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(base: str) -> bool:
    try:
        # Any HTTP answer (401 without a key) means the server is up.
        urllib.request.urlopen(f"{base}/v1/balance", timeout=1)
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory) -> Iterator[str]:
    """The base URL of a running localstripe (``http://127.0.0.1:<port>``)."""
    if not _installed():
        if CI:
            pytest.fail(f"CI=true needs localstripe. {INSTALL_HINT}")
        pytest.skip(INSTALL_HINT)
    port = _free_port()
    workdir = tmp_path_factory.mktemp("localstripe")
    log = (workdir / "localstripe.log").open("wb")
    env = {**os.environ, "TMPDIR": str(workdir)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            LAUNCHER,
            str(workdir / "localstripe.pickle"),
            "--port",
            str(port),
            "--from-scratch",
        ],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while not _answers(base):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            log.close()
            output = (workdir / "localstripe.log").read_text(errors="replace")
            pytest.fail(f"localstripe did not start on port {port}:\n{output[-2000:]}")
        time.sleep(0.1)
    try:
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


# --- webhooks and the app's Stripe settings ---------------------------------------------

WEBHOOK_SECRET = "whsec_localstripe_tests"
SECRET_KEY = "sk_test_kommunalbuchung"
PUBLISHABLE_KEY = "pk_test_kommunalbuchung"


class WebhookRecorder:
    """Receives localstripe's signed webhooks (raw body and signature) so a
    test can hand exactly those bytes to the app's webhook view."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[bytes, str]] = []
        self.lock = threading.Lock()

    def wait_for(self, event_type: str, intent_id: str, timeout: float = 15) -> tuple[bytes, str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for body, signature in self.deliveries:
                    event = json.loads(body)
                    if event["type"] == event_type and event["data"]["object"]["id"] == intent_id:
                        return body, signature
            time.sleep(0.1)
        raise AssertionError(f"no {event_type} webhook for {intent_id} within {timeout} s")


@pytest.fixture(scope="session")
def webhooks(localstripe) -> Iterator[WebhookRecorder]:
    recorder = WebhookRecorder()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            with recorder.lock:
                recorder.deliveries.append((body, self.headers.get("Stripe-Signature", "")))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    data = urllib.parse.urlencode({"url": url, "secret": WEBHOOK_SECRET}).encode()
    urllib.request.urlopen(f"{localstripe}/_config/webhooks/tests", data, timeout=5)
    yield recorder
    server.shutdown()
    server.server_close()


@pytest.fixture
def stripe_app(app, localstripe):
    """The app talking to localstripe with default keys for every tenant."""
    saved = {key: app.config.get(key) for key in STRIPE_SETTINGS}
    app.config.update(
        STRIPE_API_BASE=localstripe,
        STRIPE_SECRET_KEY=SECRET_KEY,
        STRIPE_PUBLISHABLE_KEY=PUBLISHABLE_KEY,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_JS_URL=f"{localstripe}/js.stripe.com/v3/",
    )
    yield app
    app.config.update(saved)


STRIPE_SETTINGS = (
    "STRIPE_API_BASE",
    "STRIPE_SECRET_KEY",
    "STRIPE_PUBLISHABLE_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_JS_URL",
)


@pytest.fixture
def paid_hall(make_resource):
    """A hall with a fee and a deposit (``helpers.RULES``)."""
    from booking.extensions import db
    from tests.payments.helpers import RULES

    hall = make_resource("Bürgerhaus", capacity=100)
    hall.fee_rules = RULES
    db.session.commit()
    return hall
