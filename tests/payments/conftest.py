"""localstripe, the fake Stripe server from PyPI, for the payment tests.

One server per test session on a free port, started ``--from-scratch`` in its
own working directory (so no ``/tmp/localstripe.pickle`` is shared with
another run), stopped at the end. Under ``CI=true`` a missing localstripe is
an error; elsewhere the payment tests are skipped with a hint."""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

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
