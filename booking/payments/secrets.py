"""Secrets at rest (a tenant's Stripe secret key and webhook secret):
Fernet with a key derived from ``SECRET_KEY`` through HKDF-SHA256.

A changed ``SECRET_KEY`` makes the stored values unreadable: ``decrypt``
raises ``SecretUnreadable``; callers treat that as "not configured" (and
``reveal`` logs it, naming the field, never the value)."""

from __future__ import annotations

import base64
import logging

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

log = logging.getLogger(__name__)

# Domain separation: this key is for payment secrets only.
_INFO = b"kommunalbuchung payments secrets v1"


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted (``SECRET_KEY`` changed, or the
    value was damaged)."""


def _fernet(secret_key: str | None = None) -> Fernet:
    key = secret_key if secret_key is not None else current_app.config["SECRET_KEY"]
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt(value: str, *, secret_key: str | None = None) -> str:
    return _fernet(secret_key).encrypt(value.encode()).decode("ascii")


def decrypt(token: str, *, secret_key: str | None = None) -> str:
    try:
        return _fernet(secret_key).decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError, ValueError) as error:
        raise SecretUnreadable("stored secret cannot be decrypted") from error


def reveal(token: str | None, field: str, tenant_slug: str) -> str | None:
    """The stored secret, or ``None`` when none is stored or it cannot be
    decrypted any more (logged with the field's name only)."""
    if not token:
        return None
    try:
        return decrypt(token)
    except SecretUnreadable:
        log.warning(
            "tenant %s: stored %s cannot be decrypted (SECRET_KEY changed?); "
            "treated as not configured",
            tenant_slug,
            field,
        )
        return None
