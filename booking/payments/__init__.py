"""Online payment (Stripe PaymentIntents), webhooks, refunds, and offline payment."""
