"""Stripe per tenant: the tenant's keys from its (encrypted) columns, else
the ``STRIPE_*`` settings. A new ``StripeClient`` per call — no module-level
``stripe.api_key``, so two tenants never share a key."""

from __future__ import annotations

from dataclasses import dataclass

import stripe
from flask import current_app

from booking.payments import secrets
from booking.tenants.models import Tenant

DEFAULT_JS_URL = "https://js.stripe.com/v3/"


@dataclass(frozen=True)
class StripeKeys:
    publishable_key: str
    secret_key: str
    webhook_secret: str

    @property
    def configured(self) -> bool:
        return bool(self.publishable_key and self.secret_key)


def keys_of(tenant: Tenant) -> StripeKeys:
    config = current_app.config
    secret = secrets.reveal(tenant.stripe_secret_key_encrypted, "stripe secret key", tenant.slug)
    webhook = secrets.reveal(
        tenant.stripe_webhook_secret_encrypted, "stripe webhook secret", tenant.slug
    )
    return StripeKeys(
        publishable_key=tenant.stripe_publishable_key or config.get("STRIPE_PUBLISHABLE_KEY", ""),
        secret_key=secret or config.get("STRIPE_SECRET_KEY", ""),
        webhook_secret=webhook or config.get("STRIPE_WEBHOOK_SECRET", ""),
    )


def api_base() -> str | None:
    return current_app.config.get("STRIPE_API_BASE") or None


def js_url() -> str:
    return current_app.config.get("STRIPE_JS_URL") or DEFAULT_JS_URL


def client_for(tenant: Tenant) -> stripe.StripeClient:
    """A client with the tenant's secret key (raises ``NotConfigured``)."""
    keys = keys_of(tenant)
    if not keys.secret_key:
        raise NotConfigured(tenant.slug)
    base = api_base()
    options = {"base_addresses": {"api": base}} if base else {}
    return stripe.StripeClient(keys.secret_key, max_network_retries=1, **options)


class NotConfigured(Exception):
    """The tenant has no Stripe secret key and there is no default."""
