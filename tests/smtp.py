"""A real SMTP server for the tests (aiosmtpd): records what arrives, refuses
on request. The fixtures ``smtp_server`` and ``mail_config`` are in
tests/conftest.py."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage


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
