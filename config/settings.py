"""Default settings. Every value can be overridden by an environment variable of
the same name (see README, "Configuration"); ``validate`` runs at start-up."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import limits

ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """The configuration cannot work; the message says which setting to fix."""


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(value: str) -> int:
    return int(value.strip())


# name -> (default, parser). Only these are read from the environment.
DEFAULTS: dict[str, tuple[object, object]] = {
    "ENV": ("development", str),
    # Empty: a random key for this process only (sessions end with it, and
    # several workers cannot share sessions); production refuses to start.
    "SECRET_KEY": ("", str),
    "DATABASE_URL": ("", str),
    "BASE_URL": ("http://127.0.0.1:5000", str),
    "RATELIMIT_STORAGE_URI": ("memory://", str),
    "RATELIMIT_ENABLED": (True, _bool),
    "MAIL_SERVER": ("", str),
    "MAIL_PORT": (25, _int),
    "MAIL_USERNAME": ("", str),
    "MAIL_PASSWORD": ("", str),
    "MAIL_USE_TLS": (False, _bool),
    "MAIL_USE_SSL": (False, _bool),
    "MAIL_DEFAULT_SENDER": ("Kommunalbuchung <noreply@localhost>", str),
    # A mail the SMTP server keeps refusing for a while (4xx, down) is given
    # up after this many attempts (backoff 1, 2, 4 … minutes, at most 6 h).
    "MAIL_MAX_ATTEMPTS": (8, _int),
    "MAIL_TIMEOUT_SECONDS": (30, _int),
    # Scheduled jobs: only `flask jobs run` runs them, or the development
    # server with RUN_SCHEDULER=1 (make run). A second scheduler waits on a
    # lock and checks every SCHEDULER_POLL_SECONDS whether it may take over.
    "RUN_SCHEDULER": (False, _bool),
    "SCHEDULER_POLL_SECONDS": (15, _int),
    "SCHEDULER_TIMEZONE": ("Europe/Berlin", str),
    "STRIPE_SECRET_KEY": ("", str),
    "STRIPE_PUBLISHABLE_KEY": ("", str),
    "STRIPE_WEBHOOK_SECRET": ("", str),
    "STRIPE_API_BASE": ("", str),
    # Stripe.js for the payment page (localstripe's: <base>/js.stripe.com/v3/).
    "STRIPE_JS_URL": ("https://js.stripe.com/v3/", str),
    # How long an online booking is held for its payment (a tenant may differ).
    "PAYMENT_HOLD_MINUTES": (30, _int),
    "SERIES_MAX_OCCURRENCES": (60, _int),
    # cemetery.right_expiry writes to holders this many months before their right ends.
    "CEMETERY_EXPIRY_NOTICE_MONTHS": (6, _int),
    # Public grave search (page, API, public section map) per client address.
    "GRAVE_SEARCH_RATE_LIMIT": ("30/minute", str),
    "LOG_LEVEL": ("INFO", str),
    # Argon2id cost for password hashes (argon2-cffi's RFC 9106 low-memory defaults).
    "ARGON2_TIME_COST": (3, _int),
    "ARGON2_MEMORY_COST": (65536, _int),
    # Number of reverse proxies in front of the app whose X-Forwarded-For/-Proto
    # headers are trusted (0: none). Needed for per-visitor rate limits.
    "PROXY_FIX": (0, _int),
    # Largest request body in bytes (1 MiB); a larger one is answered 413.
    "MAX_CONTENT_LENGTH": (1024 * 1024, _int),
}


def load(overrides: dict | None = None) -> dict:
    """Defaults, then the environment, then explicit overrides (tests)."""
    config: dict = {}
    for name, (default, parse) in DEFAULTS.items():
        raw = os.environ.get(name)
        config[name] = parse(raw) if raw not in (None, "") else default  # type: ignore[operator]
    if overrides:
        config.update(overrides)
    config["SECRET_KEY_GENERATED"] = not config["SECRET_KEY"]
    if config["SECRET_KEY_GENERATED"]:
        config["SECRET_KEY"] = secrets.token_hex(32)
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = f"sqlite:///{ROOT / 'instance' / 'kommunalbuchung.sqlite'}"
    config["DATABASE_URL"] = normalise_database_url(config["DATABASE_URL"])
    config.setdefault("SQLALCHEMY_DATABASE_URI", config["DATABASE_URL"])
    config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    config.setdefault("RATELIMIT_STORAGE_URI", config["RATELIMIT_STORAGE_URI"])
    config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    config.setdefault("BABEL_DEFAULT_LOCALE", "de")
    config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Berlin")
    config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(ROOT / "translations"))
    config.setdefault("LANGUAGES", ("de", "en"))
    secure = config["BASE_URL"].startswith("https://")
    config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    config.setdefault("SESSION_COOKIE_SECURE", secure)
    config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    config.setdefault("REMEMBER_COOKIE_SECURE", secure)
    # "Stay signed in" lasts a month, not Flask-Login's year; signing out,
    # a password change or a reset end it at once (session_version).
    config.setdefault("REMEMBER_COOKIE_DURATION", timedelta(days=30))
    config.setdefault("PREFERRED_URL_SCHEME", "https" if secure else "http")
    config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    return config


def normalise_database_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` mean psycopg 3 here."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def validate(config: dict) -> None:
    if config["ENV"] == "production" and (
        config["SECRET_KEY_GENERATED"] or len(config["SECRET_KEY"]) < 32
    ):
        raise ConfigError(
            "SECRET_KEY must be set to a random value of at least 32 characters "
            "in production, e.g. python -c 'import secrets; print(secrets.token_hex(32))'"
        )
    if not config["BASE_URL"].startswith(("http://", "https://")):
        raise ConfigError("BASE_URL must start with http:// or https://")
    if config["ARGON2_TIME_COST"] < 1 or config["ARGON2_MEMORY_COST"] < 8:
        raise ConfigError("ARGON2_TIME_COST must be ≥ 1 and ARGON2_MEMORY_COST ≥ 8 (KiB)")
    if config["ENV"] == "production" and config["ARGON2_MEMORY_COST"] < 19456:
        raise ConfigError("ARGON2_MEMORY_COST below 19456 KiB (OWASP minimum) in production")
    if config["PROXY_FIX"] < 0:
        raise ConfigError("PROXY_FIX must be 0 or the number of trusted proxies")
    if config["MAX_CONTENT_LENGTH"] < 1024:
        raise ConfigError("MAX_CONTENT_LENGTH must be at least 1024 (bytes)")
    if config["MAIL_MAX_ATTEMPTS"] < 1 or config["MAIL_TIMEOUT_SECONDS"] < 1:
        raise ConfigError("MAIL_MAX_ATTEMPTS and MAIL_TIMEOUT_SECONDS must be at least 1")
    if config["SCHEDULER_POLL_SECONDS"] < 1:
        raise ConfigError("SCHEDULER_POLL_SECONDS must be at least 1")
    try:
        ZoneInfo(config["SCHEDULER_TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            "SCHEDULER_TIMEZONE must be an IANA time zone, e.g. Europe/Berlin"
        ) from None
    try:
        limits.parse(config["GRAVE_SEARCH_RATE_LIMIT"])
    except ValueError:
        raise ConfigError(
            "GRAVE_SEARCH_RATE_LIMIT must be a rate such as 30/minute or 500/hour"
        ) from None
    if config["SERIES_MAX_OCCURRENCES"] < 1:
        raise ConfigError("SERIES_MAX_OCCURRENCES must be at least 1")
