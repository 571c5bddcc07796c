"""Building blocks for the payment tests: an online booking of the invoice
tests' hall (4 h × 15,00 € + 30,00 € cleaning + 100,00 € deposit), paying it
at localstripe as Stripe.js would, signing a webhook body ourselves."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse
import urllib.request

import stripe

from booking.payments.models import Payment
from booking.payments.service import payment_of
from booking.reservations import service as reservations
from tests.payments.conftest import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET
from tests.times import at

RULES = [
    {
        "category": "resident",
        "unit": "hour",
        "amount_cents": 1500,
        "cleaning_cents": 3000,
        "deposit_cents": 10000,
    },
]
# 18:00–22:00: 4 h × 15,00 € + 30,00 € cleaning, and 100,00 € deposit.
FEE_CENTS = 4 * 1500 + 3000
DEPOSIT_CENTS = 10000
AMOUNT_CENTS = FEE_CENTS + DEPOSIT_CENTS
VISA = "4242424242424242"
DECLINED = "4000000000000341"
THREE_D_SECURE = "4000002760003184"

__all__ = [
    "AMOUNT_CENTS",
    "RULES",
    "book",
    "book_online",
    "card_token",
    "pay_at_stripe",
    "sign",
    "webhook_url",
]


def book(tenant, user, hall, day, **kwargs):
    """A booking of ``hall`` 18:00–22:00 on ``day`` through the service."""
    result = reservations.create_booking(
        tenant, user, hall, at(day, "18:00"), at(day, "22:00"), "Geburtstag", **kwargs
    )
    return result.booking


def book_online(tenant, user, hall, day, **kwargs):
    booking = book(tenant, user, hall, day, payment="online", **kwargs)
    return booking, payment_of(booking)


def stripe_client(base: str) -> stripe.StripeClient:
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": base})


def card_token(base: str, number: str = VISA) -> str:
    """A card token as Stripe.js' createToken makes it in the browser."""
    data = urllib.parse.urlencode(
        {
            "card[number]": number,
            "card[exp_month]": "12",
            "card[exp_year]": "2034",
            "card[cvc]": "123",
            "key": PUBLISHABLE_KEY,
        }
    ).encode()
    with urllib.request.urlopen(f"{base}/v1/tokens", data, timeout=5) as answer:
        return json.load(answer)["id"]


def pay_at_stripe(base: str, payment: Payment, method: str = "pm_card_visa"):
    """The payer's card confirmed at Stripe, our app not involved (as when
    the browser confirms and the webhook is all we hear)."""
    client = stripe_client(base)
    client.v1.payment_intents.update(payment.intent_id, params={"payment_method": method})
    return client.v1.payment_intents.confirm(payment.intent_id)


def sign(body: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A Stripe-Signature header for ``body``, computed as Stripe does."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def webhook_url(tenant) -> str:
    return f"/{tenant.slug}/payments/stripe/webhook"
