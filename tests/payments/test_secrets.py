"""Stripe secrets at rest and the per-tenant client."""

from __future__ import annotations

import logging

import pytest

from booking.extensions import db
from booking.payments import secrets, stripe_client


def test_round_trip_and_not_plain(app):
    token = secrets.encrypt("sk_test_geheim")
    assert "sk_test_geheim" not in token
    assert secrets.decrypt(token) == "sk_test_geheim"


def test_changed_secret_key_fails_clearly(app):
    token = secrets.encrypt("sk_test_geheim", secret_key="a" * 40)
    with pytest.raises(secrets.SecretUnreadable):
        secrets.decrypt(token, secret_key="b" * 40)


def test_unreadable_secret_counts_as_not_set_and_is_never_logged(app, tenant, caplog):
    app.config["STRIPE_SECRET_KEY"] = ""
    tenant.stripe_secret_key_encrypted = secrets.encrypt("sk_test_geheim", secret_key="x" * 40)
    db.session.commit()
    with caplog.at_level(logging.WARNING):
        keys = stripe_client.keys_of(tenant)
    assert keys.secret_key == ""
    assert "stripe secret key" in caplog.text
    assert "geheim" not in caplog.text
    assert tenant.stripe_secret_key_encrypted not in caplog.text
    with pytest.raises(stripe_client.NotConfigured):
        stripe_client.client_for(tenant)


def test_tenant_keys_win_over_defaults_per_tenant(app, make_tenant):
    app.config.update(
        STRIPE_SECRET_KEY="sk_default",
        STRIPE_PUBLISHABLE_KEY="pk_default",
        STRIPE_WEBHOOK_SECRET="whsec_default",
    )
    own = make_tenant("eigen")
    own.stripe_publishable_key = "pk_own"
    own.stripe_secret_key_encrypted = secrets.encrypt("sk_own")
    own.stripe_webhook_secret_encrypted = secrets.encrypt("whsec_own")
    other = make_tenant("andere")
    db.session.commit()
    assert stripe_client.keys_of(own) == stripe_client.StripeKeys("pk_own", "sk_own", "whsec_own")
    assert stripe_client.keys_of(other) == stripe_client.StripeKeys(
        "pk_default", "sk_default", "whsec_default"
    )
