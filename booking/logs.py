"""Logging set-up: secrets in URLs (confirmation, reset and feed tokens) never
reach a log line, whichever server writes the access log."""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote

# /account/confirm/<token>, /account/reset/<token>, /…/feeds/<token>.ics, ?token=…
SECRET_IN_URL = re.compile(
    r"(/account/+(?:confirm|reset)/+|/feeds/+|[?&](?:token|key)=)[^\s/?&\"]+", re.IGNORECASE
)
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access")
# Chatty at INFO on every start (one line per autogenerate plugin).
QUIET_LOGGERS = ("alembic.runtime.plugins", "apscheduler")


def redact(text: str) -> str:
    """``text`` without the secrets of the URLs in it. A percent-escaped
    spelling (``fe%65ds``, ``feeds%2F…``) reaches the same route, so it is
    unescaped first (and logged unescaped)."""
    if "%" in text:
        text = unquote(text)
    return SECRET_IN_URL.sub(r"\1[redacted]", text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def configure(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
