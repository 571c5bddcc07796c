"""Tenant administration: staff roles, the outbox, the audit log."""
