"""A real SMTP server (aiosmtpd) on a free port, recording what arrives and
refusing on request."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Recorder:
    """The SMTP handler: keeps every accepted mail; ``busy`` answers 451 to
    that many DATA commands first, ``refused`` addresses get 550."""

    received: list[EmailMessage] = field(default_factory=list)
    busy: int = 0
    refused: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.busy:
            self.busy -= 1
            return "451 4.3.0 try again later"
        self.received.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


@pytest.fixture
def mail_config(app, smtp_server):
    """The app's settings pointed at the test SMTP server."""
    _recorder, port = smtp_server
    return {**app.config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port}
