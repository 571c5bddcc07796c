"""Municipalities (tenants), their URL prefix and the scoping helpers."""
